"""Which class each image is: readable class names, and the validation labels of a flat ``val/`` folder.

ILSVRC-2012's validation images come in one folder (``ILSVRC2012_val_00000001.JPEG`` ...); their labels live in one
of five files, looked for in ``val/``, the dataset root, up to three folders above it and their ``devkit/data``,
``ILSVRC2012_devkit_t12/data`` and ``data`` sub-folders (first found wins):

1. ``LOC_val_solution.csv`` (Kaggle): ``ImageId,PredictionString`` with the wnid first in the prediction string;
2. ``val_annotations.txt`` (Tiny ImageNet): ``file<TAB>wnid<TAB>box``;
3. ``ILSVRC2012_validation_ground_truth.txt`` with one wnid a line (line i is ``ILSVRC2012_val_<i>``);
4. the same file with one ILSVRC2012_ID (1-1000) a line, mapped to wnids by the devkit's ``meta.mat`` (needs scipy)
   or an ``ILSVRC2012_mapping.txt`` of ``<id> <wnid>`` lines;
5. torchvision's prepared ``meta.bin`` (``torchvision.datasets.ImageNet``), whose second item lists the val wnids.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import torch

from ..errors import DataError
from .folders import WNID_RE, list_images, subdirs

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


# ------------------------------------------------------------------------------------------------------ class names
def read_words(path: Path) -> dict[str, str]:
    """``wnid<TAB or space>name, synonym, ...`` lines (Tiny ImageNet's words.txt, Kaggle's LOC_synset_mapping.txt)
    -> wnid: first name."""
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
                for k, v in read_words(d / fname).items():
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


# ---------------------------------------------------------------------------------------- the five val-label files
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
                raise DataError(f"{mat} needs scipy to read (pip install scipy), or give a wnid-per-line ground "
                                "truth file or LOC_val_solution.csv instead") from None
            synsets = sio.loadmat(str(mat), squeeze_me=True)["synsets"]
            return {int(s[0]): str(s[1]) for s in synsets if int(s[4]) == 0}  # leaves only (num_children == 0)
    return None


def _ground_truth_wnids(gt: Path, dirs: list[Path]) -> list[str]:
    lines = [ln.strip() for ln in gt.read_text().splitlines() if ln.strip()]
    if all(WNID_RE.match(ln) for ln in lines):
        return lines
    if all(ln.isdigit() for ln in lines):
        mapping = _idx_to_wnid(dirs)
        if mapping is None:
            raise DataError(f"{gt} holds ILSVRC2012_IDs; put the devkit's data/meta.mat (with scipy) or an "
                            "ILSVRC2012_mapping.txt ('<id> <wnid>' lines) beside it, or use a wnid-per-line file")
        return [mapping[int(ln)] for ln in lines]
    raise DataError(f"{gt}: each line must be a wnid (n01440764) or an ILSVRC2012_ID (1-1000)")


def flat_val_labels(root: Path, files: list[Path]) -> dict[str, str]:
    """file name -> wnid for the images ``files`` of a flat ``root/val`` folder, from whichever of the five
    ground-truth files (module docstring) is found first. Files the ground truth does not mention are left out."""
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
        gt, meta_bin = d / "ILSVRC2012_validation_ground_truth.txt", d / "meta.bin"
        if gt.is_file() or meta_bin.is_file():
            wnids = _ground_truth_wnids(gt, dirs) if gt.is_file() else list(torch.load(meta_bin, weights_only=True)[1])
            # line i belongs to ILSVRC2012_val_<i>.JPEG (1-based), else to the i-th file in sorted order
            out = {}
            for pos, f in enumerate(files):
                i = _val_number(f.name, pos + 1) - 1
                if 0 <= i < len(wnids):
                    out[f.name] = wnids[i]
            return out
    raise DataError(
        f"{val} holds images but no class folders and no ground truth: add LOC_val_solution.csv, "
        "ILSVRC2012_validation_ground_truth.txt (a wnid a line), or val_annotations.txt (file<TAB>wnid)"
    )


def wnids_in(root: Path, layout: str) -> list[str]:
    """Every class of the dataset at ``root`` (in ``layout``), sorted: class index = position here when all
    classes are used, which for all 1000 ILSVRC classes is the standard index torchvision's weights use."""
    if layout == "tiny":
        wnids = [ln.strip() for ln in (root / "wnids.txt").read_text().splitlines() if ln.strip()]
        return sorted(set(wnids))
    for split in ("train", "val"):
        dirs = [d for d in subdirs(root / split) if d.name != "images"]
        if dirs:
            return [d.name for d in dirs]
    labels = flat_val_labels(root, list_images(root / "val"))
    return sorted(set(labels.values()))
