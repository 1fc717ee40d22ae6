"""Which files a run uses: N classes x K images of a split, chosen deterministically; and the per-image dataset.

:func:`select` lists the files (used by :func:`reviewlib.data.store.load_store`, the streaming batches and
:func:`load_split`). :class:`ImageNetSubset` is the per-image PIL dataset the per-image evaluation protocols
(multi-crop, dense) and the figures read: ``dataset[i] -> (PIL image or transform(image), label)``, with a
:class:`BadSample` for a file that cannot be read. :data:`READ_ERRORS` and :func:`warn_skipped` are how every
reader (the store, the streaming batches, the dataset) tells and reports an unreadable file.

Class indices are positions in the chosen wnid list, which by default is the sorted list of every class of the
source (:func:`all_wnids`), for the validation split as for the training split, so their labels agree. Every image
becomes RGB (greyscale and CMYK JPEGs included). PIL's ``LOAD_TRUNCATED_IMAGES`` stays False so a truncated file is
detected, skipped and counted, never a crash mid-epoch.
"""
from __future__ import annotations

import random
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from ..errors import DataError
from .folders import class_images, list_images, subdirs
from .labels import class_names_for, flat_val_labels, wnids_in
from .sources import DataSource, as_source

READ_ERRORS = (OSError, UnidentifiedImageError, SyntaxError, ValueError, Image.DecompressionBombError)


def warn_skipped(new: dict[str, str], total: int) -> None:
    """One RuntimeWarning naming the first few newly skipped files (``new``: path -> error; ``total``: all the
    files skipped so far)."""
    first = "; ".join(f"{p} ({e})" for p, e in list(new.items())[:3])
    warnings.warn(
        f"reviewlib.data: skipped {len(new)} unreadable image file(s) ({total} in all), first: {first}. "
        "They are left out of the batches; replace or delete them to silence this.", RuntimeWarning, stacklevel=3)


def all_wnids(source: DataSource | str | Path) -> list[str]:
    """Every class of the source, sorted (class index = position here when all classes are used)."""
    src = as_source(source)
    return wnids_in(src.root, src.layout)


def _split_files(src: DataSource, split: str, wnids: list[str]) -> dict[str, list[Path]]:
    """wnid -> sorted image files of ``split`` for the wanted wnids."""
    folder = src.root / split
    out: dict[str, list[Path]] = {w: [] for w in wnids}
    if not folder.is_dir():
        raise DataError(f"{src.description or src.root}: no {split}/ folder at {folder}; a dataset needs train/ "
                        "and val/ folders")
    class_dirs = {d.name: d for d in subdirs(folder) if d.name != "images"}
    if class_dirs:
        for w in wnids:
            if w in class_dirs:
                out[w] = class_images(class_dirs[w])
        return out
    images = folder / "images" if (folder / "images").is_dir() else folder
    files = list_images(images)
    labels = flat_val_labels(src.root, files)
    for f in files:
        w = labels.get(f.name)
        if w in out:
            out[w].append(f)
    return out


def _choose(files: list[Path], k: int | None, seed: int, key: str) -> list[Path]:
    """K of ``files`` chosen deterministically (seeded by ``seed`` and the class, not by the other classes)."""
    files = sorted(files)
    if k is None or k >= len(files):
        return files
    rng = random.Random(f"{seed}:{key}")
    return sorted(rng.sample(files, k))


def _wnids_wanted(src: DataSource, every: list[str], classes) -> list[str]:
    if classes is None:
        return every
    if isinstance(classes, int) and not isinstance(classes, bool):
        if not 1 <= classes <= len(every):
            raise DataError(f"asked for {classes} classes but {src.root} has {len(every)}; "
                            f"use classes=None (all) or a number from 1 to {len(every)}")
        return every[:classes]
    wnids = [str(w) for w in classes]
    unknown = [w for w in wnids if w not in set(every)]
    if unknown:
        raise DataError(f"wnids {unknown[:5]} are not classes of {src.root} (it has {len(every)}, e.g. {every[:3]})")
    if len(set(wnids)) != len(wnids):
        raise DataError("the classes list repeats a wnid")
    return wnids


@dataclass(frozen=True)
class Selection:
    """The files of one split of a subset: ``paths[i]`` has label ``labels[i]``, an index into ``wnids``."""

    source: DataSource
    split: str
    paths: tuple[Path, ...]
    labels: tuple[int, ...]
    wnids: tuple[str, ...]
    class_names: tuple[str, ...]


def select(source: DataSource | str | Path, split: str, *, classes: int | Sequence[str] | None = None,
           per_class: int | None = None, seed: int = 0) -> Selection:
    """The files of ``split`` ("train" or "val") for some classes and images per class.

    ``classes``: None = all; an int N = the first N sorted wnids; a list of wnids = those, labelled in that order.
    ``per_class``: None = all images; K = K of them, chosen deterministically from ``seed`` and the class (a
    class's choice does not depend on which other classes are loaded). Labels are class positions, the same for
    both splits given the same ``classes``.
    """
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    if per_class is not None and (not isinstance(per_class, int) or per_class < 1):
        raise ValueError(f"per_class must be None or an int >= 1, got {per_class!r}")
    src = as_source(source)
    every = all_wnids(src)
    wnids = _wnids_wanted(src, every, classes)
    names_all = dict(zip(every, class_names_for(every, src.root)))
    files = _split_files(src, split, wnids)
    paths, labels = [], []
    for label, w in enumerate(wnids):
        for f in _choose(files[w], per_class, seed, f"{split}:{w}"):
            paths.append(f)
            labels.append(label)
    if not paths:
        raise DataError(f"no {split} images for {len(wnids)} classes in {src.root}; is {src.root / split} empty?")
    return Selection(src, split, tuple(paths), tuple(labels), tuple(wnids), tuple(names_all.get(w, w) for w in wnids))


# ----------------------------------------------------------------------------------------------------- the dataset
@dataclass(frozen=True)
class BadSample:
    """Stand-in for an image that could not be read (``path``, ``error``); the reader skips it."""

    path: str
    error: str


def load_rgb(path: str | Path, draft_size: int | None = None) -> Image.Image:
    """Open an image as RGB (greyscale, CMYK, palette ... converted). With ``draft_size``, a JPEG is decoded at the
    smallest power-of-two reduction whose short side is still >= ``draft_size`` (libjpeg's cheap DCT scaling)."""
    with Image.open(path) as im:
        if draft_size and im.format == "JPEG":
            im.draft("RGB", (int(draft_size), int(draft_size)))
        return im.convert("RGB")  # decodes now: a truncated file raises OSError here


class ImageNetSubset(Dataset):
    """N classes x K images of an ImageNet-like source; ``dataset[i] -> (image, label)``.

    ``image`` is a PIL RGB image when ``transform`` is None, else the transform's output. An unreadable or truncated
    file gives a :class:`BadSample` instead (``on_error="skip"``, the default), for the reader to skip, or raises
    OSError naming the file (``on_error="raise"``).
    """

    def __init__(self, samples: list[tuple[Path, int]], wnids: list[str], class_names: list[str], transform=None,
                 *, root: Path | None = None, split: str = "", layout: str = "", draft_size: int | None = None,
                 on_error: str = "skip") -> None:
        if on_error not in ("skip", "raise"):
            raise ValueError(f"ImageNetSubset: on_error must be 'skip' or 'raise', got {on_error!r}")
        if len(wnids) != len(class_names):
            raise ValueError(f"ImageNetSubset: {len(wnids)} wnids but {len(class_names)} class names")
        self.samples = list(samples)
        self.wnids = list(wnids)
        self.class_names = list(class_names)
        self.transform = transform
        self.root, self.split, self.layout = root, split, layout
        self.draft_size = draft_size
        self.on_error = on_error

    @property
    def targets(self) -> list[int]:
        return [label for _, label in self.samples]

    @property
    def classes(self) -> list[str]:
        return self.class_names

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.wnids)}

    def counts(self) -> list[int]:
        """Images per class, in label order."""
        return np.bincount(self.targets, minlength=len(self.wnids)).tolist()

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, label = self.samples[index]
        try:
            image = load_rgb(path, self.draft_size)
        except READ_ERRORS as err:
            if self.on_error == "raise":
                raise OSError(f"cannot read image {path}: {type(err).__name__}: {err}") from err
            return BadSample(str(path), f"{type(err).__name__}: {err}")
        if self.transform is not None:
            image = self.transform(image)
        return image, label

    def __repr__(self) -> str:
        return (f"ImageNetSubset({self.split or '?'}: {len(self.samples)} images, {len(self.wnids)} classes, "
                f"{self.layout or '?'} at {self.root})")


def load_split(source: DataSource | str | Path, split: str, *, classes: int | Sequence[str] | None = None,
               per_class: int | None = None, transform=None, seed: int = 0, draft_size: int | None = None,
               on_error: str = "skip") -> ImageNetSubset:
    """One split of ``source`` as a per-image :class:`ImageNetSubset` (files chosen by :func:`select`)."""
    sel = select(source, split, classes=classes, per_class=per_class, seed=seed)
    return ImageNetSubset(list(zip(sel.paths, sel.labels)), list(sel.wnids), list(sel.class_names), transform,
                          root=sel.source.root, split=split, layout=sel.source.layout, draft_size=draft_size,
                          on_error=on_error)
