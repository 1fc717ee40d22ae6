"""The run description: everything that decides a notebook's (or a command's) run, worked out once.

``Study.for_paper(paper, budget)`` is called at an entry point only (a notebook's first cell, ``python -m
reviewlib.train``, ``python -m reviewlib.experiments``, the benchmarks). It reads the budget table, finds the data
once, applies each paper's size rules once, and lists the notebook's named runs (main run, ablations, races,
evaluations) with their epochs, batches and seeds. Everything below the entry points takes plain values from it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .budget import Budget, get_budget
from .data.augment import resize_side
from .data.sources import DataSource, find_data
from .data.subset import all_wnids
from .device import describe_device, pick_device
from .nets import input_side, paper_of
from .papers import NOTEBOOKS, plan_of
from .train.recipes import Recipe, scaled_recipe
from .train.run import Run


@dataclass(frozen=True)
class Study:
    """One notebook's run description under one budget (frozen: build a new one to change it)."""

    paper: str
    budget: Budget
    data: DataSource
    device: str
    size: int
    classes: int | None
    train_per_class: int | None
    val_per_class: int | None
    batch_size: int
    recipe: Recipe
    runs: Mapping[str, Run] = field(default_factory=dict)

    @classmethod
    def for_paper(cls, paper: str, budget: Budget | str | None = None, *, data=None, device: str | None = None
                  ) -> "Study":
        """The study of ``paper`` ("alexnet", "vgg", "googlenet" or "overview") under ``budget`` (a name, else
        ``$REVIEWLIB_BUDGET``, else ``study``). ``data``: a dataset folder (else ``$REVIEWLIB_DATA``, the repo's
        ``data/``, a download when the budget allows one, or the offline synthetic stand-in). The budget's number
        of classes is taken from the data's sorted classes (all of them when the data has fewer)."""
        if paper not in NOTEBOOKS:
            raise ValueError(f"Study.for_paper: unknown paper {paper!r}; choose one of {', '.join(NOTEBOOKS)}")
        b = get_budget(budget)
        recipe_paper = "alexnet" if paper == "overview" else paper
        size = b.size_for(recipe_paper)
        source = find_data(data, download=b.download, classes=b.classes or 10,
                           train_per_class=b.train_per_class, val_per_class=b.val_per_class,
                           image_side=max(64, size))
        recipe = scaled_recipe(recipe_paper, batch_size=b.batch_size, tuned=b.tuned)
        classes = b.classes if b.classes is not None and b.classes < len(all_wnids(source)) else None
        base = cls(paper=paper, budget=b, data=source, device=str(device or pick_device()), size=size,
                   classes=classes, train_per_class=b.train_per_class, val_per_class=b.val_per_class,
                   batch_size=recipe.batch_size, recipe=recipe)
        return replace(base, runs=plan_of(paper)(base))

    def run(self, name: str, *, model: str, epochs: int, batches: int | None = None, seeds=(0,),
            size: int | None = None, width: float | None = None, eval_images: int | None = None,
            recipe_paper: str | None = None, model_kw: dict | None = None, **recipe_changes) -> Run:
        """A named run of this study, the size rules applied here once: the model's input side
        (:func:`reviewlib.nets.input_side`: 227 for AlexNet's 224) and the resize side (256/224,
        :func:`reviewlib.data.augment.resize_side`) from the training ``size`` (default: the study's); the
        recipe of ``recipe_paper`` (default: the model's paper) fitted to the study's batch and ``epochs``."""
        size = self.size if size is None else size
        recipe = scaled_recipe(recipe_paper or paper_of(model), batch_size=self.batch_size, epochs=epochs,
                               tuned=self.budget.tuned, **recipe_changes)
        return Run(name=name, model=model, image_size=input_side(model, size), resize=resize_side(size),
                   width=self.budget.width if width is None else width, epochs=epochs, batches=batches,
                   seeds=tuple(seeds), recipe=recipe, eval_images=eval_images, model_kw=dict(model_kw or {}))

    def with_(self, **changes) -> "Study":
        """A copy with some fields changed (``study.with_(classes=2)``); the runs are kept as they are."""
        return replace(self, **changes)

    def with_runs(self, **runs: Run) -> "Study":
        """A copy with some named runs replaced (``study.with_runs(main=study.runs["main"].with_(epochs=3))``)."""
        return replace(self, runs={**self.runs, **runs})

    def markdown(self) -> str:
        """The notebook header's lines: budget, device, data (a banner when the data is the synthetic stand-in)."""
        lines = [f"**Budget:** `{self.budget.name}` - {self.budget.summary}",
                 f"**Device:** {describe_device(self.device)}",
                 f"**Data:** {self.data.description} (`{self.data.layout}`)"]
        if self.data.synthetic:
            lines.append("> **Synthetic data.** No ImageNet subset was found (set `REVIEWLIB_DATA`), so this "
                         "notebook trains on the offline procedural stand-in: the code path is the real one, the "
                         "accuracies say nothing about ImageNet.")
        return "\n\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.markdown()
