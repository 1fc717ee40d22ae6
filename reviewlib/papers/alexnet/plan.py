"""What the AlexNet notebook trains under each budget: one table, sized from measured step costs.

``main``: the paper model (two towers, LRN, overlapping pools, dropout, the paper's augmentation) with the paper's
recipe (:mod:`reviewlib.train.recipes`, study changes listed there). ``ablations``: the tricks of Sect. 3-4 each
removed once, at a smaller width so that every variant gets three seeds. ``race``: Fig. 1's four-layer net.
"""
from __future__ import annotations

RUNS = {
    "smoke": {
        "main": dict(model="alexnet_paper", epochs=1, batches=2),
        "ablations": dict(model="alexnet_paper", epochs=1, batches=1, seeds=(0, 1), width=0.0625),
        "evaluation": dict(model="alexnet_paper", epochs=1, batches=2, eval_images=8),
    },
    "study": {
        "main": dict(model="alexnet_paper", epochs=20),
        "ablations": dict(model="alexnet_paper", epochs=8, seeds=(0, 1, 2), width=0.125),
        "evaluation": dict(model="alexnet_paper", epochs=20, eval_images=500),
    },
    "paper": {
        "main": dict(model="alexnet_paper", epochs=90),
        "ablations": dict(model="alexnet_paper", epochs=90, seeds=(0, 1, 2)),
        "evaluation": dict(model="alexnet_paper", epochs=90, eval_images=None),
    },
}


def plan(study) -> dict:
    """The notebook's named runs for ``study``'s budget (``{name: Run}``)."""
    return {name: study.run(name, **spec) for name, spec in RUNS[study.budget.name].items()}
