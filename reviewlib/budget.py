"""The three compute budgets, read from ``REVIEWLIB_BUDGET`` in one place.

``smoke``  CI: every notebook cell finishes in seconds on a 2-core CPU; numbers are only checked to run.
``study``  the default: minutes on a laptop CPU (far less on a GPU); models shrunk by ``width`` and trained
           on a small ImageNet subset at a reduced image size, so the curves show learning.
``paper``  the paper's recipe: full width, 224-pixel crops, all 1000 classes, a GPU (several through torchrun).

One code path serves all three: the budget only changes sizes and counts, never what code runs.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace

import pandas as pd

from .errors import BudgetError

ENV_VAR = "REVIEWLIB_BUDGET"
DEFAULT = "study"


@dataclass(frozen=True)
class Budget:
    """What a budget means in sizes and counts."""

    name: str
    image_size: int  # the training crop (224 in the papers); the resize short side scales as 256/224 of it
    width: float  # multiplier on every channel count (1.0 = the paper's widths)
    epochs: int  # training epochs for one run (recipes may scale it per paper)
    classes: int | None  # classes in the subset (None = all the data has)
    train_per_class: int | None  # training images per class (None = all)
    val_per_class: int | None  # validation images per class (None = all)
    batch_size: int
    num_workers: int  # DataLoader workers doing augmentation on the CPU while the model trains
    max_batches: int | None  # cap on batches per epoch (None = the whole epoch)
    summary: str
    # per-paper crop where one size cannot serve all three papers, e.g. (("vgg", 64),): VGG's five 2x2 pools keep a
    # 2x2 map at 64 px, while AlexNet's 11x11/4 first layer needs more pixels to keep more than a 1x1 map at pool5.
    # Chosen with benchmarks/time_to_accuracy.py (README, "Time to accuracy").
    paper_image_sizes: tuple[tuple[str, int], ...] = ()

    def image_size_for(self, paper: str) -> int:
        """The training crop for ``paper`` ("alexnet", "vgg", "googlenet") under this budget."""
        return dict(self.paper_image_sizes).get(paper, self.image_size)

    @property
    def resize_size(self) -> int:
        """Short side to rescale to before cropping: 256 for a 224 crop, scaled alike."""
        return round(self.image_size * 256 / 224)

    def with_(self, **changes) -> "Budget":
        """A copy with some fields changed (``budget.with_(epochs=3)``)."""
        return replace(self, **changes)


BUDGETS: dict[str, Budget] = {
    "smoke": Budget(
        name="smoke", image_size=96, width=0.125, epochs=1, classes=10, train_per_class=16, val_per_class=4,
        batch_size=32, num_workers=0, max_batches=4,
        summary="CI: seconds a notebook; 96-px crops, 1/8 width, 10 classes x 16 images, 1 epoch of 4 batches",
    ),
    "study": Budget(
        name="study", image_size=128, width=0.25, epochs=8, classes=10, train_per_class=None, val_per_class=None,
        batch_size=64, num_workers=2, max_batches=None, paper_image_sizes=(("vgg", 64), ("googlenet", 96)),
        summary="laptop CPU: minutes; 128-px crops (VGG 64, GoogLeNet 96), 1/4 width, 10 classes (all their "
                "images), 8 epochs",
    ),
    "paper": Budget(
        name="paper", image_size=224, width=1.0, epochs=90, classes=None, train_per_class=None, val_per_class=None,
        batch_size=256, num_workers=8, max_batches=None,
        summary="the paper's recipe: 224-px crops, full width, all classes; a GPU (several via torchrun)",
    ),
}


def get_budget(name: str | Budget | None = None) -> Budget:
    """The budget named ``name``, else ``$REVIEWLIB_BUDGET``, else ``study``.

    >>> get_budget("smoke").image_size
    96
    """
    if isinstance(name, Budget):
        return name
    raw = name if name is not None else os.environ.get(ENV_VAR, DEFAULT)
    key = raw.strip().lower()
    if key not in BUDGETS:
        valid = ", ".join(BUDGETS)
        source = "argument" if name is not None else f"environment variable {ENV_VAR}"
        raise BudgetError(
            f"unknown budget {raw!r} (from the {source}); valid budgets: {valid}. "
            f"Set e.g. {ENV_VAR}=smoke, or unset it for the default {DEFAULT!r}."
        )
    return BUDGETS[key]


def budget_table() -> pd.DataFrame:
    """All budgets side by side, one row each (for the notebooks' headers and the README)."""
    rows = [asdict(b) | {"resize_size": b.resize_size,
                         "paper_image_sizes": ", ".join(f"{p} {s}" for p, s in b.paper_image_sizes) or "-"}
            for b in BUDGETS.values()]
    return pd.DataFrame(rows).set_index("name")
