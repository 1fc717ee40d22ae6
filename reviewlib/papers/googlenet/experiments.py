"""GoogLeNet's training experiments: the main run (Sect. 6), the ablations of Sect. 4-5, and Table 3 (Sect. 7).

* :func:`main_run`: the paper's GoogLeNet (true 5x5 branches, LRN in the stem, auxiliary classifiers weighted
  0.3, Polyak averaging), the run ``python -m reviewlib.train --model googlenet_paper`` trains.
* :func:`ablations`: auxiliary heads on and off (Sect. 5: "relatively minor (around 0.5%)"), average pooling
  against an FC head (Sect. 5: +0.6% top-1 for pooling) and the naive module of Fig. 2a against the one with 1x1
  reductions (Sect. 4) *at equal time*: the naive net is slower per step, so it gets as many seconds as the
  reduced one, i.e. fewer batches per epoch (:func:`naive_run`, sized with measured step costs).
* :func:`table3`: the baseline nets of the ablation at 1, 10 and 144 crops, alone and as an ensemble of the
  seeds' nets, on every validation image (:mod:`reviewlib.evaluate`).
"""
from __future__ import annotations

import math
import time

import pandas as pd
import torch
from torch import nn

from ...evaluate import make_views, model_logits, topk_errors
from ...experiments import BASELINE, Results, Variant, run_variants
from ...experiments.cost import EVAL_FRACTION, plan_cost, run_steps, step_seconds
from ...experiments.cost import PLAN_LEGEND as BASE_PLAN_LEGEND
from ...device import seed_everything
from ...experiments.runner import StoreImages, build, split_images, splits
from ...experiments.runner import main_run as run_main
from ...nets import eval_mode
from ...train.run import Run

#: The paper's Table 3: (models, crops, top-5 val error %).
PAPER_TABLE3 = [(1, 1, 10.07), (1, 10, 9.15), (1, 144, 7.89), (7, 1, 8.09), (7, 10, 7.62), (7, 144, 6.67)]
#: The paper's Table 2: ILSVRC classification results (top-5 test error, %).
PAPER_TABLE2 = [("SuperVision", 2012, 16.4), ("Clarifai", 2013, 11.7), ("MSRA", 2014, 7.35), ("VGG", 2014, 7.32),
                ("GoogLeNet", 2014, 6.67)]
#: The auxiliary heads' pooling in the ablations: torchvision's adaptive 4x4 pool, which fits maps smaller than the
#: paper's 5x5 window (4a's map is 4x4 at 64 px) and gives the paper's 4x4 at 224.
ABLATION_MODEL = {"aux_pool": "adaptive"}
BASE, NO_AUX, FC_HEAD, NAIVE = "paper (aux heads, avg pool)", "no aux heads", "FC head", "naive modules"
#: What an arm of the ablation scores: validation top-1 of its Polyak-averaged weights, the paper's final model
#: (Sect. 6); in runs of a few epochs it is also steadier than the last weights, which the last steps still move.
SCORE, SCORE_LABEL = "ema_val_acc1", "val top-1 of the Polyak average (%)"
PROTOCOLS = {"center": 1, "10crop": 10, "144crop": 144}


def ablation_variants() -> dict[str, Variant]:
    """The arms of the ablation, each changing one thing the paper credits (``sign``: the direction it reports)."""
    return {
        BASE: Variant(BASE, model_kw=ABLATION_MODEL),
        NO_AUX: Variant(NO_AUX, model_kw={**ABLATION_MODEL, "aux_logits": False}, sign=-1,
                        paper="Sect. 5: the aux heads' effect is 'relatively minor (around 0.5%)'"),
        FC_HEAD: Variant(FC_HEAD, model_kw={**ABLATION_MODEL, "head": "fc"}, sign=-1,
                         paper="Sect. 5: average pooling is +0.6% top-1 over FC layers"),
        NAIVE: Variant(NAIVE, model_kw={**ABLATION_MODEL, "naive": True}, sign=-1,
                       paper="Sect. 4: without reductions the cost 'blows up'; no accuracy figure"),
    }


def main_run(study, *, progress: bool = True, live_plot: bool = False) -> Results:
    """The notebook's main run: the paper's GoogLeNet, the study's ``main`` run, seed 0 (model kept)."""
    return run_main(study, progress=progress, live_plot=live_plot)


def untrained(study, run: Run, seed: int = 0, variant: Variant = BASELINE) -> nn.Module:
    """The net ``variant`` of ``run`` starts training from with ``seed`` (the same seed, the same initial weights,
    as :func:`reviewlib.experiments.train_variant` draws them)."""
    seed_everything(seed)
    return build(study, run, variant, num_classes=len(splits(study, run)[0].wnids))


def batches_per_epoch(study, run: Run) -> int:
    """Training batches in one epoch of ``run`` (the whole training split, unless ``run.batches`` caps it)."""
    return run_steps(run.with_(epochs=1), len(splits(study, run)[0].paths), study.batch_size)


def step_costs(study, run: Run, device: str = "cpu") -> dict[str, float]:
    """Seconds per training step of every ablation variant at the run's width, size and batch, measured now."""
    return {name: step_seconds(run.model, width=run.width, image_size=run.image_size, batch_size=study.batch_size,
                               device=device, **dict(v.model_kw))
            for name, v in ablation_variants().items()}


def naive_run(study, run: Run, costs: dict[str, float]) -> Run:
    """``run`` for the naive net at equal time: as many epochs (so the learning-rate schedule has the same shape),
    but only ``batches x (reduced step / naive step)`` batches each, so it trains as many seconds as the reduced
    net (at least one batch an epoch)."""
    per_epoch = batches_per_epoch(study, run)
    return run.with_(batches=max(1, math.floor(per_epoch * costs[BASE] / costs[NAIVE])))


def ablations(study, *, progress: bool = True, costs: dict[str, float] | None = None) -> Results:
    """Every arm of :func:`ablation_variants` with the ``ablations`` run's seeds, the naive one at equal time; the
    models are kept (the baseline's are Table 3's ensemble)."""
    run = study.runs["ablations"]
    variants = ablation_variants()
    costs = step_costs(study, run, study.device) if costs is None else costs
    equal = run_variants(study, run, {k: v for k, v in variants.items() if k != NAIVE}, progress=progress,
                         keep_models=True)
    naive = run_variants(study, naive_run(study, run, costs), {NAIVE: variants[NAIVE]}, progress=progress,
                         keep_models=True)
    return Results({**equal.variants, **naive.variants}, equal.trained + naive.trained)


def summarize(results: Results, metric: str = SCORE) -> pd.DataFrame:
    """The ablation table of ``results`` against the paper's net (:data:`BASE`): mean ± sd of ``metric`` over the
    seeds, the difference ± its standard error and the verdict (:meth:`reviewlib.experiments.Results.summary`)."""
    table = results.summary(BASE, metric=metric)
    table.attrs["metric"] = SCORE_LABEL if metric == SCORE else table.attrs["metric"]
    return table


EXPERIMENTS = {"main": main_run, "ablations": ablations}


def expected_minutes(study, costs: dict[str, float] | None = None, device: str = "cpu") -> pd.DataFrame:
    """What the notebook's training will cost before it starts: the main run from
    :func:`reviewlib.experiments.cost.plan_cost`, and one row per ablation arm from its own measured step time
    (the arms differ in cost; the naive one trains as many seconds as the baseline)."""
    train, val = (len(s.paths) for s in splits(study, study.runs["main"]))
    main = plan_cost(study.with_(runs={"main": study.runs["main"]}), train_images=train, val_images=val,
                     device=device)
    run = study.runs["ablations"]
    costs = step_costs(study, run, device) if costs is None else costs
    rows = []
    for name, s in costs.items():
        arm = naive_run(study, run, costs) if name == NAIVE else run
        steps = run_steps(arm, train, study.batch_size)
        evals = arm.epochs * math.ceil(val / study.batch_size) * EVAL_FRACTION
        rows.append({"run": f"ablations: {name}", "model": run.model, "input": run.image_size, "width": run.width,
                     "epochs": arm.epochs, "steps / seed": steps, "seeds": len(run.seeds), "variants": 1,
                     "s / step": round(s, 3), "minutes": round((steps + evals) * s * len(run.seeds) / 60, 1)})
    return pd.concat([main, pd.DataFrame(rows).set_index("run")])


#: A one-line meaning for every column of :func:`expected_minutes`.
PLAN_LEGEND = {**BASE_PLAN_LEGEND,
               "run": "the notebook's run (the ablation: one row per arm)",
               "steps / seed": "optimizer steps for one seed (the naive arm's are fewer: equal time)",
               "seeds": "how many times the run is repeated with another random seed (init, data order, augmentation)",
               "variants": "arms trained per seed in this row"}


# --------------------------------------------------------------------------------------------- Table 3
def validation_images(study, run: Run) -> StoreImages:
    """Every validation image of the study, decoded once, as :mod:`reviewlib.evaluate` reads them."""
    return split_images(study, run, "val")


@torch.no_grad()
def crop_predictions(models: list[nn.Module], images, *, protocol: str, image_size: int, device=None,
                     max_images: int | None = None, batch_size: int = 512) -> dict:
    """Each model's softmax averaged over ``protocol``'s views of every image (:func:`reviewlib.evaluate.make_views`):
    ``probs`` ``[models, images, classes]``, ``targets``, ``crops`` (views per image) and ``distinct`` (the views
    per image actually evaluated). Identical views, such as the three squares of a square image under the 144-crop
    protocol, run once and count as often as the protocol uses them, so the average is the protocol's own.
    ``max_images``: that many evenly spaced images (None: all)."""
    device = torch.device(device or "cpu")
    n = len(images)
    order = range(n) if max_images is None or max_images >= n else \
        sorted({round(i * (n - 1) / max(1, max_images - 1)) for i in range(max_images)})
    probs: list[list[torch.Tensor]] = [[] for _ in models]
    targets, pending, counts = [], [], {"crops": 0, "distinct": 0}

    def flush() -> None:
        if not pending:
            return
        x = torch.cat([u for u, _ in pending]).to(device)
        sizes = [len(u) for u, _ in pending]
        for out, model in zip(probs, models):
            p = torch.cat([model_logits(model, chunk).float().softmax(1).cpu() for chunk in x.split(batch_size)])
            out += [(w[:, None] * part).sum(0) for part, (_, w) in zip(p.split(sizes), pending)]
        pending.clear()

    for m in models:
        m.to(device)
    with eval_mode(*models):
        for i in order:
            img, label = images[i]
            views = make_views(img, protocol, image_size)
            unique, count = torch.unique(views.flatten(1), dim=0, return_counts=True)
            pending.append((unique.view(-1, *views.shape[1:]), count.float() / len(views)))
            targets.append(int(label))
            counts["crops"], counts["distinct"] = len(views), counts["distinct"] + len(unique)
            if sum(len(u) for u, _ in pending) >= batch_size:
                flush()
        flush()
    return {"probs": torch.stack([torch.stack(p) for p in probs]), "targets": torch.tensor(targets),
            "crops": counts["crops"], "distinct": counts["distinct"] / max(1, len(targets))}


def table3(models: list[nn.Module], images, *, image_size: int, device=None, protocols=tuple(PROTOCOLS),
           max_images: int | None = None) -> pd.DataFrame:
    """Sect. 7's Table 3 on our nets: for each protocol, the first model alone and the ensemble of all ``models``
    (softmax averaged over crops, then over models), with top-1/top-5 error (%), cost (network evaluations per
    image = models x crops) and the paper's top-5 for the same crops (1 model, or its 7-model ensemble)."""
    if not models:
        raise ValueError("table3: no models given")
    paper = {(m, c): e for m, c, e in PAPER_TABLE3}
    rows = []
    for protocol in protocols:
        start = time.perf_counter()
        pred = crop_predictions(models, images, protocol=protocol, image_size=image_size, device=device,
                                max_images=max_images)
        seconds = time.perf_counter() - start
        for group in [1] + ([len(models)] if len(models) > 1 else []):
            err = topk_errors(pred["probs"][:group].mean(0), pred["targets"], ks=(1, 5))
            key = (1 if group == 1 else 7, pred["crops"])
            rows.append({"models": group, "crops": pred["crops"], "cost": group * pred["crops"],
                         "images": len(pred["targets"]), "top-1 error %": 100 * err["top1"],
                         "top-5 error %": 100 * err["top5"],
                         "paper top-5 % (models)": f"{paper[key]} ({key[0]})" if key in paper else "",
                         "distinct views": round(pred["distinct"], 1), "seconds": seconds})
    df = pd.DataFrame(rows).sort_values(["models", "crops"], kind="stable").reset_index(drop=True)
    base = df.loc[(df["models"] == 1) & (df["crops"] == 1), "top-1 error %"]
    df.insert(6, "top-1 vs 1 model, 1 crop (pp)", df["top-1 error %"] - (base.iloc[0] if len(base) else math.nan))
    return df


#: One line per column of :func:`table3`.
TABLE3_LEGEND = {
    "models": "nets whose softmax outputs are averaged (the seeds of the ablation's baseline)",
    "crops": "views of each image: 1 centre crop, 10 (corners + centre, and mirrors), 144 (Sect. 7)",
    "cost": "network evaluations per image: models x crops (the paper's 'cost')",
    "images": "validation images evaluated",
    "top-1 error %": "share of images whose most probable class is wrong",
    "top-5 error %": "share whose true class is not among the five most probable (of 10 classes here)",
    "top-1 vs 1 model, 1 crop (pp)": "top-1 error minus that of one model on one crop, in percentage points",
    "paper top-5 % (models)": "the paper's Table 3 top-5 error for the same crops (1 model, or its 7 models)",
    "distinct views": "views per image that differ (the subset's images are square, so the 144-crop protocol's three "
                      "squares coincide; each distinct view runs once and counts as often as the protocol uses it)",
    "seconds": "time the protocol's evaluation of all the models took here",
}


def table2() -> pd.DataFrame:
    """Table 2 of the paper (ILSVRC top-5 test error by year) beside torchvision's single-model, single-crop
    ImageNet-1K validation results for the three papers' nets (``weights.meta``; nothing is downloaded)."""
    from torchvision.models import AlexNet_Weights, GoogLeNet_Weights, VGG16_Weights

    rows = [{"source": "paper Table 2 (ILSVRC test)", "team / model": t, "year": y, "top-5 error %": e}
            for t, y, e in PAPER_TABLE2]
    for name, w in (("AlexNet (one weird trick)", AlexNet_Weights.IMAGENET1K_V1),
                    ("VGG-16", VGG16_Weights.IMAGENET1K_V1),
                    ("GoogLeNet (BN variant)", GoogLeNet_Weights.IMAGENET1K_V1)):
        m = w.meta["_metrics"]["ImageNet-1K"]
        rows.append({"source": "torchvision (val, 1 model, 1 crop)", "team / model": name, "year": "",
                     "top-5 error %": round(100 - m["acc@5"], 3), "top-1 error %": round(100 - m["acc@1"], 3)})
    return pd.DataFrame(rows)
