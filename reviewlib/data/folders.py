"""Image files and class folders on disk: which files count as images, and how the folders nest.

Shared by :mod:`.labels` (which wnid each file has), :mod:`.sources` (which layout a folder holds) and
:mod:`.subset` (which files a run uses). Hidden files and folders (a leading dot) are ignored everywhere.
"""
from __future__ import annotations

import re
from pathlib import Path

IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png", ".bmp", ".webp", ".ppm", ".tif", ".tiff", ".gif")
WNID_RE = re.compile(r"^n\d{8}$")  # a WordNet id, e.g. n01440764


def is_image(p: Path) -> bool:
    """Whether ``p`` is named like an image file (by extension, case-insensitive)."""
    return p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")


def subdirs(d: Path) -> list[Path]:
    """The visible sub-folders of ``d``, sorted; [] when ``d`` cannot be read."""
    try:
        return sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def list_images(folder: Path) -> list[Path]:
    """The image files directly in ``folder``, sorted; [] when it cannot be read."""
    try:
        return sorted(p for p in folder.iterdir() if is_image(p) and p.is_file())
    except OSError:
        return []


def has_images(folder: Path) -> bool:
    """Whether ``folder`` directly holds at least one image file."""
    try:
        return any(is_image(p) for p in folder.iterdir())
    except OSError:
        return False


def class_images(folder: Path) -> list[Path]:
    """The images of one class folder (Tiny ImageNet keeps them one level down, in ``images/``)."""
    files = list_images(folder)
    if (folder / "images").is_dir():
        files += list_images(folder / "images")
    return files


def data_root(root: Path) -> Path:
    """Follow Kaggle's ``ILSVRC/Data/CLS-LOC`` nesting to the folder that holds ``train/`` and ``val/``."""
    nested = root / "ILSVRC" / "Data" / "CLS-LOC"
    return nested if nested.is_dir() and not (root / "train").is_dir() else root
