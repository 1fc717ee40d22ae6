"""Training and evaluation batches on the device, from a uint8 store in memory.

``Batches(images, labels, transform, batch_size, ...)`` moves the store to the device once; each batch is an index
into it, gathered there and augmented there by ``transform`` (:mod:`reviewlib.data.augment`). AlexNet Sect. 4.1
calls its augmentation "computationally free" because the CPU prepared the next batch while the GPU trained; here
the work runs on the device itself: on a GPU it is queued behind the training step, on a CPU it costs its share of
the step (a few per cent at the study sizes) unless ``prefetch=True`` prepares batch ``i + 1`` in a thread while
the model trains on ``i`` (a gain only when the step leaves a core idle; measured by ``benchmarks/pipeline.py``).

Exact resumption without saved RNG state: the order of epoch ``e`` is a function of ``(seed, e)`` and the draws of
batch ``i`` a function of ``(seed, e, i, rank)``, so ``epoch(e, start=i)`` yields what an uninterrupted run would
have from batch ``i`` on. Under DDP each of the ``world`` ranks takes every ``world``-th index of the epoch's order
(padded by wrapping to a multiple of ``world``, as torch's DistributedSampler does), so the ranks together see
every image once per epoch (plus at most ``world - 1`` repeats; ``pad=False`` leaves the repeats out, for validation,
where each image must count once). ``batch_size`` is per rank.
"""
from __future__ import annotations

import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

_ORDER, _DRAWS = 0, 1  # keep the two random streams apart


def generator(seed: int, *keys: int) -> torch.Generator:
    """A CPU generator seeded from ``(seed, *keys)`` (numpy's SeedSequence mixes them)."""
    state = np.random.SeedSequence([int(seed) % 2**63, *(int(k) for k in keys)]).generate_state(2, np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 31 | int(state[1]) >> 1)


@dataclass(frozen=True)
class Plan:
    """Which images batch ``i`` of epoch ``e`` holds on this rank, and the seed of its draws (shared by the
    in-memory and the streaming batches)."""

    n: int  # images in the split
    batch_size: int
    shuffle: bool
    seed: int
    limit: int | None = None
    drop_last: bool = False
    rank: int = 0
    world: int = 1
    pad: bool = True  # False: each image once over all ranks (validation); ranks may differ by one image

    def __post_init__(self) -> None:
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {self.batch_size!r}")
        if not 0 <= self.rank < self.world:
            raise ValueError(f"rank must be in [0, world), got rank {self.rank}, world {self.world}")
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"limit must be None or >= 0, got {self.limit}")
        if self.n < 1:
            raise ValueError("no images to make batches of")

    @property
    def per_rank(self) -> int:
        if self.pad:
            return -(-self.n // self.world)
        return len(range(self.rank, self.n, self.world))

    def __len__(self) -> int:
        full = self.per_rank // self.batch_size if self.drop_last else -(-self.per_rank // self.batch_size)
        return full if self.limit is None else min(full, self.limit)

    def order(self, epoch: int) -> torch.Tensor:
        """This rank's image indices for ``epoch`` (int64, CPU)."""
        if self.shuffle:
            order = torch.randperm(self.n, generator=generator(self.seed, _ORDER, epoch))
        else:
            order = torch.arange(self.n)
        pad = -(-self.n // self.world) * self.world - self.n if self.pad else 0
        if pad:
            order = torch.cat([order, order[:pad]])
        return order[self.rank::self.world]

    def indices(self, order: torch.Tensor, i: int) -> torch.Tensor:
        if not 0 <= i < len(self):
            raise IndexError(f"batch {i} of an epoch of {len(self)} batches")
        return order[i * self.batch_size:(i + 1) * self.batch_size]

    def draws(self, epoch: int, i: int) -> torch.Generator:
        """The generator batch ``i`` of ``epoch`` draws its augmentation from."""
        return generator(self.seed, _DRAWS, epoch, i, self.rank)


_ON_DEVICE: dict[tuple[int, str], tuple[weakref.ref, torch.Tensor]] = {}


def on_device(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``t`` on ``device``, copied there once per tensor and device (the copy lives as long as ``t``)."""
    if t.device == device:
        return t
    key = (id(t), str(device))
    hit = _ON_DEVICE.get(key)
    if hit is not None and hit[0]() is t:
        return hit[1]
    moved = t.to(device)
    _ON_DEVICE[key] = (weakref.ref(t), moved)
    weakref.finalize(t, _ON_DEVICE.pop, key, None)
    return moved


class Batches:
    """``(x, y)`` batches of a uint8 store on ``device``: ``x = transform(images[batch], generator)`` float,
    ``y`` int64. ``len()`` = batches per epoch (after ``limit``); ``epoch(e, start)`` yields them from batch
    ``start`` on. ``prefetch=True`` prepares the next batch in a thread while the caller uses this one."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform, batch_size: int, *, shuffle: bool,
                 seed: int, device: torch.device | str, limit: int | None = None, drop_last: bool = False,
                 rank: int = 0, world: int = 1, pad: bool = True, prefetch: bool = False) -> None:
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError(f"Batches: images must be uint8 [N, 3, S, S], got {images.dtype} {tuple(images.shape)}")
        if len(labels) != len(images):
            raise ValueError(f"Batches: {len(images)} images but {len(labels)} labels")
        self.plan = Plan(len(images), batch_size, shuffle, seed, limit, drop_last, rank, world, pad)
        self.device = torch.device(device)
        self.images = on_device(images, self.device)
        self.labels = on_device(torch.as_tensor(labels, dtype=torch.int64), self.device)
        self.transform = transform
        self.prefetch = bool(prefetch)

    @classmethod
    def from_store(cls, store, transform, batch_size: int, **kwargs) -> "Batches":
        """Batches of an :class:`~reviewlib.data.store.ImageStore` (same keywords as the constructor)."""
        return cls(store.images, store.labels, transform, batch_size, **kwargs)

    @property
    def batch_size(self) -> int:
        return self.plan.batch_size

    def __len__(self) -> int:
        return len(self.plan)

    def batch(self, epoch: int, i: int, order: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch ``i`` of ``epoch`` (a pure function of the store, the seed, ``epoch`` and ``i``)."""
        order = self.plan.order(epoch) if order is None else order
        index = self.plan.indices(order, i)  # on the CPU: a transform may read it without waiting for the device
        idx = index.to(self.device)
        draws = self.plan.draws(epoch, i)
        gathered = getattr(self.transform, "gathered", None)  # may slice its crops straight out of the store
        x = gathered(self.images, index, draws) if gathered else self.transform(self.images.index_select(0, idx), draws)
        return x, self.labels.index_select(0, idx)

    def epoch(self, e: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The batches of epoch ``e`` from batch ``start`` (resuming at ``(e, start)`` repeats an unbroken run)."""
        n = len(self)
        if not 0 <= start <= n:
            raise ValueError(f"Batches.epoch: start must be in [0, {n}], got {start}")
        order = self.plan.order(e)
        if not self.prefetch:
            for i in range(start, n):
                yield self.batch(e, i, order)
            return
        with ThreadPoolExecutor(1, thread_name_prefix="batches") as pool:
            ahead = pool.submit(self.batch, e, start, order) if start < n else None
            for i in range(start, n):
                current = ahead.result()
                ahead = pool.submit(self.batch, e, i + 1, order) if i + 1 < n else None
                yield current

    def __repr__(self) -> str:
        p = self.plan
        return (f"Batches({p.n} images, {len(self)} batches of {p.batch_size}, shuffle={p.shuffle}, seed={p.seed}, "
                f"device={self.device}, rank {p.rank}/{p.world}, transform={self.transform!r})")
