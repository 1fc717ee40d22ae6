"""What the overview notebook trains under each budget: the three papers' models on the same data with one
recipe (AlexNet's, with GoogLeNet's auxiliary losses), each at its paper's training size."""
from __future__ import annotations

MODELS = ("alexnet_paper", "vgg_A", "googlenet_paper")
SIZES = {"alexnet_paper": "alexnet", "vgg_A": "vgg", "googlenet_paper": "googlenet"}
RUNS = {
    "smoke": dict(epochs=1, batches=2, width=0.0625),
    "study": dict(epochs=6, width=0.125),
    "paper": dict(epochs=90, width=None),
}


def plan(study) -> dict:
    """One run per model (``{model: Run}``), same epochs and recipe for the three."""
    spec = dict(RUNS[study.budget.name])
    return {m: study.run(m, model=m, size=study.budget.size_for(SIZES[m]), recipe_paper="alexnet",
                         aux_weight=0.3, **spec) for m in MODELS}
