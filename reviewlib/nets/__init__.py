"""The three papers' models, each built from its architecture table (:mod:`reviewlib.nets.arch`).

``build_model(name)`` gives one by name, for the command line and the notebooks' loops; ``input_side(name, size)``
is the side of the images it takes when a run trains at ``size``.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import partial
from typing import Callable

from torch import nn

from ..errors import ConfigError
from .alexnet import ALEXNET_TABLES, INPUT_SIZE_NOTE, PAPER_INPUT, AlexNet, alexnet, alexnet_specs
from .googlenet import INCEPTION_ROWS, GoogLeNet, googlenet, googlenet_specs
from .vgg import TORCHVISION_NAMES, VGG, VGG_TABLE, WEIGHT_LAYERS, shorthand, vgg, vgg_specs

#: The three papers, by the names the recipes, augmentations and notebooks use.
PAPERS = ("alexnet", "vgg", "googlenet")

_BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "alexnet": partial(alexnet, "torchvision"),
    "alexnet_paper": partial(alexnet, "paper"),
    "alexnet_fig1": partial(alexnet, "fig1"),
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
    for paper in PAPERS:
        if name.startswith(paper):
            return paper
    raise ConfigError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")


def input_side(model_name: str, size: int) -> int:
    """The side of the images ``model_name`` takes when a run trains at ``size`` (the crop side of the recipe).

    ``round(size * 227 / 224)`` for ``"alexnet_paper"``: AlexNet Sect. 3.5 says 224, but its 11x11/4 conv1 without
    padding gives the 55x55 maps of Fig. 2 only from 227 (see ``INPUT_SIZE_NOTE``). Every other model takes ``size``.
    This is the one place that rule lives.

    >>> input_side("alexnet_paper", 224), input_side("alexnet_paper", 128), input_side("vgg16", 128)
    (227, 130, 128)
    """
    if model_name not in _BUILDERS:
        raise ConfigError(f"unknown model {model_name!r}; choose one of {', '.join(MODEL_NAMES)}")
    if model_name == "alexnet_paper":
        return round(size * PAPER_INPUT / 224)
    return size


def build_model(name: str, num_classes: int = 1000, width: float = 1.0, image_size: int | None = None,
                **kwargs) -> nn.Module:
    """Build a model by name (see ``MODEL_NAMES``), e.g. ``build_model("vgg16", num_classes=10, width=0.25)``."""
    if name not in _BUILDERS:
        raise ConfigError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    if image_size is not None:
        kwargs["image_size"] = image_size
    return _BUILDERS[name](num_classes=num_classes, width=width, **kwargs)


__all__ = ["alexnet", "vgg", "googlenet", "build_model", "MODEL_NAMES", "PAPERS", "paper_of", "input_side",
           "AlexNet", "VGG", "GoogLeNet", "ALEXNET_TABLES", "VGG_TABLE", "INCEPTION_ROWS", "WEIGHT_LAYERS",
           "TORCHVISION_NAMES", "INPUT_SIZE_NOTE", "PAPER_INPUT", "alexnet_specs", "vgg_specs", "googlenet_specs",
           "shorthand", "count_params", "eval_mode"]


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
