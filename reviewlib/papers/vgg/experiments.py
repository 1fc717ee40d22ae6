"""VGG's experiments: the main run (Sect. 3.1), Table 3's comparisons as ablations over seeds (Sect. 4.1), and the
test protocols of Sect. 3.2 / Tables 4-6 on the trained nets.

* :func:`main_run`: configuration A from random initialisation, the run ``python -m reviewlib.train --model vgg_A``
  trains.
* :func:`ablations`: every arm of :func:`ablation_variants` over the ``ablations`` run's seeds, seed-major, so that
  the deeper nets warm-started from A (Sect. 3.1, :func:`reviewlib.train.init.warm_start_vgg`) find the A of
  their own seed trained. :data:`COMPARISONS` says which arm is compared with which, and what the paper reports;
  :func:`comparison_table` reads them as mean ± sd, difference ± se and a verdict.
* :func:`protocol_table` (Sect. 3.2, Tables 4-5: dense, multi-crop and both) and :func:`fusion_table` (Table 6:
  two nets' soft-max averaged) evaluate the trained nets on every validation image.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd
import torch
from torch import nn

from ...data.augment import resize_side
from ...device import seed_everything
from ...evaluate import ensemble_predict, paper_scales, predict_dataset, topk_errors
from ...experiments import BASELINE, Results, Variant, run_variants
from ...experiments.cost import EVAL_FRACTION, run_steps, step_seconds
from ...experiments.cost import PLAN_LEGEND as BASE_PLAN_LEGEND
from ...experiments.runner import StoreImages, build, eval_transform, split_images, splits
from ...experiments.runner import main_run as run_main
from ...experiments.stats import ablation_summary, mean_sd
from ...nets import eval_mode
from ...train.run import Run
from .claims import SHALLOW, SHALLOW_GAP, TABLE3
from .plan import ABLATION

A, A_LRN, FIXED = "A", "A-LRN", "A, fixed S"
WARM = " (from A)"  # suffix of a net whose first four convs and three FC layers start from the trained A


def _err(c: str) -> float:
    return TABLE3.loc[c, "top1_error"]


def ablation_variants(resize: int = resize_side(ABLATION["size"])) -> dict[str, Variant]:
    """The arms of the ablation in training order (warm-started nets after A). ``resize``: the run's short side S
    for the fixed-scale arm (S = 256 scaled; the others jitter S in [resize, 2 x resize], Sect. 3.1).

    The deeper nets are trained twice, warm-started from A as the paper did and from random (Kaiming) init; C and
    the shallow B-5x5 are warm-started like the nets they are compared with (B-5x5's 5x5 convs cannot take A's 3x3
    weights, so only its FC layers start from A, Sect. 3.1's rule "when the shapes match").

    ``sign`` and ``paper`` give the arm's main comparison (:data:`COMPARISONS` lists all of them)."""
    table3 = "Table 3, {c} {e}% vs A 29.6% top-1 error"
    v = {A: Variant(A),
         A_LRN: Variant(A_LRN, model="vgg_A-LRN", sign=0, paper="Table 3: 29.7% vs 29.6% top-1 error, no gain"),
         FIXED: Variant(FIXED, augment={"s_min": resize, "s_max": resize}, sign=-1,
                        paper="Table 3: jittered S beats fixed S (D: 25.6% vs 27.0% top-1 error)")}
    for c in ("B", "D", "E"):
        v[c + WARM] = Variant(c + WARM, model=f"vgg_{c}", warm_from=A, sign=1,
                              paper=table3.format(c=c, e=_err(c)))
    v["C" + WARM] = Variant("C" + WARM, model="vgg_C", warm_from=A, sign=-1,
                            paper="Table 3: C 28.1% vs D 27.0% top-1 error")
    for c in ("B", "D", "E"):
        v[c] = Variant(c, model=f"vgg_{c}", sign=1, paper=f"Table 3 (nets started from A): {_err(c)}% vs 29.6%")
    v[SHALLOW + WARM] = Variant(SHALLOW + WARM, model=f"vgg_{SHALLOW}", warm_from=A, sign=-1,
                                paper=f"Sect. 4.1: {SHALLOW_GAP:g}% higher top-1 error than B")
    return v


#: Every comparison the notebook draws: group -> rows of (arm, its baseline, sign the paper reports, the paper).
COMPARISONS: dict[str, list[tuple[str, str, int, str]]] = {
    "depth, trained as the paper did": [
        (c + WARM, A, 1, f"Table 3: {_err(c)}% vs 29.6% top-1 error") for c in ("B", "D", "E")],
    "depth, from random init": [
        (c, A, 1, f"Table 3 (nets started from A): {_err(c)}% vs 29.6%") for c in ("B", "D", "E")],
    "warm start from A vs random init": [
        (c + WARM, c, 1, "Sect. 3.1: the warm start avoids stalled learning (a later note: Glorot's init works too)")
        for c in ("B", "D", "E")],
    "LRN": [(A_LRN, A, 0, "Table 3: 29.7% vs 29.6% top-1 error, no gain")],
    "1x1 vs 3x3 convs": [("C" + WARM, "D" + WARM, -1, "Table 3: C 28.1% vs D 27.0% top-1 error")],
    "shallow 5x5 net": [(SHALLOW + WARM, "B" + WARM, -1, f"Sect. 4.1: {SHALLOW_GAP:g}% higher top-1 error than B")],
    "scale jittering": [(FIXED, A, -1, "Table 3: jittered S beats fixed S (D: 25.6% vs 27.0%)")],
}


def main_run(study, *, progress: bool = True, live_plot: bool = False) -> Results:
    """The notebook's main run: net A with the paper's recipe, the study's ``main`` run (models kept)."""
    return run_main(study, progress=progress, live_plot=live_plot)


def ablations(study, *, progress: bool = True) -> Results:
    """Every arm of :func:`ablation_variants` with every seed of the ``ablations`` run (models kept: the notebook
    evaluates them under the paper's test protocols)."""
    run = study.runs["ablations"]
    return run_variants(study, run, ablation_variants(run.resize), progress=progress, keep_models=True)


EXPERIMENTS = {"main": main_run, "ablations": ablations}


def comparison_table(results: Results, group: str | None = None, metric: str = "val_acc1") -> pd.DataFrame:
    """The rows of :data:`COMPARISONS` (one ``group``, or all): each arm's and its baseline's final ``metric`` as
    mean ± sd over seeds, the difference of means ± its standard error, the paper's claim and the verdict of
    :func:`reviewlib.experiments.stats.verdict` (Welch's t over the seeds)."""
    scores = results.scores(metric)
    rows = []
    for g, pairs in COMPARISONS.items():
        if group is not None and g != group:
            continue
        for arm, base, sign, paper in pairs:
            if arm not in scores or base not in scores:
                continue
            s = ablation_summary({base: scores[base], arm: scores[arm]}, base, {arm: sign}, {arm: paper}).loc[arm]
            b_mean, b_sd, _ = mean_sd(scores[base])
            rows.append({"group": g, "arm": arm, "baseline": base, "seeds": int(s["seeds"]), "mean": s["mean"],
                         "sd": s["sd"], "baseline mean": b_mean, "baseline sd": b_sd, "diff": s["diff"],
                         "se": s["se"], "paper": paper, "verdict": s["verdict"]})
    return pd.DataFrame(rows)


def format_comparisons(table: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """:func:`comparison_table` as a reader sees it: ``mean ± sd`` and ``diff ± se`` as text."""
    from ...review.report import pm

    return pd.DataFrame({
        "group": table["group"], "arm": table["arm"], "baseline": table["baseline"], "seeds": table["seeds"],
        "arm top-1 (%)": [pm(m, s, digits) for m, s in zip(table["mean"], table["sd"])],
        "baseline top-1 (%)": [pm(m, s, digits) for m, s in zip(table["baseline mean"], table["baseline sd"])],
        "diff (pp) ± se": [pm(d, s, digits) for d, s in zip(table["diff"], table["se"])],
        "paper": table["paper"], "verdict": table["verdict"]}).set_index("group")


def comparison_sentences(table: pd.DataFrame, groups: Sequence[str] | None = None) -> str:
    """Markdown lines from :func:`comparison_table`, one per comparison: both nets' final top-1 (mean ± sd over
    seeds, both at their last epoch), the difference ± se and the verdict."""
    from ...review.report import pm

    lines = []
    for _, r in table.iterrows():
        if groups is not None and r["group"] not in groups:
            continue
        lines.append(f"- **{r['arm']}** vs **{r['baseline']}**: {pm(r['mean'], r['sd'])}% vs "
                     f"{pm(r['baseline mean'], r['baseline sd'])}% top-1 over {r['seeds']} seeds, a difference of "
                     f"{pm(r['diff'], r['se'])} points: *{r['verdict']}* (paper: {r['paper']}).")
    return "\n".join(lines)


#: A one-line meaning for every column of :func:`format_comparisons`.
COMPARISON_LEGEND = {
    "arm": "the net that changes one thing; '(from A)': its first four convs and three FC layers start from the "
           "trained A of the same seed (Sect. 3.1)",
    "baseline": "the net it is compared with",
    "seeds": "independent trainings per net (init, data order, augmentation)",
    "arm top-1 (%)": "the arm's validation top-1 accuracy at the last epoch, mean ± sd over seeds",
    "baseline top-1 (%)": "the baseline's, likewise",
    "diff (pp) ± se": "arm - baseline in percentage points, ± the standard error of that difference",
    "paper": "what the paper reports for this comparison (errors: lower is better)",
    "verdict": "the difference against Welch's 95% band: 'as the paper reports', 'within noise at this budget' "
               "or 'opposite'",
}


def untrained(study, run: Run, seed: int = 0, variant: Variant = BASELINE) -> nn.Module:
    """The net ``variant`` of ``run`` starts training from with ``seed`` (the same initial weights as
    :func:`reviewlib.experiments.train_variant` draws)."""
    seed_everything(seed)
    return build(study, run, variant, num_classes=len(splits(study, run)[0].wnids))


def expected_minutes(study, device: str = "cpu") -> pd.DataFrame:
    """The notebook's training before it starts: one row for the main run and one per ablation arm, each from its
    own step time measured now (:func:`reviewlib.experiments.cost.step_seconds`)."""
    train, val = (len(s.paths) for s in splits(study, study.runs["main"]))
    rows = []
    arms = {"main": (study.runs["main"], None)}
    arms |= {f"ablations: {k}": (study.runs["ablations"], v) for k, v in
             ablation_variants(study.runs["ablations"].resize).items()}
    for name, (run, variant) in arms.items():
        model = run.model if variant is None or variant.model is None else variant.model
        s = step_seconds(model, width=run.width, image_size=run.image_size, batch_size=study.batch_size,
                         device=device, steps=2)
        steps = run_steps(run, train, study.batch_size)
        evals = run.epochs * math.ceil(val / study.batch_size) * EVAL_FRACTION
        rows.append({"run": name, "model": model, "input": run.image_size, "width": run.width,
                     "epochs": run.epochs, "steps / seed": steps, "seeds": len(run.seeds),
                     "s / step": round(s, 3), "minutes": (steps + evals) * s * len(run.seeds) / 60})
    table = pd.DataFrame(rows).set_index("run")
    table["minutes"] = table["minutes"].round(2)
    return table


#: A one-line meaning for every column of :func:`expected_minutes`.
PLAN_LEGEND = BASE_PLAN_LEGEND


# ------------------------------------------------------------------------------------------- test protocols
def validation_images(study, run: Run) -> StoreImages:
    """Every validation image of the study, decoded once, as :mod:`reviewlib.evaluate` reads them."""
    return split_images(study, run, "val")


def test_scales(image_size: int) -> dict[str, tuple[int, ...]]:
    """Sect. 3.2 / Table 4's test scales Q for a scale-jittered net (S in [256, 512]), scaled to ``image_size``:
    ``single`` = Q = 384 (the middle of the training range), ``multi`` = Q in {256, 384, 512}."""
    return {"single": paper_scales((384,), image_size), "multi": paper_scales((256, 384, 512), image_size)}


def protocol_predictions(model: nn.Module, images, *, image_size: int, device=None,
                         max_images: int | None = None) -> dict[str, tuple[torch.Tensor, torch.Tensor, int]]:
    """One net's soft-max under each protocol of Tables 3-5 (``name -> (probs, targets, crops per image)``): the
    single centre crop the training curves report, dense evaluation at one scale (Q = 384 scaled, Table 3) and at
    three (Q = 256, 384, 512 scaled, Table 4), multi-crop (5x5 grid x 2 flips) at the three scales, and dense and
    multi-crop together (the soft-max averaged, Table 5)."""
    scales = test_scales(image_size)
    kw = dict(image_size=image_size, device=device, max_images=max_images, progress=False)
    centre = predict_dataset(model, images, protocol="center", **kw)
    single = predict_dataset(model, images, protocol="dense", scales=scales["single"], **kw)
    dense = predict_dataset(model, images, protocol="dense", scales=scales["multi"], **kw)
    multi = predict_dataset(model, images, protocol="multicrop", scales=scales["multi"], **kw)
    n = len(scales["multi"])
    return {"centre crop": (centre.probs, centre.targets, 1),
            "dense, single scale": (single.probs, single.targets, 2),
            "dense, three scales": (dense.probs, dense.targets, 2 * n),
            "multi-crop, three scales": (multi.probs, multi.targets, multi.crops_per_image),
            "dense + multi-crop, three scales": ((dense.probs + multi.probs) / 2, dense.targets,
                                                 2 * n + multi.crops_per_image)}


def protocol_table(models: Sequence[nn.Module], images, *, image_size: int, device=None,
                   max_images: int | None = None) -> pd.DataFrame:
    """Tables 4-5 on our subset: each protocol's top-1 / top-5 error (%) for every net in ``models`` (one per
    seed), as mean and sd over the nets, with the network inputs per image (``crops``)."""
    per_net: dict[str, list[dict]] = {}
    crops = {}
    for model in models:
        for name, (probs, targets, n) in protocol_predictions(model, images, image_size=image_size, device=device,
                                                              max_images=max_images).items():
            e = topk_errors(probs, targets)
            per_net.setdefault(name, []).append({"top1": 100 * e["top1"], "top5": 100 * e["top5"]})
            crops[name] = n
    rows = []
    for name, runs in per_net.items():
        t1, s1, n = mean_sd([r["top1"] for r in runs])
        t5, s5, _ = mean_sd([r["top5"] for r in runs])
        rows.append({"protocol": name, "crops": crops[name], "nets": n, "top1_error": t1, "top1 sd": s1,
                     "top5_error": t5, "top5 sd": s5})
    return pd.DataFrame(rows).set_index("protocol")


@torch.no_grad()
def centre_probs(models: Sequence[nn.Module], study, run: Run) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Each net's soft-max on every validation image under the single centre crop (the run's evaluation
    transform), and the labels."""
    images = validation_images(study, run).store
    x = eval_transform(run)(images.images)
    out = []
    for model in models:
        device = next(model.parameters()).device
        with eval_mode(model):
            out.append(torch.cat([ensemble_predict(model, b.to(device)).cpu() for b in x.split(250)]))
    return out, images.labels


def fusion_table(results: Results, study, run: Run, pair: tuple[str, str] = ("D" + WARM, "E" + WARM)
                 ) -> pd.DataFrame:
    """Table 6's idea, cheaply: for every seed, the two nets of ``pair`` alone and fused (their soft-max
    averaged, Sect. 4.4), centre-crop top-1 error (%); the last rows are mean and sd over seeds, and ``gain`` is
    the best single net's error minus the fused one's."""
    rows = []
    for seed, (a, b) in enumerate(zip(results.models(pair[0]), results.models(pair[1]))):
        (pa, pb), labels = centre_probs([a, b], study, run)
        errs = {name: 100 * topk_errors(p, labels)["top1"] for name, p in
                ((pair[0], pa), (pair[1], pb), ("fused", (pa + pb) / 2))}
        rows.append({"seed": run.seeds[seed], **errs, "gain": min(errs[pair[0]], errs[pair[1]]) - errs["fused"]})
    table = pd.DataFrame(rows).set_index("seed")
    summary = pd.DataFrame([table.mean(), table.std()], index=["mean", "sd"])
    return pd.concat([table, summary])


def first_layer(model: nn.Module) -> torch.Tensor:
    """The first conv's weights ``[out, 3, k, k]`` (on the CPU)."""
    conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    return conv.weight.detach().float().cpu()


def history_sentence(history: pd.DataFrame, recorded: pd.DataFrame | None = None) -> str:
    """What the main run's curves say, from its history: final and best validation top-1, the epoch of the best,
    the train/val gap at the end (and the recorded run's final top-1 when there is one)."""
    last = history.iloc[-1]
    best = history.loc[history["val_acc1"].idxmax()]
    text = (f"After {int(last['epoch'])} epochs net A reaches **{last['val_acc1']:.1f}%** validation top-1 "
            f"(top-5 {last['val_acc5']:.1f}%; chance is 10%), its best was {best['val_acc1']:.1f}% at epoch "
            f"{int(best['epoch'])}. The last epoch's training accuracy, {last['train_acc1']:.1f}% on augmented crops "
            f"with dropout on, is {last['train_acc1'] - last['val_acc1']:+.1f} points from the validation accuracy.")
    if recorded is not None and len(recorded):
        finals = recorded.groupby("seed")["val_acc1"].last()
        mean, sd, n = mean_sd(finals.tolist())
        text += (f" The recorded run ({n} seed{'s' if n > 1 else ''}, same settings) ended at {mean:.1f}%"
                 + (f" ± {sd:.1f}" if n > 1 else "") + ".")
    return text


def group_scores(results: Results, names: Sequence[str], metric: str = "val_acc1") -> Mapping[str, tuple]:
    """``name -> (mean, sd, n)`` of the final ``metric`` over seeds, for the arms in ``names`` that ran."""
    scores = results.scores(metric)
    return {n: mean_sd(scores[n]) for n in names if n in scores}
