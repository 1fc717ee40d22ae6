"""The GoogLeNet notebook's figures, and the numbers its sentences about them are built from.

Every function returns a :class:`matplotlib.figure.Figure` (no pyplot state); the notebook saves the ones README
shows under ``figures/googlenet_*.png``. :func:`loss_reading` and :func:`filter_reading` turn a run into the words
the notebook prints beside the curves and the filters, so the prose cannot contradict the picture.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import torch
from matplotlib.figure import Figure

from ...data.augment import GoogLeNetTrain, denormalize
from ...data.store import decode_square
from ...experiments import Results

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "imagenet-samples"
LOSSES = {"train_main_loss": "main classifier", "train_aux1_loss": "aux head on 4a (aux1)",
          "train_aux2_loss": "aux head on 4d (aux2)"}


def naive_vs_reduced_plot(nvr: pd.DataFrame) -> Figure:
    """Parameters and multiply-adds of each Table 1 module, naive (Fig. 2a) against reduced (Fig. 2b)."""
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    x = range(len(nvr))
    for ax, what, unit in zip(fig.subplots(1, 2), ("params", "MACs"), (1e6, 1e6)):
        ax.bar([i - 0.2 for i in x], nvr[f"naive {what}"] / unit, 0.4, label="naive (Fig. 2a)", color="tab:red")
        ax.bar([i + 0.2 for i in x], nvr[f"reduced {what}"] / unit, 0.4, label="with 1x1 reductions (Fig. 2b)",
               color="tab:blue")
        ax.set_xticks(list(x), [m.replace("inception", "") for m in nvr["module"]])
        ax.set(xlabel="module of Table 1", ylabel=f"{'parameters' if what == 'params' else 'multiply-adds'} (M)")
        ax.legend(fontsize=8)
    fig.suptitle("Each module of Table 1, on the input our network gives it: what the 1x1 reductions save")
    return fig


def sample_photo(name: str = "goldfish", side: int = 256) -> tuple[torch.Tensor, str] | None:
    """One ImageNet photo from ../shared/data/imagenet-samples as a uint8 ``[3, side, side]`` centre square and
    its name (None when the folder is absent)."""
    photos = sorted(SAMPLES.glob("*.JPEG")) if SAMPLES.is_dir() else []
    if not photos:
        return None
    path = next((p for p in photos if name in p.name), photos[0])
    return decode_square(path, side), path.stem.split("_", 1)[-1].replace("_", " ")


def augmentation_figure(image: torch.Tensor, crop: int = 224, n: int = 9, seed: int = 0, title: str = "") -> Figure:
    """``image`` (uint8 ``[3, S, S]``) and ``n`` of GoogLeNet's training crops of it (Sect. 6: 8-100% of the area,
    aspect 3/4-4/3, a random interpolation, photometric distortions, flips), drawn with ``seed``."""
    transform = GoogLeNetTrain(crop)
    views = denormalize(transform(image.unsqueeze(0).repeat(n, 1, 1, 1), torch.Generator().manual_seed(seed)))
    cols = 5
    rows = math.ceil((n + 1) / cols)
    fig = Figure(figsize=(2.2 * cols, 2.3 * rows), layout="constrained")
    axes = fig.subplots(rows, cols).flat
    for ax in axes:
        ax.set_axis_off()
    axes = list(fig.axes)
    axes[0].imshow(image.permute(1, 2, 0).numpy())
    axes[0].set_title(f"stored {image.shape[-1]}x{image.shape[-1]}", fontsize=9)
    for ax, v in zip(axes[1:], views):
        ax.imshow(v.permute(1, 2, 0).numpy())
    fig.suptitle(title or "GoogLeNet training crops: 8-100% of the area, aspect 3/4-4/3, random interpolation, "
                          "colour distortions, flips", fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------- losses
def losses_plot(history: pd.DataFrame, recorded: pd.DataFrame | None = None) -> Figure:
    """Left: the main loss and each auxiliary head's loss, one curve each (the total the optimizer minimises is
    main + 0.3 x (aux1 + aux2), dashed). Right: validation top-1 of the last weights and of their Polyak average.
    ``recorded``: a recorded run's history, drawn thin and grey underneath ("recorded run")."""
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    if recorded is not None:
        for col in LOSSES:
            left.plot(recorded["epoch"], recorded[col], color="grey", lw=0.8, alpha=0.6)
        right.plot(recorded["epoch"], recorded["val_acc1"], color="grey", lw=0.8, alpha=0.6, label="recorded run")
    for (col, label), colour in zip(LOSSES.items(), ("black", "tab:orange", "tab:green")):
        left.plot(history["epoch"], history[col], "o-", ms=3, color=colour, label=label)
    left.plot(history["epoch"], history["train_loss"], "--", color="tab:purple", lw=1,
              label="total = main + 0.3 x (aux1 + aux2)")
    left.set(xlabel="epoch", ylabel="training cross-entropy", title="Main and auxiliary losses")
    left.legend(fontsize=8)
    right.plot(history["epoch"], history["val_acc1"], "o-", ms=3, label="last weights")
    if "ema_val_acc1" in history:
        right.plot(history["epoch"], history["ema_val_acc1"], "s-", ms=3, label="Polyak average (EMA)")
    right.axhline(10, color="grey", ls=":", lw=1, label="chance (10 classes)")
    right.set(xlabel="epoch", ylabel="validation top-1 (%)", title="Validation accuracy", ylim=(0, 100))
    right.legend(fontsize=8)
    return fig


def loss_reading(history: pd.DataFrame, last: int = 3) -> dict:
    """Where each auxiliary loss sits against the main loss, averaged over the ``last`` epochs: the means and, per
    head, ``"above"`` or ``"below"``."""
    tail = history.tail(last)
    main = float(tail["train_main_loss"].mean())
    out = {"epochs": len(tail), "main": main}
    for head in ("aux1", "aux2"):
        v = float(tail[f"train_{head}_loss"].mean())
        out[head] = v
        out[f"{head} side"] = "above" if v > main else "below"
    return out


# --------------------------------------------------------------------------------------------- ablations
def ablation_plot(results: Results, summary: pd.DataFrame, recorded: Results | None = None,
                  metric: str = "ema_val_acc1") -> Figure:
    """Left: each arm's final ``metric`` (validation top-1 of the Polyak-averaged weights by default), mean ± sd over
    seeds (error bars) with every seed as a dot. Right: its curves, mean over seeds. ``recorded``: a recorded run of
    the same arms, drawn as open diamonds (its mean) on the left and thin dashed curves on the right."""
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    scores = results.scores(metric)
    names = list(summary.index)
    rec_scores = recorded.scores(metric) if recorded is not None else {}
    for i, name in enumerate(names):
        left.bar(i, summary.loc[name, "mean"], yerr=summary.loc[name, "sd"], capsize=5, color=f"C{i}", alpha=0.7)
        left.plot([i] * len(scores[name]), scores[name], "k.", ms=6)
        if name in rec_scores:
            left.plot(i, sum(rec_scores[name]) / len(rec_scores[name]), "D", mfc="none", mec="black", ms=8,
                      label="recorded run (mean)" if i == 0 else None)
    left.axhline(10, color="grey", ls=":", lw=1)
    left.set_xticks(range(len(names)), [n.replace(" (", "\n(") for n in names], fontsize=8)
    what = "Polyak average" if metric.startswith("ema") else "last weights"
    left.set(ylabel=f"final val top-1, {what} (%)", title="Mean ± sd over seeds (dots: each seed)")
    if rec_scores:
        left.legend(fontsize=8)
    h = results.histories()
    rh = recorded.histories() if recorded is not None else None
    for i, name in enumerate(names):
        curve = h[h["variant"] == name].groupby("epoch")[metric].mean()
        right.plot(curve.index, curve.values, "o-", ms=3, color=f"C{i}", label=name)
        if rh is not None and name in set(rh["variant"]):
            rc = rh[rh["variant"] == name].groupby("epoch")[metric].mean()
            right.plot(rc.index, rc.values, "--", lw=0.8, color=f"C{i}",
                       label="recorded run" if i == 0 else None)
    right.axhline(10, color="grey", ls=":", lw=1, label="chance")
    right.set(xlabel="epoch", ylabel=f"val top-1, {what} (%)", title="Validation curves (mean over seeds)")
    right.legend(fontsize=8)
    return fig


# --------------------------------------------------------------------------------------------- filters
def _normalised(w: torch.Tensor) -> torch.Tensor:
    lo = w.amin(dim=(1, 2, 3), keepdim=True)
    hi = w.amax(dim=(1, 2, 3), keepdim=True)
    return (w - lo) / (hi - lo + 1e-12)


def filters_figure(trained: torch.Tensor, untrained: torch.Tensor, title: str = "") -> Figure:
    """conv1's 7x7x3 filters before training (left) and after (right), each scaled to its own range."""
    n = trained.shape[0]
    cols = min(n, 8)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(2 * 1.1 * cols + 0.6, 1.2 * rows + 0.7), layout="constrained")
    for sub, w, label in zip(fig.subfigures(1, 2), (untrained, trained), ("untrained (initialisation)", "trained")):
        axes = sub.subplots(rows, cols, squeeze=False)
        for ax in axes.flat:
            ax.set_axis_off()
        for ax, f in zip(axes.flat, _normalised(w.detach().float().cpu())):
            ax.imshow(f.permute(1, 2, 0).numpy(), interpolation="nearest")
        sub.suptitle(label, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def filter_reading(w: torch.Tensor) -> dict:
    """Numbers that say what conv1's filters ``[C, 3, k, k]`` look like: ``smoothness``, the mean correlation of
    horizontally and vertically adjacent weights (about 0 for noise, near 1 for smooth blobs and edges), and
    ``colour``, the mean correlation between a filter's three colour planes (near 1: the same pattern in every
    channel, i.e. grey; low or negative: colour-selective)."""
    w = w.detach().float().cpu()
    pairs = [(w[..., :, :-1], w[..., :, 1:]), (w[..., :-1, :], w[..., 1:, :])]
    smooth = [_corr(a.flatten(1), b.flatten(1)) for a, b in pairs]
    colour = [_corr(w[:, i].flatten(1), w[:, j].flatten(1)) for i, j in ((0, 1), (0, 2), (1, 2))]
    return {"smoothness": float(torch.stack(smooth).mean()), "colour": float(torch.stack(colour).mean())}


def _corr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-row Pearson correlation of ``a`` and ``b`` ``[N, D]``, averaged over rows."""
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    return ((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + 1e-12)).mean()


def filter_words(reading: dict, untrained: dict) -> str:
    """A neutral description of a filter reading beside the untrained one's (the thresholds are stated)."""
    s, s0 = reading["smoothness"], untrained["smoothness"]
    texture = ("smooth (neighbouring weights correlate at r > 0.5: blobs and oriented edges)" if s > 0.5 else
               "still rough (neighbouring weights correlate at r <= 0.2, close to noise)" if s <= 0.2 else
               "partly smooth (0.2 < r <= 0.5)")
    c = reading["colour"]
    colour = ("mostly grey (the three colour planes correlate at r > 0.7)" if c > 0.7 else
              "colour-selective (the colour planes correlate at r < 0.3)" if c < 0.3 else
              "a mix of grey and coloured filters (colour planes correlate at 0.3-0.7)")
    return (f"neighbouring weights correlate at r = {s:.2f} after training against {s0:.2f} at initialisation, so "
            f"the filters are {texture}; they are {colour}, r = {c:.2f}")


def table3_plot(t3: pd.DataFrame) -> Figure:
    """Top-1 error against cost (network evaluations per image), one line for one model, one for the ensemble."""
    fig = Figure(figsize=(5.5, 3.4), layout="constrained")
    ax = fig.subplots()
    for models, part in t3.groupby("models"):
        ax.plot(part["cost"], part["top-1 error %"], "o-", label=f"{models} model{'s' * (models > 1)}")
        for crops, cost, err in zip(part["crops"], part["cost"], part["top-1 error %"]):
            ax.annotate(f"{crops} crop{'s' * (crops > 1)}", (cost, err), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
    ax.set_xscale("log")
    ax.set(xlabel="network evaluations per image (log)", ylabel="top-1 error (%)",
           title="Table 3 on our nets: crops and models")
    ax.legend(fontsize=8)
    return fig

