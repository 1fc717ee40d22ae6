"""The per-image DataLoader: PIL images transformed one at a time in worker processes, unreadable files skipped.

The path the per-image evaluation protocols read (and the old training path): :class:`ImageNetSubset` items,
collated by :func:`skip_bad_collate`, which drops :class:`BadSample` items; :class:`SkippingDataLoader` totals them
in the main process. Training batches come from :mod:`reviewlib.data.batches` instead.
"""
from __future__ import annotations

import random
import warnings
from typing import Any, NamedTuple

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, default_collate

from .subset import BadSample


class _Batch(NamedTuple):
    """What the collate function returns when it dropped samples: the batch (None if nothing was left) and the
    dropped files as (path, error). A namedtuple survives worker pickling and pin_memory."""

    data: Any
    skipped: tuple


def skip_bad_collate(batch: list):
    """``default_collate`` of the readable samples; unreadable ones (:class:`BadSample` or None) are dropped and
    handed to the loader for counting."""
    good = [s for s in batch if s is not None and not isinstance(s, BadSample)]
    if len(good) == len(batch):
        return default_collate(batch)
    skipped = tuple((s.path, s.error) if isinstance(s, BadSample) else ("<unknown>", "dataset returned None")
                    for s in batch if s is None or isinstance(s, BadSample))
    return _Batch(default_collate(good) if good else None, skipped)


def _seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)


def warn_skipped(new: dict[str, str], total: int) -> None:
    """One RuntimeWarning naming the first few newly skipped files (shared with the streaming batches)."""
    first = "; ".join(f"{p} ({e})" for p, e in list(new.items())[:3])
    warnings.warn(
        f"reviewlib.data: skipped {len(new)} unreadable image file(s) ({total} in all), first: {first}. "
        "They are left out of the batches; replace or delete them to silence this.", RuntimeWarning, stacklevel=3)


class SkippingDataLoader(DataLoader):
    """A DataLoader that leaves unreadable images out of its batches, totals them in ``skipped`` (path -> error,
    also copied to ``dataset.bad_files``) and warns once per epoch about newly found ones."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.skipped: dict[str, str] = {}

    def __iter__(self):
        return self._skipping(super().__iter__())

    def _skipping(self, it):
        new: dict[str, str] = {}
        try:
            for batch in it:
                if isinstance(batch, _Batch):
                    for path, err in batch.skipped:
                        if path not in self.skipped or path == "<unknown>":
                            new[path] = err
                        self.skipped[path] = err
                    if batch.data is None:
                        continue
                    batch = batch.data
                yield batch
        finally:
            if new:
                bad = getattr(self.dataset, "bad_files", None)
                if isinstance(bad, dict):
                    bad.update(new)
                warn_skipped(new, len(self.skipped))


def make_loader(dataset: Dataset, batch_size: int, *, train: bool, num_workers: int = 0,
                device: torch.device | str | None = None, seed: int = 0, sampler=None, drop_last: bool = False,
                prefetch_factor: int = 2) -> SkippingDataLoader:
    """A DataLoader that prepares batches on ``num_workers`` CPU processes while the model trains (AlexNet Sect.
    4.1's "computationally free" augmentation): shuffled when ``train`` (seeded, unless ``sampler``), pinned memory
    on CUDA, persistent workers prefetching ``prefetch_factor`` batches each, unreadable images skipped."""
    from ..device import pick_device

    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"make_loader: batch_size must be an int >= 1, got {batch_size!r}")
    if num_workers < 0:
        raise ValueError(f"make_loader: num_workers must be >= 0, got {num_workers}")
    device = torch.device(device) if device is not None else pick_device()
    generator = torch.Generator()
    generator.manual_seed(seed)
    kwargs: dict[str, Any] = dict(
        batch_size=batch_size, shuffle=bool(train) and sampler is None, sampler=sampler, num_workers=num_workers,
        collate_fn=skip_bad_collate, pin_memory=device.type == "cuda", drop_last=drop_last, generator=generator,
        worker_init_fn=_seed_worker,
    )
    if num_workers > 0:
        kwargs.update(persistent_workers=True, prefetch_factor=prefetch_factor)
    return SkippingDataLoader(dataset, **kwargs)
