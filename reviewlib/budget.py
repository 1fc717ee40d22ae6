"""The three compute budgets, as one table: the only place that knows a budget's name.

``smoke``  CI: every notebook cell finishes in seconds on a 2-core CPU; the numbers only show the code runs.
``study``  the default: a notebook's runs take minutes on a laptop CPU (far less on a GPU); models shrunk by
           ``width`` and trained on a 10-class ImageNet subset at reduced sizes, long enough to learn.
``paper``  the paper's recipe: full width, 224-pixel crops, all classes, a GPU (several through torchrun).

One code path serves all three: a budget changes sizes and counts, never what code runs. ``REVIEWLIB_BUDGET`` is
read by :func:`get_budget`, which only the entry points call (:meth:`reviewlib.study.Study.for_paper` and the
command lines); how long each notebook run trains under each budget is in that paper's ``plan.py`` table.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from .errors import BudgetError

ENV_VAR = "REVIEWLIB_BUDGET"
DEFAULT = "study"


@dataclass(frozen=True)
class Budget:
    """What a budget means in sizes and counts.

    ``sizes``: each paper's training size, the crop before AlexNet's 227/224 rule (224 in the papers). One size
    cannot serve all three at a small budget: AlexNet's 11x11/4 first layer and three 3x3/2 pools leave a 1x1 map
    at 96 px, while VGG's five 2x2 pools still leave a 2x2 map at 64 px at a quarter of the cost.
    ``batch_size``: None = each paper's own (128, 256, 32). ``workers``: loader processes for data streamed from
    disk (the in-memory subsets need none). ``download``: may fetch Imagenette when no data is found.
    ``tuned``: apply the study's changes to the papers' recipes (:data:`reviewlib.train.recipes.STUDY_TUNING`).
    """

    name: str
    sizes: Mapping[str, int]
    width: float
    classes: int | None
    train_per_class: int | None
    val_per_class: int | None
    batch_size: int | None
    workers: int
    download: bool
    tuned: bool
    summary: str

    def size_for(self, paper: str) -> int:
        """The training size of ``paper`` ("alexnet", "vgg", "googlenet") under this budget."""
        return self.sizes[paper]

    def with_(self, **changes) -> "Budget":
        """A copy with some fields changed (``budget.with_(width=0.5)``)."""
        return replace(self, **changes)


BUDGETS: dict[str, Budget] = {
    "smoke": Budget(
        name="smoke", sizes={"alexnet": 96, "vgg": 64, "googlenet": 96}, width=0.125, classes=10,
        train_per_class=16, val_per_class=4, batch_size=32, workers=0, download=False, tuned=True,
        summary="a check that every cell runs: seconds a notebook; 96-px crops (VGG 64), 1/8 width, 10 classes x 16 images, a few batches",
    ),
    "study": Budget(
        name="study", sizes={"alexnet": 128, "vgg": 64, "googlenet": 96}, width=0.25, classes=10,
        train_per_class=None, val_per_class=None, batch_size=64, workers=0, download=True, tuned=True,
        summary="a laptop CPU: minutes a notebook; 128-px crops (VGG 64, GoogLeNet 96), 1/4 width, 10 classes "
                "with all their images",
    ),
    "paper": Budget(
        name="paper", sizes={"alexnet": 224, "vgg": 224, "googlenet": 224}, width=1.0, classes=None,
        train_per_class=None, val_per_class=None, batch_size=None, workers=8, download=False, tuned=False,
        summary="the paper's recipe: 224-px crops, full width, all classes; a GPU (several through torchrun)",
    ),
}


def get_budget(name: str | Budget | None = None) -> Budget:
    """The budget named ``name``, else ``$REVIEWLIB_BUDGET``, else ``study``.

    >>> get_budget("smoke").width
    0.125
    """
    if isinstance(name, Budget):
        return name
    raw = name if name is not None else os.environ.get(ENV_VAR, DEFAULT)
    key = str(raw).strip().lower()
    if key not in BUDGETS:
        source = "argument" if name is not None else f"environment variable {ENV_VAR}"
        raise BudgetError(
            f"unknown budget {raw!r} (from the {source}); valid budgets: {', '.join(BUDGETS)}. "
            f"Set e.g. {ENV_VAR}=smoke, or unset it for the default {DEFAULT!r}.")
    return BUDGETS[key]


def budget_table() -> pd.DataFrame:
    """All budgets side by side, one row each (for the notebooks' headers and the README)."""
    rows = []
    for b in BUDGETS.values():
        rows.append({"budget": b.name, **{f"{p} size": s for p, s in b.sizes.items()}, "width": b.width,
                     "classes": b.classes or "all", "train images / class": b.train_per_class or "all",
                     "batch": b.batch_size or "the paper's", "summary": b.summary})
    return pd.DataFrame(rows).set_index("budget")
