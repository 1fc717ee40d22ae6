"""Batches for data too large for memory (the paper budget, full ImageNet): decoded from the files every epoch.

``StreamingBatches`` offers the interface of :class:`reviewlib.data.batches.Batches` (``len()``, ``epoch(e, start)``,
the same order and the same draws for the same seed), but DataLoader worker processes decode each batch's files into
the same uint8 squares :mod:`reviewlib.data.store` keeps (:func:`~reviewlib.data.store.decode_square`, here always
exactly ``side`` pixels: no pre-scan of the files decides a smaller side). The batch then goes to the device and the
same on-device transform augments it. Unreadable or truncated files are left out of their batch, totalled in
``skipped`` and reported once each (a RuntimeWarning). On the same files, side and seed it yields exactly the
batches ``Batches`` yields over a store of them (tested).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .batches import Plan
from .store import decode_square
from .subset import READ_ERRORS, warn_skipped


class _FileBatches(Dataset):
    """``dataset[(epoch, i)]`` -> ``(uint8 [n, 3, S, S], int64 labels [n], ((path, error), ...))``."""

    def __init__(self, paths: Sequence[Path], labels: torch.Tensor, side: int, plan: Plan) -> None:
        self.paths, self.labels, self.side, self.plan = list(paths), labels, side, plan
        self._epoch, self._order = None, None

    def __getitem__(self, key: tuple[int, int]):
        epoch, i = key
        if self._epoch != epoch:
            self._epoch, self._order = epoch, self.plan.order(epoch)
        images, labels, skipped = [], [], []
        for k in self.plan.indices(self._order, i).tolist():
            try:
                images.append(decode_square(self.paths[k], self.side, upsample=True))
                labels.append(int(self.labels[k]))
            except READ_ERRORS as err:
                skipped.append((str(self.paths[k]), f"{type(err).__name__}: {err}"))
        x = torch.stack(images) if images else torch.empty(0, 3, self.side, self.side, dtype=torch.uint8)
        return x, torch.tensor(labels, dtype=torch.int64), tuple(skipped)

    def __len__(self) -> int:
        return len(self.plan)


class _Keys(Sampler):
    """The ``(epoch, i)`` keys of the epoch being read (set before each pass)."""

    def __init__(self) -> None:
        self.epoch, self.start, self.stop = 0, 0, 0

    def __iter__(self):
        return iter([(self.epoch, i) for i in range(self.start, self.stop)])

    def __len__(self) -> int:
        return self.stop - self.start


class StreamingBatches:
    """Batches decoded from ``paths`` by ``workers`` processes each epoch; see the module docstring."""

    def __init__(self, paths: Sequence[str | Path], labels, transform, batch_size: int, *, side: int, shuffle: bool,
                 seed: int, device: torch.device | str, limit: int | None = None, drop_last: bool = False,
                 rank: int = 0, world: int = 1, pad: bool = True, workers: int = 2, prefetch_factor: int = 2) -> None:
        if len(paths) != len(labels):
            raise ValueError(f"StreamingBatches: {len(paths)} files but {len(labels)} labels")
        self.plan = Plan(len(paths), batch_size, shuffle, seed, limit, drop_last, rank, world, pad)
        self.device = torch.device(device)
        self.transform = transform
        self.side = int(side)
        self.skipped: dict[str, str] = {}
        self._keys = _Keys()
        self._files = _FileBatches([Path(p) for p in paths], torch.as_tensor(labels, dtype=torch.int64), self.side,
                                   self.plan)
        extra = dict(persistent_workers=True, prefetch_factor=prefetch_factor) if workers > 0 else {}
        self._loader = DataLoader(self._files, batch_size=None, sampler=self._keys, num_workers=workers,
                                  pin_memory=self.device.type == "cuda", **extra)

    @classmethod
    def from_selection(cls, selection, transform, batch_size: int, **kwargs) -> "StreamingBatches":
        """Streaming batches of a :class:`~reviewlib.data.subset.Selection` (``select(source, split, ...)``)."""
        return cls(selection.paths, selection.labels, transform, batch_size, **kwargs)

    @property
    def batch_size(self) -> int:
        return self.plan.batch_size

    def __len__(self) -> int:
        return len(self.plan)

    def epoch(self, e: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The batches of epoch ``e`` from batch ``start``; a batch whose files were all unreadable is left out."""
        n = len(self)
        if not 0 <= start <= n:
            raise ValueError(f"StreamingBatches.epoch: start must be in [0, {n}], got {start}")
        self._keys.epoch, self._keys.start, self._keys.stop = e, start, n
        new: dict[str, str] = {}
        try:
            for i, (x, y, skipped) in enumerate(self._loader, start):
                for path, err in skipped:
                    if path not in self.skipped:
                        new[path] = err
                    self.skipped[path] = err
                if len(x) == 0:
                    continue
                x = x.to(self.device, non_blocking=True)
                yield self.transform(x, self.plan.draws(e, i)), y.to(self.device, non_blocking=True)
        finally:
            if new:
                warn_skipped(new, len(self.skipped))

    def __repr__(self) -> str:
        p = self.plan
        return (f"StreamingBatches({p.n} files at {self.side} px, {len(self)} batches of {p.batch_size}, "
                f"device={self.device}, rank {p.rank}/{p.world}, transform={self.transform!r})")
