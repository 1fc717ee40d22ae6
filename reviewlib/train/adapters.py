"""Old call sites of ``fit`` and ``validate``, kept working until they move to :class:`reviewlib.data.batches.Batches`.

To be removed once the notebooks, ``reviewlib.papers``, ``reviewlib.experiments`` and the benchmarks pass Batches,
a checkpoint file and no ``max_batches``: :func:`legacy_arguments` then has nothing left to translate.

* A ``DataLoader`` (or any re-iterable of ``(x, y)`` with ``len()``) becomes a :class:`LoaderBatches`: the
  ``epoch(e, start)`` interface, with tensors moved to the device and ``max_batches`` as a cap.
* ``checkpoint_dir=D`` means ``checkpoint=D/checkpoint.pt``.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import weakref
from pathlib import Path

import torch

from .checkpoint import CHECKPOINT_NAME

_BASE_SEEDS: "weakref.WeakKeyDictionary[torch.Generator, int]" = weakref.WeakKeyDictionary()


class LoaderBatches:
    """A DataLoader seen through the Batches interface: ``len()`` batches per epoch, ``epoch(e, start)``.

    The shuffle order of epoch ``e`` is made a function of (the loader's seed, ``e``): the loader's generator (which
    ``reviewlib.data.files.make_loader`` always gives) is reseeded at each epoch, and a ``DistributedSampler`` gets
    ``set_epoch(e)``. Batches before ``start`` are drawn and dropped under ``torch.random.fork_rng``, so the global
    RNG (augmentations in the main process, dropout) continues from the checkpoint's state. Resuming mid-epoch is
    therefore exact with ``num_workers=0``; with worker processes their augmentation draws differ after a resume.
    """

    def __init__(self, loader, device: torch.device, limit: int | None = None):
        self.loader, self.device, self.limit = loader, torch.device(device), limit
        self.generator = getattr(loader, "generator", None)
        if self.generator is not None:
            self.base_seed = _BASE_SEEDS.setdefault(self.generator, self.generator.initial_seed())

    def __len__(self) -> int:
        n = len(self.loader)
        return n if self.limit is None else min(n, self.limit)

    def epoch(self, e: int, start: int = 0):
        sampler = getattr(self.loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(e)
        if self.generator is not None:
            self.generator.manual_seed(self.base_seed + e)
        it = iter(self.loader)
        with torch.random.fork_rng(devices=[]) if start else contextlib.nullcontext():
            for _ in range(start):
                next(it)
        for _, (x, y) in zip(range(start, len(self)), it):
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)


class CappedBatches:
    """The first ``limit`` batches of each epoch of a Batches-like object (the old ``max_batches``)."""

    def __init__(self, batches, limit: int):
        self.batches, self.limit = batches, limit

    def __len__(self) -> int:
        return min(len(self.batches), self.limit)

    def epoch(self, e: int, start: int = 0):
        return itertools.islice(self.batches.epoch(e, start), max(0, len(self) - start))


def as_batches(data, device, max_batches: int | None = None):
    """``data`` with the Batches interface: itself, capped to ``max_batches``, or a wrapped DataLoader."""
    if data is None or hasattr(data, "epoch") and max_batches is None:
        return data
    if hasattr(data, "epoch"):
        return CappedBatches(data, max_batches)
    return LoaderBatches(data, device, max_batches)


def legacy_arguments(train, val, checkpoint, device, *, max_batches: int | None = None,
                     checkpoint_dir: str | os.PathLike | None = None):
    """``(train, val, checkpoint)`` in fit's terms from the old arguments (see the module docstring)."""
    if checkpoint_dir is not None:
        if checkpoint is not None:
            raise TypeError("fit: pass checkpoint= (a file) or the old checkpoint_dir= (a folder), not both")
        checkpoint = Path(checkpoint_dir) / CHECKPOINT_NAME
    return as_batches(train, device, max_batches), as_batches(val, device, max_batches), checkpoint
