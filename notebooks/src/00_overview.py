# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # AlexNet, VGG and GoogLeNet side by side: start here
#
# This kit reviews three papers that shaped image classification, one notebook each:
#
# * Alex Krizhevsky, Ilya Sutskever, Geoffrey E. Hinton. *ImageNet Classification with Deep Convolutional Neural
#   Networks.* NIPS 2012. ([01_alexnet.ipynb](01_alexnet.ipynb))
# * Christian Szegedy, Wei Liu, Yangqing Jia, Pierre Sermanet, Scott Reed, Dragomir Anguelov, Dumitru Erhan,
#   Vincent Vanhoucke, Andrew Rabinovich. *Going Deeper with Convolutions.* arXiv 1409.4842 / CVPR 2015.
#   ([02_googlenet.ipynb](02_googlenet.ipynb))
# * Karen Simonyan, Andrew Zisserman. *Very Deep Convolutional Networks for Large-Scale Image Recognition.*
#   arXiv 1409.1556 / ICLR 2015. ([03_vgg.ipynb](03_vgg.ipynb))
#
# **Why together.** AlexNet (2012) showed that a large CNN trained on ImageNet with GPUs beats everything else. Two
# years later the two best answers to "what next?" took first and second place at ILSVRC-2014: VGG went deeper
# with nothing but 3x3 convolutions and kept AlexNet's huge fully connected layers; GoogLeNet went deeper *and*
# cheaper with Inception modules and average pooling. Side by side, the trade-offs are plain: accuracy, arithmetic
# and parameters.
#
# **Questions this notebook answers.**
# 1. How deep, how large and how costly is each network, and what accuracy did each paper (and torchvision's
#    retrained weights) report?
# 2. Where do the parameters sit, and why does GoogLeNet need about a ninth of AlexNet's?
# 3. Trained with one recipe on the same small subset, do all three learn, and what does such a run show about
#    accuracy against cost?
# 4. Which differences between the three does the run measure, and which are within the noise of its seeds?
#
# **This run.** The first cell below says which budget is in force, which device trains and which data it uses.
# Every notebook runs the same code at one of three budgets, chosen with the environment variable
# `REVIEWLIB_BUDGET`: `smoke` runs every cell in seconds to show the code works (its numbers mean nothing),
# `study` (the default) trains small versions of the networks on a 10-class subset of ImageNet in minutes on a
# laptop CPU, and `paper` is the papers' own recipe at full size.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from reviewlib.budget import budget_table
from reviewlib.experiments import record
from reviewlib.papers import overview
from reviewlib.review.checker import check_model
from reviewlib.review.glossary import glossary_markdown
from reviewlib.review.report import folded, markdown
from reviewlib.study import Study

pd.set_option("display.width", 200)
study = Study.for_paper("overview"); study

# %% [markdown]
# The three budgets side by side. Each paper trains at its own size: AlexNet's 11x11/4 first layer and three
# 3x3/2 pools cannot take a 64-pixel image (its last pool finds no 3x3 window), while VGG's 2x2 pools still leave
# a 2x2 map at 64 pixels.

# %%
# NBVAL_CHECK_OUTPUT
BUDGET_COLUMNS = {
    "budget": "the name REVIEWLIB_BUDGET takes",
    "alexnet size": "AlexNet's training crop in pixels (the paper model takes 227/224 of it, see Architecture)",
    "vgg size": "VGG's training crop in pixels",
    "googlenet size": "GoogLeNet's training crop in pixels",
    "width": "multiplier on every layer's channel count (1 = the paper's network)",
    "classes": "ImageNet classes trained on (chance top-1 is 1 / classes)",
    "train images / class": "training images per class (all: every image the data has)",
    "batch": "images per training step (the paper's: 128 AlexNet, 256 VGG; GoogLeNet's paper gives none, 32 here)",
}
budgets = budget_table().reset_index()[list(BUDGET_COLUMNS)]
display(folded(budgets, ["budget", "alexnet size", "vgg size", "googlenet size", "width", "classes", "batch"],
               BUDGET_COLUMNS, summary="with the images per class"))

# %% [markdown]
# **The data.** The header above names the folder in use. In the study budget it is a 10-class subset of Tiny
# ImageNet (64-pixel images from ImageNet's classes, 500 training and 50 validation images per class); without
# any data the notebook falls back to a synthetic stand-in and says so in a banner. With 10 classes, chance is 10%
# top-1 and 50% top-5.
#
# **What this notebook will train, and for how long.** The plan below is one run per model, the same epochs and
# seeds for the three; the step time is measured now, on this machine, before anything trains.

# %%
cost = overview.expected_minutes(study)
display(folded(cost.reset_index(), ["model", "input", "width", "epochs", "seeds", "s / step", "minutes"],
               overview.PLAN_COLUMNS, summary="every column"))
markdown(f"Training the three models is expected to take **{overview.minutes_text(cost)}** on this machine "
         f"(`{study.device}`); everything else in the notebook takes well under a minute.")

# %% [markdown]
# **Contents.** [1 Architecture](#1-Architecture) · [2 Training method](#2-Training-method)
# · [3 Performance-improvement strategies](#3-Performance-improvement-strategies) · [4 Evaluation](#4-Evaluation)
# · [5 Summary](#5-Summary) (answers, glossary, exercises)
#
# ## 1 Architecture
#
# One row per model, computed from reviewlib's models on PyTorch's `meta` device (shapes and counts without
# allocating a single weight, so VGG's 144 million parameters take milliseconds). The papers' own models come
# first (`alexnet_paper`: two towers and LRN; `vgg_A` ... `vgg_E`: Table 1's configurations; `googlenet_paper`:
# true 5x5 branches), then torchvision's versions. The accuracies are the ones *reported*: the paper's
# single-model validation result (its error as an accuracy, each paper with its own test protocol) or
# torchvision's retrained weights (one centre crop).

# %%
# NBVAL_CHECK_OUTPUT
models = overview.comparison_table()
folded(overview.format_table(models), overview.KEY_COLUMNS, overview.COLUMNS,
       summary="with the source, input side, auxiliary heads and FC share")

# %% [markdown]
# Reading the table:
#
# * **Depth.** From 8 layers with weights (AlexNet) to 11-19 (VGG) and 22 (GoogLeNet) in two years.
# * **Size.** AlexNet and every VGG hold 61-144 million parameters, 86-96% of them in fully connected layers;
#   GoogLeNet holds 7 million, and only 15% of them are in its single FC layer.
# * **Cost.** VGG pays for depth with arithmetic: 7.6 (A) to 19.6 (E) billion multiply-adds per image, 10-27 times
#   AlexNet's. GoogLeNet was designed to a budget of 1.5 billion multiply-adds at inference (Sect. 1).
# * **Input.** The paper AlexNet is counted at 227x227: Sect. 3.5's 224 does not give its 55x55 first maps.
# * **Accuracy.** The papers test differently (AlexNet 10 patches, VGG dense evaluation, GoogLeNet 10 crops), so
#   their numbers are not directly comparable; torchvision's retrained weights put all of them on one protocol.
#
# **The claims.** What the papers say about the three networks' depth, size and cost, beside what our models
# give (computed in the cell). `paper`: the number as the paper prints it; `ours`: the same quantity from our
# models; `verdict`: *matches*, *rounding* (equal at the paper's precision) or *differs*; `note`: why, where it
# is not a match.

# %%
# NBVAL_CHECK_OUTPUT
print(overview.claims().to_string(index=False))

# %% [markdown]
# Two numbers of GoogLeNet's introduction (Sect. 1) do not hold exactly for the network of its own Table 1:
# its parameter column adds up to 6.8 million, about 9 times fewer than AlexNet's 61 million rather than 12, and a
# network with true 5x5 branches costs a little more than the 1.5 billion multiply-adds it was designed to keep
# (torchvision's version, whose "5x5" branches are 3x3, stays within it). Notebook 02 goes through Table 1 row by
# row.

# %%
fig = overview.efficiency_plot(models, save="overview_efficiency")
display(fig)
plt.close(fig)

# %% [markdown]
# Up and to the left is better: more accuracy for less arithmetic. GoogLeNet sits near VGG's accuracy at a fifth
# to a twelfth of its cost and a twentieth of its parameters (bubble area). The VGG family gains with depth up to
# D (16 layers) and stops at E (19), the paper's own finding that the error saturates at 19 layers (Table 3).
#
# ### Where the parameters sit
#
# The parameters of AlexNet and VGG sit in their first fully connected layer, whose input is the whole last feature
# map (6x6x256 = 9,216 values in AlexNet, 7x7x512 = 25,088 in VGG). GoogLeNet averages its 7x7x1024 map down to
# 1,024 values first (Sect. 5), so its only FC layer has about a million weights. Columns: `conv`, `first_fc`,
# `other_fc` are the parameters in the conv layers (Inception modules included), the first FC layer and the
# remaining FC layers; `total` their sum; the shares are of the total.

# %%
# NBVAL_CHECK_OUTPUT
shares = overview.param_shares()
printable = shares[["conv", "first_fc", "other_fc", "total"]].map("{:,}".format)
printable["conv share"] = shares["conv_share"].map("{:.1%}".format)
printable["first FC share"] = shares["first_fc_share"].map("{:.1%}".format)
print(printable.to_string())

# %%
fig = overview.param_share_plot(shares, save="overview_param_share")
display(fig)
plt.close(fig)

# %% [markdown]
# ### Explore: width and input size
#
# How do size and cost change when every layer gets fewer channels (the `width` the study budget trains at), or
# when the input grows? Pick a width and a training size: the three nets' parameters and multiply-adds follow,
# and a net that cannot take that input says why.

# %%
overview.compare_widget()

# %% [markdown]
# The same for one net at a time, with its layer table (`kind`, `kernel`, `stride`, `padding`, `output`: what each
# layer is and the map it produces; `neurons`: the units of that map; `params`, `macs`: its parameters and
# multiply-adds; `rf`: its receptive field, the side of the input square one of its units sees):

# %%
overview.explorer().widget()

# %% [markdown]
# The pattern over a range of widths and sizes: a layer's weights scale with the product of its input and output
# channels, so halving the width divides parameters and multiply-adds by about four; a larger input multiplies
# the multiply-adds by the square of the side, and the parameters grow only where a fully connected layer sees the
# whole last map (AlexNet, VGG), not behind GoogLeNet's average pooling.

# %%
fig = overview.scaling_plot(save="overview_scaling")
display(fig)
plt.close(fig)

# %% [markdown]
# ### Build it yourself: AlexNet with GoogLeNet's head
#
# Replace AlexNet's three fully connected layers (Sect. 3.5) with GoogLeNet's head (Sect. 5): average pooling of
# each of the last 256 maps to one value, dropout of 40%, and one linear layer to the 1,000 classes. The scaffold
# gives AlexNet's five conv layers; add the head below (for 227x227 inputs) and run the checker, which names the
# first layer that differs from ours. The answer is `overview.exercise_answer()`.

# %%
# NBVAL_CHECK_OUTPUT
mine = overview.exercise_scaffold()
# your code: mine.add_module("avgpool", ...), then flatten, dropout and the linear layer
print(check_model(mine, overview.exercise_answer(), 227))

# %% [markdown]
# ## 2 Training method
#
# The three paper models are trained on **the same data, with one recipe, the same epochs and the same seeds**:
# AlexNet's SGD with momentum 0.9 and weight decay 5e-4 (Sect. 5), with the budget's batch, learning rate,
# initialisation and schedule for all three, and GoogLeNet's auxiliary classifiers weighted 0.3 (its Sect. 5; the other two have
# none). The recipe, as the runs hold it:

# %%
recipe = study.runs["vgg_A"].recipe
pd.Series({k: getattr(recipe, k) for k in ("batch_size", "lr", "momentum", "weight_decay", "schedule", "epochs",
                                             "init", "aux_weight")}, name="shared recipe").to_frame()

# %% [markdown]
# So the recipe is shared, but the architecture is not the only difference. Each model also keeps:
#
# * **its paper's training size**: AlexNet at 227/224 of its crop, VGG and GoogLeNet at theirs (see `input`
#   below), as every paper notebook trains it;
# * **its paper's augmentation**: AlexNet's random crops, flips and PCA colour noise (Sect. 4.1), VGG's scale
#   jittering (Sect. 3.1), GoogLeNet's crops of 8-100% of the area with photometric distortions (Sect. 6);
# * **for GoogLeNet, the auxiliary losses**: its training loss is the main classifier's loss plus 0.3 times each
#   auxiliary classifier's. The curves below therefore plot the **main classifier's loss** for all three, so the
#   losses are comparable; the validation loss and accuracy are the main classifier's anyway (the auxiliary heads
#   are dropped at test time).
#
# Each paper notebook trains its own model with its own full recipe; this run puts the three on one footing. The
# plan above says how many seeds each model gets; progress bars show the model's epoch and batch. The columns of
# the result are explained under it.

# %%
results = overview.shared_run(study)
table = overview.run_table(results, study)
folded(overview.format_run_table(table), list(overview.RUN_COLUMNS), overview.RUN_COLUMNS)

# %%
recorded_run = record.load("overview", "shared_run")
fig = overview.training_curves_plot(results, recorded_run,
                                    save="overview_training" if overview.save_figures(study) else None)
display(fig)
plt.close(fig)

# %%
noise_run, noise_label = overview.noise_source(results, recorded_run)
gap_table = overview.gaps(noise_run)
overview.describe(table, gap_table, noise_label, recorded_run)

# %% [markdown]
# **What to look for.** All three curves should leave chance (10% with 10 classes) within the first epochs. The
# main losses start together near ln 10 = 2.3 and separate as the models learn at different speeds; the
# validation loss shows whether a model begins to fit the training images better than new ones (it stops falling
# while the training loss goes on). A few epochs on a few thousand small images at a fraction of the width show
# that each network learns under one recipe, and how fast per step and per second; they do not reproduce the
# papers' ranking, which comes from 1.2 million images, 1,000 classes and 60-90 epochs. The recorded run, where
# there is one, is the same run repeated with more seeds, drawn dashed (its mean).
#
# **One seed or several.** A single run's accuracy moves by a point or more with the seed (the initialisation, the
# order of the images, the augmentation draws, dropout), and the 500 validation images alone make one image worth
# 0.2 points. With one seed a gap between two models cannot be told from that noise; the recorded run repeats the
# same run with three seeds to measure it, and the sentences above use it when it is there.
#
# ## 3 Performance-improvement strategies
#
# Each paper credits its own tricks, and each paper notebook tests them as ablations over several seeds:
#
# | paper | what it credits | tested in |
# |---|---|---|
# | AlexNet | ReLU, LRN, overlapping pooling, dropout, crops and PCA colour noise, two GPUs | [01_alexnet](01_alexnet.ipynb) |
# | VGG | depth from stacks of 3x3 convs, warm starts from the trained net A, scale jittering | [03_vgg](03_vgg.ipynb) |
# | GoogLeNet | Inception modules with 1x1 reductions, auxiliary classifiers, average pooling | [02_googlenet](02_googlenet.ipynb) |
#
# VGG-A is the net the VGG paper trained from random initialisation, being shallow enough for that; the deeper
# configurations were then warm-started from it, their first four conv layers and last three FC layers copied
# from the trained A (Sect. 3.1). Here A trains from the study's initialisation, like the other two.
#
# In this notebook the "strategy" is the architecture itself, and the question is whether the run can tell the
# three apart. The table compares every pair over the seeds of the run named in the sentence above: `seeds` per
# model, `diff` the difference of their mean final top-1 (first minus second, points), `se` its standard error
# over seeds, `band` the half-width of a 95% interval for that difference (Student's t with Welch's degrees of
# freedom), and `exceeds noise` whether the gap is larger than its band (empty with one seed: no noise estimate).

# %%
display(gap_table.round(2))

# %% [markdown]
# With three seeds the standard deviation itself is rough, so a gap just outside its band is a hint, not a proof;
# and a gap measured at a fraction of the width on 10 classes says nothing about how the full networks rank on
# ImageNet.
#
# ## 4 Evaluation
#
# Accuracy against cost, the papers' and ours, in one table and one figure. The papers' numbers are for the
# full-size networks on 1,000 classes, each with its paper's test protocol; torchvision's are its retrained
# weights with one centre crop; ours are the nets we just trained, on the 10-class subset with one centre crop, at
# our width and input sizes, with the seconds per epoch measured on this machine.

# %%
side_by_side = overview.reported_vs_ours(table)
folded(side_by_side.round(2), ["model", "paper top-1 %", "torchvision top-1 %", "MACs (G)", "our MACs (M)",
                               "our s / epoch", "our top-1 %"], overview.REPORTED_VS_OURS)

# %%
fig = overview.accuracy_cost_plot(side_by_side,
                                  save="overview_accuracy_cost" if overview.save_figures(study) else None)
display(fig)
plt.close(fig)

# %% [markdown]
# **What to look for.** On ImageNet, more arithmetic bought accuracy from AlexNet to VGG, and GoogLeNet bought it
# back for a fifth of VGG-A's multiply-adds. Measured time need not follow the counted multiply-adds: many small
# convolutions and concatenations (GoogLeNet's Inception modules) use a processor less fully than a few large
# ones, so a network's cost is worth measuring as well as counting.

# %%
overview.describe_cost(table)

# %% [markdown]
# ## 5 Summary
#
# 1. **Depth, size, cost, accuracy.** AlexNet: 8 layers, 61 M parameters, 0.72 G multiply-adds. VGG: 11-19 layers,
#    133-144 M parameters, 7.6-19.6 G multiply-adds. GoogLeNet: 22 layers, 7 M parameters, 1.6 G multiply-adds,
#    with a single-model top-5 (10 crops) within half a point of VGG-16's (dense evaluation).
# 2. **Where the parameters sit.** The fully connected layers hold 86-96% of AlexNet's and VGG's parameters (the
#    first FC layer alone 62% and 74%); GoogLeNet's average pooling leaves one FC layer of about a million.
# 3. **One recipe on a small subset.** All three learn under AlexNet's recipe (the numbers below); the figure of
#    Sect. 4 sets them beside the papers'.
# 4. **What the run can tell apart.** The gap table says which differences exceed the noise of the seeds; the
#    rest can change order with another seed, and none of them ranks the full networks on ImageNet.

# %%
overview.headline(table)

# %%
Markdown(glossary_markdown("overview"))

# %% [markdown]
# ## Exercises
#
# 1. **Build it yourself.** Finish the model of the exercise in Sect. 1 (AlexNet with GoogLeNet's head) until the
#    checker says all layers match. How many parameters does it save, and where?
#    `overview.reveal("head_saving")` shows the factor.
# 2. **By hand.** How many parameters has VGG-16's first fully connected layer? Check your number with
#    `overview.check_answer("vgg16_fc1_params", your_number)`; `overview.reveal("vgg16_fc1_params")` shows it.
# 3. **By hand.** How many multiply-adds does AlexNet's conv1 cost for one 227x227 image (96 kernels of
#    11x11x3, stride 4)? Check it with `overview.check_answer("alexnet_conv1_macs", your_number)`.
# 4. **Predict, then explore.** By what factor do VGG-A's parameters shrink at half the width, and by what factor do
#    GoogLeNet's multiply-adds grow when the input side doubles? Predict both, then check with the explorers
#    above or `overview.reveal("half_width_params")` and `overview.reveal("double_input_macs")`. Why does
#    GoogLeNet's parameter count not change with the input side, while AlexNet's and VGG's do?
# 5. **The auxiliary losses.** Train GoogLeNet again without its auxiliary losses, with the same seeds:
#    `no_aux = overview.runs_with(study, ["googlenet_paper"], aux_weight=0.0)`, then
#    `overview.shared_run(no_aux, models=["googlenet_paper"])`. Does its final top-1 move by more than the seed
#    noise of the gap table? (`overview.run_table(..., no_aux)` reads the result.)
# 6. **Seeds.** Train the shared run with three seeds, `overview.shared_run(overview.recorded(study))` (three times
#    the minutes of the plan), and read `overview.gaps` of it. Which sentences about the one-seed run still hold?
#    How many seeds would a gap of one point need before it exceeded its band?

# %%
# NBVAL_CHECK_OUTPUT
overview.answers()
