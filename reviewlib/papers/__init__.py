"""One package per notebook: the review of each paper (and the overview) on top of the rest of reviewlib.

Every package has the same modules and names, so a reader who knows one knows all four: ``claims`` (the paper's
numbers beside ours), ``plan`` (what the notebook trains under each budget), ``experiments`` (the ablations and
the paper's evaluations), ``exercise`` (the build-it-yourself answer), ``figures`` and ``explorer``.
"""
from __future__ import annotations

from importlib import import_module

NOTEBOOKS = ("overview", "alexnet", "vgg", "googlenet")


def plan_of(notebook: str):
    """The ``plan(study) -> dict[str, Run]`` function of a notebook's package."""
    if notebook not in NOTEBOOKS:
        raise ValueError(f"unknown notebook {notebook!r}; choose one of {', '.join(NOTEBOOKS)}")
    return import_module(f"{__name__}.{notebook}.plan").plan
