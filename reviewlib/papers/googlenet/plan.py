"""What the GoogLeNet notebook trains under each budget: one table, sized from measured step costs.

``main``: the paper's GoogLeNet (true 5x5 branches, LRN in the stem, auxiliary classifiers, Polyak averaging) with
the paper's recipe. ``ablations``: auxiliary heads, average pooling vs an FC head, the naive module, at a smaller
width and size so that every variant gets three seeds; their baselines are also the ensemble's members.
"""
from __future__ import annotations

RUNS = {
    "smoke": {
        "main": dict(model="googlenet_paper", epochs=1, batches=2),
        "ablations": dict(model="googlenet_paper", epochs=1, batches=1, seeds=(0, 1), width=0.0625, size=64),
    },
    "study": {
        "main": dict(model="googlenet_paper", epochs=20),
        "ablations": dict(model="googlenet_paper", epochs=8, seeds=(0, 1, 2), width=0.125, size=64),
    },
    "paper": {
        "main": dict(model="googlenet_paper", epochs=60),
        "ablations": dict(model="googlenet_paper", epochs=60, seeds=(0, 1, 2)),
    },
}


def plan(study) -> dict:
    """The notebook's named runs for ``study``'s budget (``{name: Run}``)."""
    return {name: study.run(name, **spec) for name, spec in RUNS[study.budget.name].items()}
