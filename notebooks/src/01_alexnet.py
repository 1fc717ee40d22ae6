# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # AlexNet (2012): a review with code
#
# **Paper.** Alex Krizhevsky, Ilya Sutskever, Geoffrey E. Hinton. *ImageNet Classification with Deep Convolutional
# Neural Networks.* Advances in Neural Information Processing Systems 25 (NIPS 2012), pp. 1097-1105.
#
# **Why it mattered.** A large convolutional network, trained on 1.2 million labelled images on two consumer GPUs,
# won ILSVRC-2012 with 15.3% top-5 test error against 26.2% for the next entry. It put together what later networks
# took for granted: ReLU non-linearities, GPU training, heavy data augmentation and dropout in the classifier. VGG
# and GoogLeNet (notebooks 02 and 03) are answers to the questions it left open.
#
# **Questions this notebook answers.**
# 1. Where do "60 million parameters and 650,000 neurons" sit, and why must the input size be fixed?
# 2. Do the paper's numbers (Fig. 2, the 224-pixel input, the two GPUs) add up?
# 3. How was it trained, and what does each trick (ReLU, LRN, overlapping pooling, dropout, augmentation) buy on a
#    small subset?
# 4. How is it tested (10 crops), and what do its first-layer filters look like?
#
# **Run time.** `smoke` (CI): about 10 s of cells on the 2-core build CPU (35-70 s while it was shared). `study`:
# **measured 2 minutes** (118 s wall, whole notebook, idle 2-core x86-64 CPU, 128-px crops, tiny-imagenet-10); an
# earlier study run took 23 minutes while six other jobs shared the two cores. The study runs are cut to fit:
# main run 5 x 30 batches, Fig. 1 race 2 x 6 x 8 batches, 6 ablation runs of 3 x 10 batches.

# %%
# %matplotlib inline
import copy
from dataclasses import asdict
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import torch
from IPython.display import display
from torch import nn

from reviewlib.review.tables import layer_table, layer_totals, param_breakdown, param_shares
from reviewlib.data.augment import (IMAGENET_EIGVAL, IMAGENET_EIGVEC, crop_size, denormalize, eval_transform,
                               pca_from_images, train_transform)
from reviewlib.review.checker import check_model
from reviewlib.review.claims import claim_table
from reviewlib.data.files import load_rgb, measure_throughput
from reviewlib.errors import ConfigError
from reviewlib.evaluate import evaluate, to_dense
from reviewlib.experiments import make_loaders, run_experiments
from reviewlib.review.explorer import alexnet_explorer
from reviewlib.nets import alexnet, count_params
from reviewlib.papers import alexnet as review
from reviewlib.review.plots import feature_map_plot, param_breakdown_plot, save_figure
from reviewlib.train.recipes import compare_with_torch_sgd, init_model, paper_recipe, recipe_for
from reviewlib.session import start_session
from reviewlib.train.loop import fit

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 120)
session = start_session(); session

# %%
budget = session.budget
plan = review.experiment_plan(budget)
SMOKE = budget.name == "smoke"
SHARED = Path("..").resolve().parent / "shared" / "data"
print(plan.note)

# %% [markdown]
# **Contents.** [1 Architecture](#1-Architecture) (tables, claim check, two GPUs, ReLU, LRN, pooling, explorer,
# exercise) · [2 Training method](#2-Training-method) · [3 Performance-improvement strategies](#3-Performance-improvement-strategies)
# · [4 Evaluation](#4-Evaluation) · [5 Summary](#5-Summary)
#
# ## 1 Architecture
#
# Five convolutional layers and three fully connected ones (Sect. 3.5, Fig. 2). We build the paper's model (two
# towers, LRN after conv1 and conv2, overlapping 3x3/2 max-pools) beside torchvision's "one weird trick" variant
# (one tower, 64-192-384-256-256 kernels, no LRN, adaptive pooling). Both are built on PyTorch's `meta` device:
# shapes and counts without allocating 60 million weights.

# %%
# NBVAL_CHECK_OUTPUT
with torch.device("meta"):
    paper_model = alexnet("paper")
    tv_model = alexnet("torchvision")
paper_table = layer_table(paper_model, 227)
tv_table = layer_table(tv_model, 224)
cols = ["name", "kind", "kernel", "stride", "padding", "output", "neurons", "params", "macs", "rf"]
print("Paper AlexNet: two towers, LRN, overlapping pools; 227x227 input")
print(paper_table[cols].to_string(index=False))
print("\ntorchvision AlexNet: one tower, no LRN, adaptive average pool to 6x6; 224x224 input")
print(tv_table[cols].to_string(index=False))

# %%
display(feature_map_plot(paper_table, title="Paper AlexNet: feature-map size and channels",
                         save="alexnet_map_sizes"))
display(param_breakdown_plot(paper_table, save="alexnet_params", title="Paper AlexNet: parameters per layer"))
plt.close("all")

# %% [markdown]
# ### Where the 60 million parameters sit
#
# The convolutions do almost all the arithmetic, the fully connected layers hold almost all the weights: FC6 alone
# maps the 6x6x256 = 9,216 values of pool5 to 4,096 units.

# %%
# NBVAL_CHECK_OUTPUT
for label, table in (("paper", paper_table), ("torchvision", tv_table)):
    shares = param_shares(table)
    fc = shares.loc[shares["kind"] == "fc", "share"].sum()
    print(f"{label:12s} {layer_totals(table)['params']:,} parameters, {fc:.1%} in the FC layers")
by_layer = param_breakdown(paper_model, by="layer")
print(by_layer.assign(share=by_layer["share"].map("{:.1%}".format)).to_string(index=False))
fc_macs = paper_table.loc[paper_table["kind"] == "fc", "macs"].sum() / layer_totals(paper_table)["macs"]
print(f"share of multiply-adds in the FC layers: {fc_macs:.1%}")

# %% [markdown]
# ### The last feature map fixes the input size
#
# FC6 has a weight for each of the 9,216 values of pool5, so the network only accepts inputs whose pool5 map is
# exactly 6x6x256. Every side of the map changes FC6's size quadratically. Because each layer rounds its output
# down (floor), a range of input sizes leads to the same 6x6 map, so more than one size is accepted. The issue that
# asked for this notebook assumed a 256x256 input would fail. It does not: `trace` shows that every input from 227
# to 258 pixels gives 6x6 at pool5, and 259 is the first that fails.

# %%
# NBVAL_CHECK_OUTPUT
sizes = review.pool5_by_input(range(200, 301))
lo, hi = review.accepted_inputs("paper")
print(f"paper model: every input side from {lo} to {hi} gives a 6x6 pool5 map (floor rounding)")
print(sizes[sizes["input"].isin([223, 224, 226, 227, 256, 258, 259, 290, 291])].to_string(index=False))
for side in (227, 259, 291, 323):
    with torch.device("meta"):
        m = alexnet("paper", image_size=side)
    print(f"built for {side}: pool5 {m.avgpool.expected[1]}x{m.avgpool.expected[2]}x256 -> FC6 has "
          f"{count_params(m.classifier[1]):,} parameters, total {count_params(m):,}")
try:
    paper_model(torch.empty(1, 3, 259, 259, device="meta"))
except ConfigError as err:
    print("\n259x259 into the 227 model -> ConfigError:", err)

# %%
display(review.input_size_plot(sizes, (lo, hi), save="alexnet_input_range"))
plt.close("all")

# %% [markdown]
# Two ways around the fixed size: torchvision's **adaptive average pooling** resizes whatever map arrives to 6x6,
# and VGG's **dense evaluation** (Sect. 3.2 of the VGG paper) turns FC6 into a 6x6 convolution and FC7/FC8 into
# 1x1 convolutions, so a larger image gives a map of class scores instead of an error.

# %%
# NBVAL_CHECK_OUTPUT
for side in (224, 259, 320):
    print(f"torchvision variant, {side}x{side} input -> logits {tuple(tv_model(torch.empty(1, 3, side, side, device='meta')).shape)}")
small = alexnet("paper", num_classes=10, width=0.125, towers=1).eval()  # to_dense reads one Conv2d's channels
dense = to_dense(small)
for side in (227, 259, 320):
    print(f"paper model as a fully convolutional net, {side}x{side} input -> class score map "
          f"{tuple(dense(torch.zeros(1, 3, side, side)).shape)}")

# %% [markdown]
# ### Claim check
#
# Every architectural number the paper prints, beside ours (computed from the model in the cell). Two known
# discrepancies: the input side and the conv1 neuron count of Fig. 2.

# %%
# NBVAL_CHECK_OUTPUT
print(claim_table(review.architecture_claims()).to_string(index=False))

# %%
# NBVAL_CHECK_OUTPUT
print(review.neurons_per_layer().to_string(index=False))
print()
print(review.conv1_candidates().to_string(index=False))

# %% [markdown]
# **Reading the tables.**
# * **Input 224 vs 227.** An 11x11 kernel with stride 4 and no padding on 224 pixels gives (224 - 11)/4 + 1 = 54.25.
#   The 55x55 maps of Fig. 2 need 227 pixels (or padding; torchvision pads by 2). We build at 227. The "150,528
#   dimensional" input of Fig. 2 is 224x224x3 as printed.
# * **253,440 conv1 neurons.** Our conv1 has 55x55x96 = 290,400 outputs. None of the usual explanations gives
#   253,440: not 224-based arithmetic (54x54x96 = 279,936; 56x56x96 = 301,056), not one tower alone (145,200). An
#   exhaustive search over h x w x c with sides 40-64 finds only 44x60x96 and 48x55x96, and neither is a shape in
#   the network. We cannot explain the number, and we do not try to. The other seven layers match exactly.
#   With 290,400, the total is 659,272, close to the abstract's "650,000". The paper's own list adds up to 622,312.
# * **60 million** parameters: 60,965,224 (torchvision's variant: 61,100,840). About 96% of them are in the FC
#   layers, and FC6 alone holds about 62%.
# * **Two GPUs**: conv2, conv4 and conv5 see only the maps on their own GPU; conv1 and conv3 see all input maps, and
#   so do the FC layers. This is where the GPUs exchange data.
# * **2048x augmentation**: (256 - 224)^2 translations x 2 reflections. Counting crop positions exactly gives 33^2 x 2
#   = 2,178; with our 227 crops it would be 30^2 x 2 = 1,800.
#
# ### The two GPUs
#
# Each conv layer is split into two towers of half the kernels. `place_towers` puts tower i on device i. The towers'
# input is sent to each GPU and their outputs are gathered back; with no GPUs, two CPU stand-ins show the same thing.
# The output must equal the single-device model's.

# %%
devices = review.tower_devices(2)
demo = review.two_device_demo(alexnet("paper", num_classes=10, width=0.125), torch.randn(2, 3, 227, 227), devices)
print("devices:", devices)
print("placement:", demo["placement"])
print(f"output {demo['shape']}, max |two devices - one device| = {demo['max_abs_diff']:.2e}, equal: {demo['equal']}")

# %% [markdown]
# ### ReLU: Fig. 1 on our data
#
# The paper's Fig. 1 shows a four-layer CNN with ReLUs reaching 25% training error on CIFAR-10 **six times faster**
# than the same network with tanh. It used no regularisation, and each network got its own best learning rate. Here we
# train our (budget-sized) AlexNet with ReLU and with tanh on the ImageNet subset, with the same recipe, no dropout,
# no weight decay and no learning-rate drops. We measure the epochs each needs to reach a training error both reach.
# An "epoch" here is `plan.race_batches` batches, so the curve has more points than our time allows full epochs.

# %%
train_loader, val_loader, source = make_loaders("alexnet", budget)
recipe = recipe_for("alexnet", budget)
crop = crop_size("alexnet", budget.image_size)
num_classes = len(train_loader.dataset.wnids)
print(f"{source.description}: {len(train_loader.dataset)} training / {len(val_loader.dataset)} validation images, "
      f"{num_classes} classes, {crop}x{crop} crops")
race_recipe = recipe.with_(weight_decay=0.0, max_reductions=0)
race = run_experiments(review.activation_variants(num_classes, budget.width, crop), train_loader, val_loader,
                       race_recipe, epochs=plan.race_epochs, max_batches=plan.race_batches)
race_table, target = review.activation_race(race.histories)
print(f"target training error: {target:.1f}% (the highest final error of the two runs, a level both reach)")
race_table

# %%
display(review.race_plot(race.histories, target, save=None if SMOKE else "alexnet_relu_tanh",
                         unit=f"epoch of {plan.race_batches} batches"))
plt.close("all")

# %% [markdown]
# **What we found.** In the study run recorded on 2026-11-29 (one seed, 48 steps, a shared learning rate of 0.02,
# Kaiming initialisation, 130-px crops), **tanh got there first**. It reached the common level (81.8% training
# error) after 2 chunks of 8 batches; ReLU needed 6. That is the opposite of Fig. 1. We have not tested why.
# Possible reasons: the race ends far above the paper's 25% error, in the first few dozen steps, before tanh units
# saturate; the learning rate and the initialisation were tuned for ReLU nets; and the paper tuned the learning rate
# for each network. Read the table above, not this paragraph, for the run you just made. In the smoke budget both
# runs are still at chance.
#
# ### Local response normalisation
#
# $b^i_{x,y} = a^i_{x,y} \big/ \big(k + \alpha \sum_{j=\max(0,i-n/2)}^{\min(N-1,i+n/2)} (a^j_{x,y})^2\big)^\beta$
# with $k=2$, $n=5$, $\alpha=10^{-4}$, $\beta=0.75$ (Sect. 3.3), a form of lateral inhibition between neighbouring
# kernel maps. **Pitfall:** `torch.nn.LocalResponseNorm` divides $\alpha$ by $n$ (it uses the mean of the squares,
# not the sum), and its default $k$ is 1. Passing the paper's constants unchanged normalises 5 times more weakly.
# Below, the hand-written loop of `reviewlib.nets.scratch` is the reference.

# %%
review.lrn_check()

# %% [markdown]
# ### Overlapping pooling
#
# Pooling windows of $z=3$ placed $s=2$ apart overlap (Sect. 3.4), against the traditional $z=s=2$. At 227 pixels
# both give the same map sizes (55 -> 27 -> 13 -> 6), so the paper's comparison changes only the overlap. At our
# budgets' smaller crops the two differ: at the smoke budget's 97 pixels z=s=2 leaves a 2x2 pool5 map (FC6 four times
# larger), at the study budget's 130 pixels 3x3 instead of 2x2. Keep this in mind when
# reading the ablation.

# %%
# NBVAL_CHECK_OUTPUT
for side in (227, 97):
    print(f"input {side}x{side}")
    print(review.pooling_comparison(side).to_string(index=False))

# %% [markdown]
# ### Explorer
#
# Change any layer and see the table, the totals and the size plot. An impossible setting shows the error text
# instead of a traceback.

# %%
alexnet_explorer().widget()

# %% [markdown]
# The same logic, driven from Python. A stride-8 conv1 shrinks everything after it. A 64-pixel input runs out of map
# before pool5.

# %%
# NBVAL_CHECK_OUTPUT
explorer = alexnet_explorer()
print("paper:          ", explorer.state.summary)
print("conv1_stride=8: ", explorer.update(conv1_stride=8).summary)
print("image_size=64:  ", explorer.update(conv1_stride=4, image_size=64).summary)
print("fc6=fc7=2048:   ", explorer.update(image_size=227, fc6=2048, fc7=2048).summary)

# %% [markdown]
# ### Build it yourself
#
# Fill in the paper's AlexNet in plain PyTorch (227x227 input, 1000 classes). Hints: the two towers of conv2, conv4
# and conv5 are `groups=2`; use the paper's LRN constants and remember the pitfall above. Run the checker. It names
# the first layer that differs from ours. The answer is `reviewlib.papers.alexnet.solution()`. Try before you read
# its source.

# %%
class MyAlexNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=11, stride=4), nn.ReLU(inplace=True),
            # TODO: LRN, pool1, conv2 (groups=2), LRN, pool2, conv3, conv4 (groups=2), conv5 (groups=2), pool5
        )
        self.classifier = nn.Sequential(
            # TODO: Dropout, FC6 (9216 -> 4096), ReLU, Dropout, FC7, ReLU, FC8
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# NBVAL_CHECK_OUTPUT
with torch.device("meta"):
    result = check_model(MyAlexNet(), alexnet("paper"), input_size=227)
print(result.message)

# %%
# NBVAL_CHECK_OUTPUT
with torch.device("meta"):
    print("solution():", check_model(review.solution(), alexnet("paper"), input_size=227).message)
# import inspect; print(inspect.getsource(review._PaperAlexNet))   # the answer, when you are ready

# %% [markdown]
# ## 2 Training method
#
# The recipe as the paper states it (Sect. 5), and as this budget runs it.

# %%
# NBVAL_CHECK_OUTPUT
print(pd.Series(asdict(paper_recipe("alexnet"))).drop("notes").to_string())
print(paper_recipe("alexnet").notes)

# %%
print(f"budget {budget.name}: " + ", ".join(f"{k}={v}" for k, v in asdict(recipe).items() if k != "notes"))
print(recipe.notes)

# %% [markdown]
# **The update rule (Sect. 5):** $v \leftarrow 0.9\,v - 0.0005\,\epsilon\,w - \epsilon\,\langle \partial L/\partial
# w\rangle$, $w \leftarrow w + v$. `torch.optim.SGD(momentum=0.9, weight_decay=5e-4)` keeps the learning rate
# $\epsilon$ outside the velocity: $b \leftarrow 0.9\,b + g + 0.0005\,w$, $w \leftarrow w - \epsilon\,b$. While
# $\epsilon$ is constant, $v = -\epsilon b$ and the two are identical. When $\epsilon$ drops by 10, torch applies the
# new rate to the whole accumulated velocity at once, while the paper applies it only to new gradients. The weights
# part for a few steps, until the old velocity has decayed.

# %%
# NBVAL_CHECK_OUTPUT
sgd = compare_with_torch_sgd([0.01] * 5 + [0.001] * 5)
print(sgd.to_string(index=False, formatters={"max_abs_diff": "{:.2e}".format}))

# %%
# NBVAL_CHECK_OUTPUT
print("identical while lr is constant:", bool((sgd.loc[sgd["lr"] == 0.01, "max_abs_diff"] < 1e-12).all()))
print("differ after the lr drop:      ", bool((sgd.loc[sgd["lr"] == 0.001, "max_abs_diff"] > 1e-9).all()))

# %% [markdown]
# ### Augmentation on a real image
#
# Sect. 4.1: rescale the short side to 256 and take the central 256x256 square (Sect. 2), then random 224x224 crops
# with horizontal reflections, and PCA colour noise: add $[\mathbf p_1, \mathbf p_2, \mathbf p_3][\alpha_1\lambda_1,
# \alpha_2\lambda_2, \alpha_3\lambda_3]^T$ to every pixel, $\alpha_i \sim N(0, 0.1)$, redrawn each time the image is
# used. Shown at the paper's sizes on one photo; training uses the same steps scaled to the budget.

# %%
photos = sorted((SHARED / "imagenet-samples").glob("*.JPEG")) if (SHARED / "imagenet-samples").exists() else []
photo_path = next((p for p in photos if "goldfish" in p.name), photos[0] if photos else
                  train_loader.dataset.samples[0][0])
photo = load_rgb(photo_path)
print(f"image: {Path(photo_path).name}, {photo.size[0]}x{photo.size[1]}")
torch.manual_seed(0)
aug = train_transform("alexnet", 224, variant="torchvision")
views = [aug(photo) for _ in range(6)]
fig, axes = plt.subplots(1, 7, figsize=(14, 2.4))
axes[0].imshow(denormalize(eval_transform(224, crop=256)(photo)).permute(1, 2, 0))
axes[0].set_title("256x256 centre square", fontsize=8)
for ax, v in zip(axes[1:], views):
    ax.imshow(denormalize(v).permute(1, 2, 0))
    ax.set_title("crop + flip + PCA", fontsize=8)
for ax in axes:
    ax.set_axis_off()
save_figure(fig, "alexnet_augmentation")
plt.show()

# %% [markdown]
# The colour noise is small at $\sigma = 0.1$. Below, the same image is shifted along each principal component by
# $\pm 3\sigma$ ten times exaggerated, so the directions become visible. The eigenvalues/eigenvectors are those of
# our training pixels, next to the ImageNet values most reimplementations use.

# %%
raw_train = copy.copy(train_loader.dataset)
raw_train.transform = None
eigval, eigvec = pca_from_images(raw_train, max_images=200)
print(pd.DataFrame({"our eigenvalue": eigval.numpy().round(4), "ImageNet eigenvalue": IMAGENET_EIGVAL}).to_string())
print("our eigenvectors (columns):\n", eigvec.numpy().round(3))
print("ImageNet eigenvectors (columns):\n", torch.tensor(IMAGENET_EIGVEC).numpy())
base = eval_transform(224, crop=224)(photo)
img01 = denormalize(base)
fig, axes = plt.subplots(1, 7, figsize=(14, 2.4))
axes[0].imshow(img01.permute(1, 2, 0))
axes[0].set_title("original", fontsize=8)
for i in range(3):
    for j, sign in enumerate((-1, 1)):
        alpha = torch.zeros(3)
        alpha[i] = sign * 3 * 0.1 * 10
        shift = eigvec @ (alpha * eigval)
        ax = axes[1 + 2 * i + j]
        ax.imshow((img01 + shift[:, None, None]).clamp(0, 1).permute(1, 2, 0))
        ax.set_title(f"PC{i + 1} {'-' if sign < 0 else '+'}3 sigma x10", fontsize=8)
for ax in axes:
    ax.set_axis_off()
plt.show()

# %% [markdown]
# **"Computationally free".** The paper generated the augmented images in Python on the CPU while the GPU trained on
# the previous batch. `make_loader` does the same with DataLoader workers. Below: how fast the loader delivers images
# against how fast the model trains on them. On a GPU the model is much faster, and the workers must keep up.

# %%
model = alexnet("paper", num_classes=num_classes, width=budget.width, image_size=crop)
tp = measure_throughput(train_loader, model, batches=2 if SMOKE else 8)
print(f"loader: {tp['loader_images_per_s']:.0f} images/s ({tp['num_workers']} workers); "
      f"training step: {tp['train_images_per_s']:.0f} images/s on {tp['device']}; "
      f"{'the loader is the bottleneck' if tp['starved'] else 'the loader keeps up'}")

# %% [markdown]
# ### A training run at this budget
#
# Our study recipe changes three things from the paper, each stated in the recipe notes above: the learning rate
# (0.02 for batch 64), Kaiming initialisation (at 1/4 width the paper's N(0, 0.01) does not start learning within
# a few epochs), and the plateau patience.

# %%
init_model(model, recipe)
history = fit(model, train_loader, val_loader, recipe, epochs=plan.train_epochs, max_batches=plan.train_batches,
              live_plot=True)
history

# %%
if not SMOKE:
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.2))
    a.plot(history.epoch, history.train_loss, "o-", label="train")
    a.plot(history.epoch, history.val_loss, "o-", label="val")
    a.set(xlabel="epoch", ylabel="loss")
    b.plot(history.epoch, history.train_acc1, "o-", label="train top-1")
    b.plot(history.epoch, history.val_acc1, "o-", label="val top-1")
    b.set(xlabel="epoch", ylabel="accuracy (%)")
    for ax in (a, b):
        ax.legend()
    save_figure(fig, "alexnet_training")
    plt.close(fig)

# %% [markdown]
# ## 3 Performance-improvement strategies
#
# Each trick the paper credits is removed once, with one helper (`review.run_ablations`, a loop over
# `reviewlib.experiments.run_experiments`). Every variant gets the same data, recipe, seed and number of steps.

# %%
ablations = review.run_ablations(train_loader, val_loader, recipe, num_classes=num_classes, width=budget.width,
                                 image_size=budget.image_size, crop=crop, epochs=plan.ablation_epochs,
                                 max_batches=plan.ablation_batches)
ablation = review.ablation_table(ablations)
ablation

# %%
curves = ablations.curves("val_acc1")
fig, ax = plt.subplots(figsize=(7, 3.4))
curves.plot(ax=ax, marker="o")
ax.set(xlabel=f"epoch ({plan.ablation_batches} batches)", ylabel="val top-1 (%)", title="Ablations")
if not SMOKE:
    save_figure(fig, "alexnet_ablations")
plt.show()

# %% [markdown]
# **Reading the ablation.** The paper's gains are differences of 0.4-1.7 points of top-1 error on 50,000 validation
# images of 1000 classes, after 90 epochs. Ours come from 30 steps per variant, scored on 500 images of 10 classes
# (one image is 0.2 points), with one seed. In the study run recorded on 2026-11-29:
# * **No dropout was 6 points *better*** after 30 steps (25.4% vs 19.2% top-1). This does not contradict the paper.
#   Sect. 4.2 says dropout "roughly doubles the number of iterations required to converge", and 30 steps is far from
#   convergence.
# * **No overfitting was visible yet.** Every train-minus-val gap was negative: training accuracy is measured with
#   dropout and augmentation on, and the nets are far from fitting their data. The case for dropout and augmentation
#   (1.2M images are too few for 60M weights without them) needs runs long enough to overfit, which the paper budget
#   is for.
# * The other differences (LRN +9.2, overlapping pooling +4.8, two towers +9.2, augmentation -1.4 points) come
#   from 30 steps and one seed, with two variants still at chance (10%): one seed cannot separate them from noise. We can show large effects and, with longer runs, the direction of
#   overfitting. We cannot show the paper's 0.4-point overlapping-pool gain or LRN's 1.4 points. Later work, VGG
#   included, found that LRN does not help.
# * At our 130-pixel study crops (97 in smoke) the non-overlapping variant has a larger FC6 (see the pooling table). The one-tower variant
#   follows Sect. 3.2: half the conv kernels on one GPU, the same FC widths.
#
# ## 4 Evaluation
#
# The paper averages the softmax over 10 patches: four corners and the centre, and their reflections (Sect. 4.1).
# Below: centre crop vs 10 crops on the subset's validation split, beside the paper's tables and torchvision's
# reported accuracy. With 10 classes, top-5 error is nearly meaningless: chance alone gets 50%. In the study run
# recorded on 2026-11-29 the main model, after its 150 steps, was still close to chance (87.8% top-1 error with
# either protocol; 10 crops lowered top-5 error from 46.6% to 45.8%): 10 crops help a model that has learned
# something, so train longer (benchmarks/time_to_accuracy.py reaches 60% in under 4 minutes) to see the effect. The
# comparison with the paper's numbers is about the protocol only: 10 classes at 130 pixels are a different task from
# 1000 classes at 224.

# %%
val_raw = copy.copy(val_loader.dataset)
val_raw.transform = None
ours = {f"ours ({budget.name}), {name}": evaluate(model, val_raw, protocol=protocol, image_size=crop,
                                                  scales=(budget.resize_size,), max_images=plan.eval_images)
        for name, protocol in (("centre crop", "center"), ("10 crops", "10crop"))}
review.results_table(ours)

# %% [markdown]
# ### Conv1 filters (Fig. 3)
#
# In the paper, the 48 filters of GPU 1 came out largely colour-agnostic and those of GPU 2 largely colour-specific.
# Ours come from a short run at 1/4 width (1/8 in smoke). After the study run's 150 steps they still looked like
# random noise; the paper's oriented edges and colour blobs came from 90 epochs on 1.2M images. torchvision's pretrained filters
# are shown only when its weight file is already cached (this notebook never downloads).

# %%
display(review.conv1_filter_figure(model, title=f"our conv1 ({budget.name})",
                                   save=None if SMOKE else "alexnet_conv1_filters"))
pretrained = review.cached_torchvision_alexnet()
if pretrained is not None:
    display(review.conv1_filter_figure(pretrained, title="torchvision pretrained conv1 (one tower)",
                                       save="alexnet_conv1_filters_torchvision"))
else:
    print(f"torchvision's AlexNet weights are not cached under {torch.hub.get_dir()}; skipped (no download)")
plt.close("all")

# %% [markdown]
# ### Feature maps of a real photo
#
# The eight most active maps of conv1..conv5 for the photo above, as our trained model sees it at its input size.

# %%
x = eval_transform(budget.image_size, crop=crop)(photo)
maps = review.feature_maps(model, x)
display(review.feature_map_figure(maps, image=denormalize(x), save=None if SMOKE else "alexnet_photo_maps"))
plt.close("all")

# %% [markdown]
# ## 5 Summary
#
# 1. **60M parameters, 650K neurons.** We compute 60,965,224 parameters, 96% of them in the FC layers (FC6 alone
#    62%), and 659,272 neurons. Conv1 has 290,400 outputs, not Fig. 2's 253,440. We found no arithmetic that explains
#    253,440. Since FC6 is built for a 6x6x256 map, the input size is fixed. With floor rounding, every side from
#    227 to 258 fits (224 does not). Adaptive pooling and dense evaluation remove the limit.
# 2. **The numbers.** The input is 227, not 224. The rest of Fig. 2 matches, and so do the two-tower connectivity
#    (conv2/4/5 own tower) and the 2048x augmentation factor (by the paper's counting).
# 3. **Training.** SGD with momentum 0.9 and weight decay 5e-4, written with the learning rate inside the velocity
#    (equal to torch's SGD until the rate changes). Crops, flips and PCA colour noise, computed on the CPU while the
#    model trains. Fig. 1's ReLU speed-up did not show in our short race: tanh got there first. At this budget the
#    ablations show dropout's slower start. They do not show overfitting or the paper's sub-point gains.
# 4. **Testing.** 10 crops average the softmax over corners, centre and reflections. The conv1 filters and feature
#    maps above show what the first layers respond to.
#
# | English | 한국어 |
# |---|---|
# | overfitting | 과적합 |
# | data augmentation | 데이터 증강 |
# | local response normalisation | 국소 응답 정규화 |
# | overlapping pooling | 중첩 풀링 |
# | rectified linear unit (ReLU) | 정류 선형 유닛 |
# | dropout | 드롭아웃 |
# | receptive field | 수용 영역 |
# | feature map | 특징 맵 |
# | weight decay | 가중치 감쇠 |
# | momentum | 모멘텀 |
# | top-1 / top-5 error | 상위 1 / 상위 5 오류율 |
# | fully connected layer | 완전 연결 층 |
