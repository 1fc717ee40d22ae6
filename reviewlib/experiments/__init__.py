"""One helper for every ablation and comparison the notebooks run, so their tables are built by a loop.

Each variant is a zero-argument function returning a fresh model; every variant gets the same data, the same
recipe, the same seed and the same number of epochs, so the only difference is the one the paper credits.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd
from torch import nn

from ..budget import Budget, get_budget
from ..device import pick_device, seed_everything
from ..train.recipes import Recipe, init_model


@dataclass
class Experiment:
    """The results of :func:`run_experiments`: a summary row per variant and each variant's full history."""

    table: pd.DataFrame
    histories: dict[str, pd.DataFrame] = field(default_factory=dict)
    models: dict[str, nn.Module] = field(default_factory=dict)

    def curves(self, column: str = "val_acc1") -> pd.DataFrame:
        """One column per variant, one row per epoch (for plotting learning curves side by side)."""
        return pd.DataFrame({k: h.set_index("epoch")[column] for k, h in self.histories.items()})


def make_loaders(paper: str, budget: Budget | str | None = None, *, root=None, variant: str = "paper",
                 device=None, seed: int = 0):
    """The budget's train and val loaders for ``paper``'s augmentation: ``(train_loader, val_loader, source)``."""
    from ..data.files import get_datasets, make_loader

    budget = get_budget(budget)
    train_ds, val_ds, source = get_datasets(paper, budget, root=root, variant=variant, seed=seed)
    device = device or pick_device()
    train = make_loader(train_ds, budget.batch_size, train=True, num_workers=budget.num_workers, device=device,
                        seed=seed)
    val = make_loader(val_ds, budget.batch_size, train=False, num_workers=budget.num_workers, device=device,
                      seed=seed)
    return train, val, source


def run_experiments(variants: dict[str, Callable[[], nn.Module]], train_loader, val_loader, recipe: Recipe, *,
                    epochs: int | None = None, max_batches: int | None = None, seed: int = 0, device=None,
                    init: bool = True, progress: bool = True, keep_models: bool = False) -> Experiment:
    """Train each variant the same way and return the comparison.

    The table has one row per variant: ``params``, ``final_train_loss``, ``best_val_acc1``, ``final_val_acc1``,
    ``final_val_acc5`` (accuracies in %), ``minutes``.
    """
    from ..train.loop import fit

    device = device or pick_device()
    rows, histories, models = [], {}, {}
    for name, build in variants.items():
        seed_everything(seed)
        model = build()
        if init:
            init_model(model, recipe)
        start = time.perf_counter()
        hist = fit(model, train_loader, val_loader, recipe, epochs=epochs, device=device, max_batches=max_batches,
                   progress=progress, seed=seed)
        histories[name] = hist
        if keep_models:
            models[name] = model
        last = hist.iloc[-1]
        rows.append({"variant": name, "params": sum(p.numel() for p in model.parameters()),
                     "final_train_loss": float(last["train_loss"]), "best_val_acc1": float(hist["val_acc1"].max()),
                     "final_val_acc1": float(last["val_acc1"]), "final_val_acc5": float(last["val_acc5"]),
                     "minutes": (time.perf_counter() - start) / 60})
    return Experiment(pd.DataFrame(rows).set_index("variant"), histories, models)


def epochs_to_reach(history: pd.DataFrame, column: str, target: float, *, below: bool = True) -> float:
    """The first epoch at which ``column`` reaches ``target`` (at or below it when ``below``), else NaN.

    For AlexNet's Fig. 1: epochs until the training error first reaches 25%, for ReLU vs tanh.
    """
    hit = history[history[column] <= target] if below else history[history[column] >= target]
    return float(hit["epoch"].iloc[0]) if len(hit) else math.nan


def compare_with_paper(experiment: Experiment, baseline: str, claims: dict[str, str],
                       column: str = "best_val_acc1") -> pd.DataFrame:
    """Ablation table: each variant's gain over ``baseline`` in ``column`` (percentage points), beside the gain
    the paper claims for the same change (``claims[variant]``, text as the paper states it)."""
    t = experiment.table
    base = t.loc[baseline, column]
    rows = [{"variant": v, column: t.loc[v, column], "ours: change vs " + baseline: t.loc[v, column] - base,
             "paper claims": claims.get(v, "")} for v in t.index]
    return pd.DataFrame(rows).set_index("variant")
