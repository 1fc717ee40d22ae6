"""What the overview notebook trains under each budget: the three papers' models on the same data with one
recipe (AlexNet's, Sect. 5, with GoogLeNet's auxiliary losses weighted 0.3, its Sect. 5), each at its paper's
training size, each with the same seeds.

The study row is sized from step costs measured on an idle 2-core CPU (batch 64, 79 batches an epoch on
tiny-imagenet-10, validation included), at the paper notebooks' main-run width 0.25: AlexNet at 130 px ~7.5 s an
epoch, VGG-A at 64 px ~10 s, GoogLeNet at 96 px ~14.5 s, about 32 s for the three. 14 epochs of one seed is about
7.5 minutes of training, which leaves the rest of the notebook its 10-minute budget; the paper notebooks' main
runs reach 68-73% top-1 at this width in 15-20 epochs. Three seeds of a run long enough to leave chance well
behind do not fit: at width 0.125, 8 epochs x 3 seeds (the same minutes) left AlexNet at 44% on tiny-imagenet-10.
So the notebook trains one seed, and the recorded run (:data:`RECORDED`, ``python -m reviewlib.experiments record
--paper overview``) repeats exactly that run with three seeds, which measures the seed noise the notebook's gaps
are read against. The notebook prints the plan's expected minutes (:func:`reviewlib.experiments.cost.plan_cost`)
before it trains.
"""
from __future__ import annotations

MODELS = ("alexnet_paper", "vgg_A", "googlenet_paper")
#: Each model trains at its own paper's training size (the budget's ``sizes``).
SIZES = {"alexnet_paper": "alexnet", "vgg_A": "vgg", "googlenet_paper": "googlenet"}
#: The one recipe: AlexNet's, with GoogLeNet's auxiliary-loss weight (it changes nothing for the other two).
RECIPE = dict(recipe_paper="alexnet", aux_weight=0.3)

RUNS = {
    "smoke": dict(epochs=1, batches=2, seeds=(0,), width=0.0625),
    "study": dict(epochs=14, seeds=(0,), width=0.25),
    "paper": dict(epochs=90, seeds=(0,), width=1.0),
}

#: The recorded run: the notebook's run with three seeds (seed 0 is the notebook's), to measure the seed noise.
RECORDED = {
    "smoke": dict(epochs=1, batches=2, seeds=(0, 1, 2), width=0.0625),
    "study": dict(epochs=14, seeds=(0, 1, 2), width=0.25),
    "paper": dict(epochs=90, seeds=(0, 1, 2), width=1.0),
}

#: Whether the notebook writes its training figures to figures/ (a smoke run must not replace them).
SAVE_FIGURES = {"smoke": False, "study": True, "paper": True}


def _runs(study, spec: dict) -> dict:
    return {m: study.run(m, model=m, size=study.budget.size_for(SIZES[m]), **RECIPE, **spec) for m in MODELS}


def plan(study) -> dict:
    """One run per model (``{model: Run}``): same epochs, seeds and recipe for the three, each at its paper's size."""
    return _runs(study, RUNS[study.budget.name])


def recorded(study):
    """The study with the recorded runs (:data:`RECORDED`) in place of the notebook's."""
    return study.with_runs(**_runs(study, RECORDED[study.budget.name]))


def save_figures(study) -> bool:
    """Whether this budget's notebook writes its training figures (a table lookup, :data:`SAVE_FIGURES`)."""
    return SAVE_FIGURES[study.budget.name]


def runs_with(study, models=MODELS, **recipe_changes):
    """The study with ``models``' runs rebuilt with recipe changes (e.g. ``aux_weight=0.0`` for GoogLeNet)."""
    spec = RUNS[study.budget.name]
    return study.with_runs(**{m: study.run(m, model=m, size=study.budget.size_for(SIZES[m]),
                                           **{**RECIPE, **recipe_changes}, **spec) for m in models})
