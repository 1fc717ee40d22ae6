"""The old data API in one place, for the callers not yet moved to the new modules (to be removed).

Everything here re-exports :mod:`.sources`, :mod:`.labels`, :mod:`.subset`, :mod:`.loader` and :mod:`.synthetic`,
plus two old entry points that take a Budget: :func:`find_data` (``find_data(budget, root, download)``) and
:func:`get_datasets` (per-image PIL datasets with the papers' per-image augmentation). ``measure_throughput`` now
lives in ``benchmarks/pipeline.py`` and is loaded from there on first use (no import of the training code here).
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..budget import Budget, get_budget
from .folders import IMAGE_EXTENSIONS, WNID_RE
from .labels import IMAGENETTE_CLASSES, IMAGEWOOF_CLASSES, class_names_for, imagenet_categories
from .loader import SkippingDataLoader, make_loader, skip_bad_collate
from .pil_transforms import crop_size, eval_transform, resize_size, train_transform, vgg_scale_range
from .sources import (DEFAULT_DATA_DIR, ENV_DATA, ENV_OFFLINE, IMAGENETTE_HOST, IMAGENETTE_SIZES,  # noqa: F401
                      LAYOUTS, NETWORK_TIMEOUT_S, REPO_ROOT, DataSource, as_source, detect_layout,
                      download_imagenette, find_local, network_available, offline, synthetic_source)
from .subset import BadSample, ImageNetSubset, all_wnids, load_rgb, load_split
from .synthetic import make_synthetic_imagenet


def find_data(budget: Budget | str | None = None, root: str | Path | None = None, download: bool | None = None,
              *, data_dir: str | Path | None = None) -> DataSource:
    """The old signature of :func:`reviewlib.data.sources.find_data`, sized from a budget.

    ``download=None`` keeps the old rule (try Imagenette when the network answers, except in the smoke budget);
    ``download=True`` raises when the download fails.
    """
    budget = get_budget(budget)
    found = find_local(root, data_dir)
    if found is not None:
        return found
    explicit = download is True
    if download is None:
        download = budget.name != "smoke" and not offline()  # the old rule; the new find_data takes a bool
    if download:
        try:
            return download_imagenette(data_dir, "160px")
        except Exception as err:  # noqa: BLE001 - any failure means: use the stand-in
            if explicit:
                raise
            print(f"reviewlib.data: Imagenette download failed ({type(err).__name__}: {err}); "
                  "using the offline synthetic stand-in instead", flush=True)
    return synthetic_source(budget.classes or 10, budget.train_per_class, budget.val_per_class,
                            max(64, budget.resize_size), data_dir)


def get_datasets(paper: str, budget: Budget | str | None = None, *, root: str | Path | None = None,
                 variant: str = "paper", download: bool | None = None, seed: int = 0, pca=None):
    """``(train_ds, val_ds, source)``: the budget's subset with ``paper``'s per-image augmentation at the budget's
    image size. The val split uses the training classes, so labels agree."""
    budget = get_budget(budget)
    source = find_data(budget, root=root, download=download)
    n_all = len(all_wnids(source))
    classes = None if budget.classes is None or budget.classes >= n_all else budget.classes
    size = budget.image_size_for(str(paper).lower())
    crop = crop_size(paper, size, variant)
    # decode big JPEGs only as large as the augmentation needs (GoogLeNet's small-area crops want full resolution)
    train_draft = {"alexnet": resize_size(size), "vgg": vgg_scale_range(size)[1]}.get(str(paper).lower())
    train = load_split(source, "train", classes=classes, per_class=budget.train_per_class,
                       transform=train_transform(paper, size, variant=variant, pca=pca), seed=seed,
                       draft_size=train_draft)
    val = load_split(source, "val", classes=train.wnids, per_class=budget.val_per_class,
                     transform=eval_transform(size, crop=crop), seed=seed, draft_size=max(resize_size(size), crop))
    return train, val, source


def __getattr__(name: str):
    """``measure_throughput`` from benchmarks/pipeline.py, loaded on first use (the repo root put on sys.path)."""
    if name == "measure_throughput":
        if str(REPO_ROOT) not in sys.path:
            sys.path.append(str(REPO_ROOT))
        from benchmarks.pipeline import measure_throughput

        return measure_throughput
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [  # the old names, re-exported (measure_throughput too, lazily)
    "BadSample", "DEFAULT_DATA_DIR", "DataSource", "ENV_DATA", "ENV_OFFLINE", "IMAGENETTE_CLASSES", "IMAGENETTE_HOST",
    "IMAGENETTE_SIZES", "IMAGEWOOF_CLASSES", "IMAGE_EXTENSIONS", "ImageNetSubset", "LAYOUTS", "NETWORK_TIMEOUT_S",
    "REPO_ROOT", "SkippingDataLoader", "WNID_RE", "all_wnids", "as_source", "class_names_for", "detect_layout",
    "download_imagenette", "find_data", "get_datasets", "imagenet_categories", "load_rgb", "load_split", "make_loader",
    "make_synthetic_imagenet", "network_available", "skip_bad_collate", "synthetic_source", "measure_throughput",
]
