"""Train a notebook's runs: one model, or every variant of an ablation over several seeds.

A :class:`Variant` says what one ablation changes, as data: another model, other model options (``lrn=False``,
``dropout=0.0`` ...), other augmentation options (``pca_sigma=0.0``, no augmentation at all), recipe overrides, or a
warm start from another variant's trained net (VGG Sect. 3.1). Every variant of a :class:`~reviewlib.train.run.Run`
gets the same data, recipe, epochs and seeds, so the only difference is the one the paper credits.

:func:`train_variant` trains one variant with one seed (the command line's main run is the baseline variant with
seed 0); :func:`run_variants` loops over variants and seeds and returns :class:`Results`, which reads as the
ablation table of :mod:`reviewlib.experiments.stats` (mean ± sd over seeds, the effect and a verdict).
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
from torch import nn

from ..data.augment import AlexNetTrain, CentreCrop, GoogLeNetTrain, VGGTrain
from ..data.batches import Batches
from ..data.store import load_store
from ..data.streaming import StreamingBatches
from ..data.subset import select
from ..device import seed_everything
from ..nets import build_model, count_params, paper_of
from ..train import distributed
from ..train.init import init_model, warm_start_vgg
from ..train.loop import fit
from ..train.run import Run
from .stats import ablation_summary

FINAL, BEST = "final", "best"
MEMORY_BYTES = 4 * 2**30  # a split larger than this as uint8 squares streams from disk (ImageNet) instead
VAL_BATCH = 250


@dataclass(frozen=True)
class Variant:
    """One arm of an ablation (the baseline is the variant that changes nothing).

    ``sign``: the sign of (this variant's score - the baseline's) that the paper reports, e.g. -1 for "no
    dropout" when the paper says dropout helps; 0 when the paper reports no difference.
    """

    name: str
    model: str | None = None
    model_kw: Mapping = field(default_factory=dict)
    augment: Mapping = field(default_factory=dict)
    recipe: Mapping = field(default_factory=dict)
    warm_from: str | None = None
    paper: str = ""
    sign: int = 0


BASELINE = Variant("baseline")


def train_transform(model: str, run: Run, **options):
    """The training augmentation of ``model``'s paper at the run's sizes (``augment=False``: centre crops only,
    i.e. no augmentation; other options go to the transform, e.g. ``pca_sigma=0.0`` or VGG's ``s_min``/``s_max``)."""
    if not options.pop("augment", True):
        return CentreCrop(run.resize, run.image_size)
    paper = paper_of(model)
    if paper == "alexnet":
        return AlexNetTrain(run.resize, run.image_size, **options)
    if paper == "vgg":  # S in [256, 512] scaled to the run: [resize, 2 x resize]
        options = {"s_min": run.resize, "s_max": 2 * run.resize, **options}
        return VGGTrain(crop=run.image_size, **options)
    return GoogLeNetTrain(run.image_size, **options)


def eval_transform(run: Run) -> CentreCrop:
    """The single centre crop all three papers report (resize the short side, crop the middle)."""
    return CentreCrop(run.resize, run.image_size)


def source_side(run: Run) -> int:
    """The side of the stored squares the run's crops come from: AlexNet's resized square (Sect. 2); VGG's scale
    jitter reaches S = 2 x resize (512 for 224) and GoogLeNet's small-area crops want detail."""
    return run.resize if stored_exactly(run) else max(2 * run.resize, run.image_size)


def stored_exactly(run: Run) -> bool:
    """Whether every image is stored at exactly :func:`source_side`, upsampled once if need be. AlexNet Sect. 2
    rescales every image once to the resize side and crops it: stored so, its random crops are slices. VGG's and
    GoogLeNet's crops resample on the device anyway; their images are never upsampled in memory."""
    return paper_of(run.model) == "alexnet"


_SPLITS: dict[tuple, tuple] = {}


def splits(study, run: Run):
    """The study's training and validation files (:class:`~reviewlib.data.subset.Selection`), listed once."""
    key = (str(study.data.root), study.data.layout, study.classes, study.train_per_class, study.val_per_class)
    if key not in _SPLITS:
        train = select(study.data, "train", classes=study.classes, per_class=study.train_per_class)
        val = select(study.data, "val", classes=list(train.wnids), per_class=study.val_per_class)
        _SPLITS[key] = (train, val)
    return _SPLITS[key]


class StoreImages:
    """An :class:`~reviewlib.data.store.ImageStore` as the ``(image, label)`` items :mod:`reviewlib.evaluate`
    reads (uint8 ``[3, S, S]`` tensors; the evaluator resizes, crops and normalises); ``.store`` is the store."""

    def __init__(self, store):
        self.store = store

    def __len__(self) -> int:
        return len(self.store)

    def __getitem__(self, i: int):
        return self.store.images[i], int(self.store.labels[i])


def split_images(study, run: Run, split: str = "val") -> StoreImages:
    """Every image of the study's ``split`` ("train" or "val"), decoded once at the run's source side (the store
    the run's batches come from), for the test protocols and the notebooks' pictures."""
    train, _ = splits(study, run)
    per_class = study.train_per_class if split == "train" else study.val_per_class
    return StoreImages(load_store(study.data, split, classes=list(train.wnids), per_class=per_class,
                                  side=source_side(run)))


def make_batches(study, run: Run, split: str, transform, *, seed: int, batch_size: int, shuffle: bool,
                 limit: int | None = None, pad: bool = True):
    """Batches of one split on the study's device: from memory (decoded once, :func:`~reviewlib.data.store.
    load_store`) when the split fits in :data:`MEMORY_BYTES`, else streamed from disk by loader workers; sharded
    over processes under torchrun. Both yield the same batches for the same seed."""
    side, exact = source_side(run), stored_exactly(run)
    train_sel, val_sel = splits(study, run)
    sel = train_sel if split == "train" else val_sel
    kw = dict(shuffle=shuffle, seed=seed, device=study.device, limit=limit, rank=distributed.rank(),
              world=distributed.world_size(), pad=pad)
    if len(sel.paths) * 3 * side * side <= MEMORY_BYTES:
        store = load_store(study.data, split, classes=list(train_sel.wnids), per_class=(
            study.train_per_class if split == "train" else study.val_per_class), side=side, exact=exact)
        return Batches.from_store(store, transform, batch_size, **kw)
    return StreamingBatches.from_selection(sel, transform, batch_size, side=side, workers=study.budget.workers, **kw)


def build(study, run: Run, variant: Variant = BASELINE, *, num_classes: int) -> nn.Module:
    """The variant's model at the run's width and input side, initialised with the recipe's scheme."""
    name = variant.model or run.model
    model = build_model(name, num_classes=num_classes, width=run.width, image_size=run.image_size,
                        **{**dict(run.model_kw), **dict(variant.model_kw)})
    init_model(model, run.recipe.with_(**dict(variant.recipe)))
    return model


@dataclass
class Trained:
    """One variant trained with one seed."""

    variant: str
    seed: int
    history: pd.DataFrame
    params: int
    seconds: float
    model: nn.Module | None = None
    warm_started: tuple[str, ...] = ()  # the layers copied from the warm-start net (VGG Sect. 3.1)
    averaged: nn.Module | None = None  # the Polyak-averaged net (GoogLeNet Sect. 6), kept with the model


def train_variant(study, run: Run, variant: Variant = BASELINE, seed: int = 0, *, warm: nn.Module | None = None,
                  checkpoint=None, resume: bool = False, progress: bool = True, keep_model: bool = False,
                  live_plot: bool = False) -> Trained:
    """Train ``variant`` of ``run`` with ``seed`` (init, data order, augmentation draws and dropout all follow it).
    ``warm``: a trained net whose first layers initialise this one (VGG's warm start)."""
    num_classes = len(splits(study, run)[0].wnids)
    seed_everything(seed)
    model = build(study, run, variant, num_classes=num_classes)
    copied = tuple(warm_start_vgg(model, warm)) if warm is not None else ()
    recipe = run.recipe.with_(**dict(variant.recipe))
    world = distributed.world_size()
    if study.batch_size % world:
        raise ValueError(f"batch size {study.batch_size} is not divisible by the {world} processes")
    transform = train_transform(variant.model or run.model, run, **dict(variant.augment))
    train = make_batches(study, run, "train", transform, seed=seed, batch_size=study.batch_size // world,
                         shuffle=True, limit=run.batches)
    val = make_batches(study, run, "val", eval_transform(run), seed=0, batch_size=VAL_BATCH, shuffle=False,
                       pad=False)
    start, averaged = time.perf_counter(), []
    history = fit(model, train, val, recipe, epochs=run.epochs, device=study.device, checkpoint=checkpoint,
                  resume=resume, progress=progress, seed=seed, live_plot=live_plot, averaged=averaged)
    return Trained(variant.name, seed, history, count_params(model), time.perf_counter() - start,
                   model if keep_model else None, copied, averaged[0] if keep_model and averaged else None)


@dataclass
class Results:
    """Every (variant, seed) of an experiment, in training order."""

    variants: dict[str, Variant]
    trained: list[Trained]

    def histories(self) -> pd.DataFrame:
        """All histories in one long table with ``variant`` and ``seed`` columns."""
        return pd.concat([t.history.assign(variant=t.variant, seed=t.seed) for t in self.trained],
                         ignore_index=True)

    def scores(self, metric: str = "val_acc1", at: str = FINAL) -> dict[str, list[float]]:
        """Per variant, one score per seed: the last epoch's ``metric`` (``at="final"``) or the best."""
        out: dict[str, list[float]] = {}
        for t in self.trained:
            col = t.history[metric]
            out.setdefault(t.variant, []).append(float(col.iloc[-1] if at == FINAL else col.max()))
        return out

    def summary(self, baseline: str, metric: str = "val_acc1", at: str = FINAL) -> pd.DataFrame:
        """The ablation table: mean ± sd over seeds, effect vs ``baseline`` ± se, the paper's claim, verdict."""
        return ablation_summary(self.scores(metric, at), baseline,
                                {k: v.sign for k, v in self.variants.items()},
                                {k: v.paper for k, v in self.variants.items()},
                                metric="val top-1 (%)" if metric == "val_acc1" else metric)

    def models(self, variant: str, averaged: bool = False) -> list[nn.Module]:
        """The trained models of ``variant`` (kept only with ``keep_models=True``); ``averaged``: their
        Polyak-averaged weights instead (recipes with ``ema_decay``)."""
        kept = [t.averaged if averaged else t.model for t in self.trained if t.variant == variant]
        return [m for m in kept if m is not None]


def run_variants(study, run: Run, variants: Mapping[str, Variant] | Sequence[Variant], *,
                 seeds: Sequence[int] | None = None, progress: bool = True, keep_models: bool = False) -> Results:
    """Train every variant with every seed (``run.seeds`` by default), seed-major so that a variant warm-started
    from another (``warm_from``) finds that variant's net of the same seed already trained."""
    if not isinstance(variants, Mapping):
        variants = {v.name: v for v in variants}
    variants = {name: replace(v, name=name) for name, v in variants.items()}  # the key names the variant
    seeds = tuple(run.seeds if seeds is None else seeds)
    trained: list[Trained] = []
    for seed in seeds:
        nets: dict[str, nn.Module] = {}
        for name, v in variants.items():
            warm = nets.get(v.warm_from) if v.warm_from else None
            if v.warm_from and warm is None:
                raise ValueError(f"variant {name!r} warm-starts from {v.warm_from!r}, which must come before it")
            keep = keep_models or any(o.warm_from == name for o in variants.values())
            t = train_variant(study, run, v, seed, warm=warm, progress=progress, keep_model=keep)
            if t.model is not None:
                nets[name] = t.model
            if not keep_models:
                t.model, t.averaged = None, None
            trained.append(t)
    return Results(dict(variants), trained)


def main_run(study, *, progress: bool = True, live_plot: bool = False) -> Results:
    """A notebook's main run: the baseline model of the study's ``main`` run, every seed (models kept). It is what
    ``python -m reviewlib.train --model <the main run's model>`` trains."""
    run = study.runs["main"]
    trained = [train_variant(study, run, BASELINE, seed, progress=progress, keep_model=True, live_plot=live_plot)
               for seed in run.seeds]
    return Results({BASELINE.name: BASELINE}, trained)
