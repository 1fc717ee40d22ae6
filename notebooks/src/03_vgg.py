# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (reviewlib)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # VGG: *Very Deep Convolutional Networks for Large-Scale Image Recognition* — a review
#
# **Paper.** Karen Simonyan and Andrew Zisserman. "Very Deep Convolutional Networks for Large-Scale Image
# Recognition". arXiv:1409.1556 (2014); ICLR 2015.
#
# **Why it mattered.** AlexNet (2012) mixed 11x11, 5x5 and 3x3 kernels with strides and LRN. VGG kept *one* design
# rule — 3x3 convolutions with stride 1, 2x2 max-pooling between blocks — and varied only the **depth**, from 11 to
# 19 weight layers. It came second in the ILSVRC-2014 classification task and first in localisation, and made
# "stack small kernels, go deeper" the default. Its features became the standard backbone for transfer learning
# (detection, segmentation, style transfer) for years.
#
# **Questions this notebook answers.**
# 1. What are the six configurations A-E, and do our models match Table 1 and Table 2?
# 2. Why stacks of 3x3 instead of one big kernel (Sect. 2.3)? What do C's 1x1 convs add, and what does the
#    shallow net with 5x5 convs lose (Sect. 4.1)?
# 3. How was VGG trained (Sect. 3.1): the warm start from net A, and scale jittering?
# 4. Is deeper better, does LRN help, and does the warm start matter, when we train the nets ourselves (Table 3)?
# 5. What are dense evaluation and multi-crop evaluation, how do they compare, and what does fusing two nets buy
#    (Tables 4-6)?
#
# **This run.** The cell below says which budget is in force (`REVIEWLIB_BUDGET`: `smoke` runs every cell in
# seconds and its numbers mean nothing, `study` trains small versions of the networks on a 10-class ImageNet subset
# in minutes, `paper` is the paper's own scale), which device trains and which data it uses.

# %%
# %matplotlib inline
import pandas as pd
import torch
from IPython.display import display
from torch import nn

from reviewlib.evaluate import to_dense
from reviewlib.experiments import record
from reviewlib.experiments.runner import eval_transform
from reviewlib.nets import VGG_TABLE, shorthand, vgg
from reviewlib.papers import vgg as V
from reviewlib.review.checker import check_model
from reviewlib.review.glossary import glossary_markdown
from reviewlib.review.plots import feature_map_plot, param_breakdown_plot
from reviewlib.review.report import folded, markdown, pm
from reviewlib.review.tables import layer_table, layer_totals, macs_total, param_shares
from reviewlib.review.viewer import activation_viewer
from reviewlib.study import Study
from reviewlib.train.recipes import STUDY_TUNING_WHY, paper_recipe

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 120)
study = Study.for_paper("vgg"); study

# %% [markdown]
# **What this notebook trains**, and how long it will take at the step costs measured just now on this machine: the
# main run (Section 2) and the eleven nets of the ablations (Section 3), each with its own step time.

# %%
plan_cost = V.expected_minutes(study, study.device)
display(folded(plan_cost.reset_index(), ["run", "input", "width", "epochs", "steps / seed", "seeds", "s / step",
                                         "minutes"], {"run": "the notebook's run (ablations: one row per net)",
                                                      **V.PLAN_LEGEND}))
markdown(f"Training is expected to take about **{plan_cost['minutes'].sum():.1f} minutes** here "
         f"(`{study.device}`); the evaluation of Section 4 adds about a minute.")

# %% [markdown]
# **Contents.** 1 Architecture (Table 1 from one table, the layer table, torchinfo, claim check, why 3x3, 1x1
# convs, the shallow 5x5 net, explorer, build it yourself) · 2 Training method (recipe, cost, scale jittering, the
# main run) · 3 Performance-improvement strategies (depth with and without the warm start, LRN, 1x1 vs 3x3, the
# shallow net, scale jittering) · 4 Evaluation (dense evaluation, multi-crop, fusion, torchvision's numbers,
# filters, activations) · 5 Summary, glossary, exercises.
#
# ## 1. Architecture
#
# Table 1 of the paper lists six columns. Every conv is 3x3 / stride 1 / padding 1 (so the map size is kept),
# every block ends in a 2x2 / 2 max-pool (so the map halves), and every net ends in FC-4096, FC-4096, FC-1000.
# `reviewlib.nets.VGG_TABLE` writes the columns in torchvision's shorthand (an int is a 3x3 conv with that many
# channels, `'1x1-256'` a 1x1 conv, `'M'` a max-pool); one builder, `vgg(config)`, makes all of them. The table
# has a seventh row, `B-5x5`: the shallow net of Sect. 4.1, B with each pair of 3x3 convs replaced by one 5x5 conv.

# %%
# NBVAL_CHECK_OUTPUT
for c in VGG_TABLE:
    print(f"{c:6s}", shorthand(c))

# %%
V.config_chart(save="vgg_configs")

# %% [markdown]
# All seven built and measured on PyTorch's meta device (no weights allocated, so this is instant even at 144 M
# parameters). Columns: `weight layers` counted from the built model, `paper layers` Table 1's heading,
# `params` ours, `paper params (M)` Table 2's (Table 2 has no shallow net), `final map` the map before the FC
# layers at a 224 input, `GMACs` billions of multiply-adds per image, `fc1 share` the fraction of all weights in
# the first FC layer alone.

# %%
# NBVAL_CHECK_OUTPUT
print(V.architecture_table().drop(columns="shorthand").to_string())

# %% [markdown]
# The layer table of VGG-16 (D) at 224x224, every layer in forward order. Two columns need a word: `rf` is the
# **receptive field**, the side of the input square one unit of that layer sees; `jump` is the distance in input
# pixels between two neighbouring units of the layer, the product of all strides so far (1 until the first pool,
# then 2, 4, ..., 32). Each 3x3 conv grows the receptive field by 2 x `jump`, so the same conv sees more of the
# image in each deeper block.

# %%
# NBVAL_CHECK_OUTPUT
d224 = V.build_meta("D")
table_d = layer_table(d224, 224)
LAYER_LEGEND = {"name": "the layer, numbered by block as the paper does (conv3_2: block 3, second conv)",
                "kind": "conv, pool or fc (fully connected)", "kernel": "kernel side (pixels of its input map)",
                "stride": "step between windows", "padding": "zeros added at each border",
                "output": "the layer's output map: height x width x channels", "neurons": "values in that output",
                "params": "weights + biases", "macs": "multiply-adds for one image",
                "rf": "receptive field: the side of the input square one unit sees (pixels)",
                "jump": "distance in input pixels between neighbouring units: the product of the strides so far"}
folded(table_d.drop(columns=["path", "out_h", "out_w", "out_c"]),
       ["name", "kind", "kernel", "output", "params", "rf", "jump"], LAYER_LEGEND,
       summary="the full layer table of VGG-16 (D)")

# %%
feature_map_plot(table_d, title="VGG-16 (D): the map halves per block while the channels double",
                 save="vgg_feature_maps")

# %%
param_breakdown_plot(table_d, save="vgg_params", title="VGG-16 (D): parameters per layer")

# %% [markdown]
# **Where the weights are.** The convs do almost all the *computation*, but the first FC layer
# (7x7x512 -> 4096) holds almost three quarters of the *parameters*:

# %%
# NBVAL_CHECK_OUTPUT
share = param_shares(table_d)["share"]
print({k: f"{v:.1%}" for k, v in share.items()})
conv_macs = table_d.loc[table_d["kind"] == "conv", "macs"].sum() / layer_totals(table_d)["macs"]
print(f"convs: {share['conv']:.1%} of the parameters but {conv_macs:.1%} of the multiply-adds")

# %% [markdown]
# **The same network through torchinfo**, the summary many readers know, beside our layer table: both must count
# the same parameters.

# %%
# NBVAL_CHECK_OUTPUT
summary_text, totals = V.torchinfo_check("D")
print(summary_text)
print(f"torchinfo: {totals['torchinfo']:,} parameters | our layer table: {totals['ours']:,} | "
      f"{'the same' if totals['agree'] else 'DIFFERENT'}")

# %% [markdown]
# ### Claim check
#
# Every numeric architecture claim: Table 2's parameter counts, Table 1's depths, Sect. 2.3's 27C² vs 49C², the
# 224 -> 7x7x512 reduction, and Sect. 4.1's shallow net. The *ours* column is computed from built modules in this
# cell.

# %%
# NBVAL_CHECK_OUTPUT
print(V.claims().to_string())

# %% [markdown]
# All match; Table 2 rounds to millions (A's 132.86 M is "133 million"), and "81% more" is 49/27 - 1 = 81.5%.
# A-LRN has the same count as A: LRN has no weights. The 1x1 convs make C only 0.6 M larger than B, while D's
# 3x3 convs in their place add 5.3 M.
#
# ### Why 3x3 (Sect. 2.3)
#
# Two stacked 3x3 convs (stride 1) see a 5x5 region; three see 7x7. The stack has fewer weights (with C channels in
# and out: 2·9C² = 18C² vs 25C²; 3·9C² = 27C² vs 49C²) and one ReLU per layer instead of one in total — "more
# discriminative" decision functions. The receptive field is given three ways: the formula `depth·(k-1)+1`, the
# recurrence of the layer table's `rf` column, and **measured** by back-propagating from one output unit of the
# built modules.

# %%
# NBVAL_CHECK_OUTPUT
for depth in (2, 3):
    stack = V.stack_comparison(depth, 3, channels=64)
    print(stack.to_string())
    print(V.stack_sentence(stack), "\n")

# %% [markdown]
# The receptive field grows layer by layer in VGG-16: +2 x `jump` per 3x3 conv, so each pool doubles the growth.

# %%
V.receptive_field_plot(table_d, title="VGG-16 (D): receptive field per layer (224 input)",
                       save="vgg_receptive_field")

# %% [markdown]
# ### The 1x1 convs of configuration C
#
# C adds a 1x1 conv at the end of blocks 3-5. A 1x1 conv mixes channels at each position: the receptive field stays
# the same (`rf` column), but one more ReLU is applied — "a way to increase the non-linearity of the decision
# function without affecting the receptive fields" (Sect. 2.3). Table 3 reports that it helps (C beats B) but less
# than real 3x3 convs (D beats C): spatial context matters. Section 3 trains C against D.

# %%
# NBVAL_CHECK_OUTPUT
print(V.one_by_one_rows().to_string())

# %% [markdown]
# ### The shallow net of Sect. 4.1
#
# To show that depth, not the receptive field, is what helps, the paper replaced each pair of B's 3x3 convs by one
# 5x5 conv: the same receptive field at every pool (`rf at pool`), *more* conv parameters, half the ReLUs. It
# measured a top-1 error 7% higher than B's. Section 3 trains both.

# %%
# NBVAL_CHECK_OUTPUT
print(V.shallow_rows().to_string(index=False))

# %% [markdown]
# ### Explorer
#
# Pick a configuration, or edit each block's number of 3x3 convs and its channels, the FC width and the input
# size. The totals, the layer table and the feature-map plot update live; an impossible setting (say, a 16-pixel
# input: the fifth pool gets a 1x1 map) shows the error instead. Editing a block turns the configuration into
# `custom` (3x3 convs only).

# %%
explorer = V.explorer()
explorer.widget()

# %% [markdown]
# The same logic driven from Python (what the widget calls on every change):

# %%
# NBVAL_CHECK_OUTPUT
for line in V.explorer_lines([dict(config="A"), dict(config="E"), dict(b5_convs=2), dict(image_size=16),
                              dict(image_size=96, config="D"), dict(fc_width=1024), dict(config="B-5x5")]):
    print(line)

# %% [markdown]
# At 96 pixels the last map is 3x3, so FC1 shrinks from 25088x4096 to 4608x4096 (our `vgg(image_size=96)` sizes
# FC1 for the natural map; torchvision's adaptive pool would upsample to 7x7 instead).
#
# ### Build it yourself
#
# Write VGG-16 from the shorthand `64 (x2) - 128 (x2) - 256 (x3) - 512 (x3) - 512 (x3)`: each block is that many
# 3x3 convs (padding 1) with ReLU, closed by a 2x2/2 max-pool; then `avgpool` (7x7 at 224), FC-4096, FC-4096,
# FC-1000, with ReLU and Dropout(0.5) after the first two. Fill in the scaffold, then run the checker: it compares
# your model with `vgg("D")` layer by layer and names the first layer that differs. (Building on the meta device
# keeps it free.)

# %%
class MyVGG16(nn.Module):
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            # TODO: the rest of block 1, then blocks 2-5, each closed by nn.MaxPool2d(2, 2)
        )
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            # TODO: FC-4096, ReLU, Dropout, FC-4096, ReLU, Dropout, FC-num_classes
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# NBVAL_CHECK_OUTPUT
with torch.device("meta"):
    print(check_model(MyVGG16(), V.exercise_reference()))

# %% [markdown]
# <details><summary>Answer (click)</summary>
#
# `V.VGG16Answer` builds it from the shorthand string; read its source with `V.VGG16Answer??`. The checker on it
# is the next cell.
# </details>

# %%
# NBVAL_CHECK_OUTPUT
with torch.device("meta"):
    print(check_model(V.exercise_answer(), V.exercise_reference()))

# %% [markdown]
# ## 2. Training method
#
# Sect. 3.1's recipe as data. Mini-batch SGD, batch 256, momentum 0.9, weight decay 5·10⁻⁴, dropout 0.5 in the
# first two FC layers, learning rate 10⁻² divided by 10 when the validation accuracy stops improving (three times),
# 370K iterations (74 epochs). Net A starts from random weights drawn from N(0, 10⁻²): the paper gives the
# **variance**, 10⁻², so the standard deviation is 0.1 (many reimplementations read it as std 0.01). The deeper
# nets start their first four conv layers and the last three FC layers from the trained A, the rest from the
# same N(0, 10⁻²).

# %%
# NBVAL_CHECK_OUTPUT
paper = paper_recipe("vgg")
print(pd.Series({k: getattr(paper, k) for k in ("batch_size", "lr", "momentum", "weight_decay", "schedule", "gamma",
                                                "max_reductions", "epochs", "init")}).to_string())
print(f"N(0, 10^-2): variance 0.01, standard deviation {V.init_std():g}")

# %% [markdown]
# **Our recipe at this budget.** VGG has no BatchNorm, so a deep net at a small width learns slowly from the
# paper's init; the study budget uses He (Kaiming) initialisation for every net instead, a higher learning rate,
# and a learning rate that falls linearly to zero. Section 3 still trains the warm start, as the paper did, beside
# random init.

# %%
main_run = study.runs["main"]
print(f"main run: {main_run.model}, width {main_run.width}, {main_run.image_size}-px crops from S in "
      f"[{main_run.resize}, {2 * main_run.resize}], {main_run.epochs} epochs, batch {study.batch_size}")
print("why:", STUDY_TUNING_WHY["vgg"])
pd.Series({k: getattr(main_run.recipe, k) for k in ("batch_size", "lr", "momentum", "weight_decay", "schedule",
                                                    "epochs", "init")})

# %% [markdown]
# ### What it cost
#
# Sect. 3.3: "2-3 weeks" per net on four NVIDIA Titan Black GPUs. The multiply-adds of training VGG-16 (forward +
# backward ≈ 3x forward, 74 epochs of 1.28 M images), and what they mean for those GPUs:

# %%
# NBVAL_CHECK_OUTPUT
cost = V.training_cost(macs_total(d224, 224))
print({k: round(v, 2) for k, v in cost.items()})
mem = V.activation_memory(table_d)
print(f"VGG-16 activations per 224x224 image: {mem['values']:,} values = {mem['forward_MB']:.1f} MB forward (fp32), "
      f"~{mem['train_MB']:.0f} MB with backward; x 64 images per GPU (256 / 4 GPUs) = "
      f"{64 * mem['train_MB'] / 1024:.1f} GB against a Titan Black's 6 GB")

# %% [markdown]
# So the GPUs ran at roughly a quarter to a third of their peak. The paper splits each batch of 256 over the four
# GPUs (Sect. 3.3), 64 images each. Our plain count (every activation, plus a gradient of the same size) exceeds a
# Titan Black's 6 GB for that share: frameworks free gradient buffers as the backward pass moves on and compute
# ReLU in place, so the plain count is an upper bound. It still shows that at high resolution the activations, not
# the 138 M weights (0.55 GB), are the memory cost of depth.
#
# ### Scale jittering (Sect. 3.1)
#
# Single-scale training rescales the image's short side to a fixed S (256 or 384) and takes random 224x224 crops;
# scale jittering draws S from [256, 512] for every image, so the same object appears at many sizes. How much of
# the image one crop covers depends on S:

# %%
# NBVAL_CHECK_OUTPUT
coverage = V.crop_coverage(224, (256, 384, 512))
print(coverage.to_string(float_format=lambda v: f"{v:.1%}"))
print(f"a 224 crop covers {coverage.loc[256, 'side covered']:.0%} of the short side at S=256 and "
      f"{coverage.loc[512, 'side covered']:.0%} at S=512")

# %% [markdown]
# The same crops on a real photo, drawn by the training transform (`reviewlib.data.VGGTrain`, which also flips and
# shifts the colours as AlexNet did):

# %%
photo = V.sample_photo("goldfish", side=512)
if photo is None:  # no ../shared: a validation image of the training data (maybe synthetic), upsampled
    images = V.validation_images(study, main_run).store
    photo = (torch.nn.functional.interpolate(images.images[:1].float(), size=512, mode="bilinear")[0]
             .round().clamp(0, 255).to(torch.uint8), images.class_names[int(images.labels[0])])
V.augmentation_figure(photo[0], {"fixed S=256": (256, 256), "jittered S in [256, 512]": (256, 512)}, crop=224,
                      save="vgg_augment" if V.sample_photo("goldfish") is not None else None)

# %% [markdown]
# ### The main run: net A
#
# Net A is the one net the paper trains from random weights. Here it trains with the recipe above on the data in
# the header: watch the progress bar and the curves, drawn after every epoch.

# %%
main = V.main_run(study, live_plot=True)
history = main.trained[0].history
model_a = main.trained[0].model.eval()

# %%
recorded_main = record.load("vgg", "main")
recorded_history = recorded_main.histories() if recorded_main is not None else None
V.curves_figure(history, recorded_history, title=f"net A, width {main_run.width}, {main_run.image_size} px",
                save="vgg_main_curves" if V.save_figures(study) else None)

# %%
markdown(V.history_sentence(history, recorded_history))

# %% [markdown]
# What to look for: the validation accuracy climbs fastest in the first epochs and again at the end, as the
# learning rate falls; the training accuracy is measured on jittered crops with dropout on, so it can sit below
# the validation accuracy for a long time without any sign of overfitting.
#
# ## 3. Performance-improvement strategies
#
# Table 3 compares the configurations trained the paper's way. We train eleven nets, each with three seeds, and
# compare each with the net it differs from in one thing:
#
# - **depth**: A -> B -> D -> E, warm-started from the trained A of the same seed as the paper did, and the same
#   nets from random (Kaiming) init (Table 3: the error falls with depth, E saturates);
# - **warm start**: each deeper net warm-started vs from random init (the paper warm-started to avoid stalled
#   learning, and later found that Glorot's random init also works);
# - **LRN**: A vs A-LRN (Table 3: no gain);
# - **1x1 vs 3x3**: C vs D, both warm-started (Table 3: C is worse);
# - **the shallow net**: B-5x5 vs B, both started from A where the shapes allow (only the FC layers of B-5x5 fit)
#   (Sect. 4.1: 7% higher top-1 error);
# - **scale jittering**: A with S in [256, 512] (scaled) vs A with S = 256 (Table 3: jittering helps).

# %%
abl_run = study.runs["ablations"]
markdown(f"To fit eleven nets x {len(abl_run.seeds)} seeds beside the main run, the ablation nets are smaller "
         f"than net A of Section 2: width {abl_run.width}, {abl_run.image_size}-pixel crops from S in "
         f"[{abl_run.resize}, {2 * abl_run.resize}] (the paper's [256, 512] scaled; VGG's five pools leave a 1x1 "
         f"map), {abl_run.epochs} epochs, with the paper's learning rate {abl_run.recipe.lr:g}. Every net gets the "
         f"same data, recipe and seeds.")

# %%
abl = V.ablations(study)
comparisons = V.comparison_table(abl)
folded(V.format_comparisons(comparisons).reset_index(), ["group", "arm", "baseline", "arm top-1 (%)",
                                                        "baseline top-1 (%)", "diff (pp) ± se", "verdict"],
       {"group": "what is compared", **V.COMPARISON_LEGEND}, summary="with the paper's numbers")

# %%
V.ablation_plot(comparisons, save="vgg_ablations" if V.save_figures(study) else None)

# %% [markdown]
# **Depth.** Table 3's nets were all warm-started from A except A itself. Ours, both ways, beside the paper:

# %%
V.depth_plot(V.group_scores(abl, ["A", "B", "D", "E", "B (from A)", "D (from A)", "E (from A)"]),
             {c: V.TABLE3.loc[c, "top1_error"] for c in ("A", "B", "D", "E")},
             save="vgg_depth" if V.save_figures(study) else None)

# %%
markdown(V.comparison_sentences(comparisons, ["depth, trained as the paper did", "depth, from random init",
                                              "warm start from A vs random init"]))

# %% [markdown]
# What to look for: without BatchNorm a deeper net starts more slowly from random weights (more layers for the
# signal and the gradient to pass through), the very problem the paper solved by starting the deeper nets from A.
# A warm-started net begins with A's working first layers and classifier, a head start that shows most in a short
# run; the paper's later note that Glorot's random init also works says that over its 74 epochs a good random init
# catches up. Every comparison above is made at the last epoch of both nets.
#
# **LRN, 1x1 convs, the shallow net and scale jittering:**

# %%
markdown(V.comparison_sentences(comparisons, ["LRN", "1x1 vs 3x3 convs", "shallow 5x5 net", "scale jittering"]))

# %% [markdown]
# A verdict of "within noise at this budget" means the difference is smaller than the seeds' scatter allows us to
# call; the paper's differences are a point or two of top-1 error on 50,000 validation images, ours are measured on
# 500. Scale jittering is a regulariser: it pays off when a run is long enough to overfit, and a short run can show
# the opposite.

# %%
# NBVAL_CHECK_OUTPUT
recorded_abl = record.load("vgg", "ablations")
if recorded_abl is not None:
    display(markdown("**Recorded run** (the same comparisons, trained longer at 64 px):"))
    display(V.format_comparisons(V.comparison_table(recorded_abl)))

# %% [markdown]
# ## 4. Evaluation
#
# ### Dense evaluation: the FC layers as convolutions (Sect. 3.2)
#
# At test time FC1 becomes a convolution whose kernel is the size of the map it reads — 7x7 for a 224 input (its
# 25088x4096 weight reshaped to 4096x512x7x7) — and FC2/FC3 become 1x1 convolutions; the net then runs on the
# whole uncropped image at scale Q and gives a *class score map*, averaged spatially (and over the flipped image).
# Our 64-pixel nets end in a 2x2 map, so there FC1 becomes a 2x2 conv. At the training size the score map is 1x1
# and equals the FC net's output:

# %%
# NBVAL_CHECK_OUTPUT
print("VGG-16 at 224: FC1 as conv:", to_dense(V.build_meta("D"), 224).classifier[0])
torch.manual_seed(0)
small = vgg("D", num_classes=10, width=1 / 16, image_size=64).eval()
dense = to_dense(small, 64)
x = torch.randn(2, 3, 64, 64)
print("our 64-px D: FC1 as conv:", dense.classifier[0])
print("score map at 64 px:", tuple(dense(x).shape), "| equal to the FC net:",
      torch.allclose(dense(x).flatten(1), small(x), atol=1e-5))
print("score map at 160 px:", tuple(dense(torch.randn(1, 3, 160, 160)).shape))

# %% [markdown]
# Our trained net A on a real photo at several scales Q: a bigger Q gives a bigger score map (one score vector per
# 32-pixel step). The brightness is the probability of the class the averaged map picks.

# %%
val_images = V.validation_images(study, main_run)
class_names = val_images.store.class_names
scales = V.test_scales(main_run.image_size)["multi"] + (4 * main_run.image_size,)
V.score_map_figure(model_a, photo[0], scales, image_size=main_run.image_size, class_names=class_names,
                   save="vgg_score_map" if V.save_figures(study) else None)

# %% [markdown]
# ### Dense vs multi-crop vs both (Tables 4-5)
#
# Dense evaluation sees the whole image once per scale (plus its flip); multi-crop takes a 5x5 grid of crops and
# their flips (50 per scale); the paper found them complementary and averaged their soft-max outputs (Table 5).
# Multi-scale testing uses Q ∈ {256, 384, 512} (scaled) for a net trained with jittered S (Table 4), single-scale
# testing Q = 384. We evaluate the nets A of the ablation (jittered S, one per seed):

# %%
markdown(f"{len(abl_run.seeds)} nets, {abl_run.eval_images or 'all'} validation images each (evenly spaced over "
         f"the classes), test scales Q = {V.test_scales(abl_run.image_size)['multi']} for the "
         f"{abl_run.image_size}-pixel nets.")

# %%
protocols = V.protocol_table(abl.models("A"), V.validation_images(study, abl_run), image_size=abl_run.image_size,
                             device=study.device, max_images=abl_run.eval_images)
display(folded(protocols.round(2).reset_index(), ["protocol", "crops", "top1_error", "top1 sd"],
               {"protocol": "how the test image is turned into network inputs",
                "crops": "network inputs per image (dense: one whole image and its flip per scale)",
                "nets": "trained nets (one per seed)", "top1_error": "top-1 error (%), mean over the nets",
                "top1 sd": "its standard deviation over the nets", "top5_error": "top-5 error (%), likewise",
                "top5 sd": "its standard deviation"}))
V.protocol_plot(protocols, save="vgg_protocols" if V.save_figures(study) else None)

# %%
best, centre = protocols["top1_error"].idxmin(), protocols.loc["centre crop"]
top = protocols.loc[best]
markdown(f"The lowest top-1 error here comes from **{best}**: {pm(top['top1_error'], top['top1 sd'])}% against "
         f"{pm(centre['top1_error'], centre['top1 sd'])}% for one centre crop, with {int(top['crops'])} network "
         f"inputs per image instead of 1. One validation image is "
         f"{100 / min(len(val_images), abl_run.eval_images or len(val_images)):.1f} points of error here.")

# %% [markdown]
# The paper's rows for D and E (top-1 / top-5 val error %, ILSVRC-2012): each step is worth about half a point to
# a point and a half of top-1 — jittered training (27.0 -> 25.6), multi-scale testing (-> 24.8), dense +
# multi-crop (-> 24.4).

# %%
# NBVAL_CHECK_OUTPUT
print(V.PAPER_EVAL.to_string())

# %% [markdown]
# ### Fusing two nets (Table 6)
#
# The paper's best two-net result averages the soft-max outputs of D and E (23.7% top-1 error, against 24.4% for
# each alone with the same protocol). Cheaply, with our warm-started D and E of each seed, one centre crop each:

# %%
fusion = V.fusion_table(abl, study, abl_run)
display(fusion.round(2))
g = fusion.loc["mean"]
markdown(f"Fused, D and E reach {g['fused']:.1f}% top-1 error against {g['D (from A)']:.1f}% and "
         f"{g['E (from A)']:.1f}% alone (means over {len(abl_run.seeds)} seeds): fusing lowers the error of the "
         f"better net of each pair by {pm(g['gain'], fusion.loc['sd', 'gain'])} points (negative: it raises it). "
         f"The paper gained 0.7 points from D + E (Table 6: 23.7% against 24.4%).")

# %% [markdown]
# ### What torchvision reports
#
# torchvision's VGG weights (`VGG*_Weights.IMAGENET1K_V1.meta`, read without downloading anything) beside Table 3:

# %%
# NBVAL_CHECK_OUTPUT
reported = V.torchvision_reported()
print(reported.to_string())
print(V.gap_sentence(reported))

# %% [markdown]
# torchvision's errors are higher than the paper's although the architectures are the same: its numbers are
# **single 224 centre crops** of a 256 short side, while Table 3's are dense evaluation of the whole image (with
# the flip) at Q = S = 256, which sees more of the image. The weights also come from a re-training in PyTorch, not
# the authors' Caffe models. The paper's best single-net numbers (24.4 / 7.2 for D, Table 5) use three scales and
# 150 crops on top: more test compute, lower error.
#
# ### What the first layer learned
#
# Net A's first-layer filters (3x3x3, one tile each, red/green/blue as in an image) before training, as the
# initialisation drew them, and after the main run:

# %%
untrained_a = V.untrained(study, main_run, seed=0)
trained_w, untrained_w = V.first_layer(model_a), V.first_layer(untrained_a)
V.filters_figure(trained_w, untrained_w, save="vgg_filters" if V.save_figures(study) else None)

# %%
norm = lambda w: float(w.flatten(1).norm(dim=1).mean())
change = float((trained_w - untrained_w).flatten(1).norm(dim=1).mean() / untrained_w.flatten(1).norm(dim=1).mean())
markdown(f"Training moved the filters by {change:.0%} of their initial size on average (mean norm "
         f"{norm(untrained_w):.2f} -> {norm(trained_w):.2f}). A 3x3 filter is too small to show AlexNet's "
         f"oriented edges and colour blobs: VGG builds those from stacks of 3x3 layers, which the activation "
         f"viewer below shows.")

# %% [markdown]
# ### Activations of the trained net
#
# Pick a validation image and see what every conv layer of the trained net A makes of it (the six most active
# maps per layer), and its top-5 predictions.

# %%
activation_viewer(model_a, val_images.store.images, val_images.store.labels.tolist(), eval_transform(main_run),
                  list(class_names))

# %% [markdown]
# ## 5. Summary

# %%
arch = V.architecture_table()
verdict = comparisons.set_index(["group", "arm"])["verdict"]
markdown("\n".join([
    f"1. **Architecture.** Six columns from one table: {arch.loc['A', 'weight layers']}-"
    f"{arch.loc['E', 'weight layers']} weight layers, {arch.loc['A', 'params'] / 1e6:.0f}-"
    f"{arch.loc['E', 'params'] / 1e6:.0f} M parameters, all of Table 1 and Table 2 reproduced; FC1 alone holds "
    f"{share['fc1']:.0%} of VGG-16's weights, the convs {conv_macs:.0%} of its multiply-adds.",
    "2. **3x3 stacks.** The same receptive field as one big kernel (measured by gradient on the built modules) with "
    "fewer weights and one ReLU per layer; 1x1 convs add a ReLU without growing the field; the shallow 5x5 net has "
    "more weights and fewer ReLUs.",
    f"3. **Training.** SGD with momentum, weight decay, dropout, lr /10 on plateaus, 74 epochs, 2-3 weeks on 4 GPUs; "
    f"net A from N(0, 10^-2) (std {V.init_std():g}), the deeper nets warm-started from it. Our net A reached "
    f"{history['val_acc1'].iloc[-1]:.1f}% top-1 on 10 classes in {len(history)} epochs.",
    f"4. **Strategies at our budget.** D from A vs A: *{verdict['depth, trained as the paper did', 'D (from A)']}*; "
    f"D from random init vs A: *{verdict['depth, from random init', 'D']}*; D from A vs from random init: "
    f"*{verdict['warm start from A vs random init', 'D (from A)']}*; LRN: *{verdict['LRN', 'A-LRN']}*; C vs D: "
    f"*{verdict['1x1 vs 3x3 convs', 'C (from A)']}*; the shallow 5x5 net vs B: "
    f"*{verdict['shallow 5x5 net', 'B-5x5 (from A)']}*; fixed S vs jittered: "
    f"*{verdict['scale jittering', 'A, fixed S']}*.",
    f"5. **Evaluation.** Dense evaluation turns FC into conv layers (exactly equal at the training size) and runs on "
    f"whole images at any scale; on our nets the lowest error came from {best}. Fusing D and E changed the error "
    f"by {-g['gain']:+.1f} points. torchvision's single-crop errors are higher than Table 3's dense ones.",
]))

# %% [markdown]
# ### Glossary (용어집)

# %%
markdown(glossary_markdown("vgg"))

# %% [markdown]
# ## Exercises
#
# 1. **Sect. 2.3 for two layers.** A stack of two 3x3 convs and one 5x5 conv see the same 5x5 field. With C
#    channels in and out, how many weights does each have, and by what percentage does the 5x5 exceed the stack?
# 2. **The shallow net.** Count the conv parameters of B and of B-5x5 at full width. Which has more, and how many
#    ReLUs does each have in its conv part? (Hint: `V.shallow_rows()`.)
# 3. **Configuration C in code.** Write C in the shorthand list of `VGG_TABLE` (an int is a 3x3 conv, `'1x1-N'` a
#    1x1 conv, `'M'` a max-pool), build it with `vgg(your_list)` and check it with `V.check(3, your_list)`.
# 4. **Dense evaluation.** What is the smallest test scale Q for which VGG-16's class score map is 5x5?
# 5. **Crops.** With a fixed training scale S = 384, what share of the short side does a 224x224 crop cover, and
#    what share of the square image's area?
# 6. **The warm start in code.** Write `my_warm_start(target, source_a)` that copies A's first four conv layers
#    into the conv layers at the same place (block, index in block) of a deeper net and A's three FC layers into
#    its FC layers, and check it with `V.check(6, my_warm_start)`.

# %%
my_c = [64, 64, "M"]  # TODO: configuration C
print(V.check(3, my_c))

# %% [markdown]
# Reveal an answer with `V.reveal(n)`, e.g. the first:

# %%
V.reveal(1)
