"""One named run of a notebook: which model, at which size, for how long, with which seeds and recipe.

A :class:`Run` is plain data. :class:`reviewlib.study.Study` builds every run of a notebook once, at the entry
point (notebook, command line, benchmark); everything below takes the run's plain values.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .recipes import Recipe


@dataclass(frozen=True)
class Run:
    """What one training run of a notebook does.

    ``image_size`` is the model's real input side (the AlexNet paper model's 227/224 rule already applied, see
    :func:`reviewlib.nets.input_side`), ``resize`` the short side the crops are taken from (256/224 of the
    training size, AlexNet Sect. 2), ``batches`` a cap on batches per epoch (None = whole epochs).
    """

    name: str
    model: str
    image_size: int
    resize: int
    width: float
    epochs: int
    batches: int | None
    seeds: tuple[int, ...]
    recipe: Recipe
    eval_images: int | None = None
    model_kw: Mapping = field(default_factory=dict)  # model options every variant of the run gets (e.g. a
    # small input's adaptive pooling in GoogLeNet's auxiliary heads)

    def with_(self, **changes) -> "Run":
        """A copy with some fields changed (``run.with_(epochs=3)``)."""
        return replace(self, **changes)

    @property
    def steps(self) -> int | None:
        """Optimizer steps per seed when ``batches`` caps the epoch, else None (depends on the data)."""
        return None if self.batches is None else self.epochs * self.batches
