"""The three papers' training recipes as data, their initialisations, and AlexNet's update rule.

One frozen :class:`Recipe` per paper holds what each paper says about training (AlexNet Sect. 5, VGG Sect. 3.1,
GoogLeNet Sect. 6). :func:`recipe_for` scales a recipe to a compute budget; :func:`recipe_table` lays all of them
side by side. Values a paper does not state are marked in :attr:`Recipe.notes` with where they come from.

Also here, because they are part of each recipe:

* the initialisations, :func:`init_alexnet`, :func:`init_vgg`, :func:`warm_start_vgg`, :func:`init_googlenet`;
* AlexNet's SGD update rule written out (:func:`paper_sgd_step`) and its comparison with ``torch.optim.SGD``
  (:func:`compare_with_torch_sgd`): both give the same weights while the learning rate is constant and differ
  right after it changes, because torch keeps the learning rate outside the velocity.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Iterable

import pandas as pd
import torch
from torch import nn

from ..budget import Budget, get_budget

PAPERS = ("alexnet", "vgg", "googlenet")
SCHEDULES = ("plateau", "step")


@dataclass(frozen=True)
class Recipe:
    """How one paper trains its network (SGD with momentum in all three).

    ``schedule == "plateau"``: divide the learning rate by ``1/gamma`` (10) when the validation top-1 error has not
    improved for ``patience`` epochs, at most ``max_reductions`` (3) times (AlexNet Sect. 5, VGG Sect. 3.1).
    ``schedule == "step"``: multiply it by ``gamma`` every ``step_every`` epochs (GoogLeNet Sect. 6: 0.96 every 8;
    ``step_every`` may be fractional after compression to a short budget).
    ``ema_decay``: per-step decay of an exponential moving average of the weights that is evaluated alongside the
    model (GoogLeNet's Polyak averaging); ``None`` for none.
    ``aux_weight``: weight of each auxiliary classifier's loss (GoogLeNet Sect. 5: 0.3).
    ``init``: the initialisation :func:`init_model` applies: ``"alexnet"`` (N(0, 0.01), bias 1 in conv2/4/5 and
    the hidden FC layers), ``"vgg-paper"`` (N(0, variance 1e-2), bias 0), ``"vgg-glorot"``, ``"googlenet"``
    (Glorot, bias 0.2 as in the BVLC reproduction), ``"kaiming"`` (He et al. 2015, fan_in, bias 0), or ``"none"``.
    ``warm_start``: VGG's deeper nets start their first 4 conv and last 3 FC layers from a trained net A.
    """

    paper: str
    budget: str
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
    dropout: float | None = 0.5
    ema_decay: float | None = None
    aux_weight: float = 0.0
    init: str = "none"
    warm_start: bool = False
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
        whose reductions depend on the validation error and are tracked by the trainer)."""
        if self.schedule != "step":
            return 1.0
        return self.gamma ** math.floor(epoch / self.step_every + 1e-9)


INIT_SCHEMES = ("alexnet", "vgg-paper", "vgg-glorot", "googlenet", "kaiming", "none")

# The papers' recipes, at the papers' own scale.
PAPER_RECIPES: dict[str, Recipe] = {
    "alexnet": Recipe(
        paper="alexnet", budget="paper", batch_size=128, lr=0.01, momentum=0.9, weight_decay=5e-4,
        schedule="plateau", gamma=0.1, patience=2, max_reductions=3, epochs=90, dropout=0.5,
        init="alexnet",
        notes="AlexNet Sect. 5 (batch 128, momentum 0.9, wd 5e-4, lr 0.01 /10 three times on a plateau of the "
              "validation error, ~90 epochs), Sect. 4.2 (dropout 0.5). Patience is not stated: 2 epochs is ours.",
    ),
    "vgg": Recipe(
        paper="vgg", budget="paper", batch_size=256, lr=0.01, momentum=0.9, weight_decay=5e-4,
        schedule="plateau", gamma=0.1, patience=2, max_reductions=3, epochs=74, dropout=0.5,
        init="vgg-paper", warm_start=True,
        notes="VGG Sect. 3.1 (batch 256, momentum 0.9, wd 5e-4, dropout 0.5, lr 1e-2 /10 three times when the "
              "validation accuracy stops improving, 370K iterations = 74 epochs; net A from N(0, 1e-2 variance), "
              "deeper nets warm-started from A). Patience is not stated: 2 epochs is ours.",
    ),
    "googlenet": Recipe(
        paper="googlenet", budget="paper", batch_size=32, lr=0.01, momentum=0.9, weight_decay=2e-4,
        schedule="step", gamma=0.96, step_every=8, epochs=60, dropout=0.4, ema_decay=0.9999, aux_weight=0.3,
        init="googlenet",
        notes="GoogLeNet Sect. 6 (momentum 0.9, lr x0.96 every 8 epochs, Polyak averaging), Sect. 5 (aux losses "
              "x0.3, dropout 0.4). The paper trained asynchronously (DistBelief) and gives no batch, lr, weight "
              "decay, epochs, averaging constant or init: batch 32, lr 0.01, wd 2e-4, Glorot init with bias 0.2 "
              "and ~60 epochs (2.4M iterations) are the BVLC Caffe reproduction's; EMA decay 0.9999 is ours.",
    ),
}

# What the study budget changes beyond the mechanical scaling in recipe_for, and why. Measured with
# benchmarks/time_to_accuracy.py on tiny-imagenet-10 (10 classes x 500 images; numbers in its docstring).
STUDY_TUNING: dict[str, dict] = {
    "alexnet": dict(lr=0.02, init="kaiming", patience=2),
    "vgg": dict(lr=0.02, init="kaiming", warm_start=False, patience=2),
    "googlenet": dict(lr=0.04, init="kaiming", ema_decay=0.99),
}
STUDY_TUNING_WHY = {
    "alexnet": "lr 0.02 (linear scaling gives 0.005, too slow for a few epochs; 0.05 killed every ReLU in the first "
               "epoch); Kaiming (fan_in) init instead of N(0, 0.01): at 1/4 width the paper's init shrinks the "
               "signal ~10x per layer and the net barely starts in a few epochs (the bias-1 rule is kept by "
               "init_alexnet for the paper budget); plateau patience 2 epochs (1 cut the lr after 3 noisy epochs).",
    "vgg": "lr 0.02; Kaiming (fan_in) init for every config instead of A's N(0, 1e-2 variance) + warm start: the "
           "paper itself notes that Glorot init (of which He init is the ReLU form) works without pre-training, "
           "and it lets every config train in one run; plateau patience 2 epochs.",
    "googlenet": "lr 0.04; Kaiming (fan_in) init (the paper gives none; 22 layers without BatchNorm need a "
                 "variance-preserving one); EMA decay 0.99 per step (~1 epoch of the study set's 79 steps).",
}


def paper_recipe(paper: str) -> Recipe:
    """The recipe as the paper states it (``"alexnet"``, ``"vgg"`` or ``"googlenet"``)."""
    if paper not in PAPER_RECIPES:
        raise ValueError(f"unknown paper {paper!r}; expected one of {PAPERS} (use reviewlib.nets.paper_of(name) "
                         f"to map a model name such as 'vgg16' to its paper)")
    return PAPER_RECIPES[paper]


def recipe_for(paper: str, budget: str | Budget | None = None, **overrides) -> Recipe:
    """The paper's recipe scaled to ``budget``.

    * ``paper`` budget: the paper's values unchanged (its own batch size and epochs).
    * other budgets: the budget's batch size and epochs; the learning rate scaled linearly with the batch size
      (Goyal et al. 2017); the schedule compressed by budget epochs / paper epochs (``step_every`` and the plateau
      patience, at least 1 epoch); and, for ``study``/``smoke``, the changes in :data:`STUDY_TUNING`, listed in
      :attr:`Recipe.notes`. ``overrides`` replace any field last (e.g. ``lr=0.05``).
    """
    base = paper_recipe(paper)
    budget = get_budget(budget)
    if budget.name == "paper":
        return base.with_(**overrides) if overrides else base
    scale = budget.epochs / base.epochs
    changes: dict = dict(
        budget=budget.name,
        batch_size=budget.batch_size,
        epochs=budget.epochs,
        lr=base.lr * budget.batch_size / base.batch_size,
        patience=max(1, round(base.patience * scale)),
    )
    if base.step_every is not None:
        changes["step_every"] = base.step_every * scale
    notes = base.notes + f" Scaled to budget {budget.name!r}: batch {budget.batch_size}, {budget.epochs} epochs, " \
                         f"lr x{budget.batch_size}/{base.batch_size} (linear scaling), schedule x{scale:.3g}."
    if budget.name in ("study", "smoke"):
        changes.update(STUDY_TUNING[paper])
        notes += " Study tuning: " + STUDY_TUNING_WHY[paper]
    changes.update(overrides)
    if overrides:
        notes += " Overrides: " + ", ".join(f"{k}={v!r}" for k, v in overrides.items()) + "."
    changes["notes"] = notes
    return base.with_(**changes)


def recipe_table(budgets: Iterable[str] = ("paper", "study", "smoke")) -> pd.DataFrame:
    """Every paper's recipe under every budget, one row each (index: paper, budget) for the notebooks."""
    rows = [asdict(recipe_for(p, b)) for p in PAPERS for b in budgets]
    return pd.DataFrame(rows).set_index(["paper", "budget"])


# ---------------------------------------------------------------------------------------------------------------
# Initialisation
# ---------------------------------------------------------------------------------------------------------------

def _layers(module: nn.Module, kind) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in module.named_modules() if isinstance(m, kind)]


def _features_classifier(model: nn.Module, who: str):
    for attr in ("features", "classifier"):
        if not isinstance(getattr(model, attr, None), nn.Module):
            raise TypeError(f"{who} needs a model with .features and .classifier (torchvision's AlexNet/VGG "
                            f"layout); {type(model).__name__} has no .{attr}")
    convs = [(f"features.{n}", m) for n, m in _layers(model.features, nn.Conv2d)]
    linears = [(f"classifier.{n}", m) for n, m in _layers(model.classifier, nn.Linear)]
    return convs, linears


@torch.no_grad()
def init_alexnet(model: nn.Module, std: float = 0.01) -> dict[str, float]:
    """AlexNet Sect. 5: weights from N(0, 0.01) (standard deviation 0.01); biases 1 in conv2, conv4, conv5 and the
    two hidden FC layers ("accelerates the early stages of learning by providing the ReLUs with positive inputs"),
    0 elsewhere. Conv and Linear layers are found in order in ``model.features`` / ``model.classifier``; a layer
    split into towers (two Conv2d modules side by side, or one with ``groups=2``) counts as one paper layer.

    Returns ``{module name: bias value}``.
    """
    convs, linears = _features_classifier(model, "init_alexnet")
    groups = _paper_conv_layers(convs)
    if len(groups) != 5 or len(linears) != 3:
        raise ValueError(f"init_alexnet: expected 5 conv layers and 3 linear layers (AlexNet Sect. 3.5), found "
                         f"{len(groups)} conv ({[n for g in groups for n, _ in g]}) and {len(linears)} linear")
    biases = {}
    for i, group in enumerate(groups, start=1):
        for name, m in group:
            biases[name] = 1.0 if i in (2, 4, 5) else 0.0
    for i, (name, m) in enumerate(linears, start=1):
        biases[name] = 1.0 if i in (1, 2) else 0.0
    named = dict(convs + linears)
    for name, b in biases.items():
        nn.init.normal_(named[name].weight, 0.0, std)
        if named[name].bias is not None:
            nn.init.constant_(named[name].bias, b)
    return biases


def _paper_conv_layers(convs):
    """Group tower convs: consecutive Conv2d modules with the same parent and shape form one paper layer
    (the two-GPU AlexNet); a single module (``groups=2`` or one tower) is its own layer."""
    groups: list[list] = []
    for name, m in convs:
        parent = name.rsplit(".", 1)[0]
        if groups:
            pname, pm = groups[-1][-1]
            same_parent = pname.rsplit(".", 1)[0] == parent and parent != "features"
            if same_parent and pm.weight.shape == m.weight.shape:
                groups[-1].append((name, m))
                continue
        groups.append([(name, m)])
    return groups


@torch.no_grad()
def init_vgg(model: nn.Module, scheme: str = "paper") -> str:
    """VGG Sect. 3.1 initialisation of every Conv2d/Linear layer; returns the scheme applied.

    ``"paper"``: weights from a normal distribution with zero mean and 10^-2 *variance*, i.e. standard deviation
    0.1 as the text says, biases 0. (Many reimplementations read it as std 0.01, Caffe's usual value; at full
    width, std 0.1 makes the activations grow layer by layer, one reason the paper trains A first and warm-starts
    the deeper nets.) ``"glorot"``: Glorot & Bengio (2010) uniform, biases 0 — the paper's note that this works
    without pre-training. ``"kaiming"``: He et al. (2015) normal (fan_in, ReLU), biases 0.
    """
    if scheme not in ("paper", "glorot", "kaiming"):
        raise ValueError(f"init_vgg: unknown scheme {scheme!r}; expected 'paper', 'glorot' or 'kaiming'")
    for _, m in _layers(model, (nn.Conv2d, nn.Linear)):
        if scheme == "paper":
            nn.init.normal_(m.weight, 0.0, math.sqrt(1e-2))
        elif scheme == "glorot":
            nn.init.xavier_uniform_(m.weight)
        else:
            _kaiming(m)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    return scheme


def _kaiming(m: nn.Module) -> None:
    # fan_in keeps the forward signal's variance through ReLU layers, what a net without BatchNorm needs
    nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")


@torch.no_grad()
def init_kaiming(model: nn.Module) -> None:
    """He et al. (2015) init for every Conv2d/Linear (biases 0; the final classifier from N(0, 0.01)), and
    BatchNorm to (1, 0): not from the three papers; the study budget's choice for nets without BatchNorm."""
    linears = _layers(model, nn.Linear)
    for _, m in _layers(model, (nn.Conv2d, nn.Linear)):
        _kaiming(m)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    outs = _classifier_heads(model, linears)
    for m in outs:
        nn.init.normal_(m.weight, 0.0, 0.01)
    for _, m in _layers(model, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


def _classifier_heads(model: nn.Module, linears) -> list[nn.Module]:
    """The Linear layers that output class scores: those with the last Linear's out_features."""
    if not linears:
        return []
    n_out = linears[-1][1].out_features
    return [m for _, m in linears if m.out_features == n_out]


@torch.no_grad()
def warm_start_vgg(target: nn.Module, source_A: nn.Module) -> list[str]:
    """VGG Sect. 3.1: initialise a deeper net's first four conv layers and last three FC layers from a trained
    net A; returns the names of the target's layers copied.

    A's first four conv layers are conv1_1, conv2_1, conv3_1, conv3_2 (Table 1, column A). Each is copied into the
    conv layer at the same place (block, index in block) of the target — for D these are conv1_1, conv2_1, conv3_1,
    conv3_2 — when the weight shapes match; the three Linear layers of ``classifier`` are copied in order when
    their shapes match. Blocks are the runs of layers between MaxPool2d modules of ``.features``.
    The other layers keep their (random) initialisation, as in the paper.
    """
    src_pos = _conv_positions(source_A)
    dst_pos = _conv_positions(target)
    copied: list[str] = []
    for (block, idx), (_, src) in list(src_pos.items())[:4]:
        if (block, idx) not in dst_pos:
            continue
        name, dst = dst_pos[(block, idx)]
        if dst.weight.shape == src.weight.shape:
            dst.weight.copy_(src.weight)
            if dst.bias is not None and src.bias is not None:
                dst.bias.copy_(src.bias)
            copied.append(name)
    _, src_lin = _features_classifier(source_A, "warm_start_vgg")
    _, dst_lin = _features_classifier(target, "warm_start_vgg")
    for (_, s), (name, d) in zip(src_lin[-3:], dst_lin[-3:]):
        if d.weight.shape == s.weight.shape:
            d.weight.copy_(s.weight)
            if d.bias is not None and s.bias is not None:
                d.bias.copy_(s.bias)
            copied.append(name)
    return copied


def _conv_positions(model: nn.Module) -> dict[tuple[int, int], tuple[str, nn.Conv2d]]:
    """``{(block, index in block): (name, conv)}`` for ``model.features``, blocks split at MaxPool2d."""
    if not isinstance(getattr(model, "features", None), nn.Sequential):
        raise TypeError(f"warm_start_vgg needs VGG models with a .features Sequential; got {type(model).__name__}")
    out, block, idx = {}, 0, 0
    for i, m in enumerate(model.features):
        if isinstance(m, nn.Conv2d):
            out[(block, idx)] = (f"features.{i}", m)
            idx += 1
        elif isinstance(m, nn.MaxPool2d):
            block, idx = block + 1, 0
    return out


@torch.no_grad()
def init_googlenet(model: nn.Module) -> None:
    """GoogLeNet: the paper gives no initialisation; this is the BVLC Caffe reproduction's — Glorot (Xavier)
    weights for every Conv2d/Linear, bias 0.2 for the hidden layers and 0 for the class-score layers (the main
    ``fc`` and the auxiliary heads' last Linear); BatchNorm (torchvision variant only) to (1, 0)."""
    linears = _layers(model, nn.Linear)
    heads = {id(m) for m in _classifier_heads(model, linears)}
    for _, m in _layers(model, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.constant_(m.bias, 0.0 if id(m) in heads else 0.2)
    for _, m in _layers(model, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


def init_model(model: nn.Module, recipe: Recipe | str) -> None:
    """Apply ``recipe.init`` (or a scheme name, see :class:`Recipe`) to ``model``."""
    scheme = recipe.init if isinstance(recipe, Recipe) else recipe
    if scheme == "alexnet":
        init_alexnet(model)
    elif scheme == "vgg-paper":
        init_vgg(model, "paper")
    elif scheme == "vgg-glorot":
        init_vgg(model, "glorot")
    elif scheme == "googlenet":
        init_googlenet(model)
    elif scheme == "kaiming":
        init_kaiming(model)
    elif scheme != "none":
        raise ValueError(f"unknown init scheme {scheme!r}; expected one of {INIT_SCHEMES}")


# ---------------------------------------------------------------------------------------------------------------
# AlexNet's update rule (Sect. 5) versus torch.optim.SGD
# ---------------------------------------------------------------------------------------------------------------

@torch.no_grad()
def paper_sgd_step(params: Iterable[torch.Tensor], velocities: Iterable[torch.Tensor], lr: float,
                   momentum: float = 0.9, weight_decay: float = 5e-4) -> None:
    """One step of AlexNet Sect. 5's rule, in place, written out by hand (it is what the review is about):

        v <- momentum * v - weight_decay * lr * w - lr * grad
        w <- w + v

    ``velocities`` start at zero and belong to the caller (one tensor per parameter).
    ``torch.optim.SGD(momentum=0.9, weight_decay=5e-4)`` instead keeps ``lr`` outside the velocity
    (``b <- 0.9 b + grad + wd * w``; ``w <- w - lr * b``): the same weights while lr is constant (then
    ``v = -lr * b``), different ones right after lr changes (torch applies the new lr to the whole
    accumulated velocity at once; the paper only to new gradients).
    """
    for w, v in zip(params, velocities, strict=True):
        if w.grad is None:
            continue
        v.mul_(momentum).add_(w, alpha=-weight_decay * lr).add_(w.grad, alpha=-lr)
        w.add_(v)


def compare_with_torch_sgd(lrs: Iterable[float], *, momentum: float = 0.9, weight_decay: float = 5e-4,
                           size: int = 8, seed: int = 0) -> pd.DataFrame:
    """Train the same toy least-squares model with :func:`paper_sgd_step` and with ``torch.optim.SGD`` using the
    learning rate ``lrs[t]`` at step t; one row per step with the max absolute weight difference (float64)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, size, generator=g, dtype=torch.float64)
    y = torch.randn(64, generator=g, dtype=torch.float64)
    w0 = torch.randn(size, generator=g, dtype=torch.float64)
    w_paper = w0.clone().requires_grad_(True)
    w_torch = w0.clone().requires_grad_(True)
    vel = [torch.zeros_like(w_paper)]
    opt = torch.optim.SGD([w_torch], lr=1.0, momentum=momentum, weight_decay=weight_decay)
    rows = []
    for t, lr in enumerate(lrs):
        for w in (w_paper, w_torch):
            w.grad = None
            ((x @ w - y) ** 2).mean().backward()
        paper_sgd_step([w_paper], vel, lr, momentum, weight_decay)
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        rows.append({"step": t, "lr": lr, "max_abs_diff": (w_paper - w_torch).abs().max().item()})
    return pd.DataFrame(rows)
