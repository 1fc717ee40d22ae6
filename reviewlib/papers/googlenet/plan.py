"""What the GoogLeNet notebook trains under each budget: one table, sized from measured step costs.

``main``: the paper's GoogLeNet (true 5x5 branches, LRN in the stem, auxiliary classifiers weighted 0.3, Polyak
averaging, Sect. 5-6) with the paper's recipe at the budget's width and size. ``ablations``: the arms of
:func:`~reviewlib.papers.googlenet.experiments.ablation_variants` (aux heads, FC head, naive modules at equal time)
at a smaller width and size so that each gets three seeds; the baseline's seeds are also Table 3's ensemble, and
``eval_images`` is how many validation images Table 3 evaluates (None: all of them).

Study sizing (``reviewlib.experiments.cost.step_seconds``, batch 64, 79 batches an epoch on tiny-imagenet-10, idle
2-core CPU, channels-last, freed memory kept): the main run at width 0.25 and 96 px takes about 0.1 s a step, 8-9 s
an epoch with its batches and validation, so 14 epochs are about 2 minutes (the 24-epoch recorded run shows what the
longer schedule adds). An ablation arm at width 0.25 and 64 px takes about 0.056 s a step (the naive arm's step 3.2
times as long, so it gets 24 of the 79 batches), so 5 epochs x 4 arms x 3 seeds are about 6 minutes. Short checks
(one seed each, Polyak-averaged top-1): width 0.125 at 64 px gave 42% after 6 epochs but 32-36% after 7 with two
other seeds; width 0.25 at 64 px gave 32-44% after 4 epochs and 44-46% after 5, so the ablation trains 5; width
0.1875 (32-33%) and 56 px (35-43%) saved under 10% of the time, since the step of so small a net is mostly per-layer
overhead. The notebook prints the plan's expected minutes before it trains.
"""
from __future__ import annotations

RUNS = {
    "smoke": {
        "main": dict(model="googlenet_paper", epochs=1, batches=2),
        "ablations": dict(model="googlenet_paper", epochs=1, batches=1, seeds=(0, 1), width=0.0625, size=64,
                          eval_images=6),
    },
    "study": {
        "main": dict(model="googlenet_paper", epochs=14),
        "ablations": dict(model="googlenet_paper", epochs=5, seeds=(0, 1, 2), width=0.25, size=64),
    },
    "paper": {
        "main": dict(model="googlenet_paper", epochs=60),
        "ablations": dict(model="googlenet_paper", epochs=60, seeds=(0, 1, 2)),
    },
}

#: The recorded runs (``python -m reviewlib.experiments record --paper googlenet``): longer, more seeds.
RECORDED = {
    "smoke": {
        "main": dict(model="googlenet_paper", epochs=2, batches=2),
        "ablations": dict(model="googlenet_paper", epochs=2, batches=1, seeds=(0, 1, 2), width=0.0625, size=64,
                          eval_images=6),
    },
    "study": {
        "main": dict(model="googlenet_paper", epochs=24),
        "ablations": dict(model="googlenet_paper", epochs=10, seeds=(0, 1, 2, 3, 4), width=0.25, size=64),
    },
    "paper": {
        "main": dict(model="googlenet_paper", epochs=60, seeds=(0, 1, 2)),
        "ablations": dict(model="googlenet_paper", epochs=60, seeds=(0, 1, 2, 3, 4)),
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
