"""The overview's experiment: the three papers' models trained on the same data with one recipe, and read as
accuracy against cost.

The "variants" are the three models (:func:`ablation_variants`); each trains at its own paper's size with the
plan's seeds (:func:`shared_run`). What differs between them is the architecture, the input size each paper trains
at (AlexNet 227/224 of the budget's size, VGG and GoogLeNet their own), each paper's augmentation
(:func:`reviewlib.experiments.runner.train_transform`: AlexNet Sect. 4.1, VGG Sect. 3.1, GoogLeNet Sect. 6) and,
for GoogLeNet, the auxiliary losses (weight 0.3, Sect. 5) that its training loss adds to the main one. The curves
therefore compare the *main* loss (:func:`main_loss`).

:func:`run_table` reads the run as one row per model (accuracy mean ± sd over seeds, parameters, multiply-adds,
seconds per epoch); :func:`gaps` says which differences between models exceed the seed noise (Welch's t, as the
ablation verdicts of :mod:`reviewlib.experiments.stats`); :func:`describe` writes the sentences about the run.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

import pandas as pd

from ...experiments.cost import plan_cost
from ...experiments.runner import Results, Variant, splits, train_variant
from ...experiments.stats import effect, mean_sd, noise_band
from ...review.report import Markdown, markdown, pm
from ...review.tables import layer_totals
from .claims import inference_table, reported
from .plan import MODELS

LABELS = {"alexnet_paper": "AlexNet", "vgg_A": "VGG-A", "googlenet_paper": "GoogLeNet"}


def ablation_variants() -> dict[str, Variant]:
    """The three arms of the overview's comparison: one per paper's model (sign 0: the papers rank them on
    ImageNet, not on this subset)."""
    out = {}
    for m in MODELS:
        rep = reported(m)
        out[m] = Variant(m, model=m, paper=f"ImageNet top-5 {rep.top5:.1f}% ({rep.where.split(':')[0]})")
    return out


def shared_run(study, *, models: Sequence[str] = MODELS, seeds: Sequence[int] | None = None,
               progress: bool = True, keep_models: bool = False) -> Results:
    """Train each of ``models`` (its run in ``study.runs``) with each seed (seed-major: after each seed the models
    are on par)."""
    variants = {m: v for m, v in ablation_variants().items() if m in models}
    trained = []
    runs = [study.runs[m] for m in models]
    for seed in (runs[0].seeds if seeds is None else seeds):
        for run in runs:
            trained.append(train_variant(study, run, variants[run.model], seed, progress=progress,
                                         keep_model=keep_models))
    return Results(variants, trained)


EXPERIMENTS = {"shared_run": shared_run}


def expected_minutes(study, device: str = "cpu") -> pd.DataFrame:
    """The plan's cost before training (:func:`reviewlib.experiments.cost.plan_cost`): one row per model, with the
    step time measured now on ``device`` and the minutes for all its seeds."""
    train, val = splits(study, next(iter(study.runs.values())))
    return plan_cost(study, train_images=len(train.paths), val_images=len(val.paths), device=device)


#: A one-line meaning for every column of :func:`expected_minutes`.
PLAN_COLUMNS = {
    "run": "the run's name (here: the model it trains)",
    "model": "the network trained",
    "input": "side of the images it takes, in pixels",
    "width": "multiplier on every layer's channel count",
    "epochs": "passes over the training images",
    "steps / seed": "optimizer steps for one seed",
    "seeds": "how many times the run is repeated with a different random seed (init, data order, augmentation)",
    "variants": "arms trained per seed (one here: the model itself)",
    "s / step": "seconds per training step of one batch, measured now on this machine",
    "minutes": "expected minutes for all seeds: steps x seconds per step, plus a validation pass per epoch",
}


def minutes_text(cost: pd.DataFrame) -> str:
    """The plan's expected training time in words ("about 7 minutes", "under a minute")."""
    total = float(cost["minutes"].sum())
    return "under a minute" if total < 1 else f"about {total:.0f} minute{'s' if round(total) != 1 else ''}"


def main_loss(history: pd.DataFrame) -> pd.Series:
    """The training loss of the main classifier: ``train_main_loss`` when the model has auxiliary heads
    (GoogLeNet: its ``train_loss`` adds 0.3 x each auxiliary loss), else ``train_loss``."""
    col = "train_main_loss" if "train_main_loss" in history and history["train_main_loss"].notna().any() \
        else "train_loss"
    return history[col]


def run_table(results: Results, study) -> pd.DataFrame:
    """One row per model: final validation top-1 / top-5 (mean and sd over seeds), final main training loss,
    trained parameters, multiply-adds per image of the trained net at its input, wall-clock seconds per epoch."""
    rows = []
    for name in results.variants:
        done = [t for t in results.trained if t.variant == name]
        if not done:
            continue
        run = study.runs[name]
        top1 = mean_sd([t.history["val_acc1"].iloc[-1] for t in done])
        top5 = mean_sd([t.history["val_acc5"].iloc[-1] for t in done])
        loss = mean_sd([main_loss(t.history).iloc[-1] for t in done])
        classes = len(splits(study, run)[0].wnids)
        macs = layer_totals(inference_table(name, run.image_size, num_classes=classes, width=run.width))["macs"]
        seconds = sum(t.history["seconds"].mean() for t in done) / len(done)
        rows.append({"model": name, "input": run.image_size, "width": run.width, "epochs": run.epochs,
                     "classes": classes, "seeds": top1[2], "params": done[0].params, "macs": macs,
                     "seconds_per_epoch": seconds, "top1": top1[0], "top1_sd": top1[1], "top5": top5[0],
                     "top5_sd": top5[1], "main_loss": loss[0]})
    return pd.DataFrame(rows).set_index("model")


#: A one-line meaning for every column of :func:`format_run_table`.
RUN_COLUMNS = {
    "model": "the paper's net, at the plan's width",
    "input": "side of the training crops the net takes (each paper's own training size)",
    "params": "parameters trained (GoogLeNet's auxiliary heads included)",
    "MACs (M)": "multiply-accumulates per image at that input, millions (test-time net)",
    "s / epoch": "wall-clock seconds per epoch, training plus one validation pass, mean over seeds",
    "val top-1 %": "validation top-1 at the last epoch, mean ± sd over seeds (chance: 10% with 10 classes)",
    "val top-5 %": "validation top-5 at the last epoch, mean ± sd over seeds (chance: 50% with 10 classes)",
    "main loss": "training loss of the main classifier at the last epoch (no auxiliary terms), mean over seeds",
}


def format_run_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`run_table` as text columns (explained in :data:`RUN_COLUMNS`)."""
    return pd.DataFrame({
        "model": table.index, "input": table["input"].to_numpy(),
        "params": [f"{int(v):,}" for v in table["params"]],
        "MACs (M)": [f"{v / 1e6:.1f}" for v in table["macs"]],
        "s / epoch": [f"{v:.1f}" for v in table["seconds_per_epoch"]],
        "val top-1 %": [pm(m, s) for m, s in zip(table["top1"], table["top1_sd"])],
        "val top-5 %": [pm(m, s) for m, s in zip(table["top5"], table["top5_sd"])],
        "main loss": [f"{v:.3f}" for v in table["main_loss"]],
    })


def gaps(results: Results, metric: str = "val_acc1") -> pd.DataFrame:
    """Every pair of models: the difference of their final ``metric`` means (first - second), its standard
    error over seeds, the 95% noise band (Welch's t) and whether the gap exceeds it (``None`` with one seed)."""
    scores = results.scores(metric)
    rows = []
    for a, b in combinations([m for m in results.variants if m in scores], 2):
        diff, se, df = effect(scores[a], scores[b])
        band = noise_band(se, df) if not math.isnan(se) else math.nan
        rows.append({"pair": f"{LABELS.get(a, a)} - {LABELS.get(b, b)}", "seeds": min(len(scores[a]),
                                                                                     len(scores[b])),
                     "diff": diff, "se": se, "band": band,
                     "exceeds noise": None if math.isnan(band) else bool(abs(diff) > band)})
    return pd.DataFrame(rows).set_index("pair")


def noise_source(results: Results, recorded: Results | None) -> tuple[Results, str]:
    """The run whose seeds measure the noise: this one when it has several seeds, else the recorded run (the same
    run with more seeds) when there is one, else this one (and :func:`gaps` says it cannot tell)."""
    seeds = lambda r: min(len(v) for v in r.scores().values())  # noqa: E731
    if seeds(results) < 2 and recorded is not None and seeds(recorded) >= 2:
        return recorded, "the recorded run"
    return results, "this run"


def describe(table: pd.DataFrame, gap_table: pd.DataFrame, source: str = "this run",
             recorded: Results | None = None) -> Markdown:
    """The sentences about the run, computed from it: each model's final accuracy against chance, and which gaps
    exceed the seed noise of ``source`` (``gap_table`` = :func:`gaps` of it); with ``recorded``, its mean ± sd."""
    order = table.sort_values("top1", ascending=False)
    seeds, epochs = int(order["seeds"].min()), int(order["epochs"].iloc[0])
    parts = [f"{LABELS.get(m, m)} {pm(r['top1'], r['top1_sd'])}%" for m, r in order.iterrows()]
    chance, weakest = 100 / int(order["classes"].iloc[0]), order.index[-1]
    text = (f"After {epochs} epoch{'s' if epochs > 1 else ''} ({seeds} seed{'s' if seeds > 1 else ''} each) the "
            f"final validation top-1 is {', '.join(parts)}. Chance is {chance:g}%, so the weakest model, "
            f"{LABELS.get(weakest, weakest)}, ends at {order['top1'].iloc[-1] / chance:.1f} times chance. ")
    if recorded is not None:
        scores = recorded.scores()
        text += f"The recorded run ({min(len(v) for v in scores.values())} seeds) ends at " + ", ".join(
            f"{LABELS.get(m, m)} {pm(*mean_sd(v)[:2])}%" for m, v in scores.items()) + ". "
    if gap_table["exceeds noise"].isna().all():
        text += ("With one seed there is no estimate of the seed noise: a gap of a few points between two models "
                 "may change sign with another seed, so the ranking is not established here.")
        return markdown(text)
    n = int(gap_table["seeds"].min())
    real = gap_table[gap_table["exceeds noise"] == True]  # noqa: E712 (None = one seed)
    within = gap_table[gap_table["exceeds noise"] == False]  # noqa: E712
    text += f"Over the {n} seeds of {source}, "
    if len(real):
        text += "these gaps exceed the seed noise (95% band): " + "; ".join(
            f"{p} {r['diff']:+.1f} ± {r['se']:.1f} points" for p, r in real.iterrows()) + ". "
    if len(within):
        text += ("every gap is within the noise: " if not len(real) else "Within the noise: ") + "; ".join(
            f"{p} {r['diff']:+.1f} ± {r['se']:.1f}" for p, r in within.iterrows()) + \
            " (the order of these may change with other seeds)."
    return markdown(text)


def describe_cost(table: pd.DataFrame) -> Markdown:
    """A sentence on the measured cost, computed from the run: seconds per epoch and per billion multiply-adds."""
    per = {m: r["seconds_per_epoch"] / r["macs"] for m, r in table.iterrows()}  # same images per epoch
    fastest = min(per, key=per.get)
    parts = [f"{table.loc[m, 'seconds_per_epoch']:.1f} s for {LABELS.get(m, m)} ({table.loc[m, 'macs'] / 1e6:.0f} M "
             f"multiply-adds per image)" for m in table.index]
    ratios = ", ".join(f"{LABELS.get(m, m)} {per[m] / per[fastest]:.1f}x" for m in table.index if m != fastest)
    return markdown(f"Measured here, an epoch took {'; '.join(parts)}. Per multiply-add, "
                    f"{LABELS.get(fastest, fastest)} ran fastest; the others took {ratios} as long per "
                    "multiply-add: counted arithmetic and measured time are different costs.")


def headline(table: pd.DataFrame) -> Markdown:
    """The run in one line for the summary: each model's final top-1 and its multiply-adds per image."""
    chance = 100 / int(table["classes"].iloc[0])
    parts = ", ".join(f"{LABELS.get(m, m)} {pm(r['top1'], r['top1_sd'])}% at {r['macs'] / 1e6:.0f} M multiply-adds"
                      for m, r in table.iterrows())
    return markdown(f"**This run:** final validation top-1 {parts} per image (chance {chance:g}%).")
