"""The three papers' models, each built from its architecture table (:mod:`reviewlib.arch`).

``build_model(name)`` gives one by name, for the command line and the notebooks' loops.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import partial
from typing import Callable

from torch import nn

from ..errors import ConfigError
from .alexnet import ALEXNET_TABLES, INPUT_SIZE_NOTE, AlexNet, alexnet, alexnet_specs
from .googlenet import INCEPTION_ROWS, GoogLeNet, googlenet, googlenet_specs
from .vgg import TORCHVISION_NAMES, VGG, VGG_TABLE, WEIGHT_LAYERS, shorthand, vgg, vgg_specs

_BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "alexnet": partial(alexnet, "torchvision"),
    "alexnet_paper": partial(alexnet, "paper"),
    "googlenet": partial(googlenet, "torchvision"),
    "googlenet_paper": partial(googlenet, "paper"),
}
for _cfg, _tv in TORCHVISION_NAMES.items():
    _BUILDERS[_tv] = partial(vgg, _cfg)
    _BUILDERS[f"{_tv}_bn"] = partial(vgg, _cfg, True)
for _cfg in VGG_TABLE:
    _BUILDERS[f"vgg_{_cfg}"] = partial(vgg, _cfg)

MODEL_NAMES: list[str] = list(_BUILDERS)


def paper_of(name: str) -> str:
    """``"alexnet"``, ``"vgg"`` or ``"googlenet"``: which paper's recipe and augmentation a model name uses."""
    for paper in ("alexnet", "googlenet", "vgg"):
        if name.startswith(paper):
            return paper
    raise ConfigError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")


def build_model(name: str, num_classes: int = 1000, width: float = 1.0, image_size: int | None = None,
                **kwargs) -> nn.Module:
    """Build a model by name (see ``MODEL_NAMES``), e.g. ``build_model("vgg16", num_classes=10, width=0.25)``."""
    if name not in _BUILDERS:
        raise ConfigError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    if image_size is not None:
        kwargs["image_size"] = image_size
    return _BUILDERS[name](num_classes=num_classes, width=width, **kwargs)


__all__ = ["alexnet", "vgg", "googlenet", "build_model", "MODEL_NAMES", "paper_of", "AlexNet", "VGG", "GoogLeNet",
           "ALEXNET_TABLES", "VGG_TABLE", "INCEPTION_ROWS", "WEIGHT_LAYERS", "TORCHVISION_NAMES", "INPUT_SIZE_NOTE",
           "alexnet_specs", "vgg_specs", "googlenet_specs", "shorthand", "count_params", "eval_mode"]


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    """The number of parameters of ``model`` (each shared tensor once), training-only heads included."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@contextmanager
def eval_mode(*models: nn.Module):
    """Put ``models`` in eval mode for the ``with`` block and restore each one's own mode afterwards."""
    modes = [m.training for m in models]
    for m in models:
        m.eval()
    try:
        yield models[0] if len(models) == 1 else models
    finally:
        for m, mode in zip(models, modes):
            m.train(mode)
