"""Where the images are: find a dataset folder, tell its layout, download Imagenette, or make the offline stand-in.

Layouts read (see :func:`detect_layout`):

- ``"ilsvrc"``: ILSVRC-2012, ``train/<wnid>/*.JPEG``; ``val/`` either in class folders or flat, with labels from
  one of the five ground-truth files :mod:`reviewlib.data.labels` reads. Kaggle's ``ILSVRC/Data/CLS-LOC`` nesting
  is followed.
- ``"imagenette"``: Imagenette / Imagewoof (160 px, 320 px, full), the same class-folder layout. Imagenette is
  downloaded, checksum-verified, by ``torchvision.datasets.Imagenette`` (:func:`download_imagenette`); torchvision has
  no Imagewoof, so an Imagewoof folder (``imagewoof2-160/train/<wnid>``) is read when present but never downloaded.
- ``"tiny"``: Tiny ImageNet, ``wnids.txt``, ``words.txt``, ``train/<wnid>/images/*.JPEG``, ``val/images`` with
  ``val/val_annotations.txt``; all 200 classes or any subset.
- ``"imagefolder"``: any ``train/<class>/`` + ``val/<class>/`` folders whose names are not WordNet ids.
- ``"synthetic"``: the offline stand-in of :mod:`reviewlib.data.synthetic` (ILSVRC layout plus a marker file).

A folder that is missing, empty or in no known layout raises :class:`reviewlib.errors.DataError`, whose message
names the folder and the fix.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from . import synthetic
from .folders import WNID_RE, data_root, has_images, subdirs
from .labels import wnids_in

ENV_DATA = "REVIEWLIB_DATA"  # a dataset root (or a folder of them) to use instead of searching
ENV_OFFLINE = "REVIEWLIB_OFFLINE"  # set to 1 to never touch the network
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = (REPO_ROOT if (REPO_ROOT / "pyproject.toml").is_file() else Path.cwd()) / "data"
LAYOUTS = ("ilsvrc", "tiny", "imagefolder", "imagenette", "synthetic")
NETWORK_TIMEOUT_S = 3.0  # connection probe before any download: fail fast, fall back to the stand-in
IMAGENETTE_SIZES = {"160px": "imagenette2-160", "320px": "imagenette2-320", "full": "imagenette2"}
IMAGENETTE_HOST = "s3.amazonaws.com"  # where torchvision's Imagenette archives live
_LAYOUT_HELP = ("expected train/<wnid>/*.JPEG (ILSVRC-2012, Imagenette, Imagewoof), or wnids.txt + "
                "train/<wnid>/images/ + val/val_annotations.txt (Tiny ImageNet), or train/<class>/ folders of images")


@dataclass
class DataSource:
    """Where the images are and how they are laid out (the repr names the folder, never its absolute path: it is
    printed in committed notebooks)."""

    root: Path = field(repr=False)
    layout: str  # "ilsvrc" | "tiny" | "imagefolder" | "imagenette" | "synthetic"
    synthetic: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if self.layout not in LAYOUTS:
            raise ValueError(f"DataSource: unknown layout {self.layout!r}; one of {', '.join(LAYOUTS)}")


# ----------------------------------------------------------------------------------------------------- layouts
def detect_layout(root: str | Path) -> str:
    """The layout of the dataset at ``root`` (one of :data:`LAYOUTS`); DataError when there is none."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError(f"data folder {root} does not exist; point ${ENV_DATA} or root= at a dataset folder "
                        "(e.g. a Tiny ImageNet or ILSVRC-2012 copy)")
    if synthetic.read_params(root) is not None:
        return "synthetic"
    if not any(not p.name.startswith(".") for p in root.iterdir()):
        raise DataError(f"data folder {root} is empty; copy or download a dataset into it ({_LAYOUT_HELP}), "
                        f"or point ${ENV_DATA} or root= elsewhere")
    if (root / "wnids.txt").is_file() and (root / "train").is_dir() and (
            (root / "val" / "val_annotations.txt").is_file()
            or any((d / "images").is_dir() for d in subdirs(root / "train")[:3])):
        return "tiny"
    data = data_root(root)
    class_dirs = subdirs(data / "train") or subdirs(data / "val")
    if class_dirs:
        name = root.name.lower()
        if name.startswith(("imagenette", "imagewoof")) or any(
                (root / f).is_file() for f in ("noisy_imagenette.csv", "noisy_imagewoof.csv")):
            return "imagenette"
        return "ilsvrc" if all(WNID_RE.match(d.name) for d in class_dirs) else "imagefolder"
    if (data / "val").is_dir() and has_images(data / "val"):
        return "ilsvrc"
    raise DataError(f"no known dataset layout in {root}: {_LAYOUT_HELP}; point ${ENV_DATA} or root= at such a "
                    "folder")


def describe(root: Path, layout: str) -> str:
    """One line for the notebook header, e.g. ``Tiny ImageNet layout, folder tiny-imagenet-10 (10 classes)``: the
    folder's name, never its absolute path (a committed notebook must not carry this machine's paths)."""
    kinds = {"ilsvrc": "ILSVRC-2012 layout", "tiny": "Tiny ImageNet layout", "imagefolder": "class folders",
             "imagenette": "Imagewoof" if "woof" in root.name.lower() else "Imagenette",
             "synthetic": "offline synthetic stand-in (procedural shapes, not ImageNet)"}
    try:
        n = len(wnids_in(root, layout))
    except (OSError, ValueError):
        n = "?"
    return f"{kinds[layout]}, folder {root.name} ({n} classes)"


def as_source(source: DataSource | str | Path) -> DataSource:
    """A :class:`DataSource` for a path (layout detected) or the source itself."""
    if isinstance(source, DataSource):
        return source
    root = Path(source).expanduser()
    layout = detect_layout(root)
    if layout in ("ilsvrc", "imagefolder", "imagenette"):
        root = data_root(root)
    return DataSource(root, layout, layout == "synthetic", describe(root, layout))


def _search(folder: Path, *, include_synthetic: bool = False) -> DataSource | None:
    """The dataset in ``folder`` itself, else the first in one of its sub-folders (real data before the stand-in)."""
    if not folder.is_dir():
        return None
    for cand in [folder] + subdirs(folder):
        try:
            src = as_source(cand)
        except (OSError, ValueError):
            continue
        if src.synthetic and not include_synthetic:
            continue
        return src
    return None


def _source_at(root: Path, origin: str) -> DataSource:
    """The dataset at ``root`` or, when ``root`` is a folder of datasets, the first one in it."""
    root = root.expanduser()
    try:
        return as_source(root)
    except DataError as err:
        found = _search(root, include_synthetic=True) if root.is_dir() else None
        if found is None:
            raise DataError(f"{origin}: {err}") from None
        return found


def find_local(root: str | Path | None = None, data_dir: str | Path | None = None) -> DataSource | None:
    """Steps 1-3 of :func:`find_data` (never the network, never generating): ``root``, ``$REVIEWLIB_DATA``, then
    ``data_dir``; None when only the last finds nothing. A given ``root`` or ``$REVIEWLIB_DATA`` that holds no
    dataset raises DataError."""
    if root is not None:
        return _source_at(Path(root), "root")
    env = os.environ.get(ENV_DATA, "").strip()
    if env:
        return _source_at(Path(env), f"${ENV_DATA}")
    return _search(Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR)


# --------------------------------------------------------------------------------------------------- network access
def offline() -> bool:
    """Whether ``$REVIEWLIB_OFFLINE`` forbids the network."""
    return os.environ.get(ENV_OFFLINE, "").strip().lower() not in ("", "0", "false", "no")


def network_available(host: str = IMAGENETTE_HOST, port: int = 443, timeout: float = NETWORK_TIMEOUT_S) -> bool:
    """Whether a TCP connection to ``host`` opens within ``timeout`` seconds (False when ``$REVIEWLIB_OFFLINE``)."""
    if offline():
        return False
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _imagenette_size(size: str | int) -> str:
    key = str(size).lower().removesuffix("px")
    key = {"160": "160px", "320": "320px", "full": "full"}.get(key)
    if key is None:
        raise ValueError(f"unknown Imagenette size {size!r}; choose '160px', '320px' or 'full'")
    return key


def download_imagenette(data_dir: str | Path | None = None, size: str | int = "160px", *,
                        timeout: float = 30.0) -> DataSource:
    """Imagenette at ``data_dir/imagenette2-160`` (or -320, or full size), downloaded when missing.

    The download, MD5 check and extraction are torchvision's own (``torchvision.datasets.Imagenette``, with a
    progress bar). An existing folder is used without touching the network. Before downloading, a connection probe
    fails fast (``NETWORK_TIMEOUT_S``) and every socket operation is limited to ``timeout`` seconds, so an offline
    machine gets a ConnectionError quickly instead of hanging. Imagewoof is not in torchvision: place an
    ``imagewoof2-160`` folder yourself and point ``root=`` or ``$REVIEWLIB_DATA`` at it.
    """
    from torchvision.datasets import Imagenette

    data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    size = _imagenette_size(size)
    folder = data_dir / IMAGENETTE_SIZES[size]
    if not (folder / "train").is_dir():
        if not network_available():
            raise ConnectionError(f"cannot reach {IMAGENETTE_HOST} to download Imagenette ({size}); "
                                  f"offline or {ENV_OFFLINE} is set")
        data_dir.mkdir(parents=True, exist_ok=True)
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(timeout)
        try:
            Imagenette(str(data_dir), split="train", size=size, download=True)
        finally:
            socket.setdefaulttimeout(old)
    return DataSource(folder, "imagenette", False, describe(folder, "imagenette"))


# -------------------------------------------------------------------------------------------------------- find_data
def synthetic_source(classes: int = 10, train_per_class: int | None = None, val_per_class: int | None = None,
                     image_side: int = 64, data_dir: str | Path | None = None, *, seed: int = 0) -> DataSource:
    """The offline stand-in, generated on first use under ``data_dir/synthetic-<classes>``.

    ``train_per_class`` / ``val_per_class`` None mean 260 / 50 images; images are ``max(64, image_side)`` pixels a
    side. An existing stand-in that already covers this is reused (and grown, never shrunk, when it does not).
    """
    data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    n_train = train_per_class or 260
    n_val = val_per_class or 50
    size = max(64, int(image_side))
    root = data_dir / f"synthetic-{classes}"
    if not synthetic.covers(root, classes, n_train, n_val, size, seed):
        old = synthetic.read_params(root)
        if old and old.get("image_size") == size and old.get("seed") == seed and old.get("num_classes") == classes:
            n_train, n_val = max(n_train, old["train_per_class"]), max(n_val, old["val_per_class"])
        print(f"reviewlib.data: no ImageNet data found; generating the offline synthetic stand-in at {root} "
              f"({classes} classes x {n_train} train / {n_val} val images, {size} px) ...", flush=True)
        synthetic.make_synthetic_imagenet(root, classes, n_train, n_val, size, seed)
    return DataSource(root, "synthetic", True, describe(root, "synthetic"))


def find_data(root: str | Path | None = None, *, download: bool = False, classes: int = 10,
              train_per_class: int | None = None, val_per_class: int | None = None, image_side: int = 64,
              data_dir: str | Path | None = None) -> DataSource:
    """Where this run's images come from, in this order:

    1. ``root`` when given; 2. ``$REVIEWLIB_DATA``; (each may be a dataset or a folder holding datasets; one that
       holds none raises DataError)
    3. the repo's ``data/`` folder (``data_dir``) or one of its sub-folders, when it holds a known layout;
    4. Imagenette-160 downloaded there by torchvision, only when ``download`` is True and the network answers
       (a failed download falls back to 5 with a message);
    5. the offline synthetic stand-in, generated on first use under ``data_dir/synthetic-<classes>``, sized from
       ``classes``, ``train_per_class``, ``val_per_class`` and ``image_side`` (:func:`synthetic_source`).
    """
    found = find_local(root, data_dir)
    if found is not None:
        return found
    if download:
        try:
            return download_imagenette(data_dir, "160px")
        except Exception as err:  # noqa: BLE001 - any failure means: use the stand-in
            print(f"reviewlib.data: Imagenette download failed ({type(err).__name__}: {err}); "
                  "using the offline synthetic stand-in instead", flush=True)
    return synthetic_source(classes, train_per_class, val_per_class, image_side, data_dir)
