"""The AlexNet review's own helpers (notebooks/01_alexnet): claim checks, the two-GPU placement, the ReLU/tanh race
of Fig. 1, the ablations of Sect. 3-4, the test-time comparison and the filter / feature-map pictures.

Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep Convolutional Neural Networks", NIPS 2012.
Everything generic (models, tables, training, evaluation) comes from the rest of reviewlib; what is here is the
part of the review that is specific to this paper, kept out of the notebook cells so it can be tested.
"""
from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn

from ...review.tables import layer_table, layer_totals
from ...nets.arch import trace
from ...budget import Budget, get_budget
from ...review.claims import Claim
from ...errors import ConfigError
from ...nets.layers import TwoTowerConv
from ...nets import eval_mode
from ...nets.alexnet import PAPER_INPUT, alexnet, alexnet_specs

# ---------------------------------------------------------------------------------------------------------------
# The paper's numbers (Fig. 2 caption, abstract, Sect. 3.2-4.2); the "ours" side is always computed.
# ---------------------------------------------------------------------------------------------------------------
PAPER_NEURONS = (253_440, 186_624, 64_896, 64_896, 43_264, 4096, 4096, 1000)  # Fig. 2 caption
PAPER_LAYER_NAMES = ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8")
PAPER_PARAMS_M = 60  # "60 million parameters" (abstract)
PAPER_NEURONS_K = 650  # "650,000 neurons" (abstract)
PAPER_INPUT_DIM = 150_528  # Fig. 2 caption: 224x224x3
PAPER_OWN_TOWER = ("conv2", "conv4", "conv5")  # Sect. 3.2: "kernels of layer 4 take input only from ... same GPU"
PAPER_AUG_FACTOR = 2048  # Sect. 4.1

# Sect. 3.2-4.2: what each trick is credited with (ILSVRC top-1 / top-5 error), as text for the ablation table.
PAPER_GAINS = {
    "no dropout": "dropout: without it 'substantial overfitting' (Sect. 4.2); no number given",
    "no augmentation": "crops+flips: without them 'substantial overfitting' (Sect. 4.1); PCA colour: > 1% top-1",
    "no LRN": "LRN: 1.4% top-1 / 1.2% top-5 (Sect. 3.3)",
    "non-overlapping pool": "overlapping pool: 0.4% top-1 / 0.3% top-5 (Sect. 3.4)",
    "one tower, half kernels": "two GPUs: 1.7% top-1 / 1.2% top-5 vs half the kernels on one GPU (Sect. 3.2)",
}
BASELINE = "paper (all tricks)"

# Table 1 (ILSVRC-2010 test) and Table 2 (ILSVRC-2012) of the paper: top-1 / top-5 error in %.
PAPER_RESULTS = [
    ("paper Table 1: 1 CNN, ILSVRC-2010 test", 37.5, 17.0),
    ("paper Table 2: 1 CNN, ILSVRC-2012 val", 40.7, 18.2),
    ("paper Table 2: 5 CNNs, ILSVRC-2012 val", 38.1, 16.4),
    ("paper Table 2: 7 CNNs* (pre-trained on Fall 2011), ILSVRC-2012 val", 36.7, 15.4),
]


# ---------------------------------------------------------------------------------------------------------------
# Architecture: neurons, the conv1 puzzle, the input-size range, the claim table
# ---------------------------------------------------------------------------------------------------------------
def _weight_rows(model: nn.Module, image_size: int) -> pd.DataFrame:
    t = layer_table(model, image_size, device="meta")
    return t[t["kind"].isin(("conv", "fc"))].reset_index(drop=True)


def neurons_per_layer(image_size: int = PAPER_INPUT) -> pd.DataFrame:
    """Fig. 2's neurons per layer beside the output elements of our paper model (built on the meta device).

    Columns: ``layer``, ``paper``, ``ours``, ``ours - paper``, ``ours shape``; plus a ``total`` row.
    """
    with torch.device("meta"):
        model = alexnet("paper", image_size=image_size)
    rows = _weight_rows(model, image_size)
    if list(rows["name"]) != list(PAPER_LAYER_NAMES):
        raise ConfigError(f"neurons_per_layer: expected layers {PAPER_LAYER_NAMES}, got {list(rows['name'])}")
    df = pd.DataFrame({"layer": rows["name"], "paper": PAPER_NEURONS, "ours": rows["neurons"].astype(int),
                       "ours shape": rows["output"]})
    df["ours - paper"] = df["ours"] - df["paper"]
    total = {"layer": "total", "paper": sum(PAPER_NEURONS), "ours": int(df["ours"].sum()), "ours shape": "",
             "ours - paper": int(df["ours"].sum()) - sum(PAPER_NEURONS)}
    df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    return df[["layer", "paper", "ours", "ours - paper", "ours shape"]]


def conv_out(size: int, kernel: int = 11, stride: int = 4, padding: int = 0) -> int:
    """PyTorch's (and Caffe's) floor rule for a convolution's output side."""
    return (size + 2 * padding - kernel) // stride + 1


def factorisations(n: int, sides: Sequence[int] = range(40, 65), channels: Sequence[int] = (48, 96)
                   ) -> list[tuple[int, int, int]]:
    """Every ``(h, w, c)`` with ``h <= w`` from ``sides`` and ``c`` from ``channels`` whose product is ``n``."""
    return [(h, w, c) for c in channels for h in sides for w in sides if h <= w and h * w * c == n]


def conv1_candidates(paper_value: int = PAPER_NEURONS[0]) -> pd.DataFrame:
    """Candidate arithmetic for Fig. 2's 253,440 conv1 neurons, each computed, and whether it hits the number.

    The usual suspects (input 224 vs 227, padding, one tower only) and an exhaustive search for ``h x w x c``
    products with sides 40-64 and 48 or 96 maps. Nothing here explains the number; the table says so.
    """
    rows = []

    def add(candidate: str, h: int, w: int, c: int) -> None:
        rows.append({"candidate": candidate, "shape": f"{h}x{w}x{c}", "neurons": h * w * c,
                     "equals paper": h * w * c == paper_value})

    s227 = conv_out(227)
    add("227 input, 11x11/4, no padding (our paper model)", s227, s227, 96)
    s224 = conv_out(224)
    add(f"224 input, no padding: floor((224-11)/4)+1 = {s224}", s224, s224, 96)
    s224p = conv_out(224, padding=2)
    add(f"224 input, padding 2 (torchvision): {s224p}", s224p, s224p, 96)
    add("224 / 4 = 56 (stride-only arithmetic)", 224 // 4, 224 // 4, 96)
    add("one tower only (48 maps) at 55x55", s227, s227, 48)
    add("225 input, no padding (Caffe-style 'ceil' arithmetic)", conv_out(225), conv_out(225), 96)
    for h, w, c in factorisations(paper_value):
        add(f"exhaustive search hit: sides 40-64, 48 or 96 maps", h, w, c)
    return pd.DataFrame(rows)


def pool5_by_input(sizes: Sequence[int] = range(200, 301), variant: str = "paper") -> pd.DataFrame:
    """The pool5 map side for each input side, from :func:`reviewlib.nets.arch.trace` (floor rounding, no weights);
    ``pool5`` is 0 where the input is too small for the net."""
    specs = alexnet_specs(variant)
    rows = []
    for s in sizes:
        try:
            side = trace(specs, (3, s, s))[-1].out_shape[1]
        except ConfigError:
            side = 0
        rows.append({"input": s, "pool5": side})
    return pd.DataFrame(rows)


def accepted_inputs(variant: str = "paper", fc_map: int = 6, sizes: Sequence[int] = range(32, 513)
                    ) -> tuple[int, int]:
    """The smallest and largest input side whose pool5 map is ``fc_map`` x ``fc_map`` (what FC6 was built for).

    For the paper model (11x11/4 conv1, no padding, floor rounding) every side from 227 to 258 gives 6x6.
    """
    df = pool5_by_input(sizes, variant)
    ok = df.loc[df["pool5"] == fc_map, "input"]
    if ok.empty:
        raise ConfigError(f"no input side in {sizes[0]}..{sizes[-1]} gives a {fc_map}x{fc_map} pool5 map")
    if list(ok) != list(range(int(ok.min()), int(ok.max()) + 1)):
        raise ConfigError("the accepted input sides are not one contiguous range")
    return int(ok.min()), int(ok.max())


def input_size_plot(df: pd.DataFrame, accepted: tuple[int, int], save=None) -> Figure:
    """pool5 side against input side, the accepted band shaded."""
    from ...review.plots import _finish
    fig = Figure(figsize=(7, 3.4), layout="constrained")
    ax = fig.add_subplot()
    ax.step(df["input"], df["pool5"], where="post", color="tab:blue")
    ax.axvspan(accepted[0], accepted[1] + 1, color="tab:green", alpha=0.2,
               label=f"6x6 at pool5: inputs {accepted[0]}-{accepted[1]}")
    for s, c in ((224, "tab:red"), (227, "black"), (256, "tab:purple")):
        ax.axvline(s, color=c, ls="--", lw=1, label=f"{s}")
    ax.set(xlabel="input side (pixels)", ylabel="pool5 side", title="Which inputs fit FC6 (paper AlexNet)")
    ax.legend(fontsize=8)
    return _finish(fig, save)


def own_tower_layers(model: nn.Module) -> list[str]:
    """Names of the conv layers whose towers see only their own half of the input maps (Sect. 3.2)."""
    names = getattr(model, "layer_names", {})
    out = []
    for path, mod in model.named_modules():
        if isinstance(mod, TwoTowerConv) and not mod.cross:
            out.append(names.get(path, path))
        elif isinstance(mod, nn.Conv2d) and mod.groups > 1:
            out.append(names.get(path, path))
    return out


def augmentation_factor(resize: int = 256, crop: int = 224, flips: int = 2, count_positions: bool = False) -> int:
    """Sect. 4.1's "factor of 2048": (256 - 224)^2 x 2 = 2048. Counting crop *positions* exactly (fencepost)
    gives (256 - 224 + 1)^2 x 2 = 2178 (``count_positions=True``)."""
    if crop > resize:
        raise ConfigError(f"augmentation_factor: crop {crop} is larger than the {resize} image")
    d = resize - crop + (1 if count_positions else 0)
    return d * d * flips


def architecture_claims(image_size: int = PAPER_INPUT) -> list[Claim]:
    """The architecture claims of the abstract, Fig. 2, Sect. 3.2 and 4.1 with our computed values."""
    with torch.device("meta"):
        model = alexnet("paper", image_size=image_size)
    table = layer_table(model, image_size, device="meta")
    totals = layer_totals(table)
    params, neurons = totals["params"], totals["neurons"]
    kinds = table["kind"].value_counts()
    conv1 = table[table["name"] == "conv1"].iloc[0]
    by_name = table.set_index("name")
    claims = [
        Claim("parameters", PAPER_PARAMS_M, params, unit=1e6, rel_tol=0.02,
              note="60.97 M: 'about 60 million'"),
        Claim("neurons (conv + FC outputs)", PAPER_NEURONS_K, neurons, unit=1e3, rel_tol=0.02,
              note="our 659,272 is ~650K; the paper's own Fig. 2 list sums to 622,312"),
        Claim("conv layers", 5, int(kinds.get("conv", 0))),
        Claim("fully connected layers", 3, int(kinds.get("fc", 0))),
        Claim("conv1 neurons (Fig. 2)", PAPER_NEURONS[0], int(conv1["neurons"]),
              note="55x55x96 = 290,400; 253,440 is no 55x55 or 54x54 product (see the candidates table)"),
    ]
    for name, paper in zip(PAPER_LAYER_NAMES[1:], PAPER_NEURONS[1:]):
        claims.append(Claim(f"{name} neurons (Fig. 2)", paper, int(by_name.loc[name, "neurons"])))
    claims += [
        Claim("input side", 224, image_size,
              note="(224-11)/4+1 = 54.25; 55x55 conv1 maps need 227 (any side 227-258 fits FC6)"),
        Claim("input dimensionality (Fig. 2)", PAPER_INPUT_DIM, 3 * 224 * 224,
              note="224x224x3 as printed; our 227 input has 154,587"),
        Claim("conv1 kernel / stride", "11x11 / 4", f"{conv1['kernel']}x{conv1['kernel']} / {conv1['stride']}"),
        Claim("layers seeing only their own GPU", ", ".join(PAPER_OWN_TOWER), ", ".join(own_tower_layers(model))),
        Claim("FC6 input (pool5 map)", "6x6x256", by_name.loc["pool5", "output"]),
        Claim("augmentation factor (Sect. 4.1)", PAPER_AUG_FACTOR, augmentation_factor(),
              note="(256-224)^2 x 2; exact crop positions give 33^2 x 2 = 2178"),
    ]
    return claims


def pooling_comparison(image_size: int = PAPER_INPUT) -> pd.DataFrame:
    """Overlapping (z=3, s=2) vs non-overlapping (z=s=2) pooling (Sect. 3.4): each pool's output, FC6's input
    and the parameter count, from the layer tables (meta device)."""
    rows = []
    for label, overlap in (("z=3, s=2 (paper)", True), ("z=2, s=2", False)):
        with torch.device("meta"):
            m = alexnet("paper", image_size=image_size, overlap_pool=overlap)
        t = layer_table(m, image_size, device="meta")
        by_name = t.set_index("name")
        rows.append({"pooling": label, "pool1": by_name.loc["pool1", "output"], "pool2": by_name.loc["pool2", "output"],
                     "pool5": by_name.loc["pool5", "output"], "fc6 inputs": int(m.classifier[1].in_features),
                     "params": layer_totals(t)["params"]})
    return pd.DataFrame(rows)


def lrn_check(seed: int = 0, channels: int = 16, scale: float = 30.0) -> pd.DataFrame:
    """Sect. 3.3's LRN three ways on the same activations: the hand-written loop (reviewlib.nets.scratch), our layer,
    torch's ``nn.LocalResponseNorm`` with the paper's alpha (the pitfall) and with alpha * n (the fix).

    Returns the max |difference| of each from the loop, rounded to 3 significant digits.
    """
    from ...nets.layers import LocalResponseNorm
    from ...nets.scratch import local_response_norm
    g = torch.Generator().manual_seed(seed)
    a = (torch.rand(2, channels, 4, 4, generator=g) * scale)  # post-ReLU activations are >= 0
    ref = local_response_norm(a, 5, 1e-4, 0.75, 2.0)
    ways = {
        "reviewlib.layers.LocalResponseNorm()": LocalResponseNorm()(a),
        "nn.LocalResponseNorm(5, alpha=1e-4, k=2)  (pitfall)": nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0)(a),
        "nn.LocalResponseNorm(5, alpha=5e-4, k=2)  (fixed)": nn.LocalResponseNorm(5, 5e-4, 0.75, 2.0)(a),
        "nn.LocalResponseNorm(5)  (torch defaults, k=1)": nn.LocalResponseNorm(5)(a),
    }
    rows = []
    for name, out in ways.items():
        diff = float((out - ref).abs().max())
        rows.append({"implementation": name, "max |diff| vs paper formula": float(f"{diff:.3g}"),
                     "equals paper (1e-5)": bool(torch.allclose(out, ref, rtol=1e-5, atol=1e-5))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------------------
# Two GPUs (Sect. 3.2)
# ---------------------------------------------------------------------------------------------------------------
def place_towers(model: nn.Module, devices: Sequence[torch.device | str]) -> dict[str, str]:
    """Put tower ``i`` of every :class:`~reviewlib.nets.layers.TwoTowerConv` on ``devices[i]`` (Sect. 3.2: half the
    kernels on each GPU). Everything else stays where it is; ``TwoTowerConv.forward`` sends each tower its input
    and gathers the outputs on the input's device, which is where the two GPUs "talk".

    Returns ``{"<layer>.tower<i>": device}``. Raises ConfigError when the model has no towers or too few devices.
    """
    devices = [torch.device(d) for d in devices]
    names = getattr(model, "layer_names", {})
    placed: dict[str, str] = {}
    for path, mod in model.named_modules():
        if not isinstance(mod, TwoTowerConv):
            continue
        if len(devices) < len(mod.towers):
            raise ConfigError(f"place_towers: {names.get(path, path)} has {len(mod.towers)} towers but only "
                              f"{len(devices)} device(s) were given; pass one device per tower")
        for i, conv in enumerate(mod.towers):
            conv.to(devices[i])
            placed[f"{names.get(path, path)}.tower{i}"] = str(devices[i])
    if not placed:
        raise ConfigError("place_towers: the model has no TwoTowerConv layers; build it with "
                          "alexnet('paper') (towers=2)")
    return placed


def tower_devices(n: int = 2) -> list[torch.device]:
    """``n`` CUDA devices when there are that many, else ``n`` CPU stand-ins (``torch.device("cpu")`` each)."""
    if torch.cuda.is_available() and torch.cuda.device_count() >= n:
        return [torch.device(f"cuda:{i}") for i in range(n)]
    return [torch.device("cpu") for _ in range(n)]


@torch.no_grad()
def two_device_demo(model: nn.Module, x: torch.Tensor, devices: Sequence[torch.device | str] | None = None
                    ) -> dict:
    """Run ``model`` (eval mode) on one device, then a copy with its towers on ``devices``; compare the outputs.

    Returns ``{"placement": {...}, "max_abs_diff": float, "equal": bool, "shape": tuple}``.
    """
    devices = list(devices) if devices is not None else tower_devices(2)
    model = model.eval()
    single = model(x)
    split = copy.deepcopy(model)
    placement = place_towers(split, devices)
    out = split(x)
    diff = float((out.to(single.device) - single).abs().max())
    return {"placement": placement, "max_abs_diff": diff, "equal": bool(torch.allclose(out.to(single.device),
                                                                                       single, atol=1e-5)),
            "shape": tuple(out.shape)}


# ---------------------------------------------------------------------------------------------------------------
# How much each notebook experiment trains, per budget
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """Epochs and batches per epoch (None = all) of the notebook's experiments under one budget."""

    train_epochs: int
    train_batches: int | None
    race_epochs: int
    race_batches: int | None
    ablation_epochs: int
    ablation_batches: int | None
    eval_images: int | None
    note: str


def experiment_plan(budget: Budget | str | None = None) -> Plan:
    """How much the AlexNet notebook trains under ``budget``.

    ``smoke`` only checks that every cell runs; ``study`` is sized for about ten minutes of a free 2-core CPU
    (AlexNet with LRN trains at roughly 25-60 images/s there), so its runs use part of each epoch;
    ``paper`` trains the paper's schedule.
    """
    b = get_budget(budget)
    if b.name == "smoke":
        return Plan(1, b.max_batches, 2, 2, 1, 2, 24, "smoke: a few batches, numbers mean nothing")
    if b.name == "study":
        return Plan(min(b.epochs, 5), 30, 6, 8, 3, 10, None,
                    "study: 5 epochs of 30 batches (1,920 images) for the main run, 6 x 8 batches per activation "
                    "for Fig. 1, 3 x 10 batches per ablation variant")
    return Plan(b.epochs, None, 30, None, b.epochs, None, None, "paper: the paper's schedule for every run")


# ---------------------------------------------------------------------------------------------------------------
# Fig. 1: ReLU vs tanh
# ---------------------------------------------------------------------------------------------------------------
def activation_variants(num_classes: int, width: float, image_size: int) -> dict[str, Callable[[], nn.Module]]:
    """Fig. 1's pair: the same net with ReLU and with tanh. Like the paper's Fig. 1 run, no regularisation
    (dropout 0); LRN is left out too (it is not regularisation, but it makes our CPU runs 2-3x slower)."""
    return {act: (lambda a=act: alexnet("paper", num_classes=num_classes, width=width, image_size=image_size,
                                         activation=a, lrn=False, dropout=0.0))
            for act in ("relu", "tanh")}


def activation_race(histories: dict[str, pd.DataFrame], target: float | None = None) -> tuple[pd.DataFrame, float]:
    """Epochs each activation needs to reach a training error (``100 - train_acc1``, %), and tanh/ReLU speed-up.

    ``target`` defaults to the highest final training error among the runs (a level every run reached), so the
    comparison is always defined; Fig. 1 uses 25% on CIFAR-10. Returns ``(table, target)``; ``epochs`` is NaN
    where a run never reached the target.
    """
    from ...experiments import epochs_to_reach
    if not histories:
        raise ValueError("activation_race: no histories")
    err = {k: h.assign(train_error=100.0 - h["train_acc1"]) for k, h in histories.items()}
    if target is None:
        target = max(float(h["train_error"].min()) for h in err.values())
    rows = [{"activation": k, "epochs to reach": epochs_to_reach(h, "train_error", target),
             "final train error (%)": float(h["train_error"].iloc[-1])} for k, h in err.items()]
    df = pd.DataFrame(rows).set_index("activation")
    if {"relu", "tanh"} <= set(df.index):
        df["tanh / relu"] = df.loc["tanh", "epochs to reach"] / df.loc["relu", "epochs to reach"]
    return df, target


def race_plot(histories: dict[str, pd.DataFrame], target: float, save=None, unit: str = "epoch") -> Figure:
    """Training error per epoch for each activation, with the target line (Fig. 1's axes)."""
    from ...review.plots import _finish
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.add_subplot()
    for k, h in histories.items():
        ax.plot(h["epoch"], 100.0 - h["train_acc1"], "o-" if k == "relu" else "o--", label=k)
    ax.axhline(target, color="gray", lw=1, label=f"target {target:.1f}%")
    ax.set(xlabel=unit, ylabel="training error (%)", title="Fig. 1 on our data: ReLU vs tanh")
    ax.legend()
    ax.grid(alpha=0.3)
    return _finish(fig, save)


# ---------------------------------------------------------------------------------------------------------------
# Ablations (Sect. 3.2-4.2)
# ---------------------------------------------------------------------------------------------------------------
def ablation_variants(num_classes: int, width: float, image_size: int, *, towers: bool = True
                      ) -> dict[str, Callable[[], nn.Module]]:
    """The paper model and one variant per trick it credits, each a zero-argument builder.

    "one tower, half kernels" is Sect. 3.2's comparison net: one GPU, half the conv kernels, the same FC widths.
    """
    kw = dict(num_classes=num_classes, image_size=image_size)
    v: dict[str, Callable[[], nn.Module]] = {
        BASELINE: lambda: alexnet("paper", width=width, **kw),
        "no dropout": lambda: alexnet("paper", width=width, dropout=0.0, **kw),
        "no LRN": lambda: alexnet("paper", width=width, lrn=False, **kw),
        "non-overlapping pool": lambda: alexnet("paper", width=width, overlap_pool=False, **kw),
    }
    if towers:
        v["one tower, half kernels"] = lambda: alexnet("paper", width=width / 2, fc_width=width, towers=1, **kw)
    return v


def without_augmentation(loader, image_size: int, crop: int):
    """A copy of the training ``loader`` whose dataset has no augmentation: the evaluation transform (short side
    ``round(image_size * 256/224)``, centre ``crop``, normalise), so every epoch sees the same pixels."""
    from ...data.augment import eval_transform
    from ...data.files import make_loader
    ds = copy.copy(loader.dataset)
    ds.transform = eval_transform(image_size, crop=crop)
    return make_loader(ds, loader.batch_size, train=True, num_workers=loader.num_workers)


def run_ablations(train_loader, val_loader, recipe, *, num_classes: int, width: float, image_size: int, crop: int,
                  epochs: int, max_batches: int | None, towers: bool = True, progress: bool = True, seed: int = 0):
    """Every ablation with one helper: the model variants (built for ``crop``-pixel inputs) through
    :func:`reviewlib.experiments.run_experiments` on the augmented loader, then the baseline on an un-augmented
    copy of it ("no augmentation", see :func:`without_augmentation`). Returns one
    :class:`~reviewlib.experiments.Experiment` with all rows."""
    from ...experiments import Experiment, run_experiments
    variants = ablation_variants(num_classes, width, crop, towers=towers)
    exp = run_experiments(variants, train_loader, val_loader, recipe, epochs=epochs, max_batches=max_batches,
                          progress=progress, seed=seed)
    plain = without_augmentation(train_loader, image_size, crop)
    exp2 = run_experiments({"no augmentation": variants[BASELINE]}, plain, val_loader, recipe, epochs=epochs,
                           max_batches=max_batches, progress=progress, seed=seed)
    return Experiment(pd.concat([exp.table, exp2.table]), {**exp.histories, **exp2.histories})


def ablation_table(experiment, baseline: str = BASELINE) -> pd.DataFrame:
    """Per variant: final val top-1 (%), the trick's gain (baseline minus variant, percentage points; positive =
    the trick helped), the train-val gap (overfitting; train top-1 from the last epoch) and the paper's claim."""
    t = experiment.table
    if baseline not in t.index:
        raise KeyError(f"ablation_table: no baseline row {baseline!r} in {list(t.index)}")
    rows = []
    for name in t.index:
        hist = experiment.histories.get(name)
        train_acc = float(hist["train_acc1"].iloc[-1]) if hist is not None else math.nan
        rows.append({
            "variant": name,
            "val top-1 (%)": round(float(t.loc[name, "final_val_acc1"]), 1),
            "gain of the trick (pp)": (round(float(t.loc[baseline, "final_val_acc1"] - t.loc[name, "final_val_acc1"]),
                                             1) if name != baseline else math.nan),
            "train - val top-1 (pp)": round(train_acc - float(t.loc[name, "final_val_acc1"]), 1),
            "params": int(t.loc[name, "params"]),
            "paper claims": PAPER_GAINS.get(name, ""),
        })
    return pd.DataFrame(rows).set_index("variant")


# ---------------------------------------------------------------------------------------------------------------
# Evaluation: results tables, filters, feature maps, torchvision weights (only if cached)
# ---------------------------------------------------------------------------------------------------------------
def results_table(ours: dict[str, dict] | None = None) -> pd.DataFrame:
    """The paper's Tables 1/2, torchvision's reported accuracy (from its weights' metadata, no download) and our
    results (``{label: evaluate(...) dict}``, errors as fractions) in one table of top-1 / top-5 error (%)."""
    from torchvision.models import AlexNet_Weights
    rows = [{"model / protocol": n, "top-1 error (%)": a, "top-5 error (%)": b, "data": "ImageNet"}
            for n, a, b in PAPER_RESULTS]
    m = AlexNet_Weights.IMAGENET1K_V1.meta["_metrics"]["ImageNet-1K"]
    rows.append({"model / protocol": "torchvision AlexNet_Weights.IMAGENET1K_V1, centre crop",
                 "top-1 error (%)": round(100 - m["acc@1"], 3), "top-5 error (%)": round(100 - m["acc@5"], 3),
                 "data": "ImageNet-1K val"})
    for label, r in (ours or {}).items():
        rows.append({"model / protocol": label, "top-1 error (%)": round(100 * r["top1_error"], 1),
                     "top-5 error (%)": round(100 * r["top5_error"], 1), "data": f"our subset ({r['n']} images)"})
    return pd.DataFrame(rows)


def cached_torchvision_alexnet() -> nn.Module | None:
    """torchvision's pretrained AlexNet when its weight file is already in the torch hub cache, else None.
    Never downloads."""
    from torchvision.models import AlexNet_Weights, alexnet as tv_alexnet
    w = AlexNet_Weights.IMAGENET1K_V1
    path = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(w.url)
    if not path.is_file():
        return None
    model = tv_alexnet()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model


def first_conv_towers(model: nn.Module) -> list[torch.Tensor]:
    """The first convolution's filters, one ``[k, 3, h, w]`` tensor per tower (one tensor for a one-tower net)."""
    first = next((m for m in model.modules() if isinstance(m, (TwoTowerConv, nn.Conv2d))), None)
    if first is None:
        raise ConfigError("first_conv_towers: the model has no convolution")
    if isinstance(first, TwoTowerConv):
        return [c.weight.detach().float().cpu() for c in first.towers]
    return [first.weight.detach().float().cpu()]


def conv1_filter_figure(model: nn.Module, title: str = "conv1 filters", save=None, ncols: int = 16) -> Figure:
    """Fig. 3: the first layer's filters as small RGB images, one block per tower (each filter scaled to [0, 1])."""
    from ...review.plots import _finish
    towers = first_conv_towers(model)
    ncols = min(ncols, max(len(t) for t in towers))
    rows_per = [math.ceil(len(t) / ncols) for t in towers]
    fig = Figure(figsize=(ncols * 0.45, sum(rows_per) * 0.45 + 0.5 * len(towers) + 0.3), layout="constrained")
    subfigs = fig.subfigures(len(towers), 1) if len(towers) > 1 else [fig]
    for i, (sf, w, nrows) in enumerate(zip(subfigs, towers, rows_per)):
        axes = sf.subplots(nrows, ncols, squeeze=False)
        for j, ax in enumerate(axes.flat):
            ax.set_axis_off()
            if j < len(w):
                f = w[j]
                f = (f - f.min()) / (f.max() - f.min() + 1e-12)
                ax.imshow(f.permute(1, 2, 0).numpy(), interpolation="nearest")
        label = f"tower {i + 1} ({len(w)} filters)" if len(towers) > 1 else f"{len(w)} filters"
        sf.suptitle(f"{title}: {label}" if i == 0 else label, fontsize=9)
    return _finish(fig, save)


@torch.no_grad()
def feature_maps(model: nn.Module, image: torch.Tensor) -> dict[str, torch.Tensor]:
    """The ReLU outputs of conv1..conv5 for one normalised image ``[3, H, W]`` (or a batch of one), by name."""
    names = getattr(model, "layer_names", {})
    targets = {p: names.get(p, p) for p, m in model.named_modules()
               if p.startswith("features.") and p.count(".") == 1 and isinstance(m, (TwoTowerConv, nn.Conv2d))}
    if not targets:
        raise ConfigError("feature_maps: the model has no convolutions under .features")
    out: dict[str, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda mod, a, o, n=targets[p]: out.__setitem__(n, torch.relu(o[0]).cpu()))
             for p, m in model.named_modules() if p in targets]
    try:
        with eval_mode(model):
            x = image if image.dim() == 4 else image.unsqueeze(0)
            model(x.to(next(model.parameters()).device))
    finally:
        for h in hooks:
            h.remove()
    return out


def feature_map_figure(maps: dict[str, torch.Tensor], image: torch.Tensor | None = None, per_layer: int = 8,
                       save=None) -> Figure:
    """The ``per_layer`` most active maps of each layer in :func:`feature_maps` (one row per layer)."""
    from ...review.plots import _finish
    n_rows = len(maps) + (image is not None)
    fig = Figure(figsize=(per_layer * 1.1, n_rows * 1.2), layout="constrained")
    axes = fig.subplots(n_rows, per_layer, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    r = 0
    if image is not None:
        axes[0, 0].imshow(image.permute(1, 2, 0).clamp(0, 1).numpy())
        axes[0, 0].set_title("input", fontsize=8)
        r = 1
    for name, fm in maps.items():
        top = fm.flatten(1).mean(1).argsort(descending=True)[:per_layer]
        for j, c in enumerate(top.tolist()):
            axes[r, j].imshow(fm[c].numpy(), cmap="viridis")
            axes[r, j].set_title(f"{name} #{c}" + (f" {tuple(fm.shape[1:])}" if j == 0 else ""), fontsize=7)
        r += 1
    return _finish(fig, save)


# ---------------------------------------------------------------------------------------------------------------
# The build-it-yourself answer
# ---------------------------------------------------------------------------------------------------------------
class _PaperAlexNet(nn.Module):
    """The answer to the notebook's exercise: the paper's AlexNet in plain torch (Sect. 3.1-3.5, 4.2).

    The two GPUs are ``groups=2`` convolutions for the layers that see only their own tower (conv2, conv4, conv5);
    the paper's LRN is torch's with alpha multiplied by n (torch divides it by n); input 227x227.
    """

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        lrn = lambda: nn.LocalResponseNorm(5, alpha=5 * 1e-4, beta=0.75, k=2.0)  # noqa: E731
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), lrn(), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def solution(num_classes: int = 1000) -> nn.Module:
    """The exercise's answer (read ``inspect.getsource(_PaperAlexNet)`` only after trying)."""
    return _PaperAlexNet(num_classes)
