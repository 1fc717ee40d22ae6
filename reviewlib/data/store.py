"""Decode a subset once into memory: every image as a uint8 square, ready to be cropped on the device.

:func:`load_store` reads the files :func:`reviewlib.data.subset.select` chooses and keeps, for each, the central
square of the image with its short side resized to S (PIL's bilinear filter, antialiased when shrinking; JPEGs
decoded in PIL's draft mode at the smallest power-of-two reduction that keeps S pixels). AlexNet Sect. 2 keeps the
central square too; the papers' crops (:mod:`reviewlib.data.augment`) are boxes inside it.

The side S: ``S = min(side, the largest short side among the images)``. A data set of small images is never
upsampled in memory (64-px Tiny ImageNet at ``side=146`` stays 64 x 64: the transforms upsample on the device,
exactly as resizing first would); an image smaller than S in a mixed set (a few in ImageNet) is upsampled to S,
and counted in ``upsampled``. With ``exact=True`` every image is stored at exactly ``side`` (small ones upsampled
once, here): AlexNet Sect. 2's preprocessing, which lets its random crops be slices (:mod:`reviewlib.data.augment`). Unreadable or truncated files are skipped and listed in ``skipped``; greyscale, CMYK
and palette images become RGB. The same arguments in one process give the same object (an in-memory cache).
"""
from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..errors import DataError
from .sources import DataSource, as_source
from .subset import READ_ERRORS, select, warn_skipped

_CACHE: dict[tuple, "ImageStore"] = {}


def decode_square(path: str | Path, side: int, *, upsample: bool = False) -> torch.Tensor:
    """The central square of one image, short side resized to ``min(side, its short side)`` (exactly ``side``
    when ``upsample``): uint8 ``[3, s, s]``. Raises PIL's / the OS's error for an unreadable or truncated file."""
    with Image.open(path) as im:
        if im.format == "JPEG":
            im.draft("RGB", (side, side))  # libjpeg's DCT scaling: both sides stay >= side
        im = im.convert("RGB")  # decodes now: a truncated file raises OSError here
    w, h = im.size
    m = min(w, h)
    s = side if upsample else min(side, m)
    if (w, h) != (s, s):
        box = ((w - m) / 2, (h - m) / 2, (w + m) / 2, (h + m) / 2)
        im = im.resize((s, s), Image.Resampling.BILINEAR, box=box)
    return torch.from_numpy(np.array(im, dtype=np.uint8)).permute(2, 0, 1)


@dataclass(eq=False)
class ImageStore:
    """One split of a subset decoded into memory."""

    images: torch.Tensor  # uint8 [N, 3, S, S]
    labels: torch.Tensor  # int64 [N], indices into wnids
    wnids: tuple[str, ...]
    class_names: tuple[str, ...]
    paths: tuple[Path, ...]  # paths[i] is images[i]
    skipped: dict[str, str] = field(default_factory=dict)  # unreadable file -> error
    split: str = ""
    source: DataSource | None = None
    upsampled: int = 0  # images whose short side was below S
    seconds: float = 0.0  # time the decoding took

    @property
    def side(self) -> int:
        """S, the stored square's side in pixels."""
        return int(self.images.shape[-1])

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> list[int]:
        """Images per class, in label order."""
        return torch.bincount(self.labels, minlength=len(self.wnids)).tolist()

    def __repr__(self) -> str:
        root = self.source.root if self.source is not None else "?"
        return (f"ImageStore({self.split}: {len(self)} images of {self.side}x{self.side}, {len(self.wnids)} classes, "
                f"{len(self.skipped)} skipped, from {root})")


def _decode_or_error(path: Path, side: int, exact: bool = False):
    try:
        return decode_square(path, side, upsample=exact)
    except READ_ERRORS as err:
        return f"{type(err).__name__}: {err}"


def load_store(source: DataSource | str | Path, split: str, *, classes: int | Sequence[str] | None = None,
               per_class: int | None = None, side: int, seed: int = 0, threads: int | None = None,
               exact: bool = False) -> ImageStore:
    """``split`` ("train" or "val") of ``source`` decoded once into an :class:`ImageStore` of ``side``-pixel squares
    (the S rule is in the module docstring); cached per process. ``exact=True`` stores every image at exactly
    ``side``, upsampling small ones once here: AlexNet Sect. 2's preprocessing (every image rescaled to a 256x256
    8-bit square once, before training), after which its random crops are plain slices, no resampling per batch.

    ``classes``: None = all; N = the first N sorted wnids; a list of wnids = those, labelled in that order (the
    same for "train" and "val", so their labels agree; pass ``classes=train.wnids`` to be explicit). ``per_class``:
    None = all images, K = K per class chosen from ``seed`` (:func:`reviewlib.data.subset.select`). ``threads``:
    decoding threads (PIL releases the GIL while it decodes and resizes), default the CPU count up to 8.
    """
    if not isinstance(side, int) or side < 1:
        raise ValueError(f"load_store: side must be an int >= 1 (pixels), got {side!r}")
    src = as_source(source)
    key_classes = classes if classes is None or isinstance(classes, int) else tuple(classes)
    key = (str(src.root), src.layout, split, key_classes, per_class, side, seed, exact)
    if key in _CACHE:
        return _CACHE[key]
    sel = select(src, split, classes=classes, per_class=per_class, seed=seed)
    t0 = time.perf_counter()
    threads = threads or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(threads) as pool:
        decoded = list(pool.map(lambda p: _decode_or_error(p, side, exact), sel.paths, chunksize=64))
    skipped = {str(p): d for p, d in zip(sel.paths, decoded) if isinstance(d, str)}
    keep = [i for i, d in enumerate(decoded) if not isinstance(d, str)]
    if not keep:
        raise DataError(f"load_store: none of the {len(sel.paths)} {split} images of {src.root} could be read; "
                      f"first error: {next(iter(skipped.items()))}")
    s = max(decoded[i].shape[-1] for i in keep)
    small = [i for i in keep if decoded[i].shape[-1] < s]
    for i in small:
        decoded[i] = decode_square(sel.paths[i], s, upsample=True)
    store = ImageStore(
        images=torch.stack([decoded[i] for i in keep]),
        labels=torch.tensor([sel.labels[i] for i in keep], dtype=torch.int64),
        wnids=sel.wnids, class_names=sel.class_names, paths=tuple(sel.paths[i] for i in keep), skipped=skipped,
        split=split, source=src, upsampled=len(small), seconds=time.perf_counter() - t0,
    )
    if skipped:
        warn_skipped(skipped, len(skipped))
    _CACHE[key] = store
    return store


def clear_cache() -> None:
    """Forget every store decoded in this process (frees their memory once nothing else holds them)."""
    _CACHE.clear()
