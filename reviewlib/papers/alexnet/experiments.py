"""AlexNet's experiments: the main run (Sect. 5), the tricks of Sect. 3-4 as ablations over seeds, and Fig. 1's race.

* :func:`main_run`: the paper model with the paper's recipe and augmentation, the run ``python -m reviewlib.train
  --model alexnet_paper`` trains.
* :func:`ablations`: every arm of :func:`ablation_variants` over the ``ablations`` run's seeds; :func:`ablation_table`
  reads them as mean ± sd, difference to the paper model ± se and a verdict, with the train - val gap beside.
* :func:`fig1_race`: Fig. 1 (:mod:`.race`) under two starting points, each activation at its own best rate.

``EXPERIMENTS`` is what ``python -m reviewlib.experiments record --paper alexnet`` records. The test-time
experiments of Sect. 4 (10 crops, Fig. 4's neighbours) are in :mod:`.evaluation`.
"""
from __future__ import annotations

import math

import pandas as pd
from torch import nn

from ...experiments import BASELINE, Results, Variant, format_summary, run_variants
from ...experiments.cost import EVAL_FRACTION, run_steps, step_seconds
from ...experiments.cost import PLAN_LEGEND as BASE_PLAN_LEGEND
from ...experiments.runner import build, splits
from ...experiments.runner import main_run as run_main
from ...experiments.stats import mean_sd
from ...device import seed_everything
from ...review.report import pm
from ...train.run import Run
from . import race as fig1
from .plan import race_settings

PAPER_MODEL = BASELINE.name  # the baseline arm: the paper model with every trick
#: The LRN arm: each LRN layer replaced by the constant division by k**beta it applies to quiet maps (alpha=0), so
#: the arm loses the normalisation by the neighbours' activity, the part Sect. 3.3 credits, and keeps the net's
#: scale. Dropping the layers outright also multiplies the responses behind them by k**beta (1.68) per layer, which
#: acts like a larger learning rate: a different experiment (``alexnet(..., lrn=False)`` builds that net).
NO_LRN = "no LRN (scale kept)"


def ablation_variants() -> dict[str, Variant]:
    """The paper model and one arm per trick it credits, each removing that trick (Sect. 3.2-4.2).

    ``sign`` is the sign of (arm - paper model) in validation top-1 that the paper reports: -1 everywhere, since
    the paper credits every trick with a gain. The LRN arm keeps LRN's constant division (:data:`NO_LRN`). "one GPU" is Sect. 3.2's comparison net (its footnote): one GPU, half
    the kernels of conv1-conv4, conv5 and the FC layers at full size (``alexnet(..., one_gpu=True)``).
    """
    return {
        PAPER_MODEL: BASELINE,
        "no dropout": Variant("no dropout", model_kw={"dropout": 0.0}, sign=-1,
                              paper="Sect. 4.2: without dropout the net overfits substantially (no number)"),
        "no augmentation": Variant("no augmentation", augment={"augment": False}, sign=-1,
                                   paper="Sect. 4.1: without crops and flips, substantial overfitting (no number)"),
        "no PCA colour noise": Variant("no PCA colour noise", augment={"pca_sigma": 0.0}, sign=-1,
                                       paper="Sect. 4.1: PCA colour noise lowers top-1 error by over 1%"),
        NO_LRN: Variant(NO_LRN, model_kw={"lrn": "constant"}, sign=-1,
                        paper="Sect. 3.3: LRN lowers top-1 / top-5 error by 1.4% / 1.2%"),
        "non-overlapping pooling": Variant("non-overlapping pooling", model_kw={"overlap_pool": False}, sign=-1,
                                           paper="Sect. 3.4: z=3, s=2 beats z=s=2 by 0.4% / 0.3% top-1 / top-5"),
        "one GPU": Variant("one GPU", model_kw={"one_gpu": True}, sign=-1,
                           paper="Sect. 3.2: two GPUs beat one (half the kernels) by 1.7% / 1.2% top-1 / top-5"),
    }


def main_run(study, *, progress: bool = True, live_plot: bool = False) -> Results:
    """The notebook's main run: the paper model, every seed of the study's ``main`` run (models kept)."""
    return run_main(study, progress=progress, live_plot=live_plot)


def ablations(study, *, progress: bool = True) -> Results:
    """Every arm of :func:`ablation_variants` with every seed of the ``ablations`` run."""
    return run_variants(study, study.runs["ablations"], ablation_variants(), progress=progress)


def fig1_race(study, *, progress: bool = True) -> pd.DataFrame:
    """Fig. 1 on the race's data (:func:`.race.race_data`), under every starting point of the plan's grid
    (:data:`.plan.RACE`): every epoch of every run, one row each (:func:`.race.race`)."""
    s = race_settings(study)
    data = fig1.race_data(study, s["per_class"], download=s["download"])
    return fig1.race(study, study.runs["race"], data, s["lrs"], batch_size=s["batch_size"], progress=progress)


EXPERIMENTS = {"main": main_run, "ablations": ablations, "race": fig1_race}


def untrained(study, run: Run, seed: int = 0, variant: Variant = BASELINE) -> nn.Module:
    """The net ``variant`` of ``run`` starts training from with ``seed`` (the same initial weights as
    :func:`reviewlib.experiments.train_variant` draws)."""
    seed_everything(seed)
    return build(study, run, variant, num_classes=len(splits(study, run)[0].wnids))


# ------------------------------------------------------------------------------------------------- the plan's cost
def expected_minutes(study, device: str = "cpu") -> pd.DataFrame:
    """The notebook's training before it starts, from step times measured now
    (:func:`reviewlib.experiments.cost.step_seconds`): the main run, the ablation arms and the race (its worst case:
    every run of the sweep to the cap; pruning makes it shorter)."""
    train, val = (len(s.paths) for s in splits(study, study.runs["main"]))
    rows = []
    arms = {"main": (study.runs["main"], {})}
    arms |= {f"ablations: {k}": (study.runs["ablations"], dict(v.model_kw)) for k, v in ablation_variants().items()}
    for name, (run, kw) in arms.items():
        s = step_seconds(run.model, width=run.width, image_size=run.image_size, batch_size=study.batch_size,
                         device=device, steps=2, **kw)
        steps = run_steps(run, train, study.batch_size)
        evals = run.epochs * math.ceil(val / study.batch_size) * EVAL_FRACTION
        rows.append({"run": name, "model": run.model, "input": run.image_size, "width": run.width,
                     "epochs": run.epochs, "steps / seed": steps, "seeds": len(run.seeds),
                     "s / step": round(s, 3), "minutes": (steps + evals) * s * len(run.seeds) / 60})
    run, rs = study.runs["race"], race_settings(study)
    images = 10 * rs["per_class"] if rs["per_class"] else train
    s = step_seconds(run.model, width=run.width, image_size=run.image_size, batch_size=rs["batch_size"],
                     device=device, steps=2) * rs["batch_size"] / study.batch_size  # per 64 images, as above
    runs = sum(len(g) for g in rs["lrs"].values()) * 2
    steps = run_steps(run, images, study.batch_size) * runs
    rows.append({"run": "race (at most)", "model": run.model, "input": run.image_size, "width": run.width,
                 "epochs": run.epochs, "steps / seed": steps, "seeds": len(run.seeds), "s / step": round(s, 3),
                 "minutes": steps * s * len(run.seeds) / 60})
    table = pd.DataFrame(rows).set_index("run")
    table["minutes"] = table["minutes"].round(2)
    return table


#: A one-line meaning for every column of :func:`expected_minutes`.
PLAN_LEGEND = {**BASE_PLAN_LEGEND,
               "epochs": "passes over the training images (for the race: the most a run may take)",
               "steps / seed": "optimizer steps for one seed (batches of 64 images; the race: all its runs together)"}


# ------------------------------------------------------------------------------------------- reading the results
def history_sentence(history: pd.DataFrame, recorded: Results | None = None) -> str:
    """What the main run's curves say, from its history: final and best validation top-1, the train - val gap, and
    the recorded run's final top-1 when there is one."""
    last = history.iloc[-1]
    best = history.loc[history["val_acc1"].idxmax()]
    text = (f"After {int(last['epoch'])} epochs the paper model reaches **{last['val_acc1']:.1f}%** validation "
            f"top-1 (chance is 10%; top-5 {last['val_acc5']:.1f}%), its best was {best['val_acc1']:.1f}% at epoch "
            f"{int(best['epoch'])}. Its validation loss went from {history['val_loss'].iloc[0]:.2f} to "
            f"{last['val_loss']:.2f}. The last epoch's training accuracy, {last['train_acc1']:.1f}% on augmented "
            f"crops with dropout on, is {last['train_acc1'] - last['val_acc1']:+.1f} points from the validation "
            f"accuracy.")
    if recorded is not None and recorded.trained:
        mean, sd, n = mean_sd(recorded.scores()[PAPER_MODEL])
        text += (f" The recorded run ({n} seed{'s' if n > 1 else ''}, same settings) ended at {mean:.1f}%"
                 + (f" ± {sd:.1f}" if n > 1 else "") + ".")
    return text


def gaps(results: Results) -> dict[str, tuple[float, float, int]]:
    """Per arm: the last epoch's training top-1 minus validation top-1 (points), mean, sd and seeds. Training
    accuracy is measured on the arm's own training inputs (augmented, dropout on, where the arm has them)."""
    per: dict[str, list[float]] = {}
    for t in results.trained:
        last = t.history.iloc[-1]
        per.setdefault(t.variant, []).append(float(last["train_acc1"] - last["val_acc1"]))
    return {k: mean_sd(v) for k, v in per.items()}


def ablation_table(results: Results) -> pd.DataFrame:
    """The ablation as a reader sees it: :func:`reviewlib.experiments.format_summary` of the summary against the
    paper model, with the train - val gap (mean ± sd) beside."""
    table = format_summary(results.summary(PAPER_MODEL))
    g = gaps(results)
    table.insert(2, "train - val (pp), mean ± sd",
                 [f"{g[k][0]:.1f} ± {g[k][1]:.1f}" if k in g and g[k][2] > 1 else "" for k in table.index])
    return table


#: A one-line meaning for every column of :func:`ablation_table`.
ABLATION_LEGEND = {
    "seeds": "how many seeds each arm was trained with",
    "val top-1 (%), mean ± sd": "final validation top-1 accuracy over the seeds (chance: 10%)",
    "train - val (pp), mean ± sd": "final training top-1 minus validation top-1, in points: how much the arm "
                                   "overfits (training accuracy measured with dropout and augmentation on)",
    "vs baseline (pp) ± se": "the arm's mean minus the paper model's, in points, with the standard error of that "
                             "difference (negative: removing the trick cost accuracy)",
    "paper": "what the paper reports for the trick",
    "verdict": "the difference read against the paper's direction: outside the 95% noise band of the seeds and "
               "the same sign ('as the paper reports'), the other sign ('opposite'), or inside it ('within noise')",
}


def chance_level(study, run: Run) -> float:
    """Top-1 accuracy (%) of guessing: 100 / the number of classes the run trains on."""
    return 100.0 / len(splits(study, run)[0].wnids)


def ablation_sentences(results: Results, chance: float | None = None) -> str:
    """One line per arm, rendered from the summary: its effect in points ± se, the verdict and the overfitting
    gap; then the dropout reading (does removing dropout widen the train - val gap?). An arm whose mean stays
    below twice ``chance`` did not learn in this run: its line says so, since its difference then measures a
    failed run (at this learning rate and length), not the trick."""
    summary = results.summary(PAPER_MODEL)
    g = gaps(results)
    base = summary.loc[PAPER_MODEL]
    lines = [f"The paper model ends at **{base['mean']:.1f} ± {base['sd']:.1f}%** validation top-1 over "
             f"{int(base['seeds'])} seeds; its training accuracy minus its validation accuracy is "
             f"{g[PAPER_MODEL][0]:+.1f} points."]
    for name, row in summary.drop(index=PAPER_MODEL).iterrows():
        stalled = chance is not None and row["mean"] < 2 * chance
        lines.append(f"* **{name}**: {row['mean']:.1f}% ({row['diff']:+.1f} ± {row['se']:.1f} points against the "
                     f"paper model; {row['verdict']}); train - val gap {g[name][0]:+.1f} points."
                     + (f" It stayed below twice chance ({2 * chance:.0f}%): this arm did not learn in "
                        f"{int(results.trained[0].history['epoch'].max())} epochs at this learning rate, so its "
                        f"difference measures a stalled run, not the trick." if stalled else ""))
    if "no dropout" in g:
        wider = g["no dropout"][0] - g[PAPER_MODEL][0]
        lines.append(f"\nWithout dropout the train - val gap is {g['no dropout'][0]:.1f} points against "
                     f"{g[PAPER_MODEL][0]:.1f} with it: {'wider' if wider > 0 else 'not wider'} by "
                     f"{abs(wider):.1f} points. (With dropout, training accuracy is measured on the thinned net, "
                     f"which lowers it: part of any difference is that, not overfitting.)")
    return "\n".join(lines)


def race_sentences(runs: pd.DataFrame) -> str:
    """What the race shows, from its runs: per starting point, each activation's epochs at its best rate and the
    two ratios (seed-averaged when there are several seeds)."""
    s = fig1.race_summary(runs)
    lines = []
    for init, g in s.groupby("init", sort=False):
        r = g.iloc[0]
        seeds = f" (seed {int(r['seed'])})" if len(g) == 1 else f" (first of {len(g)} seeds)"
        own = fig1.ratio_text(r["tanh epochs"], r["relu epochs"], r["tanh ran"])
        shared = fig1.ratio_text(r["tanh at relu lr"], r["relu epochs"], r["tanh at relu lr ran"])
        lines.append(
            f"* **{init}** ({fig1.INITS[init]}){seeds}: ReLU reaches {fig1.TARGET:.0f}% training error in "
            f"{fig1.epochs_text(r['relu epochs'], r['relu ran'])} epochs at lr {r['relu lr']:g}, tanh in "
            f"{fig1.epochs_text(r['tanh epochs'], r['tanh ran'])} at lr {r['tanh lr']:g}: tanh / ReLU = **{own}** "
            f"at each one's best rate; held to ReLU's rate tanh needs "
            f"{fig1.epochs_text(r['tanh at relu lr'], r['tanh at relu lr ran'])}, a ratio of **{shared}**.")
    return "\n".join(lines)


def _ratio(row) -> float:
    """tanh / ReLU epochs at each one's best rate; when tanh never reached the target, a lower bound (its epochs
    run); NaN when ReLU never did."""
    tanh = row["tanh epochs"] if not math.isnan(row["tanh epochs"]) else float(row["tanh ran"])
    return tanh / row["relu epochs"] if not math.isnan(row["relu epochs"]) else math.nan


def race_seeds_sentence(runs: pd.DataFrame) -> str:
    """Fig. 1's ratio over seeds, per starting point: tanh / ReLU epochs at each one's best rate, mean ± sd (a
    lower bound where tanh never reached the target in some seed), beside the paper's six."""
    s = fig1.race_summary(runs)
    parts = []
    for init, g in s.groupby("init", sort=False):
        ratios = [_ratio(r) for _, r in g.iterrows()]
        if any(math.isnan(v) for v in ratios):
            parts.append(f"from the {init} start ReLU missed the target in some seed, so there is no ratio")
            continue
        mean, sd, n = mean_sd(ratios)
        bound = "at least " if g["tanh epochs"].isna().any() else ""
        parts.append(f"from the {init} start {bound}{pm(mean, sd, 2)} ({n} seed{'s' if n > 1 else ''})")
    return (f"tanh / ReLU epochs to {fig1.TARGET:.0f}% training error, each at its own best rate: "
            + "; ".join(parts) + f" (the paper: {fig1.PAPER_RATIO:g}).")


def race_reading(runs: pd.DataFrame, spread: pd.DataFrame) -> str:
    """Who wins Fig. 1's race under each starting point, and why, from measurements: the ratio at each one's best
    rate beside the first layer's pre-activation width and the share of its units a tanh would hold saturated at
    the start (:func:`.race.start_spread`)."""
    s = fig1.race_summary(runs).groupby("init", sort=False).first()
    first = spread.groupby("init", sort=False).first()
    lines, ratios = [], {}
    for init, r in s.iterrows():
        ratio = ratios[init] = _ratio(r)
        who = ("neither activation reached the target, so there is no ratio to read" if math.isnan(ratio) else
               "ReLU is clearly faster" if ratio >= 1.25 else "tanh is faster" if ratio <= 0.8 else
               "the two are about as fast (within a factor 1.25)")
        lines.append(f"* From the **{init}** start, tanh / ReLU = {fig1.ratio_text(r['tanh epochs'], r['relu epochs'], r['tanh ran'])}: "
                     f"{who}. At the start, {first.loc[init, 'layer']}'s pre-activations have a standard deviation of "
                     f"{first.loc[init, 'pre-activation std']:.2f}, and a tanh there is saturated (|tanh| > 0.99) "
                     f"for {first.loc[init, 'saturated if tanh (%)']:.1f}% of its outputs.")
    d, p = ratios.get("default", math.nan), ratios.get("paper", math.nan)
    if not (math.isnan(d) or math.isnan(p)):
        sat = first["saturated if tanh (%)"]
        more = "larger" if p > d else "not larger"
        lines.append(f"\nThe ratio is {more} from the paper's start ({p:.1f} against {d:.1f}), where tanh starts with "
                     f"{sat.get('paper', math.nan):.1f}% of its first-layer units saturated against "
                     f"{sat.get('default', math.nan):.1f}% from the default start. A saturated tanh passes almost no "
                     f"gradient, a ReLU never saturates for positive inputs: how much faster ReLU is depends on how "
                     f"wide the pre-activations start, not on the non-linearity alone.")
    return "\n".join(lines)
