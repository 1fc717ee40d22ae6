# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # AlexNet, GoogLeNet and VGG side by side: start here
#
# This kit reviews three papers that shaped image classification, one notebook each, on top of one tested library
# (`reviewlib`):
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
# years later both answers to "what next?" placed first and second at ILSVRC-2014: VGG went deeper with nothing but
# 3x3 convolutions and kept AlexNet's huge fully connected layers; GoogLeNet went deeper *and* cheaper with Inception
# modules and average pooling. Seen side by side the trade-offs are plain: accuracy, arithmetic and parameters.
#
# **Questions this notebook answers.**
# 1. How do the budgets and the data work, and what does a session run on?
# 2. How deep, how large and how costly is each network, and what accuracy did each paper (and torchvision's
#    retrained weights) report?
# 3. Where do the parameters sit, and why does GoogLeNet need 9x fewer than AlexNet?
# 4. Trained the same way on the same small subset, how do the three compare, and what can such a run show?
#
# **Run time.** `smoke` (CI): about 7 s of cells on the 2-core build CPU. `study`: **measured 2 min 45 s** (whole
# notebook, idle 2-core x86-64 CPU, tiny-imagenet-10), almost all of it the shared training run (3 models x 5 epochs
# x 20 batches of 64).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from reviewlib.papers import overview
from reviewlib.budget import budget_table
from reviewlib.experiments import make_loaders, run_experiments
from reviewlib.session import start_session

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 80)
session = start_session(); session

# %% [markdown]
# **Contents.** [1 Budgets and data](#1-Budgets-and-data) · [2 The three papers side by side](#2-The-three-papers-side-by-side)
# · [3 One shared training run](#3-One-shared-training-run) · [4 The paper notebooks](#4-The-paper-notebooks)
# · [5 Summary](#5-Summary)
#
# ## 1 Budgets and data
#
# Every notebook runs the same code at one of three sizes, chosen with the environment variable `REVIEWLIB_BUDGET`
# (read in one place, `reviewlib.budget`; a wrong name is an error listing the valid ones). `width` multiplies every
# channel count, `image_size` is the training crop (224 in the papers; the resize side scales as 256/224 of it).
# `smoke` exists so that CI can run every cell in seconds: its numbers only show that the code runs.

# %%
# NBVAL_CHECK_OUTPUT
print(budget_table().drop(columns=["summary"]).to_string())

# %% [markdown]
# The data: `reviewlib.data.find_data` looks at `REVIEWLIB_DATA`, then `data/` in the repository (ILSVRC-2012,
# Tiny ImageNet or Imagenette layouts), then downloads Imagenette (study and paper budgets, when the network
# answers), and otherwise generates an offline synthetic stand-in in the same folder layout. The header above says
# which one this session uses (with a banner when it is synthetic). The budget picks the classes and images per
# class; each paper's notebook then applies that paper's augmentation.
#
# ## 2 The three papers side by side
#
# One row per model, computed from reviewlib's models on PyTorch's `meta` device (shapes and counts without
# allocating a single weight, so VGG's 144 million parameters take milliseconds): depth in layers with weights
# (an Inception module counts 2, as GoogLeNet's Table 1 does), parameters and multiply-adds (MACs) of the inference
# network, the auxiliary heads GoogLeNet trains with and then drops, and the share of the parameters in fully
# connected layers. The accuracies are *reported* ones: the paper's single-model validation result (its errors as
# accuracies; the protocol differs per paper, see the `reported` column) or torchvision's retrained weights (one
# centre crop). "n/r" = not reported: GoogLeNet's paper gives top-5 only.

# %%
# NBVAL_CHECK_OUTPUT
models = overview.comparison_table()
print(overview.format_table(models).to_string())
print()
print(models["reported"].drop_duplicates().to_string())

# %% [markdown]
# Reading the table:
#
# * **Depth.** 8 -> 11-19 -> 22 layers with weights in two years.
# * **Size.** AlexNet and every VGG are 61-144 M parameters, 86-96% of them in the fully connected layers; GoogLeNet
#   is 7 M, about 9x fewer than AlexNet at inference (the paper says "12x fewer", i.e. about 5 M; notebook 02
#   checks that claim), and only 15% of it is FC.
# * **Cost.** VGG pays for depth with arithmetic: 7.6 (A) to 19.6 (E) G multiply-adds per image, 10-27x AlexNet.
#   GoogLeNet stays near its self-imposed 1.5 G budget (Sect. 5); ours is 1.58 G with true 5x5 branches,
#   torchvision's 1.50 G uses 3x3 kernels there (a bug it keeps for its weights).
# * **Input.** The paper AlexNet is measured at 227x227: Sect. 3.5's 224 does not give its 55x55 maps.
# * **Accuracy.** The papers' numbers use different test protocols (AlexNet 10 patches, VGG dense evaluation,
#   GoogLeNet 10 crops) and are not directly comparable with each other or with torchvision's single centre crop;
#   torchvision's retrained weights put all four families on one protocol.

# %%
fig = overview.efficiency_plot(models, save="overview_efficiency")
display(fig)
plt.close(fig)

# %% [markdown]
# Up and to the left is better: more accuracy for less arithmetic. GoogLeNet sits near VGG's accuracy at a fifth
# to a twelfth of its cost and a twentieth of its parameters (bubble area). The VGG family climbs with depth until
# D (16 layers) and stops gaining at E (19): the paper's own finding that the error saturates at 19 layers
# (Table 3, single-scale training).
#
# ### Where the parameters sit
#
# Why is GoogLeNet so small? The parameters of AlexNet and VGG sit in their first fully connected layer, whose
# input is the whole last feature map (6x6x256 = 9,216 values in AlexNet, 7x7x512 = 25,088 in VGG). GoogLeNet
# averages its 7x7x1024 map down to 1,024 values first (Sect. 5), so its only FC layer has about 1 M weights.

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
# ## 3 One shared training run
#
# The three paper models — AlexNet (two towers, LRN), VGG configuration A and GoogLeNet (paper variant, with its
# auxiliary classifiers) — trained on **the same data, with the same augmentation, recipe, seed and number of
# steps**, so the architecture is the only difference:
#
# * data: the budget's subset; augmentation: **AlexNet's for all three** (random crops of the image rescaled to
#   256/224 of the crop, horizontal flips, PCA colour noise; Sect. 4.1), at AlexNet's crop (227/224 of the budget's
#   image size), so every model sees identical batches;
# * recipe: AlexNet's SGD (momentum 0.9, weight decay 5e-4, plateau schedule) at learning rate 0.02 with Kaiming
#   initialisation, for every model (`overview.shared_recipe`); GoogLeNet's auxiliary losses weigh 0.3 as in its
#   paper.
#
# Each paper notebook trains its own model with its own recipe and augmentation; this run only puts them on one
# footing.

# %%
budget = session.budget
plan = overview.shared_run_plan(budget)
recipe = overview.shared_recipe(budget)
train_loader, val_loader, source = make_loaders("alexnet", budget)
crop = train_loader.dataset[0][0].shape[-1]
num_classes = len(train_loader.dataset.wnids)
print(plan.note)
print(f"{len(train_loader.dataset)} training / {len(val_loader.dataset)} validation images, {num_classes} classes, "
      f"{crop}x{crop} crops, width {budget.width}; lr {recipe.lr}, batch {recipe.batch_size}, init {recipe.init}")
variants = overview.shared_run_variants(num_classes, budget.width, crop)
shared = run_experiments(variants, train_loader, val_loader, recipe, epochs=plan.epochs,
                         max_batches=plan.max_batches)
display(shared.table.round(3))

# %%
fig = overview.training_curves_plot(
    shared, title=f"Shared run ({budget.name}): same data, augmentation, recipe and seed",
    save=None if budget.name == "smoke" else "overview_training")
display(fig)
plt.close(fig)
display(overview.with_ours(shared, budget.name).round(2))

# %% [markdown]
# **What a subset can show, and what it cannot.** With 10 classes, chance is 10% top-1 and 50% top-5. A few epochs
# on a few thousand small images at a fraction of the width show whether each network *starts to learn* under one
# recipe, and how fast its loss falls per step and per second; they do not reproduce the papers' ranking, which
# comes from 1.2 million images, 1000 classes and 60-90 epochs. Expect VGG-A without BatchNorm to start slowest (the
# reason its paper initialised the deeper nets from A), AlexNet's huge FC layers to overfit a small subset, and the
# order to change with the seed when the gaps are a few points. In `smoke` the numbers only show that the code runs.
#
# ## 4 The paper notebooks
#
# Each follows the same outline — 1 Architecture (layer table, claim check, explorer widget, build-it-yourself
# exercise), 2 Training method, 3 Performance-improvement strategies (ablations), 4 Evaluation, 5 Summary:
#
# * [01_alexnet.ipynb](01_alexnet.ipynb): the 60 million parameters and 650,000 neurons, the two GPUs, ReLU, LRN,
#   overlapping pooling, dropout, PCA colour augmentation, 10-crop testing.
# * [02_googlenet.ipynb](02_googlenet.ipynb): the Inception module and its 1x1 reductions, Table 1 row by row,
#   the auxiliary classifiers, average pooling, 144-crop testing.
# * [03_vgg.ipynb](03_vgg.ipynb): stacks of 3x3 filters, all six configurations of Table 1, depth against
#   accuracy, warm starts, dense evaluation.
#
# ## 5 Summary
#
# 1. Budgets (`smoke` / `study` / `paper`) change sizes and counts, never the code; the data is found (or
#    generated) once per session and shown in the header.
# 2. AlexNet: 8 layers, 61 M parameters, 0.72 G MACs. VGG: 11-19 layers, 133-144 M parameters, 7.6-19.6 G MACs.
#    GoogLeNet: 22 layers, 7 M parameters, 1.6 G MACs, with a single-model top-5 (10 crops) within half a point
#    of VGG-16's (dense evaluation).
# 3. The fully connected layers hold 86-96% of AlexNet's and VGG's parameters (the first FC layer alone 62% and
#    74%); GoogLeNet's average pooling leaves one 1 M-parameter FC layer.
# 4. One recipe on a small subset shows each network learning; it cannot rank them as ImageNet does.
#
# **Glossary (English / 한국어).** parameter = 파라미터(매개변수) · multiply-add (MAC) = 곱셈-덧셈 연산 ·
# fully connected layer = 완전 연결층 · global average pooling = 전역 평균 풀링 · depth = 깊이 ·
# data augmentation = 데이터 증강 · overfitting = 과적합 · top-5 error = 상위 5개 오류율 ·
# auxiliary classifier = 보조 분류기 · receptive field = 수용 영역
