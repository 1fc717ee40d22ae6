"""The overview's figures: the papers' accuracy against cost, where the parameters sit, the shared run's curves
and our accuracy against cost beside the papers'.

Every function returns a matplotlib ``Figure`` (no pyplot state) and writes it to figures/ with ``save=<name>``.
"""
from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from ...experiments.runner import Results
from ...nets import paper_of
from ...review.plots import save_figure
from .experiments import LABELS, main_loss

PAPER_COLOURS = {"alexnet": "tab:red", "vgg": "tab:blue", "googlenet": "tab:green"}


def _bubble(params: float) -> float:
    return 20 + 600 * params / 140e6  # marker area in points^2, proportional to the parameters


def _plain_log(ax) -> None:
    """A log x axis labelled with plain numbers (0.5, 2, 30) instead of powers of ten; on a narrow range (less
    than a factor of 20) the minor ticks are labelled too, so the axis always shows numbers."""
    lo, hi = ax.get_xlim()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    narrow = hi / lo < 20
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if narrow else ""))
    ax.tick_params(axis="x", which="minor", labelsize=7)


def efficiency_plot(table: pd.DataFrame, save=None, title: str | None = None) -> Figure:
    """Reported top-1 and top-5 accuracy against multiply-adds per image (log), bubble area proportional to the
    parameters; the papers' results filled circles, torchvision's weights hollow squares, one colour per paper.
    ``table``: :func:`reviewlib.papers.overview.claims.comparison_table` (rows without an accuracy left out)."""
    fig = Figure(figsize=(11, 4.6), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True)
    for ax, col, label in zip(axes, ("top1", "top5"), ("top-1", "top-5")):
        for name, r in table.iterrows():
            if pd.isna(r[col]):
                continue
            colour, paper_point = PAPER_COLOURS[r["paper"]], r["source"] == "paper"
            ax.scatter(r["macs"] / 1e9, r[col], s=_bubble(r["params"]), marker="o" if paper_point else "s",
                       facecolor=colour if paper_point else "none", edgecolor=colour, alpha=0.6 if paper_point else 1,
                       linewidth=1.5)
            ax.annotate(name.replace("vgg_", "VGG ") if paper_point else name, (r["macs"] / 1e9, r[col]),
                        fontsize=7, textcoords="offset points", xytext=(-6, 4) if paper_point else (5, -9),
                        ha="right" if paper_point else "left")
        ax.set_xscale("log")
        ax.set_xlim(table["macs"].min() / 1e9 / 2, table["macs"].max() / 1e9 * 1.6)
        _plain_log(ax)
        ax.set_xlabel("multiply-adds per image (G, log)")
        ax.set_ylabel(f"{label} accuracy on ImageNet val (%)")
        ax.grid(alpha=0.3)
    missing = table.index[table["top1"].isna()].tolist()
    axes[0].set_title("top-1" + (" (not reported: " + ", ".join(missing) + ")" if missing else ""), fontsize=9)
    axes[1].set_title("top-5", fontsize=9)
    handles = [Line2D([], [], marker="o", ls="", color=c, label=p) for p, c in PAPER_COLOURS.items()]
    handles += [Line2D([], [], marker="o", ls="", color="gray", alpha=0.6, label="paper's result"),
                Line2D([], [], marker="s", ls="", mfc="none", color="gray", label="torchvision weights")]
    handles += [Line2D([], [], marker="o", ls="", mfc="none", color="gray", markersize=math.sqrt(_bubble(p)),
                       label=f"{p / 1e6:.0f}M params") for p in (7e6, 61e6, 138e6)]
    axes[1].legend(handles=handles, fontsize=7, loc="lower right", labelspacing=1.3)
    fig.suptitle(title or "Accuracy against cost: the papers' numbers and torchvision's weights")
    if save is not None:
        save_figure(fig, save)
    return fig


_SHARE_LABELS = {"alexnet_paper": "AlexNet (paper)\nFC6 = 9216x4096", "vgg_D": "VGG-16 (D)\nFC1 = 25088x4096",
                 "googlenet_paper": "GoogLeNet (paper)\navg pool, one 1024x1000 FC"}


def param_share_plot(shares: pd.DataFrame, save=None, title: str | None = None) -> Figure:
    """Stacked horizontal bars: each model's parameters split into conv / first FC / other FC (left: millions,
    right: shares), from :func:`reviewlib.papers.overview.claims.param_shares`."""
    parts = [("conv", "conv (incl. Inception)", "tab:blue"), ("first_fc", "first FC layer", "tab:orange"),
             ("other_fc", "other FC layers", "tab:red")]
    fig = Figure(figsize=(10, 0.9 * len(shares) + 1.8), layout="constrained")
    ax_abs, ax_rel = fig.subplots(1, 2)
    y = list(range(len(shares)))[::-1]
    left_abs, left_rel = [0.0] * len(shares), [0.0] * len(shares)
    for key, label, colour in parts:
        vals = (shares[key] / 1e6).tolist()
        rel = (shares[key] / shares["total"]).tolist()
        ax_abs.barh(y, vals, left=left_abs, color=colour, label=label)
        bars = ax_rel.barh(y, rel, left=left_rel, color=colour)
        ax_rel.bar_label(bars, labels=[f"{r:.0%}" if r >= 0.06 else "" for r in rel], label_type="center",
                         fontsize=8, color="white")
        left_abs = [a + b for a, b in zip(left_abs, vals)]
        left_rel = [a + b for a, b in zip(left_rel, rel)]
    for yy, tot in zip(y, shares["total"]):
        ax_abs.text(tot / 1e6, yy, f" {tot / 1e6:.1f}M", va="center", fontsize=8)
    ax_abs.set_yticks(y, [_SHARE_LABELS.get(n, n) for n in shares.index], fontsize=8)
    ax_abs.set_xlabel("parameters (millions)")
    ax_abs.set_xlim(0, max(shares["total"]) / 1e6 * 1.2)
    ax_rel.set_yticks(y, [""] * len(y))
    ax_rel.set_xlim(0, 1)
    ax_rel.set_xlabel("share of the parameters")
    ax_abs.legend(fontsize=8, loc="lower right")
    fig.suptitle(title or "Where the parameters sit (test-time networks)")
    if save is not None:
        save_figure(fig, save)
    return fig


def _curves(results: Results, name: str, column) -> pd.DataFrame:
    """Per epoch, mean and sd over seeds of ``column`` (a history column name or a function of a history)."""
    per_seed = [(column(t.history) if callable(column) else t.history[column]).to_numpy()
                for t in results.trained if t.variant == name]
    frame = pd.DataFrame(per_seed).T
    epochs = next(t.history["epoch"] for t in results.trained if t.variant == name).to_numpy()
    return pd.DataFrame({"epoch": epochs, "mean": frame.mean(axis=1).to_numpy(),
                         "sd": frame.std(axis=1).fillna(0).to_numpy()})


CURVE_PANELS = (("main training loss", main_loss), ("validation loss", "val_loss"),
                ("validation top-1 (%)", "val_acc1"))


def training_curves_plot(results: Results, recorded: Results | None = None, save=None,
                         title: str | None = None) -> Figure:
    """The shared run per epoch, one colour per paper, mean over seeds with a ±1 sd band: the main classifier's
    training loss (GoogLeNet's auxiliary terms left out, so the three are comparable), the validation loss and
    top-1. ``recorded``: a longer recorded run, drawn dashed underneath and labelled "recorded run"."""
    fig = Figure(figsize=(13, 3.9), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, (label, column) in zip(axes, CURVE_PANELS):
        for name in results.variants:
            colour = PAPER_COLOURS.get(paper_of(name))
            if recorded is not None and any(t.variant == name for t in recorded.trained):
                c = _curves(recorded, name, column)
                ax.plot(c["epoch"], c["mean"], ls="--", lw=1, color=colour, alpha=0.6,
                        label=f"{LABELS.get(name, name)}, recorded run")
            if not any(t.variant == name for t in results.trained):
                continue
            c = _curves(results, name, column)
            ax.plot(c["epoch"], c["mean"], marker="o", ms=3, color=colour, label=LABELS.get(name, name))
            ax.fill_between(c["epoch"], c["mean"] - c["sd"], c["mean"] + c["sd"], color=colour, alpha=0.2)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[2].axhline(10, color="gray", ls=":", lw=1)
    axes[2].annotate("chance", (axes[2].get_xlim()[0], 10), fontsize=7, color="gray", xytext=(2, 2),
                     textcoords="offset points")
    axes[2].legend(fontsize=7)
    seeds = len({t.seed for t in results.trained})
    fig.suptitle(title or f"Shared run: same data and recipe, mean ± sd over {seeds} seed(s); the GoogLeNet "
                          "loss is its main classifier's alone")
    if save is not None:
        save_figure(fig, save)
    return fig


def accuracy_cost_plot(side_by_side: pd.DataFrame, save=None, title: str | None = None) -> Figure:
    """Accuracy against cost, the papers' and ours. Top row: the ImageNet top-5 accuracy each paper reports
    (filled; top-5 is the number all three report) and torchvision's weights report (hollow), against the paper-size
    net's multiply-adds and parameters. Bottom row: our validation top-1 on the subset (mean ± sd over seeds)
    against our net's multiply-adds, parameters and measured seconds per epoch.
    ``side_by_side``: :func:`reviewlib.papers.overview.claims.reported_vs_ours`."""
    fig = Figure(figsize=(13, 7.2), layout="constrained")
    top, bottom = fig.subfigures(2, 1)
    ax_pm, ax_pp, ax_note = top.subplots(1, 3)
    ax_om, ax_op, ax_os = bottom.subplots(1, 3, sharey=True)
    for _, r in side_by_side.iterrows():
        name = r["model"]
        colour, label = PAPER_COLOURS.get(paper_of(name)), LABELS.get(name, name)
        for ax, x in ((ax_pm, r["MACs (G)"]), (ax_pp, r["params (M)"])):
            ax.scatter(x, r["paper top-5 %"], s=70, color=colour, label=f"{label}, paper")
            ax.annotate(label, (x, r["paper top-5 %"]), fontsize=8, xytext=(6, 4), textcoords="offset points")
            if not pd.isna(r["torchvision top-5 %"]):
                ax.scatter(x, r["torchvision top-5 %"], s=70, marker="s", facecolor="none", edgecolor=colour,
                           linewidth=1.5, label=f"{r['torchvision']}, torchvision")
        for ax, x in ((ax_om, r["our MACs (M)"]), (ax_op, r["our params (M)"]), (ax_os, r["our s / epoch"])):
            sd = 0.0 if pd.isna(r["our top-1 sd"]) else r["our top-1 sd"]
            ax.errorbar(x, r["our top-1 %"], yerr=sd, fmt="o", ms=8, color=colour, capsize=4, label=label)
            ax.annotate(label, (x, r["our top-1 %"]), fontsize=8, xytext=(8, 4), textcoords="offset points")
    for ax, xl, log in ((ax_pm, "multiply-adds per image (G, 224 px)", True),
                        (ax_pp, "parameters (M, test-time net)", True),
                        (ax_om, "multiply-adds per image (M, our input)", True),
                        (ax_op, "parameters trained (M)", True), (ax_os, "seconds per epoch (measured)", False)):
        if log:
            ax.set_xscale("log")
        lo, hi = ax.get_xlim()
        ax.set_xlim(lo / 1.3 if log else lo * 0.9, hi * 1.5 if log else hi * 1.1)  # room for the labels
        if log:
            _plain_log(ax)
        ax.set_xlabel(xl)
        ax.grid(alpha=0.3)
    for ax in (ax_pm, ax_pp):
        ax.set_ylabel("ImageNet val top-5 (%)")
    ax_om.set_ylabel("our val top-1 on the subset (%)")
    ax_om.axhline(10, color="gray", ls=":", lw=1)
    ax_om.annotate("chance", (ax_om.get_xlim()[0], 10), fontsize=7, color="gray", xytext=(2, 2),
                   textcoords="offset points")
    ax_pm.legend(fontsize=7, loc="lower right")
    ax_note.axis("off")
    ax_note.text(0, 0.5, "Top: ImageNet, 1,000 classes, top-5 accuracy;\nfilled: the paper's own net and test "
                 "protocol,\nhollow: torchvision's weights, one centre crop.\n\nBottom: our run, 10 classes "
                 "(chance 10%),\ntop-1 at our width and input sizes,\nmean ± 1 sd over seeds.", fontsize=9,
                 va="center")
    top.suptitle("Reported on ImageNet (paper size)", fontsize=10)
    bottom.suptitle("Ours on the subset (study size)", fontsize=10)
    fig.suptitle(title or "Accuracy against cost: the papers' and torchvision's numbers, and ours")
    if save is not None:
        save_figure(fig, save)
    return fig
