"""What the VGG notebook trains under each budget: one table, sized from measured step costs.

``main``: configuration A (the net the paper trains from random initialisation) with the paper's recipe.
``depth`` and ``ablations``: Table 3's comparisons (A -> B -> D -> E, A-LRN, C vs D, B with 5x5 convs, scale
jittering), at a smaller width so that every variant gets three seeds.
"""
from __future__ import annotations

RUNS = {
    "smoke": {
        "main": dict(model="vgg_A", epochs=1, batches=2),
        "ablations": dict(model="vgg_A", epochs=1, batches=1, seeds=(0, 1), width=0.0625),
    },
    "study": {
        "main": dict(model="vgg_A", epochs=20),
        "ablations": dict(model="vgg_A", epochs=8, seeds=(0, 1, 2), width=0.125),
    },
    "paper": {
        "main": dict(model="vgg_A", epochs=74),
        "ablations": dict(model="vgg_A", epochs=74, seeds=(0, 1, 2)),
    },
}


def plan(study) -> dict:
    """The notebook's named runs for ``study``'s budget (``{name: Run}``)."""
    return {name: study.run(name, **spec) for name, spec in RUNS[study.budget.name].items()}
