# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # GoogLeNet: *Going Deeper with Convolutions* — a review
#
# **Paper.** Christian Szegedy, Wei Liu, Yangqing Jia, Pierre Sermanet, Scott Reed, Dragomir Anguelov, Dumitru Erhan,
# Vincent Vanhoucke, Andrew Rabinovich. "Going Deeper with Convolutions". arXiv:1409.4842 (2014); CVPR 2015.
#
# **Why it mattered.** GoogLeNet won the ILSVRC 2014 classification task (6.67% top-5 error) with a network 22
# layers deep and about 7 million parameters, far fewer than AlexNet's 60 million two years earlier. Sect. 1 sets
# the goal: a budget of 1.5 billion multiply-adds per image at inference, so the network could be used in the real
# world. Its *Inception module* runs 1x1, 3x3 and 5x5 convolutions and a pooling branch side by side, and puts 1x1
# convolutions in front of the expensive ones to shrink their input, so the network can grow wider and deeper at
# the same cost. Global average pooling replaces the large fully connected head, and two auxiliary classifiers
# feed the loss from the middle of the network during training.
#
# **Questions this notebook answers.**
# 1. How much does a 1x1 reduction save in one Inception module, and why does the naive module not scale?
# 2. Does the network built from Table 1 reproduce Table 1, and where do the paper's own numbers disagree with it?
# 3. Do the claims of Sect. 1 hold: 22 layers, 12 times fewer parameters than AlexNet, 1.5 billion multiply-adds?
# 4. What do the auxiliary classifiers, average pooling and the 1x1 reductions buy when we train the network?
# 5. How much do 10 and 144 crops and an ensemble lower the error, and at what cost?
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

from reviewlib.data import denormalize
from reviewlib.device import describe_device
from reviewlib.experiments import format_summary, record
from reviewlib.experiments.runner import eval_transform
from reviewlib.nets import alexnet
from reviewlib.papers import googlenet as G
from reviewlib.review.checker import check_model
from reviewlib.review.glossary import glossary_markdown
from reviewlib.review.plots import compare_models_plot, feature_map_plot, param_breakdown_plot, save_figure
from reviewlib.review.report import folded, markdown, pm
from reviewlib.review.tables import layer_table, layer_totals, param_shares
from reviewlib.review.viewer import activation_figure, activation_viewer
from reviewlib.study import Study

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 200)
study = Study.for_paper("googlenet"); study

# %% [markdown]
# **What this notebook trains**, and how long it will take at the step costs measured just now on this machine: the
# main run (Section 2) and the ablation's arms (Section 3), each arm with its own step time.

# %%
costs = G.step_costs(study, study.runs["ablations"], study.device)
plan_cost = G.expected_minutes(study, costs, study.device)
display(folded(plan_cost.reset_index(), ["run", "input", "width", "epochs", "steps / seed", "seeds", "s / step",
                                         "minutes"], G.PLAN_LEGEND))
markdown(f"Training is expected to take about **{plan_cost['minutes'].sum():.1f} minutes** on this machine "
         f"({describe_device(study.device)}); the evaluation of Section 4 adds a little more.")

# %% [markdown]
# **Contents.** 1 Architecture (1.1 the Inception module, 1.2 explorer, 1.3 the whole network, 1.4 Table 1
# reproduced, 1.5 claim check, 1.6 paper vs torchvision, 1.7 auxiliary classifiers, 1.8 build it yourself) ·
# 2 Training method (recipe, augmentation, the main run) · 3 Performance-improvement strategies (ablations) ·
# 4 Evaluation (Table 3's crops and ensembles, Table 2, filters, activations) · 5 Summary, glossary, exercises.
#
# ## 1. Architecture
#
# ### 1.1 The Inception module: naive vs with 1x1 reductions (Sect. 4, Fig. 2)
#
# The naive module (Fig. 2a) applies 1x1, 3x3 and 5x5 convolutions straight to its input and concatenates them with
# a 3x3 max-pool of it. Sect. 4 names two problems: the 5x5 convolutions on a deep input are expensive, and the
# pooling branch passes *every* input map on, so the output is always deeper than the input and the depth grows from
# stage to stage. Fig. 2b puts a 1x1 convolution in front of the 3x3 and the 5x5 (Table 1's "#3x3 reduce" and "#5x5
# reduce") and after the pool ("pool proj"). A k x k convolution from C_in to C_out maps costs C_in x C_out x k x k
# weights, so shrinking C_in first divides the cost of the big kernels. Below, every module of Table 1 on the input
# our network gives it, both ways.

# %%
# NBVAL_CHECK_OUTPUT
nvr = G.naive_vs_reduced()
folded(nvr.round({"params ratio": 2}), ["module", "input", "naive params", "reduced params", "params ratio",
                                        "naive out depth", "reduced out depth"], G.NAIVE_LEGEND)

# %%
fig = G.naive_vs_reduced_plot(nvr)
save_figure(fig, "googlenet_naive_vs_reduced")
fig

# %% [markdown]
# Read the `params ratio` and the two depth columns: the reductions cut every module's weights several times, and
# without them the output depth would grow with every module, so each following module would pay for it again.
# A 1x1 convolution is a cheap, learned projection across the maps that makes what follows it cheap.
#
# ### 1.2 Explorer: one module, branch by branch
#
# Change the branch widths, the input depth or the map size, or switch to the naive design. The table has one row
# per branch layer, each with its own receptive field (`rf`), and the picture shows the four branches with each
# one's share of the module's parameters and multiply-adds. An impossible setting (a branch with 0 filters) shows
# the error instead. (The widget needs a live kernel.)

# %%
explorer = G.explorer("inception3a")
explorer.widget()

# %% [markdown]
# The same explorer driven from Python: widen the 5x5 reduction of 3a, make the module naive, shrink the map, and
# ask for an impossible width.

# %%
# NBVAL_CHECK_OUTPUT
ex = G.explorer("inception3a")
for change in ({}, {"c5x5red": 64}, {"design": "naive", "c5x5red": 16}, {"map_size": 14},
               {"design": "with 1x1 reductions", "map_size": 28, "c3x3red": 0}):
    print(f"{str(change):58s}", G.readout(ex.update(**change)))
print(G.branch_costs(ex.update(c3x3red=96)).round(3).to_string())

# %%
fig = G.branches_figure(ex.update(design="naive"))
save_figure(fig, "googlenet_inception_branches")
fig

# %% [markdown]
# In the naive 3a the 5x5 branch takes a far larger share of the cost than in the reduced one, and the output is
# deeper than the input. The output depth depends only on `#1x1 + #3x3 + #5x5 + pool proj` (plus the whole input
# depth in the naive design); the map size scales the multiply-adds (14x14 has a quarter of 28x28's pixels) but
# not the parameters.
#
# ### 1.3 The whole network from Table 1
#
# `reviewlib.nets.googlenet("paper")` builds Table 1 with LRN in the stem, as Fig. 3 draws it. Our layer table of it
# at 224 x 224, traced without allocating weights:

# %%
# NBVAL_CHECK_OUTPUT
net = G.paper_model()
table = layer_table(net, 224)
folded(table, ["name", "kind", "kernel", "stride", "output", "params", "macs"], G.LAYER_LEGEND)

# %% [markdown]
# The same model through `torchinfo.summary`, the summary most PyTorch users know, and a check that both count the
# same parameters. (torchinfo's mult-adds also count one addition per output of every layer with a bias; with
# those added, the multiply-adds agree too.)

# %%
# NBVAL_CHECK_OUTPUT
info, totals = G.torchinfo_check()
print(info)
for key, value in totals.items():
    print(f"{key:22s} {value:,}" if not isinstance(value, bool) else f"{key:22s} {value}")

# %%
feature_map_plot(table, title="GoogLeNet (paper) at 224: map size and depth", save="googlenet_feature_maps")

# %%
param_breakdown_plot(table, save="googlenet_params", title="GoogLeNet (paper): parameters per layer")

# %%
with torch.device("meta"):
    alex = alexnet("paper")
alex_table = layer_table(alex, 227)
shares, alex_fc = param_shares(table), param_shares(alex_table)
biggest = table.loc[table["params"].idxmax()]
markdown(f"No layer dominates: the biggest row ({biggest['name']}) holds "
         f"{biggest['params'] / layer_totals(table)['params']:.0%} of the parameters and the linear classifier "
         f"{shares.loc['fc', 'share']:.0%}; in AlexNet the three fully connected layers hold "
         f"{alex_fc.loc[alex_fc['kind'] == 'fc', 'share'].sum():.0%}.")

# %% [markdown]
# ### 1.4 Table 1, reproduced row by row
#
# Our output sizes, depths, parameters and multiply-adds beside the paper's. Table 1 prints parameters in "K";
# read as 1024 (our weights without biases / 1024) several rows match exactly, so the flags use that reading. Every
# column is explained under the table; the full table, with a note per row, is one click away.

# %%
# NBVAL_CHECK_OUTPUT
t1 = G.table1_reproduction()
folded(G.format_table1(t1), ["row", "output p/o", "depth p/o", "params", "ours/1024", "d%", "ops", "our MACs",
                             "d%(MACs)", "flag"], G.TABLE1_LEGEND)

# %%
# NBVAL_CHECK_OUTPUT
for r in t1[t1.note != ""].itertuples():
    print(f"{r.flag or 'note':4s} {r.row}: {r.note}")
print()
print(G.table1_totals(t1).to_string(index=False))

# %% [markdown]
# What the reproduction finds:
#
# * **Output sizes and depths match on every row**, and the depths add up to 22.
# * **The paper's "K" is 1024.** Read as weights / 1024, our counts reproduce the "convolution 3x3" row (114,688
#   weights = 112.0K) and the linear layer (1,024,000 = 1000K) exactly, and 3a, 3b and 4b to within 0.3%; the ops
#   column is in decimal millions and matches our multiply-adds to within 1% on those rows.
# * **The "convolution 3x3" row is two layers**: our `conv2` (1x1 to 64 maps, the row's "#3x3 reduce") and `conv3`
#   (3x3 to 192), hence depth 2.
# * **conv1 (FLAG).** A 7x7 convolution from 3 to 64 maps has 7·7·3·64 = 9,408 weights and costs 118M multiply-adds
#   at 112x112, yet the paper prints 2.7K and 34M. The two printed figures agree with *each other* (`ops/(p*HW)` is
#   0.98), so this is not a typo in one column. Of the readings below only a depthwise-separable 7x7 with depth
#   multiplier 8 fits both (2,712 weights, 34.0M). That is the first layer of TF-slim's Inception-v2 code
#   (`Conv2d_1a_7x7`, `depthwise_multiplier=8`); it is a hypothesis, since the paper does not say its first layer
#   was separable.
# * **4c (FLAG).** Our weights are 7.5% above the printed 463K while the ops column matches our multiply-adds: the
#   params entry is the odd one out.
# * **5a (FLAG).** Params (1072K) and ops (54M) agree with each other but are both about 5% above what 5a's branch
#   widths give (1,018K, 51.1M).
# * 4d and 5b are 1.5-1.8% off even in the K = 1024 reading.

# %%
# NBVAL_CHECK_OUTPUT
print(G.conv1_candidates().to_string(index=False, float_format="{:+.1f}".format))

# %% [markdown]
# ### 1.5 Claim check (Sect. 1 and 5)
#
# Depth is counted from the layer table: a convolution or linear layer counts 1, an Inception module its deepest
# branch (1x1 reduce, then 3x3 or 5x5: 2), and with pooling each pooling layer 1 more. "12 times fewer parameters"
# is computed against our AlexNet (`alexnet("paper")`), multiply-adds with torch's FLOP counter. The *paper* column
# holds only what the paper prints (for Table 1's total, the sum of its own params column, in its own K); our
# readings of it are in *ours* and the note.

# %%
# NBVAL_CHECK_OUTPUT
print(G.claims().to_string(index=False))

# %% [markdown]
# * **22 and 27 layers: match.**
# * **"12 times fewer parameters than AlexNet": differs.** AlexNet's 61.0M over our 7.0M is 8.7; even the sum of
#   Table 1's own params column gives 8.8. The factor 12 would need a GoogLeNet of 5 million parameters.
# * **1.5 billion multiply-adds: differs by 5.5%, and the difference is conv1.** With the dense 7x7 conv1 the net
#   needs 1.58 billion; with the separable conv1 that fits Table 1 it needs 1.499 billion, the paper's figure.
#   (torchvision's GoogLeNet, with a 3x3 in its "5x5" branch, also lands at 1.498 billion, by another route: 1.6.)
#
# **Global average pooling vs a fully connected head** on the 7x7x1024 map (Sect. 5 credits the pooling with +0.6%
# top-1):

# %%
# NBVAL_CHECK_OUTPUT
print(G.head_comparison().to_string(index=False, formatters={"head params ratio": "{:.1f}".format}))

# %%
compare_models_plot({"AlexNet (paper)": alex_table, "GoogLeNet (paper)": table}, "params",
                    save="googlenet_vs_alexnet_params", title="Parameters per layer: AlexNet vs GoogLeNet (inference)")

# %% [markdown]
# A linear layer on the flattened 7x7x1024 map needs 50 million weights, 8.4 times the rest of the network, while
# average pooling leaves a 1024 x 1000 layer of 1.0 million. Section 3 trains both heads.
#
# ### 1.6 Paper vs torchvision
#
# torchvision's `googlenet` is a later re-implementation with BatchNorm whose weights were ported from TensorFlow;
# it keeps a 3x3 kernel in the "5x5" branch (a known slip kept for weight compatibility). Both variants built here,
# and torchvision's own model as a check of our `"torchvision"` variant:

# %%
# NBVAL_CHECK_OUTPUT
print(G.variant_comparison().to_string())

# %% [markdown]
# ### 1.7 Auxiliary classifiers (Sect. 5)
#
# Two small classifiers tap 4a and 4d: a 5x5/3 average pool, a 1x1 convolution to 128 maps, a fully connected layer
# of 1024, dropout 70% and a linear layer. Their losses are added with weight 0.3 during training; at inference they
# are discarded.

# %%
# NBVAL_CHECK_OUTPUT
print(G.aux_table().to_string(index=False, formatters={"share of main net": "{:.1%}".format}))

# %% [markdown]
# Each head holds 3.2 million parameters, mostly its FC-1024 on the 4x4x128 map, so the two together nearly double
# the parameters during training while adding well under 1% of the multiply-adds. The paper's 5x5/3 pool needs a map
# of at least 5x5 at 4a. Where the main run and the ablations of this notebook stand:

# %%
for name in ("main", "ablations"):
    run = study.runs[name]
    side = layer_table(G.paper_model(aux_logits=False, lrn=False, image_size=run.image_size),
                       run.image_size).set_index("name").loc["inception4a", "out_h"]
    print(f"{name:10s} input {run.image_size:3d} px: 4a's map is {side}x{side} -> "
          f"{'the paper 5x5/3 pool fits' if side >= 5 else 'smaller than 5x5: the adaptive 4x4 pool of torchvision'}")

# %% [markdown]
# ### 1.8 Build it yourself
#
# **Exercise 1: one Inception module.** Fill in the four branches of Fig. 2b, each convolution followed by a ReLU
# and padded so that every branch keeps the map size. The checker compares your module with ours layer by layer
# and names the first layer that is missing or differs.

# %%
class MyInception(nn.Module):
    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        # TODO: self.branch1 = ...   1x1 conv
        # TODO: self.branch2 = ...   1x1 reduce -> 3x3
        # TODO: self.branch3 = ...   1x1 reduce -> 5x5
        # TODO: self.branch4 = ...   3x3 max-pool (stride 1, padding 1) -> 1x1 projection

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


# NBVAL_CHECK_OUTPUT
print(check_model(MyInception(192, 64, 96, 128, 16, 32, 32), G.inception_reference(), (192, 28, 28)).message)

# %% [markdown]
# The answer is `G.answer_inception` (read it with `G.AnswerInception??` once you have tried). It passes:

# %%
# NBVAL_CHECK_OUTPUT
print(check_model(G.answer_inception(192, "inception3a"), G.inception_reference(), (192, 28, 28)).message)

# %% [markdown]
# **Exercise 2: the stack.** Build Table 1 without LRN and auxiliary heads from your module: conv 7x7/2 (padding
# 3), max-pool 3x3/2, conv 1x1 to 64, conv 3x3 to 192 (padding 1), max-pool, 3a, 3b, max-pool, 4a-4e, max-pool, 5a,
# 5b, then the head below. The 3x3/2 max-pools need `ceil_mode=True` (112 -> 56). The widths are `G.INCEPTION_ROWS`.

# %%
def my_googlenet(num_classes=1000):
    layers = [
        # TODO: the stem and the nine Inception modules
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.4), nn.Linear(1024, num_classes),
    ]
    return nn.Sequential(*layers)


# NBVAL_CHECK_OUTPUT
with torch.device("meta"):
    print(check_model(my_googlenet(10), G.exercise_reference(10), 224).message)

# %% [markdown]
# The answer, `G.exercise_answer`, passes:

# %%
# NBVAL_CHECK_OUTPUT
with torch.device("meta"):
    print(check_model(G.exercise_answer(10), G.exercise_reference(10), 224).message)

# %% [markdown]
# ## 2. Training method (Sect. 6)
#
# The paper trained with asynchronous SGD on Google's DistBelief cluster: momentum 0.9, the learning rate cut by 4%
# every 8 epochs, Polyak averaging of the weights for the final model, and the auxiliary losses weighted 0.3. It
# gives no batch size, base learning rate, weight decay, number of epochs or initialisation; the recipe fills those
# from the BVLC Caffe reproduction and says so in its notes. The paper's recipe beside the one this run uses:

# %%
from reviewlib.train.recipes import paper_recipe

fields = ["batch_size", "lr", "momentum", "weight_decay", "schedule", "gamma", "step_every", "epochs", "ema_decay",
          "aux_weight", "init"]
main_recipe = study.runs["main"].recipe
display(pd.DataFrame({"paper (Sect. 6)": {f: getattr(paper_recipe("googlenet"), f) for f in fields},
                      f"this run ({study.budget.name})": {f: getattr(main_recipe, f) for f in fields}}))
print(main_recipe.notes)

# %%
# NBVAL_CHECK_OUTPUT
pr = paper_recipe("googlenet")
print("paper schedule: lr x", [round(pr.lr_factor(e), 4) for e in range(0, 64, 8)], "at epochs 0, 8, ..., 56")
print("aux loss weight", pr.aux_weight, "| momentum", pr.momentum, "| Polyak (EMA) decay", pr.ema_decay)

# %% [markdown]
# **Augmentation (Sect. 6).** Crops of 8%-100% of the image area with aspect ratio 3/4-4/3, resized with a randomly
# chosen interpolation (bilinear, area, nearest or cubic), photometric distortions (brightness, contrast and
# saturation) and flips, run per batch on the training device. On one ImageNet photo:

# %%
photo = G.sample_photo("goldfish", 256)
if photo is None:  # no sample photos beside the repository: the first training image of the data in use
    from reviewlib.data import load_store
    store = load_store(study.data, "train", classes=1, per_class=1, side=256)
    photo = (store.images[0], store.class_names[0])
fig = G.augmentation_figure(photo[0], 224, title=f"GoogLeNet training crops of a {photo[1]}: 8-100% of the area, "
                                                 f"aspect 3/4-4/3, random interpolation, colour distortions, flips")
save_figure(fig, "googlenet_augmentation")
fig

# %% [markdown]
# These crops are much more aggressive than AlexNet's fixed-size crops: some keep an eye or a fin, some the whole
# fish. The paper notes that its sampling changed over the months before the competition, so it cannot say which
# single choice mattered most.
#
# **The main run.** The paper's GoogLeNet (true 5x5 branches, LRN in the stem, both auxiliary heads weighted 0.3,
# Polyak averaging) at this budget's width and size, trained with the recipe above; the same run as
# `python -m reviewlib.train --model googlenet_paper`. Progress and live curves below.

# %%
main = G.main_run(study, live_plot=True)
history, model = main.trained[0].history, main.trained[0].model
history[["epoch", "lr", "train_loss", "train_main_loss", "train_aux1_loss", "train_aux2_loss", "val_acc1",
         "ema_val_acc1", "seconds"]].round(3)

# %%
recorded_main = record.load("googlenet", "main")
recorded_history = recorded_main.trained[0].history if recorded_main is not None else None
fig = G.losses_plot(history, recorded_history)
if G.save_figures(study):
    save_figure(fig, "googlenet_losses")
fig

# %%
last, lr_ = history.iloc[-1], G.loss_reading(history)
epochs = f"{int(last['epoch'])} epoch{'s' if last['epoch'] > 1 else ''}"
markdown(f"After {epochs} the net reaches **{last['val_acc1']:.1f}%** validation top-1 with its last weights and "
         f"**{last['ema_val_acc1']:.1f}%** with their Polyak average (chance: 10%). Over the last {lr_['epochs']} "
         f"epoch(s) the main loss averages {lr_['main']:.2f}; the head on 4a (aux1) averages {lr_['aux1']:.2f}, "
         f"**{lr_['aux1 side']}** it, and the head on 4d (aux2) {lr_['aux2']:.2f}, **{lr_['aux2 side']}** it. The "
         f"total the optimizer minimises is main + 0.3 x (aux1 + aux2), so it sits above the main loss by "
         f"construction: compare only the three separate curves.")

# %% [markdown]
# ## 3. Performance-improvement strategies: ablations
#
# Three things the paper credits, each trained against the paper's net on the same data, recipe and seeds, at a
# smaller width and input size than the main run so that every arm gets three seeds:
#
# * **auxiliary heads** off (Sect. 5 calls their effect "relatively minor (around 0.5%)");
# * an **FC head** on the flattened last map instead of global average pooling (Sect. 5: pooling is +0.6% top-1);
# * the **naive module** of Fig. 2a in every stage instead of the one with 1x1 reductions (Sect. 4). It is slower
#   per step, so it gets the same *time*, not the same steps: as many epochs, with fewer batches in each.
#
# Each arm is scored as the paper scores its model: the validation top-1 of the Polyak-averaged weights (Sect. 6),
# which in a run of a few epochs is also steadier than the last weights.
#
# Every arm's auxiliary heads pool adaptively to 4x4 (torchvision's choice): it fits the small maps of this run's
# input (see 1.7) and gives the paper's 4x4 at 224. How the naive arm's time is matched, from the step costs measured
# before training:

# %%
ab_run = study.runs["ablations"]
naive_ab = G.naive_run(study, ab_run, costs)
markdown(f"One step of the naive net takes {costs[G.NAIVE]:.3f} s against {costs[G.BASE]:.3f} s for the net with "
         f"reductions ({costs[G.NAIVE] / costs[G.BASE]:.1f} times as long), so the naive arm trains "
         f"{naive_ab.batches} of the {G.batches_per_epoch(study, ab_run)} batches of each of its {naive_ab.epochs} "
         f"epochs.")

# %%
ablation = G.ablations(study, costs=costs)
summary = G.summarize(ablation)
params = {t.variant: t.params for t in ablation.trained}
table_ab = format_summary(summary).assign(params=[f"{params[v]:,}" for v in summary.index])
table_ab

# %%
recorded_ab = record.load("googlenet", "ablations")
fig = G.ablation_plot(ablation, summary, recorded_ab)
if G.save_figures(study):
    save_figure(fig, "googlenet_ablations")
fig

# %%
base = summary.loc[G.BASE]
lines = [f"The paper's net ends at **{pm(base['mean'], base['sd'])}%** validation top-1 (Polyak average) over "
         f"{int(base['seeds'])} seeds (chance: 10%)."]
for name, row in summary.drop(index=G.BASE).iterrows():
    lines.append(f"* **{name}**: {pm(row['mean'], row['sd'])}%, {row['diff']:+.1f} ± {row['se']:.1f} points against "
                 f"the baseline ({params[name]:,} parameters against {params[G.BASE]:,}): *{row['verdict']}*.")
if recorded_ab is not None:
    rec = G.summarize(recorded_ab)
    lines.append(f"The recorded run ({int(rec.loc[G.BASE, 'seeds'])} seeds, longer) reads: " + "; ".join(
        f"{n} {r['diff']:+.1f} ± {r['se']:.1f} ({r['verdict']})" for n, r in rec.drop(index=G.BASE).iterrows()))
markdown("\n".join(lines))

# %% [markdown]
# **How to read the verdicts.** The paper's gains are fractions of a percent, measured on 50,000 ImageNet validation
# images after weeks of training; here each arm trains for minutes on 10 classes and is validated on 500 images, so
# a difference must exceed the spread of the seeds to count (the ± is the standard error of the difference, and
# "within noise" means it is smaller than the 95% band). The costs the arms trade are exact at any scale: the FC
# head's extra weights grow with the last map's area, the auxiliary heads' weights are thrown away at inference,
# and the naive modules pay for their depth in time.
#
# **Polyak averaging** needs no extra run: every epoch also evaluates the running average of the weights.

# %%
polyak = [(t.history["ema_val_acc1"].iloc[-1] - t.history["val_acc1"].iloc[-1]) for t in ablation.trained
          if t.variant == G.BASE]
gap = history["ema_val_acc1"] - history["val_acc1"]
markdown(f"In the main run the averaged weights score {gap.iloc[-1]:+.1f} points against the last ones at the end "
         f"(between {gap.min():+.1f} and {gap.max():+.1f} over the epochs); in the ablation's baseline "
         f"{pm(pd.Series(polyak).mean(), pd.Series(polyak).std())} points over its seeds. An average lags behind "
         f"weights that are still improving and helps once they wander around a minimum, so its gain depends on "
         f"where in training it is read.")

# %% [markdown]
# ## 4. Evaluation (Sect. 7)
#
# **Crops.** The paper's 144 crops: the short side rescaled to 256, 288, 320 and 352; the left, centre and right
# squares (or top, centre and bottom); from each, the four corners, the centre 224 crop and the square itself
# resized to 224; and their mirror images: 4 x 3 x 6 x 2 = 144. Here every size is scaled to the net's input, and
# since the subset's images are square, the three squares coincide, so each view appears three times (the average
# is unchanged). **Ensemble.** The ablation's baseline nets, one per seed, stand in for the paper's 7 models;
# softmax outputs are averaged over crops, then over models. Every validation image is evaluated, with each net's
# last weights (the training keeps the nets, not their running averages).

# %%
images = G.validation_images(study, ab_run)
t3 = G.table3(ablation.models(G.BASE), images, image_size=ab_run.image_size, device=study.device,
              max_images=ab_run.eval_images)
folded(t3.round(2), ["models", "crops", "cost", "top-1 error %", "top-5 error %", "top-1 vs 1 model, 1 crop (pp)",
                     "paper top-5 % (models)"], G.TABLE3_LEGEND)

# %%
fig = G.table3_plot(t3)
if G.save_figures(study):
    save_figure(fig, "googlenet_table3")
fig

# %%
one = t3[(t3["models"] == 1)].set_index("crops")["top-1 error %"]
ens = t3[(t3["models"] > 1)].set_index("crops")["top-1 error %"]
markdown(f"On {int(t3['images'].iloc[0])} validation images one net's top-1 error goes from {one.loc[1]:.1f}% at "
         f"one crop to {one.loc[10]:.1f}% at 10 and {one.loc[144]:.1f}% at 144; the ensemble of "
         f"{int(t3['models'].max())} nets gives {ens.loc[1]:.1f}%, {ens.loc[10]:.1f}% and {ens.loc[144]:.1f}%. "
         f"The paper's Table 3 lowers top-5 error from 10.07% (1 model, 1 crop) to 6.67% (7 models, 144 crops), "
         f"at 1,008 network evaluations per image. Here one image is {100 / t3['images'].iloc[0]:.1f} points of "
         f"error, so a difference of a few images is within noise; and with 10 classes the top-5 error is "
         f"{t3['top-5 error %'].min():.1f}-{t3['top-5 error %'].max():.1f}%, so top-1 is the informative column.")

# %% [markdown]
# **Table 2 (ILSVRC history) beside torchvision.** The paper's numbers are top-5 *test* errors of competition entries
# (ensembles, many crops); torchvision's are single models on single centre crops of the validation set, from
# `weights.meta` (nothing is downloaded). torchvision's GoogLeNet is the BatchNorm variant of 1.6.

# %%
# NBVAL_CHECK_OUTPUT
print(G.table2().to_string(index=False))

# %% [markdown]
# torchvision's single GoogLeNet at one crop (10.47% top-5 error) sits close to the paper's single model at one
# crop (10.07%, Table 3): the 6.67% came from 7 models and 144 crops.
#
# **The first layer's filters**, before and after the main run (each filter scaled to its own range):

# %%
main_run = study.runs["main"]
before = G.untrained(study, main_run)
fig = G.filters_figure(model.conv1.conv.weight, before.conv1.conv.weight,
                       title=f"conv1: {model.conv1.conv.out_channels} filters of 7x7x3")
if G.save_figures(study):
    save_figure(fig, "googlenet_conv1_filters")
fig

# %%
markdown("What the filters show, measured: " + G.filter_words(G.filter_reading(model.conv1.conv.weight),
                                                               G.filter_reading(before.conv1.conv.weight)) + ".")

# %% [markdown]
# **Activations.** Pick a validation image and see the most active maps of every convolution and Inception module
# of the trained main-run net, and its top-5 predictions. (The widget needs a live kernel; the figure below it is
# one image.)

# %%
val = G.validation_images(study, main_run).store
viewer_transform = eval_transform(main_run)
activation_viewer(model, val.images, val.labels.tolist(), viewer_transform, val.class_names)

# %%
x = viewer_transform(val.images[:1].to(study.device))[0]
fig = activation_figure(model, x, val.class_names, image=denormalize(x.cpu()), true_label=int(val.labels[0]),
                        title="GoogLeNet (main run): most active maps of every stage")
if G.save_figures(study):
    save_figure(fig, "googlenet_activations")
fig

# %% [markdown]
# ## 5. Summary
#
# 1. **1x1 reductions** cut an Inception module's weights several times against the naive design at Table 1's
#    widths and stop the output depth from growing with every module, so the network grows deeper and wider at a
#    fixed cost (1.1, 1.2).
# 2. **Table 1 reproduces**: output sizes and depth on every row, and weights on most rows once its "K" is read as
#    1024. conv1 (2.7K, 34M fits a depthwise-separable 7x7, not the dense 7x7x3x64 it describes), 4c (params 7.5%
#    low while its ops match) and 5a (both columns about 5% high) are flagged (1.4).
# 3. **Claims of Sect. 1:** 22 layers (27 with pooling): yes. "12 times fewer parameters than AlexNet": we get 8.7.
#    "1.5 billion multiply-adds": 1.58 billion with a dense conv1, 1.499 billion with the separable one (1.5).

# %%
markdown(f"4. **Training** (Sect. 5-6): the paper's net reaches {last['val_acc1']:.1f}% ({last['ema_val_acc1']:.1f}% "
         f"averaged) on 10 classes at this budget. In the ablations: " + "; ".join(
             f"{n}: {r['diff']:+.1f} ± {r['se']:.1f} points, {r['verdict']}" for n, r in
             summary.drop(index=G.BASE).iterrows()) + ".\n"
         f"5. **Crops and ensembles** (Sect. 7): from {one.loc[1]:.1f}% top-1 error (one net, one crop) to "
         f"{ens.loc[144]:.1f}% ({int(t3['models'].max())} nets, 144 crops), at {int(t3['cost'].max())} network "
         f"evaluations per image.")

# %% [markdown]
# **Glossary (English / 한국어).**

# %%
markdown(glossary_markdown("googlenet"))

# %% [markdown]
# ## Exercises
#
# 1. Sect. 4: how many multiply-adds does the 5x5 branch of inception (4e) cost per image with its 32-map 1x1
#    reduction, and how many would a 5x5 convolution straight on the module's 14x14x528 input cost?
# 2. Fig. 2a in code: write the naive module for inception (3a) (192 input maps; 64, 128 and 32 filters of 1x1,
#    3x3 and 5x5, and the 3x3 max-pool). The cell below checks it.
# 3. Sect. 5: the auxiliary classifier pools 4a's 14x14 map with a 5x5 window at stride 3. What size is the pooled
#    map, and what is the smallest input side at which that pool still fits?
# 4. Sect. 5 in code: write the auxiliary classifier on 4a (average pool 5x5/3, 1x1 conv to 128 + ReLU, FC 1024 +
#    ReLU, dropout 70%, linear to 1000). The cell below checks it.
# 5. Sect. 5: how many parameters would the classifier have if the 7x7x1024 map were flattened into the 1000-way
#    linear layer instead of average-pooled, and how many times the rest of the network is that?
# 6. Sect. 7: how many network evaluations does the winning entry (7 models, 144 crops) make per image, and for the
#    100,000 test images?
#
# Answers to 1, 3, 5 and 6: `G.reveal(1)` and so on, once you have worked them out.

# %%
class MyNaiveInception(nn.Module):  # exercise 2
    def __init__(self, in_channels, ch1x1, ch3x3, ch5x5):
        super().__init__()
        # TODO: self.branch1, self.branch2, self.branch3 (convolutions + ReLU), self.branch4 (the max-pool)

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


print(check_model(MyNaiveInception(192, 64, 128, 32), G.naive_reference(), (192, 28, 28)).message)

# %%
class MyAux(nn.Module):  # exercise 4
    def __init__(self, in_channels=512, num_classes=1000):
        super().__init__()
        # TODO: self.pool, self.conv (1x1 conv + ReLU), self.fc1, self.dropout, self.fc2

    def forward(self, x):
        x = torch.flatten(self.conv(self.pool(x)), 1)
        return self.fc2(self.dropout(torch.relu(self.fc1(x))))


print(check_model(MyAux(), G.aux_reference(), (512, 14, 14)).message)
