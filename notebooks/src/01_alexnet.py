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
# # AlexNet: *ImageNet Classification with Deep Convolutional Neural Networks* — a review
#
# **Paper.** Alex Krizhevsky, Ilya Sutskever and Geoffrey E. Hinton. *ImageNet Classification with Deep Convolutional
# Neural Networks.* Advances in Neural Information Processing Systems 25 (NIPS 2012), pp. 1097-1105.
#
# **Why it mattered.** A large convolutional network, trained on 1.2 million labelled images on two consumer GPUs,
# won ILSVRC-2012 with 15.3% top-5 test error against 26.2% for the next entry. It put together what later networks
# took for granted: ReLU non-linearities, GPU training, heavy data augmentation and dropout in the classifier. VGG
# and GoogLeNet (notebooks 03 and 02) are answers to the questions it left open.
#
# **Questions this notebook answers.**
# 1. Where do "60 million parameters and 650,000 neurons" sit, and do the paper's numbers (Fig. 2, the 224-pixel
#    input, the two GPUs) add up?
# 2. How was it trained (Sect. 5), and what does that recipe reach on a small ImageNet subset?
# 3. What does each trick the paper credits (dropout, augmentation, PCA colour noise, LRN, overlapping pooling, two
#    GPUs) buy at our budget, and is ReLU really six times faster than tanh (Fig. 1)?
# 4. How is it tested (10 crops), and what has it learned (Fig. 3's filters, Fig. 4's neighbours)?
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

from reviewlib.errors import ConfigError
from reviewlib.evaluate import to_dense
from reviewlib.experiments import record, train_variant
from reviewlib.experiments.runner import eval_transform
from reviewlib.nets import alexnet, count_params
from reviewlib.papers import alexnet as A
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
study = Study.for_paper("alexnet"); study

# %% [markdown]
# **What this notebook trains**, and how long it will take at the step costs measured just now on this machine: the
# main run (Section 2), the seven arms of the ablation and Fig. 1's race (Section 3).

# %%
plan_cost = A.expected_minutes(study, study.device)
display(folded(plan_cost.reset_index(), ["run", "input", "width", "epochs", "seeds", "s / step", "minutes"],
               {"run": "the notebook's run (ablations: one row per arm)", **A.PLAN_LEGEND}))
markdown(f"Training is expected to take about **{plan_cost['minutes'].sum():.1f} minutes** here "
         f"(`{study.device}`); the evaluation of Section 4 adds well under a minute.")

# %% [markdown]
# **Contents.** 1 Architecture (layer table, where the parameters sit, torchinfo, the fixed input size, claim
# check, two GPUs, LRN, overlapping pooling, explorer, build it yourself) · 2 Training method (recipe, cost,
# augmentation, the main run) · 3 Performance-improvement strategies (the ablations, Fig. 1's race) · 4 Evaluation
# (10 crops, the paper's tables, Fig. 4's neighbours, Fig. 3's filters, activations) · 5 Summary, glossary,
# exercises.
#
# ## 1. Architecture
#
# Sect. 3.5 and Fig. 2: five convolutional layers and three fully connected ones. conv1 has 96 kernels of 11x11x3
# with stride 4; conv2 256 of 5x5; conv3 and conv4 384 of 3x3; conv5 256 of 3x3; FC6 and FC7 4,096 units each; FC8
# a 1000-way softmax. ReLU follows every layer, local response normalisation (LRN) follows conv1 and conv2, and
# overlapping 3x3 max-pools with stride 2 follow both LRNs and conv5. `reviewlib.nets.alexnet("paper")` builds it
# from that table, split into two towers as on the paper's two GPUs.
#
# The layer table, every layer in forward order at the 227x227 input we build it for (the next cells say why not
# 224). Measured on PyTorch's meta device: shapes and counts without allocating any weight.

# %%
# NBVAL_CHECK_OUTPUT
paper_model = A.paper_model()
paper_table = layer_table(paper_model, 227, device="meta")
folded(paper_table.drop(columns=["path", "out_h", "out_w", "out_c"]), A.LAYER_KEYS,
       {**A.LAYER_LEGEND, "jump": "distance in input pixels between neighbouring outputs: the product of the strides "
                                  "so far"}, summary="the full layer table of the paper's AlexNet")

# %%
feature_map_plot(paper_table, title="Paper AlexNet at 227x227: output side and channels of every layer",
                 save="alexnet_map_sizes")

# %%
param_breakdown_plot(paper_table, save="alexnet_params", title="Paper AlexNet: parameters per layer")

# %% [markdown]
# ### Where the 60 million parameters sit
#
# The convolutions do almost all the arithmetic, the fully connected layers hold almost all the weights: FC6 alone
# maps the 6x6x256 = 9,216 values of pool5 to 4,096 units.

# %%
# NBVAL_CHECK_OUTPUT
shares = param_shares(paper_table)
print({k: f"{v:.1%}" for k, v in shares["share"].items()})
fc_share = shares.loc[shares["kind"] == "fc", "share"].sum()
fc_macs = paper_table.loc[paper_table["kind"] == "fc", "macs"].sum() / layer_totals(paper_table)["macs"]
print(f"FC layers: {fc_share:.1%} of the parameters, {fc_macs:.1%} of the multiply-adds")

# %% [markdown]
# **The same network through torchinfo**, the summary many readers know, beside our layer table: both must count
# the same parameters.

# %%
# NBVAL_CHECK_OUTPUT
summary_text, totals = A.torchinfo_check()
print(summary_text)
print(f"torchinfo: {totals['torchinfo']:,} parameters | our layer table: {totals['ours']:,} | "
      f"{'the same' if totals['agree'] else 'DIFFERENT'}")

# %% [markdown]
# ### The last feature map fixes the input size
#
# FC6 has a weight for each of the 9,216 values of pool5, so the network only accepts inputs whose pool5 map is
# exactly 6x6x256. Because each layer rounds its output size down, a range of input sides leads to the same 6x6 map:

# %%
# NBVAL_CHECK_OUTPUT
sizes = A.pool5_by_input(range(200, 301))
lo, hi = A.accepted_inputs("paper")
print(f"paper model: every input side from {lo} to {hi} gives a 6x6 pool5 map")
print(sizes[sizes["input"].isin([223, 224, 226, 227, 256, 258, 259, 290, 291])].to_string(index=False))
for side in (227, 259, 291):
    with torch.device("meta"):
        m = alexnet("paper", image_size=side)
    print(f"built for {side}: FC6 has {count_params(m.classifier[1]):,} parameters, total {count_params(m):,}")
try:
    paper_model(torch.empty(1, 3, 259, 259, device="meta"))
except ConfigError as err:
    print("\n259x259 into the 227 model -> ConfigError:", err)

# %%
A.input_size_plot(sizes, (lo, hi), save="alexnet_input_range")

# %% [markdown]
# Two ways around the fixed size: torchvision's **adaptive average pooling** resizes whatever map arrives to 6x6,
# and VGG's **dense evaluation** turns FC6 into a 6x6 convolution and FC7/FC8 into 1x1 convolutions, so a larger
# image gives a map of class scores instead of an error.

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
small = alexnet("paper", num_classes=10, width=0.125, towers=1).eval()  # one tower: to_dense reads plain convs
dense = to_dense(small)
for side in (227, 259, 320):
    print(f"paper model as a fully convolutional net, {side}x{side} input -> class score map "
          f"{tuple(dense(torch.zeros(1, 3, side, side)).shape)}")

# %% [markdown]
# ### Claim check
#
# Every architectural number the paper prints, beside ours (computed from the model in this cell), with a verdict.

# %%
# NBVAL_CHECK_OUTPUT
print(A.claims().to_string(index=False))

# %%
# NBVAL_CHECK_OUTPUT
print(A.neurons_per_layer().to_string(index=False))
print()
print(A.conv1_candidates().to_string(index=False))

# %% [markdown]
# **Reading the tables.**
# * **Input 224 vs 227.** An 11x11 kernel with stride 4 and no padding on 224 pixels gives (224 - 11)/4 + 1 = 54.25.
#   The 55x55 maps of Fig. 2 need 227 pixels (or padding; torchvision pads by 2). We build at 227. The "150,528
#   dimensional" input of Fig. 2 is 224x224x3 as printed.
# * **253,440 conv1 neurons.** Our conv1 has 55x55x96 = 290,400 outputs. None of the usual readings gives 253,440:
#   not 224-based arithmetic (54x54x96 = 279,936), not one tower alone (145,200). A search over h x w x c with
#   sides 40-64 finds only shapes that occur nowhere in the network. The other seven layers match exactly; with
#   290,400 the total is 659,272, close to the abstract's "650,000".
# * **Two GPUs.** conv2, conv4 and conv5 see only the maps on their own GPU; conv1, conv3 and the FC layers see all
#   maps of the layer below. That is where the GPUs exchange data.
# * **2048x augmentation**: (256 - 224)² translations x 2 reflections.
#
# ### The two GPUs (Sect. 3.2)
#
# Each conv layer is split into two towers of half the kernels. `place_towers` puts tower i on device i; the input
# is sent to both and the outputs gathered back. With fewer than two GPUs, two CPU stand-ins show the same thing. The
# output must equal the single-device model's.

# %%
torch.manual_seed(0)
demo = A.two_device_demo(alexnet("paper", num_classes=10, width=0.125), torch.randn(2, 3, 227, 227))
print("placement:", demo["placement"])
print(f"output {demo['shape']}, max |two devices - one device| = {demo['max_abs_diff']:.2e}, equal: {demo['equal']}")

# %% [markdown]
# Sect. 3.2 compares the two-GPU net with a net of **half the kernels in conv1-conv4** on one GPU; its footnote adds
# that the last convolutional layer and the FC layers keep their full size, "so that the two nets have approximately
# the same number of parameters". `alexnet("paper", one_gpu=True)` builds that net; Section 3 trains it.

# %%
# NBVAL_CHECK_OUTPUT
with torch.device("meta"):
    two, one = alexnet("paper"), alexnet("paper", one_gpu=True)
t1 = layer_table(one, 227, device="meta").set_index("name")
t2 = paper_table.set_index("name")
print(pd.DataFrame({"two GPUs": t2.loc[["conv1", "conv2", "conv3", "conv4", "conv5", "fc6"], "output"],
                    "one GPU": t1.loc[["conv1", "conv2", "conv3", "conv4", "conv5", "fc6"], "output"]}).to_string())
print(f"parameters: two GPUs {count_params(two):,} | one GPU {count_params(one):,} ({count_params(one) / count_params(two):.1%})")
print(f"multiply-adds: two GPUs {macs_total(two, 227):,} | one GPU {macs_total(one, 227):,}")

# %% [markdown]
# ### Local response normalisation (Sect. 3.3)
#
# Each activation is divided by (k + α Σ a²)^β, the sum running over n = 5 neighbouring maps at the same position,
# with k = 2, α = 10⁻⁴, β = 0.75. PyTorch's `nn.LocalResponseNorm` divides α by n, so passing the paper's 10⁻⁴
# gives a different layer. Compared with the paper's formula, written out as a loop:

# %%
# NBVAL_CHECK_OUTPUT
print(A.lrn_check().to_string(index=False))

# %% [markdown]
# ### Overlapping pooling (Sect. 3.4)
#
# Pools of side z = 3 with stride s = 2 overlap; the paper reports 0.4% / 0.3% lower top-1 / top-5 error than with
# z = s = 2, which gives the same output sizes here. Section 3 trains both.

# %%
# NBVAL_CHECK_OUTPUT
print(A.pooling_comparison().to_string(index=False))

# %% [markdown]
# ### Explorer
#
# Change each conv's channels, kernel, stride and padding, the pooling window and stride, the FC widths and the
# input size. The totals, the layer table and the feature-map plot update live; an impossible setting shows the
# error instead. The channel sliders of the two-tower layers step by 2: each GPU holds half of the kernels.

# %%
explorer = A.explorer()
explorer.widget()

# %% [markdown]
# The same logic driven from Python (what the widget calls on every change):

# %%
# NBVAL_CHECK_OUTPUT
for line in A.explorer_lines([dict(conv1_channels=64), dict(image_size=224), dict(image_size=259),
                              dict(image_size=227, pool_kernel=2), dict(fc6=1024, fc7=1024), dict(conv2_channels=255),
                              dict(conv2_channels=256, image_size=32)]):
    print(line)

# %% [markdown]
# ### Build it yourself
#
# Write the paper's AlexNet in plain PyTorch: the two towers become `groups=2` in conv2, conv4 and conv5 (each half
# of the kernels sees only its half of the maps), the LRN is applied to each tower's maps separately (the paper ran
# it on each GPU), and FC6 reads 6x6x256 values. Fill in the scaffold, then run the checker: it compares your model
# with `alexnet("paper")` layer by layer and names the first layer that differs.

# %%
class MyAlexNet(nn.Module):
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=11, stride=4), nn.ReLU(inplace=True),
            # TODO: LRN, pool, conv2 (groups=2), LRN, pool, conv3, conv4 (groups=2), conv5 (groups=2), pool
        )
        self.classifier = nn.Sequential(
            # TODO: Dropout, FC-4096, ReLU, Dropout, FC-4096, ReLU, FC-num_classes
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# NBVAL_CHECK_OUTPUT
with torch.device("meta"):
    print(check_model(MyAlexNet(), A.exercise_reference(), input_size=227))

# %% [markdown]
# <details><summary>Answer (click)</summary>
#
# `A.exercise_answer()` builds it (`A.PaperAlexNet`, with `A.TowerLRN` for the per-tower LRN); read its source with
# `A.PaperAlexNet??`. The checker on it is the next cell.
# </details>

# %%
# NBVAL_CHECK_OUTPUT
with torch.device("meta"):
    print(check_model(A.exercise_answer(), A.exercise_reference(), input_size=227))

# %% [markdown]
# ## 2. Training method
#
# Sect. 5's recipe as data: stochastic gradient descent with batch 128, momentum 0.9, weight decay 0.0005; weights
# from N(0, 0.01), biases 1 in conv2, conv4, conv5 and the FC layers and 0 elsewhere; learning rate 0.01, divided by
# 10 when the validation error stopped improving (three times); about 90 epochs. Sect. 4.2: dropout 0.5 in FC6 and
# FC7. Sect. 4.1: random 224 crops of the 256x256 image and their mirror images, and PCA colour noise.

# %%
# NBVAL_CHECK_OUTPUT
paper = paper_recipe("alexnet")
print(pd.Series({k: getattr(paper, k) for k in ("batch_size", "lr", "momentum", "weight_decay", "schedule", "gamma",
                                                "max_reductions", "epochs", "init")}).to_string())

# %% [markdown]
# ### What it cost
#
# Sect. 5: "five to six days on two NVIDIA GTX 580 3GB GPUs" for 90 epochs of 1.2 million images. In multiply-adds
# (forward + backward ≈ 3x forward):

# %%
# NBVAL_CHECK_OUTPUT
fwd = macs_total(paper_model, 227)
total = 3 * fwd * 1.2e6 * 90
print(f"forward pass: {fwd / 1e6:,.0f} M multiply-adds per image; training: {total:.2e} multiply-adds")
for days in (5, 6):
    print(f"{days} days on 2 GPUs: {total / (days * 86400) / 2 / 1e9:,.0f} G multiply-adds per second per GPU "
          f"(a GTX 580's peak: about 790 G)")

# %% [markdown]
# **Our recipe at this budget.** Our main run keeps the paper's net (two towers, LRN, overlapping pools, dropout)
# and its augmentation, on a 10-class subset at a smaller width and input:

# %%
main_run = study.runs["main"]
print(f"main run: {main_run.model}, width {main_run.width}, {main_run.image_size}-px crops of {main_run.resize}-px "
      f"images, {main_run.epochs} epochs, batch {study.batch_size}")
print("why:", STUDY_TUNING_WHY["alexnet"])
pd.Series({k: getattr(main_run.recipe, k) for k in ("batch_size", "lr", "momentum", "weight_decay", "schedule",
                                                    "epochs", "init")})

# %% [markdown]
# ### Data augmentation (Sect. 4.1)
#
# Top row: random crops with their mirror images and PCA colour noise, as the training transform draws them.
# Bottom row: the centre crop shifted along each principal component of the RGB colours, exaggerated ten times so
# the colour directions show (the noise the paper adds is a tenth of that).

# %%
photo, photo_name, real_photo = A.training_photo(study, main_run)
A.augmentation_figure(photo, save="alexnet_augmentation" if real_photo else None)

# %% [markdown]
# ### The main run
#
# The paper model trains with the recipe above on the data in the header: watch the progress bar (epoch, batch and
# the time left) and the curves.

# %%
main = train_variant(study, main_run, keep_model=True, live_plot=True)
history, model = main.history, main.model.eval()

# %%
recorded_main = record.load("alexnet", "main")
A.curves_figure(history, recorded_main, save="alexnet_training" if A.save_figures(study) else None)

# %%
markdown(A.history_sentence(history, recorded_main))

# %% [markdown]
# What to look for: the training accuracy is measured on augmented crops with dropout on, so it can sit below the
# validation accuracy for a long time without any sign of overfitting; the validation curve climbs fastest early
# and again near the end, as the learning rate falls.
#
# ## 3. Performance-improvement strategies
#
# The paper credits each of its tricks with a gain. We remove one at a time from the paper model and train every
# arm with the same data, recipe and seeds:
#
# - **dropout** (Sect. 4.2: without it the net "exhibits substantial overfitting"; read the train - val gap);
# - **augmentation**: crops and flips (Sect. 4.1), and **PCA colour noise** on its own (over 1% top-1);
# - **LRN** (Sect. 3.3: 1.4% / 1.2% top-1 / top-5). With the paper's constants an LRN layer does two things: it
#   divides every response by at least k^β = 2^0.75 ≈ 1.68, and by more where the neighbouring maps are active.
#   Deleting the layers removes both, so everything behind them grows by 1.68 per layer, which acts like a larger
#   learning rate. Our arm keeps the constant division (α = 0) and removes only the normalisation by the
#   neighbours, the part the paper credits;
# - **overlapping pooling** (Sect. 3.4: 0.4% / 0.3%);
# - **the one-GPU net** (Sect. 3.2: half the kernels in conv1-conv4; the two-GPU net is 1.7% / 1.2% better).

# %%
abl_run = study.runs["ablations"]
markdown(f"To fit seven arms x {len(abl_run.seeds)} seeds beside the main run, the ablation nets are smaller than "
         f"the main run's: width {abl_run.width}, {abl_run.image_size}-pixel crops of {abl_run.resize}-pixel images "
         f"(every pool keeps the paper's map arithmetic), {abl_run.epochs} epochs each, at learning rate "
         f"{abl_run.recipe.lr:g}.")

# %%
abl = A.ablations(study)
abl_table = A.ablation_table(abl)
folded(abl_table.reset_index(), ["variant", "val top-1 (%), mean ± sd", "train - val (pp), mean ± sd",
                                 "vs baseline (pp) ± se", "verdict"],
       {"variant": "the arm: the paper model with one trick removed ('baseline': all tricks)", **A.ABLATION_LEGEND},
       summary="with the paper's numbers")

# %%
A.ablation_plot(abl.summary(A.PAPER_MODEL), save="alexnet_ablations" if A.save_figures(study) else None)

# %%
markdown(A.ablation_sentences(abl, chance=A.chance_level(study, abl_run)))

# %% [markdown]
# A verdict of "within noise at this budget" means the difference is smaller than the seeds' scatter lets us call;
# the paper's differences are a point or two of error on 50,000 validation images, ours are measured on 500 (one
# image is 0.2 points). Dropout and augmentation are regularisers: they pay off when a run is long enough to
# overfit, and in a short run they can cost accuracy instead.

# %%
# NBVAL_CHECK_OUTPUT
recorded_abl = record.load("alexnet", "ablations")
if recorded_abl is not None:
    display(markdown("**Recorded run** (the same arms, trained longer, more seeds):"))
    display(A.ablation_table(recorded_abl))

# %% [markdown]
# ### Fig. 1: ReLU against tanh, in its own setting
#
# Fig. 1: "A four-layer convolutional neural network with ReLUs (solid line) reaches a 25% training error rate on
# CIFAR-10 six times faster than an equivalent network with tanh neurons (dashed line). The learning rates for each
# network were chosen independently to make training as fast as possible. No regularization of any kind was
# employed." So the race is run on that small net, not on AlexNet: three 5x5 convolutions (32, 32, 64 maps), each
# followed by a 3x3/2 max-pool, and one linear layer, on 32x32 images. **LRN is removed** along with every other
# regulariser (no dropout, no weight decay, no augmentation), the learning rate is constant, and each activation
# gets a short learning-rate sweep whose fastest run is its entry. The data is CIFAR-10 when it is on disk or can be
# downloaded, else our ImageNet subset shrunk to 32x32.
#
# How the net is fed and started decides how wide its pre-activations begin, and a tanh is only fast in its linear
# range. So the race runs from two starting points:

# %%
# NBVAL_CHECK_OUTPUT
print(pd.Series(A.race.INITS).to_string())

# %%
race_settings = A.race_settings(study)
race_data = A.race.race_data(study, race_settings["per_class"], download=race_settings["download"])
markdown(f"Race data: {race_data.description}; batch {race_settings['batch_size']}; learning rates tried: "
         + "; ".join(f"{init} start {', '.join(f'{lr:g}' for lr in lrs)}" for init, lrs in race_settings["lrs"].items())
         + f"; at most {study.runs['race'].epochs} epochs a run.")

# %%
race_runs = A.race.race(study, study.runs["race"], race_data, race_settings["lrs"],
                        batch_size=race_settings["batch_size"])
folded(A.race.race_table(race_runs), ["init", "ReLU: best lr", "ReLU: epochs", "tanh: best lr", "tanh: epochs",
                                      "tanh / ReLU, own rates"], A.race.RACE_LEGEND, summary="with tanh at ReLU's rate")

# %%
A.race_figure(A.race.curves(race_runs), save="alexnet_relu_tanh" if A.save_figures(study) else None)

# %%
markdown(A.race_sentences(race_runs))

# %%
# NBVAL_CHECK_OUTPUT
recorded_race = record.load("alexnet", "race")
if recorded_race is not None:
    display(markdown(f"**Recorded run** (the same race with {recorded_race['seed'].nunique()} seeds, up to "
                     f"{int(recorded_race['epoch'].max())} epochs a run): " + A.race_seeds_sentence(recorded_race)))
    display(folded(A.race.race_table(recorded_race), ["init", "seed", "ReLU: epochs", "tanh: epochs",
                                                      "tanh / ReLU, own rates"], A.race.RACE_LEGEND,
                   summary="with the learning rates and tanh at ReLU's rate"))

# %% [markdown]
# **Why the ratio depends on the start.** The width of each layer's pre-activations at the start of training, and
# the share of units a tanh there would hold saturated (|tanh| > 0.99, where its gradient is below 0.02), measured
# on the race's training images:

# %%
spread = A.race.start_spread(race_data, study.runs["race"])
display(spread.round(3))
markdown(A.race_reading(race_runs, spread))

# %% [markdown]
# ## 4. Evaluation
#
# ### Ten crops (Sect. 4.1)
#
# At test time the paper averaged the softmax over ten 224x224 patches: the four corners and the centre, and their
# mirror images. Our trained main-run model, one centre crop against the ten patches:

# %%
crops = A.crop_table(model, study, main_run)
display(crops.round(2))
c, t = crops.iloc[0], crops.iloc[1]
markdown(f"On {int(c['images'])} validation images the ten crops give {t['top-1 error (%)']:.1f}% top-1 error "
         f"against {c['top-1 error (%)']:.1f}% for the centre crop ({t['top-1 error (%)'] - c['top-1 error (%)']:+.1f} "
         f"points), at ten times the test compute.")

# %% [markdown]
# The paper's Tables 1-2 and torchvision's reported numbers (from its weights' metadata, nothing downloaded) beside
# ours. Theirs are on 1000 classes, ours on 10: the rows share a protocol, not a scale.

# %%
A.results_table(crops, label="ours (main run)")

# %% [markdown]
# ### Fig. 4: neighbours in the last hidden layer
#
# Fig. 4 (right) takes a few test images and shows the training images whose FC7 activation vectors are nearest in
# Euclidean distance: if the vectors are good features, the neighbours show the same object even where the pixels
# differ. Green frames: the query's class; red: another class.

# %%
neighbours = A.nearest_neighbours(model, study, main_run)
A.neighbours_figure(neighbours, save="alexnet_neighbours" if A.save_figures(study) else None)

# %%
markdown(f"{A.neighbour_agreement(neighbours):.0f}% of the {neighbours['neighbours'].numel()} neighbours belong to "
         f"their query's class (one in {len(neighbours['train'].wnids)} would by chance).")

# %% [markdown]
# ### Fig. 3: what the first layer learned
#
# The paper's 96 conv1 filters show oriented edges and colour blobs, the first GPU's mostly colour-agnostic and the
# second's mostly colour-specific. Ours before training (as the initialisation drew them) and after the main run:

# %%
untrained = A.untrained(study, main_run)
A.filters_figure({"untrained": untrained, "trained": model},
                 save="alexnet_conv1_filters" if A.save_figures(study) else None)

# %%
moved = A.filter_change(untrained, model)
markdown(f"Training moved conv1's weights by {moved:.0%} of their initial size: "
         + ("the trained filters are still mostly their initial noise, as a short run on small images moves the "
            "first layer least." if moved < 0.5 else
            "far enough that the trained filters no longer look like the random ones; compare their structure with "
            "the paper's edges and colour blobs."))

# %%
pretrained = A.cached_torchvision_alexnet()
if pretrained is not None:  # torchvision's ImageNet weights, when they are already on this machine
    display(A.filters_figure({"torchvision AlexNet, trained on ImageNet": pretrained}))

# %% [markdown]
# ### Activations of the trained net
#
# Pick a validation image and see what every conv stage of the trained net makes of it (the most active maps per
# stage), and its top-5 predictions.

# %%
val_store = A.split_store(study, main_run, "val")
activation_viewer(model, val_store.images, val_store.labels.tolist(), eval_transform(main_run),
                  list(val_store.class_names))

# %% [markdown]
# ## 5. Summary

# %%
claim_rows = A.claims()
verdicts = abl.summary(A.PAPER_MODEL)["verdict"].drop(A.PAPER_MODEL)
race_first = A.race.race_summary(race_runs).groupby("init", sort=False).first()
markdown("\n".join([
    f"1. **Architecture.** {layer_totals(paper_table)['params']:,} parameters ({fc_share:.0%} in the FC layers) "
    f"and {layer_totals(paper_table)['neurons']:,} neurons; {(claim_rows['verdict'] != 'differs').sum()} of "
    f"{len(claim_rows)} claims match or round, the two that differ are the 224 input (55x55 maps need 227) and "
    f"Fig. 2's conv1 count.",
    f"2. **Training.** SGD with momentum and weight decay, lr /10 on plateaus, dropout, crops + flips + PCA colour "
    f"noise, 90 epochs in five to six days on two GPUs. Our paper model reached {history['val_acc1'].iloc[-1]:.1f}% "
    f"top-1 on 10 classes in {len(history)} epochs.",
    "3. **Strategies at our budget.** " + "; ".join(f"{k}: *{v}*" for k, v in verdicts.items()) + ". Fig. 1's race, "
    "tanh / ReLU epochs at each one's best rate: " + "; ".join(
        f"{init} start {A.race.ratio_text(r['tanh epochs'], r['relu epochs'], r['tanh ran'])}"
        for init, r in race_first.iterrows()) + f" (the paper: {A.race.PAPER_RATIO:g}).",
    f"4. **Evaluation.** Ten crops changed the top-1 error by {t['top-1 error (%)'] - c['top-1 error (%)']:+.1f} "
    f"points against one centre crop; {A.neighbour_agreement(neighbours):.0f}% of Fig. 4's neighbours share their "
    f"query's class.",
]))

# %% [markdown]
# ### Glossary (용어집)

# %%
markdown(glossary_markdown("alexnet"))

# %% [markdown]
# ## Exercises

# %%
markdown("\n".join(f"{n}. {q}" for n, q in A.QUESTIONS.items()))

# %% [markdown]
# Exercises 3 and 4 are code: write your answer in the cell and run the checker. The one-GPU net of exercise 4 is
# checked layer by layer against `alexnet("paper", one_gpu=True)`.

# %%
my_lrn = nn.LocalResponseNorm(5)  # TODO: the paper's constants (exercise 3)
print(A.check(3, my_lrn))

# %%
class MyOneGPU(nn.Module):  # TODO: exercise 4, one tower, half the kernels in conv1-conv4
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 48, kernel_size=11, stride=4), nn.ReLU(inplace=True))
        self.classifier = nn.Sequential()

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


with torch.device("meta"):
    print(A.check(4, MyOneGPU()))

# %% [markdown]
# Reveal an answer with `A.reveal(n)`, e.g. the first:

# %%
A.reveal(1)
