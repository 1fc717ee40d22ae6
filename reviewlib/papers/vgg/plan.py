"""What the VGG notebook trains under each budget: one table, sized from measured step costs.

``main``: configuration A, the net the paper trains from random initialisation (Sect. 3.1), with the paper's
recipe at the budget's width and size (the study changes are listed in :mod:`reviewlib.train.recipes`); it is what
``python -m reviewlib.train --model vgg_A`` trains.

``ablations``: every arm of :func:`~reviewlib.papers.vgg.experiments.ablation_variants` (Table 3's depths from
random and warm-started, A-LRN, C's 1x1 convs, Sect. 4.1's shallow 5x5 net, fixed-scale training), three seeds
each: eleven nets a seed. To fit beside the main run they train at width 1/8 on 32-pixel crops, where VGG's five
pools leave a 1x1 map (S in [37, 74], the paper's [256, 512] scaled), with the paper's learning rate 10^-2, as the main run.

Study sizing (``reviewlib.experiments.cost.step_seconds``, batch 64, 79 batches an epoch on tiny-imagenet-10, idle
2-core CPU): the main run at width 1/4 and 64 px takes about 10 s an epoch, 16 epochs under 3 minutes (20 epochs reached
67.6% on tiny-imagenet-10, 55.6% on ten other classes); an ablation arm at width 1/8 and 32 px takes about 11 s
for its 5 epochs by the wall clock (A reached 47% after 5 epochs, 36-41% after 4), 33 arm-seeds about 6 minutes.

``RECORDED`` holds the longer versions ``python -m reviewlib.experiments record --paper vgg`` runs: the main run
with three seeds and the ablations at 64 px for longer, which the notebook draws as "recorded run".
"""
from __future__ import annotations

ABLATION = dict(model="vgg_A", width=0.125, size=32, lr=0.01)

RUNS = {
    "smoke": {
        "main": dict(model="vgg_A", epochs=1, batches=2),
        "ablations": dict(ABLATION, epochs=1, batches=1, seeds=(0, 1), width=0.0625, eval_images=6),
    },
    "study": {
        "main": dict(model="vgg_A", epochs=16),
        "ablations": dict(ABLATION, epochs=5, seeds=(0, 1, 2), eval_images=250),
    },
    "paper": {
        "main": dict(model="vgg_A", epochs=74),
        "ablations": dict(model="vgg_A", epochs=74, seeds=(0, 1, 2)),
    },
}

#: The recorded runs (``python -m reviewlib.experiments record --paper vgg``): longer, more seeds.
RECORDED = {
    "smoke": {
        "main": dict(model="vgg_A", epochs=2, batches=2, seeds=(0, 1)),
        "ablations": dict(ABLATION, epochs=2, batches=1, seeds=(0, 1, 2), width=0.0625, eval_images=6),
    },
    "study": {
        "main": dict(model="vgg_A", epochs=20, seeds=(0, 1, 2)),
        "ablations": dict(ABLATION, epochs=12, seeds=(0, 1, 2), size=64),
    },
    "paper": {
        "main": dict(model="vgg_A", epochs=74, seeds=(0, 1, 2)),
        "ablations": dict(model="vgg_A", epochs=74, seeds=(0, 1, 2, 3, 4)),
    },
}

#: Whether the notebook writes its training figures to figures/ (a smoke run must not replace them).
SAVE_FIGURES = {"smoke": False, "study": True, "paper": True}


def plan(study) -> dict:
    """The notebook's named runs for ``study``'s budget (``{name: Run}``)."""
    return {name: study.run(name, **spec) for name, spec in RUNS[study.budget.name].items()}


def recorded(study):
    """The study with the recorded runs (:data:`RECORDED`) in place of the notebook's."""
    return study.with_runs(**{name: study.run(name, **spec) for name, spec in RECORDED[study.budget.name].items()})


def save_figures(study) -> bool:
    """Whether this budget's notebook writes its training figures (a table lookup, :data:`SAVE_FIGURES`)."""
    return SAVE_FIGURES[study.budget.name]
