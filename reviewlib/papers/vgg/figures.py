"""The VGG notebook's figures: Table 1 as a picture, the receptive field per layer, scale jittering on a real photo
(Sect. 3.1), the training curves, the ablations with error bars, the test protocols (Sect. 3.2), the class score
map of dense evaluation and the first-layer filters.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot; ``save="name"`` also writes
``figures/name.png`` (:func:`reviewlib.review.plots.save_figure`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from torch import nn

from ...data.augment import VGGTrain, denormalize
from ...data.store import decode_square
from ...evaluate import normalize, resize_short, to_dense
from ...nets import VGG_TABLE
from ...nets.vgg import WEIGHT_LAYERS
from ...review.plots import save_figure
from .claims import CONFIGS

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "imagenet-samples"
_BOX = {"conv3": "tab:blue", "conv1": "tab:green", "conv5": "tab:red", "lrn": "tab:purple", "pool": "tab:gray",
        "fc": "tab:orange"}
VERDICT_COLOURS = {"as the paper reports": "tab:green", "within noise at this budget": "tab:gray",
                   "opposite": "tab:red"}


def _done(fig: Figure, save) -> Figure:
    if save is not None:
        save_figure(fig, save)
    return fig


def config_chart(configs: Sequence[str] = CONFIGS, save=None) -> Figure:
    """Table 1 as a picture: one column per configuration (and Sect. 4.1's shallow net), one box per layer (3x3,
    1x1 or 5x5 conv, LRN, max-pool, FC) labelled as the paper labels them (``conv3-64``)."""
    cols = []
    for c in configs:
        boxes = []
        for v in VGG_TABLE[c]:
            if v == "M":
                boxes.append(("pool", "maxpool"))
            elif v == "LRN":
                boxes.append(("lrn", "LRN"))
            elif isinstance(v, str):
                k, n = v.split("x")[0], v.split("-")[1]
                boxes.append((f"conv{k}", f"conv{k}-{n}"))
            else:
                boxes.append(("conv3", f"conv3-{v}"))
        boxes += [("fc", "FC-4096"), ("fc", "FC-4096"), ("fc", "FC-1000")]
        cols.append((c, boxes))
    height = max(len(b) for _, b in cols)
    fig = Figure(figsize=(max(9.0, 1.55 * len(cols) + 1), 0.28 * height + 1.3), layout="constrained")
    ax = fig.add_subplot()
    for i, (c, boxes) in enumerate(cols):
        for j, (kind, label) in enumerate(boxes):
            ax.add_patch(Rectangle((i * 1.6, -j - 1), 1.4, 0.85, color=_BOX[kind], alpha=0.85))
            ax.text(i * 1.6 + 0.7, -j - 0.57, label, ha="center", va="center", fontsize=6.5, color="white")
        ax.text(i * 1.6 + 0.7, 0.25, f"{c}\n{WEIGHT_LAYERS[c]} weight layers", ha="center", va="bottom", fontsize=8)
    ax.set_xlim(-0.2, 1.6 * len(cols))
    ax.set_ylim(-height - 0.3, 1.6)
    ax.axis("off")
    ax.legend(handles=[Patch(color=_BOX[k], label=v) for k, v in
                       {"conv3": "3x3 conv", "conv1": "1x1 conv", "conv5": "5x5 conv", "lrn": "LRN",
                        "pool": "max-pool 2x2/2", "fc": "fully connected"}.items()],
              loc="lower center", ncol=6, fontsize=7, bbox_to_anchor=(0.5, -0.06))
    ax.set_title("VGG Table 1: the six configurations, and Sect. 4.1's shallow net B-5x5")
    return _done(fig, save)


def receptive_field_plot(table: pd.DataFrame, title: str = "", save=None) -> Figure:
    """The receptive field (input pixels one unit sees) after every conv and pool of a layer table; each
    step is +(k - 1) x jump, so it grows faster after every pool."""
    rows = table[table["kind"].isin(["conv", "pool"]) & (table["name"] != "avgpool")]
    fig = Figure(figsize=(8, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.step(range(len(rows)), rows["rf"].astype(int), where="mid", marker="o")
    ax.set_xticks(range(len(rows)), rows["name"], rotation=60, fontsize=7)
    ax.set(ylabel="receptive field (pixels)", xlabel="layer", title=title or "receptive field per layer")
    ax.grid(alpha=0.3)
    return _done(fig, save)


def sample_photo(name: str = "goldfish", side: int = 512) -> tuple[torch.Tensor, str] | None:
    """One photo of ../shared/data/imagenet-samples as a uint8 ``[3, side, side]`` central square, and its file
    name (None when the folder is absent)."""
    found = sorted(SAMPLES.glob(f"*{name}*")) if SAMPLES.is_dir() else []
    if not found:
        return None
    return decode_square(found[0], side, upsample=True), found[0].name


def augmentation_figure(image: torch.Tensor, scales: Mapping[str, tuple[int, int]], crop: int = 224, n: int = 5,
                        seed: int = 0, save=None) -> Figure:
    """Sect. 3.1's training crops of one uint8 square ``image`` (side = the largest S): one row per scale range
    ``label -> (S_min, S_max)`` (S_min == S_max: single-scale training), ``n`` draws of
    :class:`~reviewlib.data.augment.VGGTrain` each, titled with the S drawn and the share of the short side the
    crop covers."""
    fig = Figure(figsize=(1.9 * (n + 1), 2.1 * len(scales)), layout="constrained")
    axes = fig.subplots(len(scales), n + 1, squeeze=False)
    side = image.shape[-1]
    for r, (label, (lo, hi)) in enumerate(scales.items()):
        tf = VGGTrain(s_min=lo, s_max=hi, crop=crop)
        g = torch.Generator().manual_seed(seed)
        draws = tf.draw(n, g)
        out = tf.apply(image.unsqueeze(0).expand(n, -1, -1, -1).contiguous(), draws)
        axes[r, 0].imshow(image.permute(1, 2, 0).numpy())
        axes[r, 0].set_title(f"photo ({side}x{side})", fontsize=7)
        axes[r, 0].set_ylabel(label, fontsize=8)
        for i in range(n):
            s = round(crop / float(draws.boxes[i, 2] - draws.boxes[i, 0]))
            axes[r, i + 1].imshow(denormalize(out[i]).permute(1, 2, 0).clamp(0, 1).numpy())
            axes[r, i + 1].set_title(f"S={s}: crop covers {crop / s:.0%}", fontsize=7)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(f"{crop}x{crop} training crops (with flips and colour shifts) at fixed S and with jittered S",
                 fontsize=9)
    return _done(fig, save)


def curves_figure(history: pd.DataFrame, recorded: pd.DataFrame | None = None, title: str = "", save=None
                  ) -> Figure:
    """Training loss and validation top-1 per epoch of one run, over the recorded run's mean ± sd over seeds
    (labelled "recorded run") when there is one."""
    fig = Figure(figsize=(9.5, 3.4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    if recorded is not None and len(recorded):
        for ax, col in ((ax_loss, "train_loss"), (ax_acc, "val_acc1")):
            g = recorded.groupby("epoch")[col]
            m, s = g.mean(), g.std().fillna(0)
            ax.plot(m.index, m, color="tab:gray", ls="--", label="recorded run (mean of seeds)")
            ax.fill_between(m.index, m - s, m + s, color="tab:gray", alpha=0.2, label="recorded run ± sd")
    ax_loss.plot(history["epoch"], history["train_loss"], "o-", ms=3, label="this run: training loss")
    ax_loss.plot(history["epoch"], history["val_loss"], "s-", ms=3, label="this run: validation loss")
    ax_acc.plot(history["epoch"], history["train_acc1"], "o-", ms=3, label="this run: training top-1")
    ax_acc.plot(history["epoch"], history["val_acc1"], "s-", ms=3, label="this run: validation top-1")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss")
    ax_acc.set(xlabel="epoch", ylabel="top-1 accuracy (%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title or "net A: training curves")
    return _done(fig, save)


def ablation_plot(table: pd.DataFrame, save=None) -> Figure:
    """The comparisons of :func:`~reviewlib.papers.vgg.experiments.comparison_table`: left, every arm's final
    validation top-1 (mean, error bar = sd over seeds); right, each arm minus its baseline (error bar = the
    difference's standard error; colour = the verdict)."""
    nets = {}
    for _, r in table.iterrows():
        nets[r["baseline"]] = (r["baseline mean"], r["baseline sd"])
        nets[r["arm"]] = (r["mean"], r["sd"])
    fig = Figure(figsize=(11, 0.32 * max(len(nets), len(table)) + 1.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.3))
    names = list(nets)[::-1]
    left.barh(names, [nets[n][0] for n in names], xerr=[nets[n][1] for n in names], color="tab:blue", alpha=0.8,
              capsize=3)
    left.axvline(10, color="k", ls=":", lw=1, label="chance (10 classes)")
    left.set(xlabel="validation top-1 (%), mean ± sd over seeds", title="each net")
    left.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    labels = [f"{a} - {b}" for a, b in zip(table["arm"], table["baseline"])][::-1]
    rows = table.iloc[::-1]
    right.barh(labels, rows["diff"], xerr=rows["se"], capsize=3,
               color=[VERDICT_COLOURS.get(v, "tab:blue") for v in rows["verdict"]])
    right.axvline(0, color="k", lw=1)
    right.set(xlabel="difference in top-1 (percentage points) ± se", title="each comparison (colour: verdict)")
    right.legend(handles=[Patch(color=c, label=v) for v, c in VERDICT_COLOURS.items()], fontsize=7,
                 loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)
    for ax in (left, right):
        ax.grid(alpha=0.3, axis="x")
        ax.tick_params(axis="y", labelsize=7)
    return _done(fig, save)


def depth_plot(scores: Mapping[str, tuple], paper: Mapping[str, float], save=None) -> Figure:
    """Top-1 against weight layers for A, B, D, E: ours from random init and warm-started from A (mean ± sd over
    seeds, from :func:`~reviewlib.papers.vgg.experiments.group_scores`), and the paper's Table 3 (100 - top-1
    error) beside it."""
    fig = Figure(figsize=(9.5, 3.3), layout="constrained")
    ours, theirs = fig.subplots(1, 2)
    for suffix, label, marker in (("", "random (Kaiming) init", "o"), (" (from A)", "warm start from A", "s")):
        names = ["A"] + [c + suffix for c in ("B", "D", "E")]
        xs = [WEIGHT_LAYERS[n.split(" ")[0]] for n in names if n in scores]
        ms = [scores[n][0] for n in names if n in scores]
        sds = [scores[n][1] for n in names if n in scores]
        ours.errorbar(xs, ms, yerr=sds, marker=marker, capsize=3, label=label)
    ours.set(xlabel="weight layers", ylabel="validation top-1 (%)", title="ours: mean ± sd over seeds")
    theirs.plot([WEIGHT_LAYERS[c] for c in paper], [100 - e for e in paper.values()], "s-", color="tab:orange",
                label="paper (Table 3, warm-started)")
    for c, e in paper.items():
        theirs.annotate(c, (WEIGHT_LAYERS[c], 100 - e), textcoords="offset points", xytext=(4, 4), fontsize=8)
    theirs.set(xlabel="weight layers", ylabel="ILSVRC val top-1 (%)", title="the paper: A, B, D, E")
    for ax in (ours, theirs):
        ax.set_xticks([11, 13, 16, 19])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return _done(fig, save)


def protocol_plot(table: pd.DataFrame, save=None) -> Figure:
    """Top-1 error per test protocol (:func:`~reviewlib.papers.vgg.experiments.protocol_table`), error bar = sd
    over the nets, labelled with the network inputs per image."""
    fig = Figure(figsize=(8, 0.35 * len(table) + 1.4), layout="constrained")
    ax = fig.add_subplot()
    names = list(table.index)[::-1]
    ax.barh(names, table.loc[names, "top1_error"], xerr=table.loc[names, "top1 sd"].fillna(0), capsize=3,
            color="tab:purple", alpha=0.8)
    for i, n in enumerate(names):
        ax.text(0.5, i, f"{int(table.loc[n, 'crops'])} inputs", va="center", fontsize=7, color="white")
    ax.set(xlabel="validation top-1 error (%), mean ± sd over nets", title="test protocols on the trained nets")
    ax.grid(alpha=0.3, axis="x")
    return _done(fig, save)


@torch.no_grad()
def score_maps(model: nn.Module, image: torch.Tensor, scales: Sequence[int], *, image_size: int
               ) -> list[torch.Tensor]:
    """Dense evaluation of one uint8 image (Sect. 3.2): the class score maps ``[classes, h, w]`` (soft-max per
    position) of the fully-convolutional net at each test scale Q (short side)."""
    dense = to_dense(model, image_size).eval()
    device = next(dense.parameters()).device
    return [dense(normalize(resize_short(image, q)).unsqueeze(0).to(device))[0].softmax(0).cpu() for q in scales]


def score_map_figure(model: nn.Module, image: torch.Tensor, scales: Sequence[int], *, image_size: int,
                     class_names: Sequence[str], save=None) -> Figure:
    """The image, then for each Q the score map of the class the spatially averaged scores pick."""
    maps = score_maps(model, image, scales, image_size=image_size)
    k = int(torch.stack([m.mean((1, 2)) for m in maps]).mean(0).argmax())
    fig = Figure(figsize=(2.6 * (len(maps) + 1), 2.9), layout="constrained")
    axes = fig.subplots(1, len(maps) + 1)
    axes[0].imshow(image.permute(1, 2, 0).numpy())
    axes[0].set_title("input", fontsize=8)
    for ax, q, m in zip(axes[1:], scales, maps):
        im = ax.imshow(m[k].numpy(), vmin=0, vmax=1, cmap="viridis")
        ax.set_title(f"Q={q}: {m.shape[1]}x{m.shape[2]} score map\nmean p={float(m[k].mean()):.2f}", fontsize=8)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=axes[-1], shrink=0.8, label="probability")
    fig.suptitle(f"class score map of '{class_names[k]}' (dense evaluation at several test scales Q)", fontsize=9)
    return _done(fig, save)


def _tiles(w: torch.Tensor) -> torch.Tensor:
    """Filters ``[n, 3, k, k]`` scaled to [0, 1] together (one scale for the set, so strengths compare)."""
    lim = w.abs().max().clamp_min(1e-12)
    return (w / (2 * lim) + 0.5).clamp(0, 1)


def filters_figure(trained: torch.Tensor, untrained: torch.Tensor, title: str = "", save=None) -> Figure:
    """The first conv's filters before and after training, one RGB tile per filter (each set scaled to [0, 1] by
    its own largest weight), with the filters' mean norm in the row title."""
    n = trained.shape[0]
    cols = min(n, 16)
    rows = -(-n // cols)
    fig = Figure(figsize=(0.62 * cols + 2.2, 0.8 * rows * 2 + 0.8), layout="constrained")
    axes = fig.subplots(2 * rows, cols, squeeze=False)
    for block, (label, w) in enumerate((("untrained (Kaiming init)", untrained), ("trained", trained))):
        tiles = _tiles(w)
        for i in range(rows * cols):
            ax = axes[block * rows + i // cols, i % cols]
            ax.set_xticks([])
            ax.set_yticks([])
            if i < n:
                ax.imshow(tiles[i].permute(1, 2, 0).numpy(), interpolation="nearest")
            else:
                ax.axis("off")
        norm = float(w.flatten(1).norm(dim=1).mean())
        axes[block * rows, 0].set_ylabel(f"{label}\nmean norm {norm:.2f}", fontsize=7, rotation=0, ha="right",
                                         va="center")
    fig.suptitle(title or f"first-layer filters ({trained.shape[2]}x{trained.shape[3]}x3), before and after "
                          "training", fontsize=9)
    return _done(fig, save)
