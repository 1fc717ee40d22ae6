"""The three papers' training recipes as data, and how they are scaled to a shorter run.

One frozen :class:`Recipe` per paper holds what each paper says about training (AlexNet Sect. 5, VGG Sect. 3.1,
GoogLeNet Sect. 6); values a paper does not state are marked in :attr:`Recipe.notes` with where they come from.
:func:`scaled_recipe` fits a recipe to another batch size and number of epochs, and optionally applies the study
tuning (:data:`STUDY_TUNING`, each change with its reason in :data:`STUDY_TUNING_WHY`). :func:`make_scheduler`
turns a recipe's schedule into torch's learning-rate scheduler.

The initialisations live in :mod:`reviewlib.train.init`, AlexNet's update rule in :mod:`reviewlib.train.sgd`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from ..nets import PAPERS
from .init import INIT_SCHEMES

SCHEDULES = ("plateau", "step", "linear")


@dataclass(frozen=True)
class Recipe:
    """How one paper trains its network (SGD with momentum in all three).

    ``schedule == "plateau"``: divide the learning rate by ``1/gamma`` (10) when the validation top-1 error has not
    improved for ``patience`` epochs, at most ``max_reductions`` (3) times (AlexNet Sect. 5, VGG Sect. 3.1).
    ``schedule == "step"``: multiply it by ``gamma`` every ``step_every`` epochs (GoogLeNet Sect. 6: 0.96 every 8;
    ``step_every`` may be fractional after compression to a short run).
    ``schedule == "linear"``: epoch ``e`` of ``epochs`` trains at ``lr * (1 - e / epochs)`` (the study budget's
    stand-in for the papers' drops, which need dozens of epochs of patience; see :data:`STUDY_TUNING_WHY`).
    ``ema_decay``: per-step decay of an exponential moving average of the weights that is evaluated alongside the
    model (GoogLeNet's Polyak averaging, :mod:`reviewlib.train.ema`); ``None`` for none.
    ``aux_weight``: weight of each auxiliary classifier's loss (GoogLeNet Sect. 5: 0.3).
    ``init``: the initialisation :func:`reviewlib.train.init.init_model` applies: ``"alexnet"``, ``"vgg-paper"``,
    ``"vgg-glorot"``, ``"googlenet"``, ``"kaiming"`` or ``"none"``.
    (Dropout is part of the models, :mod:`reviewlib.nets`; VGG's warm start is :func:`~reviewlib.train.init.
    warm_start_vgg`, which the caller applies.)
    """

    paper: str
    batch_size: int
    lr: float
    momentum: float
    weight_decay: float
    schedule: str
    gamma: float
    epochs: int
    step_every: float | None = None
    patience: int = 2
    max_reductions: int = 3
    ema_decay: float | None = None
    aux_weight: float = 0.0
    init: str = "none"
    notes: str = ""

    def __post_init__(self):
        if self.paper not in PAPERS:
            raise ValueError(f"Recipe.paper={self.paper!r}: expected one of {PAPERS}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"Recipe.schedule={self.schedule!r}: expected one of {SCHEDULES}")
        if self.schedule == "step" and not (self.step_every and self.step_every > 0):
            raise ValueError("Recipe.step_every must be > 0 epochs for schedule='step'")
        if self.ema_decay is not None and not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"Recipe.ema_decay={self.ema_decay}: expected None or a float in [0, 1)")
        if self.init not in INIT_SCHEMES:
            raise ValueError(f"Recipe.init={self.init!r}: expected one of {INIT_SCHEMES}")
        if self.batch_size < 1 or self.epochs < 1 or self.lr <= 0:
            raise ValueError(f"Recipe needs batch_size >= 1, epochs >= 1 and lr > 0 (got {self.batch_size}, "
                             f"{self.epochs}, {self.lr})")

    def with_(self, **changes) -> "Recipe":
        """A copy with some fields changed (``recipe.with_(lr=0.02)``)."""
        return replace(self, **changes)

    def lr_factor(self, epoch: int) -> float:
        """Multiplier on ``lr`` during (0-based) ``epoch`` for the step schedule (1.0 for the plateau schedule,
        whose reductions depend on the validation error and are made by the scheduler)."""
        if self.schedule != "step":
            return 1.0
        return self.gamma ** math.floor(epoch / self.step_every + 1e-9)


# The papers' recipes, at the papers' own scale.
PAPER_RECIPES: dict[str, Recipe] = {
    "alexnet": Recipe(
        paper="alexnet", batch_size=128, lr=0.01, momentum=0.9, weight_decay=5e-4,
        schedule="plateau", gamma=0.1, patience=2, max_reductions=3, epochs=90, init="alexnet",
        notes="AlexNet Sect. 5 (batch 128, momentum 0.9, wd 5e-4, lr 0.01 /10 three times on a plateau of the "
              "validation error, ~90 epochs), Sect. 4.2 (dropout 0.5). Patience is not stated: 2 epochs is ours.",
    ),
    "vgg": Recipe(
        paper="vgg", batch_size=256, lr=0.01, momentum=0.9, weight_decay=5e-4,
        schedule="plateau", gamma=0.1, patience=2, max_reductions=3, epochs=74, init="vgg-paper",
        notes="VGG Sect. 3.1 (batch 256, momentum 0.9, wd 5e-4, dropout 0.5, lr 1e-2 /10 three times when the "
              "validation accuracy stops improving, 370K iterations = 74 epochs; net A from N(0, 1e-2 variance), "
              "deeper nets warm-started from A). Patience is not stated: 2 epochs is ours.",
    ),
    "googlenet": Recipe(
        paper="googlenet", batch_size=32, lr=0.01, momentum=0.9, weight_decay=2e-4,
        schedule="step", gamma=0.96, step_every=8, epochs=60, ema_decay=0.9999, aux_weight=0.3, init="googlenet",
        notes="GoogLeNet Sect. 6 (momentum 0.9, lr x0.96 every 8 epochs, Polyak averaging), Sect. 5 (aux losses "
              "x0.3, dropout 0.4). The paper trained asynchronously (DistBelief) and gives no batch, lr, weight "
              "decay, epochs, averaging constant or init: batch 32, lr 0.01, wd 2e-4, Glorot init with bias 0.2 "
              "and ~60 epochs (2.4M iterations) are the BVLC Caffe reproduction's; EMA decay 0.9999 is ours.",
    ),
}

# What the study tuning changes beyond the mechanical scaling of scaled_recipe, and why. Chosen for runs of 10-25
# epochs on 10-class ImageNet subsets, checked on tiny-imagenet-10 and on ten classes no choice was made on
# (tiny-imagenet-10b); the measurements are in README ("Study runs").
STUDY_TUNING: dict[str, dict] = {
    "alexnet": dict(lr=0.01, init="kaiming", schedule="linear"),
    "vgg": dict(lr=0.01, init="kaiming", schedule="linear"),
    "googlenet": dict(lr=0.04, init="kaiming", schedule="linear", ema_decay=0.99),
}
_LINEAR_WHY = ("the learning rate falls linearly to zero over the run instead of the paper's divisions by 10 "
               "when the validation error stops improving: those need dozens of epochs of patience, and a run of "
               "20 epochs on 500 validation images (one image = 0.2 points of noise) would cut it at random")
STUDY_TUNING_WHY = {
    "alexnet": "lr 0.01, the paper's own, kept at batch 64 (linear scaling from batch 128 gives 0.005, too slow for "
               "20 epochs; with 0.02 some seeds sat near chance for epochs before learning, 0.05 killed every ReLU "
               "in the first epoch); Kaiming (fan_in) init instead of N(0, 0.01): at 1/4 width the paper's init "
               "shrinks the signal ~10x per layer and the net barely starts in a few epochs (init_alexnet keeps "
               "the paper's rule, bias 1 included, for the paper budget); " + _LINEAR_WHY + ".",
    "vgg": "lr 0.01, the paper's own (with 0.02 one seed in three stayed at chance); Kaiming (fan_in) init for every configuration instead of A's N(0, 1e-2 variance) and the warm "
           "start of the deeper nets: the paper itself notes that Glorot init (of which He init is the ReLU form) "
           "works without pre-training (the notebook still runs the warm start, as an experiment); "
           + _LINEAR_WHY + ".",
    "googlenet": "lr 0.04; Kaiming (fan_in) init (the paper gives none; 22 layers without BatchNorm need a "
                 "variance-preserving one); Polyak averaging with decay 0.99 per step (an average over about the "
                 "last 100 steps, 1.3 epochs of a 10-class subset, instead of 0.9999 over a 60-epoch run); "
                 + _LINEAR_WHY + ".",
}


def paper_recipe(paper: str) -> Recipe:
    """The recipe as the paper states it (``"alexnet"``, ``"vgg"`` or ``"googlenet"``)."""
    if paper not in PAPER_RECIPES:
        raise ValueError(f"unknown paper {paper!r}; expected one of {PAPERS} (use reviewlib.nets.paper_of(name) "
                         f"to map a model name such as 'vgg16' to its paper)")
    return PAPER_RECIPES[paper]


def scaled_recipe(paper: str, *, batch_size: int | None = None, epochs: int | None = None, tuned: bool = False,
                  **overrides) -> Recipe:
    """The paper's recipe fitted to ``batch_size`` and ``epochs`` (``None``: the paper's own values).

    With another batch size or length, the learning rate scales linearly with the batch size (Goyal et al. 2017)
    and the schedule is compressed by epochs / paper epochs (``step_every`` and the plateau patience, at least 1
    epoch). ``tuned`` applies :data:`STUDY_TUNING`. ``overrides`` replace any field last (e.g. ``lr=0.05``). Every
    change is listed in :attr:`Recipe.notes`; with no change the paper's recipe comes back unchanged.
    """
    base = paper_recipe(paper)
    batch_size, epochs = batch_size or base.batch_size, epochs or base.epochs
    changes, notes = {}, base.notes
    if (batch_size, epochs) != (base.batch_size, base.epochs):
        scale = epochs / base.epochs
        changes = dict(batch_size=batch_size, epochs=epochs, lr=base.lr * batch_size / base.batch_size,
                       patience=max(1, round(base.patience * scale)))
        if base.step_every is not None:
            changes["step_every"] = base.step_every * scale
        notes += (f" Scaled: batch {batch_size}, {epochs} epochs, lr x{batch_size}/{base.batch_size} (linear "
                  f"scaling), schedule x{scale:.3g}.")
    if tuned:
        changes.update(STUDY_TUNING[paper])
        notes += " Study tuning: " + STUDY_TUNING_WHY[paper]
    if overrides:
        changes.update(overrides)
        notes += " Overrides: " + ", ".join(f"{k}={v!r}" for k, v in overrides.items()) + "."
    return base.with_(**changes, notes=notes)


def make_scheduler(optimizer: torch.optim.Optimizer, recipe: Recipe):
    """torch's scheduler for the recipe. Plateau (AlexNet Sect. 5, VGG Sect. 3.1): ``ReduceLROnPlateau`` on the
    validation top-1 error, x``gamma`` after ``patience`` epochs without improvement, never below ``lr *
    gamma**max_reductions``; call ``step(error)`` after each epoch. Step (GoogLeNet Sect. 6): x``gamma`` every
    ``step_every`` epochs; linear: x``(1 - epoch / epochs)``; call ``step()`` after each epoch."""
    if recipe.schedule == "step":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: recipe.lr_factor(epoch))
    if recipe.schedule == "linear":
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: max(0.0, 1.0 - epoch / recipe.epochs))
    floor = recipe.lr * recipe.gamma ** recipe.max_reductions
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=recipe.gamma, patience=recipe.patience, min_lr=floor, eps=floor * 1e-3)
