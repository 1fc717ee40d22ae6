"""The AlexNet notebook's figures: the accepted input sizes, the augmentations of Sect. 4.1 on a real photo, the main
run's curves, Fig. 1's race, the ablations with error bars, the conv1 filters (Fig. 3) and Fig. 4's neighbours.

Every function returns a :class:`matplotlib.figure.Figure` (no pyplot state); ``save="name"`` also writes
``figures/name.png`` (:func:`reviewlib.review.plots.save_figure`).
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import torch
from matplotlib.figure import Figure

from ...data.augment import AlexNetTrain, CentreCrop, denormalize
from ...data.store import decode_square
from ...experiments import Results
from ...review.plots import save_figure
from .evaluation import first_conv_towers
from .race import TARGET

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "data" / "imagenet-samples"
VERDICT_COLOURS = {"as the paper reports": "tab:green", "within noise at this budget": "tab:gray",
                   "opposite": "tab:red"}


def _finish(fig: Figure, save) -> Figure:
    if save is not None:
        save_figure(fig, save)
    return fig


def sample_photo(side: int = 256, fallback=None, name: str = "goldfish") -> tuple[torch.Tensor, str]:
    """A real photo as a uint8 ``[3, side, side]`` square: an ILSVRC sample from ../shared when it is there, else
    ``fallback`` (a path, e.g. a training image of the study)."""
    photos = sorted(SAMPLES.glob("*.JPEG")) if SAMPLES.is_dir() else []
    path = next((p for p in photos if name in p.name), photos[0] if photos else fallback)
    if path is None:
        raise FileNotFoundError("sample_photo: no sample photo and no fallback image")
    return decode_square(path, side, upsample=True), Path(path).name


def input_size_plot(df: pd.DataFrame, accepted: tuple[int, int], save=None) -> Figure:
    """pool5 side against input side (:func:`.claims.pool5_by_input`), the accepted band shaded."""
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


def augmentation_figure(photo: torch.Tensor, resize: int = 256, crop: int = 224, n: int = 6, seed: int = 0,
                        pca=None, exaggerate: float = 10.0, save=None) -> Figure:
    """Sect. 4.1 on one uint8 square ``photo``: top row, the square and ``n`` random crops + flips + PCA colour
    noise (sigma 0.1, as trained); bottom row, the centre crop shifted along each principal component by
    +-3 sigma x ``exaggerate`` so the colour directions become visible."""
    g = torch.Generator().manual_seed(seed)
    batch = photo[None].expand(n, -1, -1, -1).contiguous()
    views = denormalize(AlexNetTrain(resize, crop, pca=pca)(batch, g))
    centre = CentreCrop(resize, crop)
    fig = Figure(figsize=(1.9 * (n + 1), 4.3), layout="constrained")
    axes = fig.subplots(2, n + 1)
    axes[0, 0].imshow(photo.permute(1, 2, 0).numpy())
    axes[0, 0].set_title(f"{resize}x{resize} square", fontsize=8)
    for ax, v in zip(axes[0, 1:], views):
        ax.imshow(v.permute(1, 2, 0).numpy())
        ax.set_title(f"{crop} crop + flip + PCA", fontsize=8)
    base = centre(photo[None])
    axes[1, 0].imshow(denormalize(base)[0].permute(1, 2, 0).numpy())
    axes[1, 0].set_title("centre crop", fontsize=8)
    t = AlexNetTrain(resize, crop, pca=pca)
    eigval, eigvec = (torch.tensor(v, dtype=torch.float64) for v in t.pca)
    for i in range(min(3, n // 2)):
        for j, sign in enumerate((-1, 1)):
            alpha = torch.zeros(3, dtype=torch.float64)
            alpha[i] = sign * 3 * 0.1 * exaggerate
            shift = (eigvec @ (alpha * eigval)).float()
            img = (denormalize(base)[0] + shift[:, None, None]).clamp(0, 1)
            ax = axes[1, 1 + 2 * i + j]
            ax.imshow(img.permute(1, 2, 0).numpy())
            ax.set_title(f"PC{i + 1} {'-' if sign < 0 else '+'}3 sigma x{exaggerate:g}", fontsize=8)
    for ax in axes.flat:
        ax.set_axis_off()
    return _finish(fig, save)


def curves_figure(history: pd.DataFrame, recorded: Results | None = None, save=None) -> Figure:
    """The main run: training and validation loss (left) and top-1 accuracy (right) per epoch; the recorded run's
    validation curve (mean over its seeds) drawn under it, labelled "recorded run"."""
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    loss, acc = fig.subplots(1, 2)
    loss.plot(history["epoch"], history["train_loss"], "o-", ms=3, label="train (augmented, dropout on)")
    loss.plot(history["epoch"], history["val_loss"], "o-", ms=3, label="validation")
    acc.plot(history["epoch"], history["train_acc1"], "o-", ms=3, label="train top-1")
    acc.plot(history["epoch"], history["val_acc1"], "o-", ms=3, label="validation top-1")
    if recorded is not None and recorded.trained:
        h = recorded.histories().groupby("epoch")[["val_acc1", "val_loss"]].mean()
        loss.plot(h.index, h["val_loss"], color="gray", lw=3, alpha=0.5, label="recorded run, validation")
        acc.plot(h.index, h["val_acc1"], color="gray", lw=3, alpha=0.5, label="recorded run, validation top-1")
    acc.axhline(10, color="black", lw=0.8, ls=":", label="chance (10 classes)")
    loss.set(xlabel="epoch", ylabel="cross-entropy loss")
    acc.set(xlabel="epoch", ylabel="accuracy (%)")
    for ax in (loss, acc):
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle("Paper AlexNet, main run", fontsize=10)
    return _finish(fig, save)


def race_figure(curves: pd.DataFrame, target: float = TARGET, save=None) -> Figure:
    """Fig. 1's axes, one panel per starting point: training error per epoch of each activation at its best rate
    (solid ReLU, dashed tanh, as in the paper) and of tanh at ReLU's rate (dotted)."""
    inits = list(dict.fromkeys(curves["init"]))
    fig = Figure(figsize=(5.2 * max(1, len(inits)), 3.6), layout="constrained")
    axes = fig.subplots(1, max(1, len(inits)), squeeze=False)[0]
    for ax, init in zip(axes, inits):
        c = curves[(curves["init"] == init) & (curves["seed"] == curves["seed"].min())]
        for label, h in c.groupby("label", sort=False):
            style = "-" if label.startswith("relu") else ":" if "ReLU's" in label else "--"
            ax.plot(h["epoch"], h["train_error"], style, marker="o", ms=3, label=label)
        ax.axhline(target, color="gray", lw=1, label=f"target {target:.0f}%")
        ax.set(xlabel="epoch", ylabel="training error (%)", title=f"start: {init}", ylim=(0, 100))
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return _finish(fig, save)


def ablation_plot(summary: pd.DataFrame, save=None) -> Figure:
    """Left: each arm's validation top-1, mean with ±sd error bars over seeds. Right: the difference to the paper
    model with ±t·se bars (the 95% band the verdict uses), coloured by verdict."""
    from ...experiments.stats import noise_band

    fig = Figure(figsize=(11, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    names = list(summary.index)
    left.barh(names[::-1], summary["mean"][::-1], xerr=summary["sd"].fillna(0)[::-1], color="tab:blue",
              capsize=3, alpha=0.8)
    left.axvline(10, color="black", lw=0.8, ls=":")
    left.set(xlabel="validation top-1 (%), mean ± sd over seeds", title="Each arm")
    arms = summary.drop(index=summary.index[summary["verdict"] == "baseline"])
    bands = []
    for _, r in arms.iterrows():
        n = r["seeds"]
        bands.append(noise_band(r["se"], 2 * n - 2) if not math.isnan(r["se"]) else 0.0)
    right.barh(list(arms.index)[::-1], arms["diff"][::-1], xerr=bands[::-1], capsize=3,
               color=[VERDICT_COLOURS.get(v, "tab:gray") for v in arms["verdict"]][::-1])
    right.axvline(0, color="black", lw=0.8)
    right.set(xlabel="arm - paper model (points), ± 95% band", title="Effect of removing the trick")
    from matplotlib.patches import Patch
    right.legend(handles=[Patch(color=c, label=v) for v, c in VERDICT_COLOURS.items()], fontsize=7)
    return _finish(fig, save)


def _filter_rows(sf, towers: list[torch.Tensor], ncols: int, title: str) -> None:
    rows = [math.ceil(len(t) / ncols) for t in towers]
    axes = sf.subplots(sum(rows), ncols, squeeze=False)
    r0 = 0
    for i, (w, nrows) in enumerate(zip(towers, rows)):
        for j in range(nrows * ncols):
            ax = axes[r0 + j // ncols, j % ncols]
            ax.set_axis_off()
            if j < len(w):
                f = w[j]
                ax.imshow(((f - f.min()) / (f.max() - f.min() + 1e-12)).permute(1, 2, 0).numpy(),
                          interpolation="nearest")
        axes[r0, 0].set_title(f"tower {i + 1}" if len(towers) > 1 else "", fontsize=7, loc="left")
        r0 += nrows
    sf.suptitle(title, fontsize=9)


def filters_figure(models: dict[str, torch.nn.Module], ncols: int = 12, save=None) -> Figure:
    """Fig. 3: the first layer's filters of each model (e.g. ``{"untrained": ..., "trained": ...}``) as small RGB
    images, each scaled to [0, 1], one block of rows per GPU tower."""
    towers = {k: first_conv_towers(m) for k, m in models.items()}
    heights = [sum(math.ceil(len(t) / ncols) for t in ts) for ts in towers.values()]
    fig = Figure(figsize=(ncols * 0.55, 0.55 * sum(heights) + 0.6 * len(towers)), layout="constrained")
    subfigs = fig.subfigures(len(towers), 1, height_ratios=heights) if len(towers) > 1 else [fig]
    for sf, (title, ts) in zip(subfigs, towers.items()):
        _filter_rows(sf, ts, ncols, f"{title}: {sum(len(t) for t in ts)} conv1 filters")
    return _finish(fig, save)


def neighbours_figure(result: dict, save=None) -> Figure:
    """Fig. 4 (right): each query (first column) and its nearest training images in fc7 space, framed green when
    of the query's class and red otherwise, with the Euclidean distance."""
    q, nb = result["query"], result["neighbours"]
    val, train = result["val"], result["train"]
    fig = Figure(figsize=(1.45 * (nb.shape[1] + 1), 1.55 * len(q)), layout="constrained")
    axes = fig.subplots(len(q), nb.shape[1] + 1, squeeze=False)
    for r, qi in enumerate(q.tolist()):
        axes[r, 0].imshow(val.images[qi].permute(1, 2, 0).numpy())
        axes[r, 0].set_title(f"query: {val.class_names[int(val.labels[qi])][:14]}", fontsize=7)
        for c, ti in enumerate(nb[r].tolist()):
            ax = axes[r, c + 1]
            ax.imshow(train.images[ti].permute(1, 2, 0).numpy())
            same = bool(result["same class"][r, c])
            for spine in ax.spines.values():
                spine.set(color="tab:green" if same else "tab:red", linewidth=2.5)
            ax.set_title(f"d = {float(result['distance'][r, c]):.1f}", fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Fig. 4: nearest training images in the last hidden layer (fc7)", fontsize=9)
    return _finish(fig, save)


def training_photo(study, run, side: int = 256) -> tuple[torch.Tensor, str, bool]:
    """A photo for the augmentation figure: an ILSVRC sample (:func:`sample_photo`) when ../shared has them, else
    the first validation image of the run's data upsampled to ``side``. Returns ``(uint8 [3, side, side], name,
    real)``, ``real`` False for the stand-in (its figure is not worth saving)."""
    try:
        photo, name = sample_photo(side)
        return photo, name, True
    except FileNotFoundError:
        from .evaluation import split_store
        store = split_store(study, run, "val")
        image = torch.nn.functional.interpolate(store.images[:1].float(), size=side, mode="bilinear")[0]
        return image.round().clamp(0, 255).to(torch.uint8), store.class_names[int(store.labels[0])], False
