"""What the AlexNet notebook trains under each budget: tables, sized from measured step costs.

``main``: the paper model (two towers, LRN, overlapping pools, dropout, crops + flips + PCA colour noise) with the
paper's recipe (study changes listed in :mod:`reviewlib.train.recipes`); it is what ``python -m reviewlib.train
--model alexnet_paper`` trains, and the model Sect. 4 of the notebook evaluates (``eval_images``: how many
validation images; None = all). ``ablations``: every arm of :func:`~reviewlib.papers.alexnet.experiments.
ablation_variants` with three seeds, at width 1/8 on 67-px inputs (66 before the 227/224 rule), where every pool
of the net keeps the same map sizes with z=3 or z=2, as at 227, and at the paper's learning rate 0.01, as the main
run: the paper model's three seeds ended 10 epochs at 44 ± 12% with 0.02 (one seed learned late) and 54 ± 3% with
0.01 on tiny-imagenet-10; on tiny-imagenet-10b (checked after the choice) 31 ± 6% and 43 ± 5%. ``race``: Fig. 1's four-layer net on 32-px images
(:mod:`~reviewlib.papers.alexnet.race`), ``epochs`` the most a run may take to reach 25% training error, with the
settings of :data:`RACE`.

Study sizing (``reviewlib.experiments.cost.step_seconds``, batch 64, 79 batches an epoch on tiny-imagenet-10, idle
2-core CPU): the main run at width 1/4 and 130 px takes about 7.5 s an epoch, 25 epochs about 3 minutes; an ablation
net at width 1/8 and 67 px about an eighth of that per step, 10 epochs x 7 arms x 3 seeds about 3.5 minutes (the
paper-model arm reaches about 54% validation top-1 at epoch 10); a race epoch (1,000 images at 32 px, batch 128)
about 0.6 s, about 105 epochs in all with the pruning of :func:`~reviewlib.papers.alexnet.race.sweep` (200 at
most). The notebook prints the plan's
expected minutes, measured on the reader's machine, before it trains.
"""
from __future__ import annotations

ABLATION = dict(model="alexnet_paper", width=0.125, size=66, lr=0.01)
#: Fig. 1's training: constant learning rate (set by the sweep), momentum 0.9, no weight decay, PyTorch's init
#: unless the race sets another (:data:`reviewlib.papers.alexnet.race.INITS`).
RACE_RUN = dict(model="alexnet_fig1", size=32, width=1.0, weight_decay=0.0, schedule="plateau", max_reductions=0,
                init="none")

RUNS = {
    "smoke": {
        "main": dict(model="alexnet_paper", epochs=1, batches=2, eval_images=8),
        "ablations": dict(ABLATION, epochs=1, batches=1, seeds=(0, 1), width=0.0625),
        "race": dict(RACE_RUN, epochs=2),
    },
    "study": {
        "main": dict(model="alexnet_paper", epochs=25),
        "ablations": dict(ABLATION, epochs=10, seeds=(0, 1, 2)),
        "race": dict(RACE_RUN, epochs=25),
    },
    "paper": {
        "main": dict(model="alexnet_paper", epochs=90),
        "ablations": dict(model="alexnet_paper", epochs=90, seeds=(0, 1, 2)),
        "race": dict(RACE_RUN, epochs=60),
    },
}

#: The recorded runs (``python -m reviewlib.experiments record --paper alexnet``): longer, more seeds.
RECORDED = {
    "smoke": {
        "main": dict(model="alexnet_paper", epochs=2, batches=2, eval_images=8),
        "ablations": dict(ABLATION, epochs=2, batches=1, seeds=(0, 1, 2), width=0.0625),
        "race": dict(RACE_RUN, epochs=2, seeds=(0, 1)),
    },
    "study": {
        "main": dict(model="alexnet_paper", epochs=25, seeds=(0, 1, 2)),
        "ablations": dict(ABLATION, epochs=20, seeds=(0, 1, 2, 3, 4)),
        "race": dict(RACE_RUN, epochs=40, seeds=(0, 1, 2)),
    },
    "paper": {
        "main": dict(model="alexnet_paper", epochs=90, seeds=(0, 1, 2)),
        "ablations": dict(model="alexnet_paper", epochs=90, seeds=(0, 1, 2, 3, 4)),
        "race": dict(RACE_RUN, epochs=60, seeds=(0, 1, 2)),
    },
}

#: Fig. 1's race beside the run: images per class (None = all), batch (cuda-convnet's 128), whether CIFAR-10 may be
#: downloaded (never in the smoke budget), and each initialisation's learning-rate grid, the same for ReLU and
#: tanh (found by hand on tiny-imagenet-10 to bracket both activations' best rates; 0.1 diverged for ReLU).
RACE = {
    "smoke": dict(per_class=8, batch_size=32, download=False,
                  lrs={"default": (0.01,), "paper": (0.003,)}),
    "study": dict(per_class=100, batch_size=128, download=True,
                  lrs={"default": (0.01, 0.03), "paper": (0.003, 0.03)}),
    "paper": dict(per_class=None, batch_size=128, download=True,
                  lrs={"default": (0.003, 0.01, 0.03, 0.1), "paper": (0.001, 0.003, 0.01, 0.03)}),
}

#: Whether the notebook writes its training figures to figures/ (a smoke run must not replace them).
SAVE_FIGURES = {"smoke": False, "study": True, "paper": True}


def plan(study) -> dict:
    """The notebook's named runs for ``study``'s budget (``{name: Run}``)."""
    return {name: study.run(name, **spec) for name, spec in RUNS[study.budget.name].items()}


def recorded(study):
    """The study with the recorded runs (:data:`RECORDED`) in place of the notebook's."""
    return study.with_runs(**{name: study.run(name, **spec) for name, spec in RECORDED[study.budget.name].items()})


def race_settings(study) -> dict:
    """The race's settings under this budget (a table lookup, :data:`RACE`)."""
    return RACE[study.budget.name]


def save_figures(study) -> bool:
    """Whether this budget's notebook writes its training figures (a table lookup, :data:`SAVE_FIGURES`)."""
    return SAVE_FIGURES[study.budget.name]
