"""The three papers side by side (notebooks/00_overview): one row per model, accuracy against cost, where the
parameters sit, and one shared training run.

* :func:`model_row` / :func:`comparison_table`: depth in weight layers, parameters, multiply-adds, the FC share
  of the parameters, all computed from reviewlib's models on the ``meta`` device; beside them the top-1/top-5
  accuracy each paper reports (typed from its tables, :data:`PAPER_RESULTS`) or torchvision's pretrained weights
  report (read from ``torchvision.models.*_Weights.IMAGENET1K_V1.meta``).
* :func:`param_shares` / :func:`param_share_plot`: conv vs first FC vs the rest (AlexNet Sect. 3.5: most weights in
  the FC layers; VGG: FC1 alone is 103M of 138M; GoogLeNet Sect. 5: average pooling leaves one small FC layer).
* :func:`efficiency_plot`: accuracy against multiply-adds, bubble area = parameters, paper and torchvision apart.
* :func:`shared_run_plan`, :func:`shared_recipe`, :func:`shared_run_variants`, :func:`with_ours`,
  :func:`training_curves_plot`: the three models trained on the same data with the same augmentation and recipe.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from torch import nn

from ...review import tables
from ...review.tables import layer_table, layer_totals, weight_depth
from ...budget import Budget, get_budget
from ...errors import ConfigError
from ...nets import build_model, count_params, input_side, paper_of
from ...review.plots import save_figure

__all__ = ["PAPER_RESULTS", "TORCHVISION_WEIGHTS", "DEFAULT_MODELS", "SHARE_MODELS", "SHARED_MODELS", "Reported",
           "reported", "torchvision_metrics", "model_row", "comparison_table",
           "format_table",
           "param_shares", "param_share_plot", "efficiency_plot", "SharedRunPlan", "shared_run_plan",
           "shared_recipe", "shared_run_variants", "TORCHVISION_COUNTERPART", "with_ours", "training_curves_plot"]

#: Single-model error rates (%) the papers print, (top-1, top-5, where). Typed from the papers (the "paper"
#: column, see /work/shared/papers/FACTS.md); None where a paper gives no number.
PAPER_RESULTS: dict[str, tuple[float | None, float, str]] = {
    "alexnet_paper": (40.7, 18.2, "AlexNet Table 2: 1 CNN, ILSVRC-2012 val, 10 patches (Sect. 4.1)"),
    "vgg_A": (29.6, 10.4, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "vgg_A-LRN": (29.7, 10.5, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "vgg_B": (28.7, 9.9, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "vgg_C": (28.1, 9.4, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "vgg_D": (27.0, 8.8, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "vgg_E": (27.3, 9.0, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "googlenet_paper": (None, 9.15, "GoogLeNet Table 3: 1 model, 10 crops (top-1 not reported)"),
}

#: reviewlib model name -> torchvision weights enum (its IMAGENET1K_V1 meta holds acc@1 / acc@5).
TORCHVISION_WEIGHTS = {"alexnet": "AlexNet_Weights", "vgg11": "VGG11_Weights", "vgg13": "VGG13_Weights",
                       "vgg16": "VGG16_Weights", "vgg19": "VGG19_Weights", "googlenet": "GoogLeNet_Weights"}

#: The overview's rows: the papers' models, then torchvision's.
DEFAULT_MODELS = ("alexnet_paper", "vgg_A", "vgg_A-LRN", "vgg_B", "vgg_C", "vgg_D", "vgg_E", "googlenet_paper",
                  "alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "googlenet")
#: One model per paper for the parameter-share figure (VGG-16 = configuration D).
SHARE_MODELS = ("alexnet_paper", "vgg_D", "googlenet_paper")
#: The models of the shared training run.
SHARED_MODELS = ("alexnet_paper", "vgg_A", "googlenet_paper")

PAPER_COLOURS = {"alexnet": "tab:red", "vgg": "tab:blue", "googlenet": "tab:green"}


@dataclass(frozen=True)
class Reported:
    """Accuracies (%) reported for a model, and where they come from (``source``: "paper" or "torchvision")."""

    top1: float | None
    top5: float | None
    source: str
    where: str


def torchvision_metrics(name: str) -> tuple[float, float]:
    """``(acc@1, acc@5)`` of torchvision's ImageNet weights for ``name`` (read from the weights' metadata; no
    download: the metadata is part of torchvision's code)."""
    import torchvision

    if name not in TORCHVISION_WEIGHTS:
        raise ConfigError(f"no torchvision weights for {name!r}; models with weights: {', '.join(TORCHVISION_WEIGHTS)}")
    weights = getattr(torchvision.models, TORCHVISION_WEIGHTS[name]).IMAGENET1K_V1
    m = weights.meta["_metrics"]["ImageNet-1K"]
    return float(m["acc@1"]), float(m["acc@5"])


def reported(name: str) -> Reported:
    """What is reported for ``name``: the paper's single-model result (errors turned into accuracies) for a paper
    model, torchvision's 1-crop accuracy for a torchvision one; ``Reported(None, None, ...)`` when neither."""
    if name in PAPER_RESULTS:
        e1, e5, where = PAPER_RESULTS[name]
        return Reported(None if e1 is None else round(100 - e1, 2), round(100 - e5, 2), "paper", where)
    if name in TORCHVISION_WEIGHTS:
        a1, a5 = torchvision_metrics(name)
        return Reported(a1, a5, "torchvision", "torchvision IMAGENET1K_V1: 1 centre crop 224")
    return Reported(None, None, "none", "")


def _build(name: str, **kw) -> nn.Module:
    with torch.device("meta"):
        return build_model(name, **kw)


def model_row(name: str) -> dict:
    """One row of the overview table for a model name of :data:`reviewlib.nets.MODEL_NAMES` (meta device).

    ``params``/``macs``/``fc_share`` are of the inference network (GoogLeNet without its auxiliary heads, as
    torchvision's 6,624,904); ``train_only_params`` are the auxiliary heads' parameters, used in training only.
    """
    kw = {"aux_logits": False} if paper_of(name) == "googlenet" else {}
    size = input_side(name, 224)
    table = layer_table(_build(name, **kw), size)
    totals, shares = layer_totals(table), tables.param_shares(table)
    rep = reported(name)
    return {
        "model": name, "paper": paper_of(name), "source": "torchvision" if name in TORCHVISION_WEIGHTS else "paper",
        "input": size, "weight_layers": weight_depth(table), "params": totals["params"],
        "train_only_params": count_params(_build(name)) - totals["params"], "macs": totals["macs"],
        "fc_share": float(shares.loc[shares["kind"] == "fc", "share"].sum()), "top1": rep.top1, "top5": rep.top5,
        "reported": rep.where,
    }


def comparison_table(names=DEFAULT_MODELS) -> pd.DataFrame:
    """:func:`model_row` for each name, indexed by model (accuracies in %, ``None`` -> NaN)."""
    df = pd.DataFrame([model_row(n) for n in names]).set_index("model")
    for c in ("top1", "top5"):
        df[c] = df[c].astype(float)
    return df


def format_table(df: pd.DataFrame) -> pd.DataFrame:
    """The comparison table as stable text columns for a printed, checked notebook cell."""
    out = pd.DataFrame(index=df.index)
    out["source"] = df["source"]
    out["input"] = df["input"]
    out["weight layers"] = df["weight_layers"]
    out["params"] = df["params"].map("{:,}".format)
    out["aux params"] = df["train_only_params"].map(lambda v: f"{v:,}" if v else "-")
    out["MACs (G)"] = (df["macs"] / 1e9).map("{:.3f}".format)
    out["FC share"] = df["fc_share"].map("{:.1%}".format)
    out["top-1 %"] = df["top1"].map(lambda v: "n/r" if pd.isna(v) else f"{v:.2f}")
    out["top-5 %"] = df["top5"].map(lambda v: "n/r" if pd.isna(v) else f"{v:.2f}")
    return out


def param_shares(names=SHARE_MODELS) -> pd.DataFrame:
    """Parameters of the inference network in conv layers (Inception modules included), in the first FC layer
    (AlexNet's FC6, VGG's FC1, GoogLeNet's only classifier) and in the other FC layers; counts and shares, one row per
    model (from :func:`reviewlib.review.tables.param_shares`)."""
    rows = []
    for name in names:
        kw = {"aux_logits": False} if paper_of(name) == "googlenet" else {}
        shares = tables.param_shares(layer_table(_build(name, **kw), input_side(name, 224)))
        fc = shares.loc[shares["kind"] == "fc", "params"]
        conv = int(shares.loc["conv", "params"])
        first = int(fc.iloc[0]) if len(fc) else 0
        rest = int(fc.sum()) - first
        total = int(shares["params"].sum())
        other = total - conv - first - rest
        rows.append({"model": name, "conv": conv, "first_fc": first, "other_fc": rest, "other": other,
                     "total": total, "conv_share": conv / total, "first_fc_share": first / total,
                     "other_fc_share": rest / total})
    return pd.DataFrame(rows).set_index("model")


_SHARE_LABELS = {"alexnet_paper": "AlexNet (paper)\nFC6 = 9216x4096", "vgg_D": "VGG-16 (D)\nFC1 = 25088x4096",
                 "googlenet_paper": "GoogLeNet (paper)\navg pool, one 1024x1000 FC"}


def param_share_plot(shares: pd.DataFrame, save=None, title: str | None = None) -> Figure:
    """Stacked horizontal bars: each model's parameters split into conv / first FC / other FC (left: millions,
    right: shares), from :func:`param_shares`."""
    parts = [("conv", "conv (incl. Inception)", "tab:blue"), ("first_fc", "first FC layer", "tab:orange"),
             ("other_fc", "other FC layers", "tab:red")]
    fig = Figure(figsize=(10, 0.9 * len(shares) + 1.8), layout="constrained")
    ax_abs, ax_rel = fig.subplots(1, 2)
    labels = [_SHARE_LABELS.get(n, n) for n in shares.index]
    y = list(range(len(shares)))[::-1]
    left_abs = [0.0] * len(shares)
    left_rel = [0.0] * len(shares)
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
    ax_abs.set_yticks(y, labels, fontsize=8)
    ax_abs.set_xlabel("parameters (millions)")
    ax_abs.set_xlim(0, max(shares["total"]) / 1e6 * 1.2)
    ax_rel.set_yticks(y, [""] * len(y))
    ax_rel.set_xlim(0, 1)
    ax_rel.set_xlabel("share of the parameters")
    ax_abs.legend(fontsize=8, loc="lower right")
    fig.suptitle(title or "Where the parameters sit (inference networks)")
    if save is not None:
        save_figure(fig, save)
    return fig


def efficiency_plot(table: pd.DataFrame, save=None, title: str | None = None) -> Figure:
    """Reported top-1 and top-5 accuracy against multiply-adds per image (log scale), bubble area proportional
    to the parameters; paper results filled circles, torchvision's hollow squares, one colour per paper.

    ``table`` is :func:`comparison_table` (rows without a reported accuracy are left out of that panel).
    """
    fig = Figure(figsize=(11, 4.6), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True)
    size = lambda p: 20 + 600 * p / 140e6  # noqa: E731 - bubble area in points^2
    for ax, col, label in zip(axes, ("top1", "top5"), ("top-1", "top-5")):
        for name, r in table.iterrows():
            if pd.isna(r[col]):
                continue
            colour = PAPER_COLOURS[r["paper"]]
            paper_point = r["source"] == "paper"
            ax.scatter(r["macs"] / 1e9, r[col], s=size(r["params"]), marker="o" if paper_point else "s",
                       facecolor=colour if paper_point else "none", edgecolor=colour, alpha=0.6 if paper_point else 1,
                       linewidth=1.5)
            text = name.replace("vgg_", "VGG ") if paper_point else name
            ax.annotate(text, (r["macs"] / 1e9, r[col]), fontsize=7, textcoords="offset points",
                        xytext=(-6, 4) if paper_point else (5, -9), ha="right" if paper_point else "left")
        ax.set_xscale("log")
        ax.set_xlim(table["macs"].min() / 1e9 / 2, table["macs"].max() / 1e9 * 1.6)  # room for the labels
        ax.set_xlabel("multiply-adds per image (G, log)")
        ax.set_ylabel(f"{label} accuracy on ImageNet val (%)")
        ax.grid(alpha=0.3)
    missing = table.index[table["top1"].isna()].tolist()
    if missing:
        axes[0].set_title("top-1 (not reported: " + ", ".join(missing) + ")", fontsize=9)
    axes[1].set_title("top-5", fontsize=9)
    handles = [Line2D([], [], marker="o", ls="", color=c, label=p) for p, c in PAPER_COLOURS.items()]
    handles += [Line2D([], [], marker="o", ls="", color="gray", alpha=0.6, label="paper's result"),
                Line2D([], [], marker="s", ls="", mfc="none", color="gray", label="torchvision weights")]
    handles += [Line2D([], [], marker="o", ls="", mfc="none", color="gray", markersize=math.sqrt(size(p)),
                       label=f"{p / 1e6:.0f}M params") for p in (7e6, 61e6, 138e6)]
    axes[1].legend(handles=handles, fontsize=7, loc="lower right", labelspacing=1.3)
    fig.suptitle(title or "Accuracy against cost: the papers' numbers and torchvision's weights")
    if save is not None:
        save_figure(fig, save)
    return fig


# ---------------------------------------------------------------------------------------------------- shared run
@dataclass(frozen=True)
class SharedRunPlan:
    epochs: int
    max_batches: int | None
    note: str


def shared_run_plan(budget: Budget | str | None = None) -> SharedRunPlan:
    """Epochs and batches per epoch of the shared run: the budget's in paper; in study 5 epochs of 20 batches
    (1,280 images) per model, so the three runs take a quarter of an hour on a 2-core CPU rather than hours
    (a batch of 64 at 1/4 width costs about 2 s for AlexNet, 1.6 s for VGG-A and 6 s for GoogLeNet, whose many
    small convolutions a CPU runs badly); in smoke 1 epoch of 2 batches."""
    budget = get_budget(budget)
    if budget.name == "study":
        epochs, batches = 5, 20
    elif budget.name == "smoke":
        epochs, batches = 1, 2
    else:
        epochs, batches = budget.epochs, budget.max_batches
    per = "all" if batches is None else f"{batches} x {budget.batch_size} images"
    return SharedRunPlan(epochs, batches, f"budget {budget.name}: {epochs} epoch(s) of {per} per model, "
                                          f"same data, augmentation, recipe and seed for the three models")


def shared_recipe(budget: Budget | str | None = None):
    """One recipe for the three models: AlexNet's (SGD, momentum 0.9, weight decay 5e-4, plateau schedule) scaled
    to the budget, with learning rate 0.02 outside the paper budget (the lowest of the three study-tuned rates,
    so VGG-A without BatchNorm does not diverge) and GoogLeNet's auxiliary losses weighted 0.3 (its Sect. 5; the
    other two models have no auxiliary heads, so it changes nothing for them)."""
    from ...train.recipes import recipe_for

    budget = get_budget(budget)
    overrides = {"aux_weight": 0.3}
    if budget.name != "paper":
        overrides["lr"] = 0.02
    return recipe_for("alexnet", budget, **overrides)


def shared_run_variants(num_classes: int, width: float, image_size: int, names=SHARED_MODELS) -> dict:
    """``{name: zero-argument builder}`` for :func:`reviewlib.experiments.run_experiments`: each model sized for
    ``num_classes``, ``width`` and the crop ``image_size`` the shared loader gives."""
    for n in names:  # fail now, with the ConfigError naming the layer, rather than inside the training loop
        _build(n, num_classes=num_classes, width=width, image_size=image_size)
    return {n: (lambda n=n: build_model(n, num_classes=num_classes, width=width, image_size=image_size))
            for n in names}


#: The torchvision model closest to each trained paper model (same architecture for VGG A = vgg11, D = vgg16).
TORCHVISION_COUNTERPART = {"alexnet_paper": "alexnet", "vgg_A": "vgg11", "vgg_B": "vgg13", "vgg_D": "vgg16",
                           "vgg_E": "vgg19", "googlenet_paper": "googlenet"}


def with_ours(experiment, budget_name: str) -> pd.DataFrame:
    """Reported accuracies (paper, torchvision counterpart) beside ours for each model of ``experiment`` (the
    :class:`reviewlib.experiments.Experiment` of the shared run; its final epoch's validation accuracies, %)."""
    t = experiment.table
    rows = []
    for name in t.index:
        rep = reported(name)
        tv = TORCHVISION_COUNTERPART.get(name)
        tv1, tv5 = torchvision_metrics(tv) if tv else (math.nan, math.nan)
        rows.append({"model": name, "paper top-1": rep.top1, "paper top-5": rep.top5, "torchvision": tv or "-",
                     "torchvision top-1": tv1, "torchvision top-5": tv5,
                     f"ours ({budget_name}) top-1": t.loc[name, "final_val_acc1"],
                     f"ours ({budget_name}) top-5": t.loc[name, "final_val_acc5"],
                     "params trained": int(t.loc[name, "params"])})
    return pd.DataFrame(rows).set_index("model")


def training_curves_plot(experiment, save=None, title: str | None = None) -> Figure:
    """Training loss and validation top-1 per epoch of each model of the shared run, one colour per paper."""
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for name, h in experiment.histories.items():
        colour = PAPER_COLOURS.get(paper_of(name), None)
        ax_loss.plot(h["epoch"], h["train_loss"], marker="o", color=colour, label=name)
        ax_acc.plot(h["epoch"], h["val_acc1"], marker="o", color=colour, label=name)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("validation top-1 (%)")
    ax_acc.legend(fontsize=8)
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    fig.suptitle(title or "Shared run: same data, augmentation, recipe and seed")
    if save is not None:
        save_figure(fig, save)
    return fig
