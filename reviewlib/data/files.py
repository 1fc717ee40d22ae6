"""ImageNet subsets: find the data, choose N classes x K images, load them robustly, feed them while the model trains.

Layouts read (see :func:`detect_layout`):

- ``"ilsvrc"``: ILSVRC-2012, ``train/<wnid>/*.JPEG``; ``val/`` either in class folders or flat
  (``ILSVRC2012_val_00000001.JPEG`` ...) with labels from ``LOC_val_solution.csv`` (Kaggle), the devkit's
  ``ILSVRC2012_validation_ground_truth.txt`` (one wnid a line, or one ILSVRC2012_ID a line plus the devkit's
  ``meta.mat``, which needs scipy), torchvision's prepared ``meta.bin``, or a ``file<TAB>wnid`` ``val_annotations.txt``.
  Kaggle's ``ILSVRC/Data/CLS-LOC`` nesting is followed.
- ``"imagenette"``: Imagenette / Imagewoof (160 px, 320 px, full), the same class-folder layout. Imagenette is
  downloaded, checksum-verified, by ``torchvision.datasets.Imagenette`` (:func:`download_imagenette`); torchvision has
  no Imagewoof, so an Imagewoof folder (``imagewoof2-160/train/<wnid>``) is read when present but never downloaded.
- ``"tiny"``: Tiny ImageNet, ``wnids.txt``, ``words.txt``, ``train/<wnid>/images/*.JPEG``, ``val/images`` with
  ``val/val_annotations.txt``; all 200 classes or any subset.
- ``"imagefolder"``: any ``train/<class>/`` + ``val/<class>/`` folders whose names are not WordNet ids.
- ``"synthetic"``: the offline stand-in of :mod:`reviewlib.synthetic` (ILSVRC layout plus a marker file).

Class indices are positions in the chosen wnid list, which by default is sorted (so all 1000 classes get the
standard ImageNet indices torchvision's weights use). Every image becomes RGB (greyscale and CMYK JPEGs included).
Unreadable or truncated files are skipped, counted and reported once, never a crash mid-epoch (PIL's
``LOAD_TRUNCATED_IMAGES`` stays False so truncation is detected): the dataset returns a :class:`BadSample` for them,
the loader's collate function drops it and the loader (:class:`SkippingDataLoader`) totals them in the main process.

AlexNet Sect. 4.1 calls its augmentation "computationally free" because CPU threads prepare the next batch while
the GPU trains on this one; :func:`make_loader` does the same with DataLoader workers, pinned memory and prefetching,
and :func:`measure_throughput` checks whether the loader keeps up with the training step.
"""
from __future__ import annotations

import copy
import csv
import os
import random
import re
import socket
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import DataLoader, Dataset, default_collate

from . import synthetic
from .synthetic import make_synthetic_imagenet  # noqa: F401 - part of this module's API (the contract)
from .augment import crop_size, eval_transform, resize_size, train_transform, vgg_scale_range
from ..budget import Budget, get_budget
from ..device import pick_device

ENV_DATA = "REVIEWLIB_DATA"  # a dataset root (or a folder of them) to use instead of searching
ENV_OFFLINE = "REVIEWLIB_OFFLINE"  # set to 1 to never touch the network
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = (REPO_ROOT if (REPO_ROOT / "pyproject.toml").is_file() else Path.cwd()) / "data"
LAYOUTS = ("ilsvrc", "tiny", "imagefolder", "imagenette", "synthetic")
IMAGE_EXTENSIONS = (".jpeg", ".jpg", ".png", ".bmp", ".webp", ".ppm", ".tif", ".tiff", ".gif")
WNID_RE = re.compile(r"^n\d{8}$")
NETWORK_TIMEOUT_S = 3.0  # connection probe before any download: fail fast, fall back to the stand-in

IMAGENETTE_CLASSES = {  # the ten Imagenette classes (names as torchvision's category list spells them)
    "n01440764": "tench", "n02102040": "English springer", "n02979186": "cassette player",
    "n03000684": "chain saw", "n03028079": "church", "n03394916": "French horn", "n03417042": "garbage truck",
    "n03425413": "gas pump", "n03445777": "golf ball", "n03888257": "parachute",
}
IMAGEWOOF_CLASSES = {  # the ten Imagewoof dog breeds
    "n02086240": "Shih-Tzu", "n02087394": "Rhodesian ridgeback", "n02088364": "beagle",
    "n02089973": "English foxhound", "n02093754": "Border terrier", "n02096294": "Australian terrier",
    "n02099601": "golden retriever", "n02105641": "Old English sheepdog", "n02111889": "Samoyed",
    "n02115641": "dingo",
}
IMAGENETTE_SIZES = {"160px": "imagenette2-160", "320px": "imagenette2-320", "full": "imagenette2"}
IMAGENETTE_HOST = "s3.amazonaws.com"  # where torchvision's Imagenette archives live


# ----------------------------------------------------------------------------------------------- sources and layouts
@dataclass
class DataSource:
    """Where the images are and how they are laid out."""

    root: Path
    layout: str  # "ilsvrc" | "tiny" | "imagefolder" | "imagenette" | "synthetic"
    synthetic: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if self.layout not in LAYOUTS:
            raise ValueError(f"DataSource: unknown layout {self.layout!r}; one of {', '.join(LAYOUTS)}")


def _is_image(p: Path) -> bool:
    return p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".")


def _subdirs(d: Path) -> list[Path]:
    try:
        return sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def _data_root(root: Path) -> Path:
    """Follow Kaggle's ``ILSVRC/Data/CLS-LOC`` nesting to the folder that holds ``train/`` and ``val/``."""
    nested = root / "ILSVRC" / "Data" / "CLS-LOC"
    return nested if nested.is_dir() and not (root / "train").is_dir() else root


def _has_flat_images(d: Path) -> bool:
    try:
        return any(_is_image(p) for p in d.iterdir())
    except OSError:
        return False


def detect_layout(root: str | Path) -> str:
    """The layout of the dataset at ``root`` (one of :data:`LAYOUTS`).

    Raises FileNotFoundError when ``root`` does not exist and ValueError when it holds no known layout.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"data folder {root} does not exist; point {ENV_DATA} or root= at a dataset folder")
    if synthetic.read_params(root) is not None:
        return "synthetic"
    if (root / "wnids.txt").is_file() and (root / "train").is_dir() and (
            (root / "val" / "val_annotations.txt").is_file()
            or any((d / "images").is_dir() for d in _subdirs(root / "train")[:3])):
        return "tiny"
    data = _data_root(root)
    class_dirs = _subdirs(data / "train") or _subdirs(data / "val")
    flat_val = (data / "val").is_dir() and _has_flat_images(data / "val")
    if class_dirs:
        name = root.name.lower()
        if name.startswith(("imagenette", "imagewoof")) or any(
                (root / f).is_file() for f in ("noisy_imagenette.csv", "noisy_imagewoof.csv")):
            return "imagenette"
        return "ilsvrc" if all(WNID_RE.match(d.name) for d in class_dirs) else "imagefolder"
    if flat_val:
        return "ilsvrc"
    raise ValueError(
        f"no known dataset layout in {root}: expected train/<wnid>/*.JPEG (ILSVRC-2012, Imagenette, Imagewoof), "
        "or wnids.txt + train/<wnid>/images/ + val/val_annotations.txt (Tiny ImageNet), "
        "or train/<class>/ folders of images"
    )


def _describe(root: Path, layout: str) -> str:
    kinds = {"ilsvrc": "ILSVRC-2012 layout", "tiny": "Tiny ImageNet layout", "imagefolder": "class folders",
             "imagenette": "Imagewoof" if "woof" in root.name.lower() else "Imagenette",
             "synthetic": "offline synthetic stand-in (procedural shapes, not ImageNet)"}
    try:
        n = len(all_wnids(DataSource(root, layout)))
    except (OSError, ValueError):
        n = "?"
    return f"{kinds[layout]} at {root} ({n} classes)"


def as_source(source: DataSource | str | Path) -> DataSource:
    """A :class:`DataSource` for a path (layout detected) or the source itself."""
    if isinstance(source, DataSource):
        return source
    root = Path(source).expanduser()
    layout = detect_layout(root)
    if layout in ("ilsvrc", "imagefolder", "imagenette"):
        root = _data_root(root)
    return DataSource(root, layout, layout == "synthetic", _describe(root, layout))


def _search(folder: Path, *, include_synthetic: bool = False) -> DataSource | None:
    """The dataset in ``folder`` itself, else the first in one of its sub-folders (real data before the stand-in)."""
    if not folder.is_dir():
        return None
    candidates = [folder] + _subdirs(folder)
    for cand in candidates:
        try:
            src = as_source(cand)
        except (OSError, ValueError):
            continue
        if src.synthetic and not include_synthetic:
            continue
        return src
    return None


def _source_at(root: Path, origin: str) -> DataSource:
    root = root.expanduser()
    try:
        return as_source(root)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"{origin}: {err}") from None
    except ValueError as err:
        found = _search(root, include_synthetic=True)
        if found is None:
            raise ValueError(f"{origin} = {root}: {err}") from None
        return found


# --------------------------------------------------------------------------------------------------- network access
def _offline() -> bool:
    return os.environ.get(ENV_OFFLINE, "").strip().lower() not in ("", "0", "false", "no")


def network_available(host: str = IMAGENETTE_HOST, port: int = 443, timeout: float = NETWORK_TIMEOUT_S) -> bool:
    """Whether a TCP connection to ``host`` opens within ``timeout`` seconds (False when ``$REVIEWLIB_OFFLINE``)."""
    if _offline():
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
    return DataSource(folder, "imagenette", False, _describe(folder, "imagenette"))


# -------------------------------------------------------------------------------------------------------- find_data
def synthetic_source(budget: Budget | str | None = None, data_dir: str | Path | None = None, *,
                     seed: int = 0) -> DataSource:
    """The offline stand-in sized for ``budget``, generated on first use under ``data_dir/synthetic-<N>``.

    N = the budget's classes (10 when it says "all"); its images per class (260 train / 50 val when "all"); images
    as large as the budget's resize side (at least 64 px). An existing stand-in that already covers this is reused.
    """
    budget = get_budget(budget)
    data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    n = budget.classes or 10
    n_train = budget.train_per_class or 260
    n_val = budget.val_per_class or 50
    size = max(64, budget.resize_size)
    root = data_dir / f"synthetic-{n}"
    if not synthetic.covers(root, n, n_train, n_val, size, seed):
        old = synthetic.read_params(root)
        if old and old.get("image_size") == size and old.get("seed") == seed and old.get("num_classes") == n:
            n_train, n_val = max(n_train, old["train_per_class"]), max(n_val, old["val_per_class"])
        print(f"reviewlib.data: no ImageNet data found; generating the offline synthetic stand-in at {root} "
              f"({n} classes x {n_train} train / {n_val} val images, {size} px) ...", flush=True)
        synthetic.make_synthetic_imagenet(root, n, n_train, n_val, size, seed)
    return DataSource(root, "synthetic", True, _describe(root, "synthetic"))


def find_data(budget: Budget | str | None = None, root: str | Path | None = None, download: bool | None = None,
              *, data_dir: str | Path | None = None) -> DataSource:
    """Where this run's images come from, in this order:

    1. ``root`` when given; 2. ``$REVIEWLIB_DATA``; (each may be a dataset or a folder holding datasets)
    3. the repo's ``data/`` folder (``data_dir``) or one of its sub-folders, when it holds a known layout;
    4. Imagenette-160 downloaded there by torchvision, when ``download`` is True, or when it is None, the network
       answers and the budget is not ``smoke`` (the smoke budget never touches the network);
    5. the offline synthetic stand-in, generated on first use under ``data/synthetic-<N>`` (:func:`synthetic_source`).

    ``download=True`` raises when the download fails; ``download=None`` falls back to the stand-in with a message.
    """
    budget = get_budget(budget)
    if root is not None:
        return _source_at(Path(root), "root")
    env = os.environ.get(ENV_DATA, "").strip()
    if env:
        return _source_at(Path(env), f"${ENV_DATA}")
    data_dir = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    found = _search(data_dir)
    if found is not None:
        return found
    explicit = download is True
    if download is None:
        download = budget.name != "smoke" and not _offline()
    if download:
        try:
            return download_imagenette(data_dir, "160px")
        except Exception as err:  # noqa: BLE001 - any failure means: use the stand-in
            if explicit:
                raise
            print(f"reviewlib.data: Imagenette download failed ({type(err).__name__}: {err}); "
                  "using the offline synthetic stand-in instead", flush=True)
    return synthetic_source(budget, data_dir)


# ------------------------------------------------------------------------------------------------------ class names
def _read_words(path: Path) -> dict[str, str]:
    """``wnid<TAB or space>name, synonym, ...`` lines (Tiny ImageNet's words.txt, Kaggle's LOC_synset_mapping.txt)."""
    names = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.strip().split(None, 1)
                if len(parts) == 2:
                    names[parts[0]] = parts[1].split(",")[0].strip()
    except OSError:
        pass
    return names


def _names_near(root: Path) -> dict[str, str]:
    names: dict[str, str] = {}
    for d in (root, *list(root.parents)[:3]):
        for fname in ("words.txt", "LOC_synset_mapping.txt"):
            if (d / fname).is_file():
                for k, v in _read_words(d / fname).items():
                    names.setdefault(k, v)
        meta = d / "meta.bin"
        if meta.is_file():
            try:
                wnid_to_classes = torch.load(meta, weights_only=True)[0]
                for k, v in wnid_to_classes.items():
                    names.setdefault(k, v[0] if isinstance(v, (tuple, list)) else str(v))
            except Exception:  # noqa: BLE001 - an unreadable meta.bin only costs names
                pass
        if names:
            break
    return names


def imagenet_categories() -> list[str]:
    """torchvision's 1000 ImageNet class names, in sorted-wnid order (no download)."""
    from torchvision.models import AlexNet_Weights

    return list(AlexNet_Weights.IMAGENET1K_V1.meta["categories"])


def class_names_for(wnids: Sequence[str], root: str | Path | None = None) -> list[str]:
    """A readable name for each wnid; the wnid itself when none is known.

    Sources, first found wins: ``words.txt`` / ``LOC_synset_mapping.txt`` / torchvision's ``meta.bin`` in or above
    ``root``; torchvision's 1000 category names when ``wnids`` are 1000 WordNet ids (matched in sorted order, the
    order those names follow); the hard-coded Imagenette and Imagewoof classes.
    """
    wnids = list(wnids)
    names = _names_near(Path(root)) if root is not None else {}
    if len(set(wnids)) == 1000 and all(WNID_RE.match(w) for w in wnids):
        for w, name in zip(sorted(wnids), imagenet_categories()):
            names.setdefault(w, name)
    for table in (IMAGENETTE_CLASSES, IMAGEWOOF_CLASSES):
        for w, name in table.items():
            names.setdefault(w, name)
    return [names.get(w, w) for w in wnids]


# ------------------------------------------------------------------------------------------------- listing samples
def all_wnids(source: DataSource | str | Path) -> list[str]:
    """Every class of the source, sorted (class index = position here when all classes are used)."""
    src = as_source(source)
    if src.layout == "tiny":
        wnids = [ln.strip() for ln in (src.root / "wnids.txt").read_text().splitlines() if ln.strip()]
        return sorted(set(wnids))
    for split in ("train", "val"):
        dirs = _subdirs(src.root / split)
        if dirs:
            return [d.name for d in dirs]
    labels = _flat_val_labels(src.root, _list_images(src.root / "val"))
    return sorted(set(labels.values()))


def _list_images(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if _is_image(p) and p.is_file())
    except OSError:
        return []


def _class_images(folder: Path) -> list[Path]:
    files = _list_images(folder)
    if (folder / "images").is_dir():  # Tiny ImageNet keeps them one level down
        files += _list_images(folder / "images")
    return files


def _val_number(name: str, fallback: int) -> int:
    m = re.search(r"(\d+)$", Path(name).stem)
    return int(m.group(1)) if m else fallback


def _read_loc_csv(path: Path) -> dict[str, str]:
    out = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            image_id, pred = row.get("ImageId"), row.get("PredictionString", "")
            if image_id and pred.split():
                out[image_id] = pred.split()[0]
    return out


def _idx_to_wnid(dirs: list[Path]) -> dict[int, str] | None:
    """ILSVRC2012_ID -> wnid from the devkit's meta.mat (needs scipy) or a text ``ILSVRC2012_mapping.txt``."""
    for d in dirs:
        text = d / "ILSVRC2012_mapping.txt"
        if text.is_file():
            pairs = [ln.split() for ln in text.read_text().splitlines() if ln.strip()]
            return {int(a): b for a, b in pairs}
        mat = d / "meta.mat"
        if mat.is_file():
            try:
                import scipy.io as sio
            except ImportError:
                raise ValueError(f"{mat} needs scipy to read (pip install scipy), or give a wnid-per-line ground "
                                 "truth file or LOC_val_solution.csv instead") from None
            synsets = sio.loadmat(str(mat), squeeze_me=True)["synsets"]
            return {int(s[0]): str(s[1]) for s in synsets if int(s[4]) == 0}
    return None


def _flat_val_labels(root: Path, files: list[Path]) -> dict[str, str]:
    """file name -> wnid for a flat ``val/`` folder, from whichever ground-truth file is found."""
    val = root / "val"
    dirs = [val, root, *list(root.parents)[:3]]
    dirs += [d / sub for d in dirs[1:] for sub in ("devkit/data", "ILSVRC2012_devkit_t12/data", "data")]
    for d in dirs:
        if (d / "LOC_val_solution.csv").is_file():
            by_id = _read_loc_csv(d / "LOC_val_solution.csv")
            return {f.name: by_id[f.stem] for f in files if f.stem in by_id}
        if (d / "val_annotations.txt").is_file():
            pairs = [ln.split() for ln in (d / "val_annotations.txt").read_text().splitlines() if ln.strip()]
            by_name = {p[0]: p[1] for p in pairs if len(p) >= 2}
            return {f.name: by_name[f.name] for f in files if f.name in by_name}
        gt = d / "ILSVRC2012_validation_ground_truth.txt"
        meta_bin = d / "meta.bin"
        if gt.is_file() or meta_bin.is_file():
            if gt.is_file():
                lines = [ln.strip() for ln in gt.read_text().splitlines() if ln.strip()]
                if all(WNID_RE.match(ln) for ln in lines):
                    wnids = lines
                elif all(ln.isdigit() for ln in lines):
                    mapping = _idx_to_wnid(dirs)
                    if mapping is None:
                        raise ValueError(
                            f"{gt} holds ILSVRC2012_IDs; put the devkit's data/meta.mat (with scipy) or an "
                            "ILSVRC2012_mapping.txt ('<id> <wnid>' lines) beside it, or use a wnid-per-line file")
                    wnids = [mapping[int(ln)] for ln in lines]
                else:
                    raise ValueError(f"{gt}: each line must be a wnid (n01440764) or an ILSVRC2012_ID (1-1000)")
            else:
                wnids = list(torch.load(meta_bin, weights_only=True)[1])
            # line i belongs to ILSVRC2012_val_<i>.JPEG (1-based), else to the i-th file in sorted order
            out = {}
            for pos, f in enumerate(files):
                i = _val_number(f.name, pos + 1) - 1
                if 0 <= i < len(wnids):
                    out[f.name] = wnids[i]
            return out
    raise FileNotFoundError(
        f"{val} holds images but no class folders and no ground truth: add LOC_val_solution.csv, "
        "ILSVRC2012_validation_ground_truth.txt (a wnid a line), or val_annotations.txt (file<TAB>wnid)"
    )


def _split_files(src: DataSource, split: str, wnids: list[str]) -> dict[str, list[Path]]:
    """wnid -> sorted image files of ``split`` for the wanted wnids."""
    folder = src.root / split
    wanted = set(wnids)
    out: dict[str, list[Path]] = {w: [] for w in wnids}
    if not folder.is_dir():
        raise FileNotFoundError(f"{src.description or src.root}: no {split}/ folder at {folder}")
    class_dirs = {d.name: d for d in _subdirs(folder) if d.name != "images"}
    if class_dirs:
        for w in wnids:
            if w in class_dirs:
                out[w] = _class_images(class_dirs[w])
        return out
    images = folder / "images" if (folder / "images").is_dir() else folder
    files = _list_images(images)
    labels = _flat_val_labels(src.root, files)
    for f in files:
        w = labels.get(f.name)
        if w in wanted:
            out[w].append(f)
    return out


def _choose(files: list[Path], k: int | None, seed: int, key: str) -> list[Path]:
    """K of ``files`` chosen deterministically (seeded by ``seed`` and the class, not by the other classes)."""
    files = sorted(files)
    if k is None or k >= len(files):
        return files
    rng = random.Random(f"{seed}:{key}")
    return sorted(rng.sample(files, k))


# ----------------------------------------------------------------------------------------------------- the dataset
@dataclass(frozen=True)
class BadSample:
    """Stand-in for an image that could not be read; :func:`skip_bad_collate` drops it and reports ``path``."""

    path: str
    error: str


def load_rgb(path: str | Path, draft_size: int | None = None) -> Image.Image:
    """Open an image as RGB (greyscale, CMYK, palette ... converted). With ``draft_size``, a JPEG is decoded at the
    smallest power-of-two reduction whose short side is still >= ``draft_size`` (libjpeg's cheap DCT scaling)."""
    with Image.open(path) as im:
        if draft_size and im.format == "JPEG":
            im.draft("RGB", (int(draft_size), int(draft_size)))
        return im.convert("RGB")  # decodes now: a truncated file raises OSError here


_READ_ERRORS = (OSError, UnidentifiedImageError, SyntaxError, ValueError, Image.DecompressionBombError)


class ImageNetSubset(Dataset):
    """N classes x K images of an ImageNet-like source; ``dataset[i] -> (image, label)``.

    ``image`` is a PIL RGB image when ``transform`` is None, else the transform's output. An unreadable or truncated
    file gives a :class:`BadSample` instead (``on_error="skip"``, the default) that :func:`make_loader`'s collate
    function drops and counts, or raises OSError naming the file (``on_error="raise"``).
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
        self.bad_files: dict[str, str] = {}  # filled by the loader in the main process

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
        except _READ_ERRORS as err:
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
    """One split of ``source`` restricted to some classes and images per class.

    ``classes``: None = all; an int N = the first N sorted wnids; a list of wnids = those, labelled in that order.
    ``per_class``: None = all images; K = K of them, chosen deterministically from ``seed`` and the class.
    """
    if split not in ("train", "val"):
        raise ValueError(f"load_split: split must be 'train' or 'val', got {split!r}")
    src = as_source(source)
    every = all_wnids(src)
    if classes is None:
        wnids = every
    elif isinstance(classes, int) and not isinstance(classes, bool):
        if not 1 <= classes <= len(every):
            raise ValueError(f"load_split: asked for {classes} classes but {src.root} has {len(every)}; "
                             f"use classes=None (all) or a number from 1 to {len(every)}")
        wnids = every[:classes]
    else:
        wnids = [str(w) for w in classes]
        unknown = [w for w in wnids if w not in set(every)]
        if unknown:
            raise ValueError(f"load_split: wnids {unknown[:5]} are not classes of {src.root} "
                             f"(it has {len(every)}, e.g. {every[:3]})")
        if len(set(wnids)) != len(wnids):
            raise ValueError("load_split: the classes list repeats a wnid")
    if per_class is not None and (not isinstance(per_class, int) or per_class < 1):
        raise ValueError(f"load_split: per_class must be None or an int >= 1, got {per_class!r}")
    names_all = dict(zip(every, class_names_for(every, src.root)))
    files = _split_files(src, split, wnids)
    samples = []
    for label, w in enumerate(wnids):
        for f in _choose(files[w], per_class, seed, f"{split}:{w}"):
            samples.append((f, label))
    if not samples:
        raise FileNotFoundError(f"load_split: no {split} images for {len(wnids)} classes in {src.root}")
    return ImageNetSubset(samples, wnids, [names_all.get(w, w) for w in wnids], transform, root=src.root,
                          split=split, layout=src.layout, draft_size=draft_size, on_error=on_error)


def get_datasets(paper: str, budget: Budget | str | None = None, *, root: str | Path | None = None,
                 variant: str = "paper", download: bool | None = None, seed: int = 0, pca=None):
    """``(train_ds, val_ds, source)``: the budget's subset with ``paper``'s augmentation at the budget's image size.

    Classes: the budget's count (all the data has when it has fewer or the budget says all); train/val images per
    class from the budget. The val split uses the training classes, so labels agree.
    """
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


# ------------------------------------------------------------------------------------------------------ the loader
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
                first = "; ".join(f"{p} ({e})" for p, e in list(new.items())[:3])
                warnings.warn(
                    f"reviewlib.data: skipped {len(new)} unreadable image file(s) this epoch "
                    f"({len(self.skipped)} in all), first: {first}. They are left out of the batches; "
                    "replace or delete them to silence this.", RuntimeWarning, stacklevel=2)


def make_loader(dataset: Dataset, batch_size: int, *, train: bool, num_workers: int = 0,
                device: torch.device | str | None = None, seed: int = 0, sampler=None, drop_last: bool = False,
                prefetch_factor: int = 2) -> SkippingDataLoader:
    """A DataLoader that prepares batches on ``num_workers`` CPU processes while the model trains (AlexNet Sect.
    4.1's "computationally free" augmentation): shuffled when ``train`` (seeded, unless ``sampler``), pinned memory
    on CUDA, persistent workers prefetching ``prefetch_factor`` batches each, unreadable images skipped."""
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


# ------------------------------------------------------------------------------------------------------- throughput
def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def measure_throughput(loader, model: torch.nn.Module | None = None, *, batches: int = 10,
                       device: torch.device | str | None = None, warmup: int = 1, lr: float = 0.01) -> dict:
    """Loader images/s against training-step images/s: does augmentation on the CPU keep the model fed?

    The loader is timed over ``batches`` batches after the first and after the ``num_workers * prefetch_factor``
    batches the workers prepared during start-up (start-up is reported separately as ``startup_s``). The training step (forward, backward, SGD step on a copy of ``model``, so its weights are
    untouched) is timed on one loaded batch repeated ``batches`` times, after ``warmup`` steps. ``ratio`` =
    loader / train-step images/s; ``starved`` is True when the loader is the slower one.
    """
    if batches < 1:
        raise ValueError(f"measure_throughput: batches must be >= 1, got {batches}")
    device = torch.device(device) if device is not None else pick_device()
    t0 = time.perf_counter()
    it = iter(loader)
    try:
        first = next(it)
    except StopIteration:
        raise ValueError("measure_throughput: the loader yields no batches") from None
    startup = time.perf_counter() - t0
    # batches the workers prepared while starting up would come out instantly and flatter the loader:
    # drain them before the clock starts
    prefetched = getattr(loader, "num_workers", 0) * (getattr(loader, "prefetch_factor", None) or 0)
    for _ in range(prefetched):
        if next(it, None) is None:
            break
    images, timed = 0, 0
    t0 = time.perf_counter()
    for batch in it:
        images += len(batch[0])
        timed += 1
        if timed >= batches:
            break
    elapsed = time.perf_counter() - t0
    del it
    if timed == 0:  # a one-batch loader: count the first batch, start-up included
        images, elapsed = len(first[0]), startup
    result: dict[str, Any] = {
        "loader_images_per_s": images / max(elapsed, 1e-9),
        "loader_batches": timed,
        "startup_s": startup,
        "batch_size": len(first[0]),
        "num_workers": getattr(loader, "num_workers", 0),
        "device": str(device),
        "train_images_per_s": None,
        "ratio": None,
        "starved": None,
    }
    if model is None:
        return result
    from ..train.loop import compute_loss

    net = copy.deepcopy(model).to(device).train()
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    x = first[0].to(device, non_blocking=True)
    y = torch.as_tensor(first[1]).to(device, non_blocking=True)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        compute_loss(net(x), y, aux_weight=0.3)[1].backward()  # GoogLeNet's aux heads weigh 0.3 (Sect. 5)
        opt.step()

    for _ in range(warmup):
        step()
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(batches):
        step()
    _sync(device)
    train_ips = batches * len(x) / max(time.perf_counter() - t0, 1e-9)
    result["train_images_per_s"] = train_ips
    result["ratio"] = result["loader_images_per_s"] / train_ips
    result["starved"] = result["loader_images_per_s"] < train_ips
    return result
