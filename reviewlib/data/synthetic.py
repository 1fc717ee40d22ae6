"""An offline stand-in for ImageNet: procedural images of N classes in the ILSVRC folder layout.

Used only when no real data is found and the network is unavailable (or the budget is ``smoke``), so the very same
loader, augmentation and training code runs everywhere. Each class is an object with its own shape, surface texture
(with a class-specific stripe orientation) and hue, drawn at a random position, size and rotation, with a jittered
colour, on a random background (gradient, blotches and distractor shapes) with pixel noise. A CNN learns it within a
few epochs; the mean colour of an image says little, because the background covers most of it.

Hand-written (no library makes such images); deterministic: image ``i`` of class ``k`` in a split depends only on
``(seed, split, k, i)``, so asking for more images per class keeps the first ones byte-identical.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

MARKER = "synthetic.json"
SHAPES = ("disc", "square", "triangle", "ring", "cross", "star", "crescent", "bar")
TEXTURES = ("solid", "stripes", "checker", "dots", "rings")
_SPLIT_CODE = {"train": 1, "val": 2}
_FORMAT_VERSION = 1


def synthetic_wnid(k: int) -> str:
    """Folder name of synthetic class ``k``: ``s00000000``, ``s00000001`` ... (an ``s``, never a real WordNet id)."""
    return f"s{k:08d}"


def class_spec(k: int) -> dict:
    """The fixed attributes of synthetic class ``k``: shape, texture, hue (0-1) and stripe angle (radians)."""
    shape = SHAPES[k % len(SHAPES)]
    texture = TEXTURES[(k + k // len(SHAPES)) % len(TEXTURES)]
    hue = (k * 0.618034) % 1.0  # golden-ratio spacing keeps neighbouring classes' hues apart
    angle = ((k * 47) % 180) * np.pi / 180
    return {"shape": shape, "texture": texture, "hue": hue, "angle": angle,
            "name": f"{texture} {shape}, hue {round(hue * 360)}"}


def _hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return np.array([(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i], dtype=np.float32)


def _shape_mask(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    rho = np.hypot(u, v)
    if shape == "disc":
        return rho <= 1
    if shape == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if shape == "triangle":
        return (v >= -0.6) & (np.sqrt(3) * u + v <= 1) & (-np.sqrt(3) * u + v <= 1)
    if shape == "ring":
        return (rho <= 1) & (rho >= 0.55)
    if shape == "cross":
        return ((np.abs(u) <= 0.3) & (np.abs(v) <= 1)) | ((np.abs(v) <= 0.3) & (np.abs(u) <= 1))
    if shape == "star":
        return rho <= 0.45 + 0.55 * (0.5 + 0.5 * np.cos(5 * np.arctan2(v, u)))
    if shape == "crescent":
        return (rho <= 1) & (np.hypot(u - 0.5, v) >= 0.75)
    if shape == "bar":
        return (u / 1.0) ** 2 + (v / 0.38) ** 2 <= 1
    raise ValueError(f"unknown synthetic shape {shape!r}")


def _texture(texture: str, x: np.ndarray, y: np.ndarray, cx: float, cy: float, r: float,
             angle: float) -> np.ndarray:
    """A pattern in [0, 1] (0 = the object's main colour, 1 = its second colour)."""
    period = r * 0.55
    a = (x - cx) * np.cos(angle) + (y - cy) * np.sin(angle)
    b = -(x - cx) * np.sin(angle) + (y - cy) * np.cos(angle)
    if texture == "solid":
        return np.zeros_like(x)
    if texture == "stripes":
        return (np.sin(2 * np.pi * a / period) > 0).astype(np.float32)
    if texture == "checker":
        return ((np.sin(2 * np.pi * a / period) > 0) ^ (np.sin(2 * np.pi * b / period) > 0)).astype(np.float32)
    if texture == "dots":
        da = (a / period) % 1 - 0.5
        db = (b / period) % 1 - 0.5
        return (np.hypot(da, db) < 0.28).astype(np.float32)
    if texture == "rings":
        return (np.sin(2 * np.pi * np.hypot(x - cx, y - cy) / period) > 0).astype(np.float32)
    raise ValueError(f"unknown synthetic texture {texture!r}")


def render(k: int, rng: np.random.Generator, size: int) -> np.ndarray:
    """One ``size`` x ``size`` RGB uint8 image of class ``k``."""
    spec = class_spec(k)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size

    # Background: a gradient between two random colours, low-frequency blotches, 0-2 distractor shapes.
    c0, c1 = rng.uniform(0.05, 0.95, size=(2, 3)).astype(np.float32)
    g = np.cos(rng.uniform(0, 2 * np.pi)) * x + np.sin(rng.uniform(0, 2 * np.pi)) * y
    g = (g - g.min()) / max(float(g.max() - g.min()), 1e-6)
    img = c0 + (c1 - c0) * g[..., None]
    coarse = rng.normal(0, 0.12, size=(5, 5, 3))
    coarse8 = Image.fromarray((np.clip(coarse, -0.5, 0.49) * 255 + 128).astype(np.uint8))
    blotches = np.asarray(coarse8.resize((size, size), Image.BILINEAR), dtype=np.float32) / 255 - 128 / 255
    img = img + blotches
    for _ in range(rng.integers(0, 3)):
        dcx, dcy = rng.uniform(0, 1, size=2)
        dr = rng.uniform(0.08, 0.18)
        t = rng.uniform(0, 2 * np.pi)
        u = ((x - dcx) * np.cos(t) + (y - dcy) * np.sin(t)) / dr
        v = (-(x - dcx) * np.sin(t) + (y - dcy) * np.cos(t)) / dr
        m = _shape_mask(SHAPES[rng.integers(len(SHAPES))], u, v)
        img[m] = rng.uniform(0.05, 0.95, size=3)

    # The object: class shape, texture and hue; random position, size, rotation and colour jitter.
    cx, cy = rng.uniform(0.3, 0.7, size=2)
    r = rng.uniform(0.18, 0.34)
    t = rng.uniform(0, 2 * np.pi)
    u = ((x - cx) * np.cos(t) + (y - cy) * np.sin(t)) / r
    v = (-(x - cx) * np.sin(t) + (y - cy) * np.cos(t)) / r
    mask = _shape_mask(spec["shape"], u, v)
    hue = (spec["hue"] + rng.normal(0, 0.03)) % 1.0
    main = _hsv_to_rgb(hue, rng.uniform(0.55, 1.0), rng.uniform(0.6, 1.0))
    second = main * rng.uniform(0.15, 0.45)
    angle = spec["angle"] + rng.normal(0, 0.15)
    pat = _texture(spec["texture"], x, y, cx, cy, r, angle)[..., None]
    obj = main + (second - main) * pat
    img = np.where(mask[..., None], obj, img)

    img = img + rng.normal(0, 0.03, size=img.shape).astype(np.float32)
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def _params(num_classes: int, train_per_class: int, val_per_class: int, image_size: int, seed: int) -> dict:
    return {"format": _FORMAT_VERSION, "num_classes": num_classes, "train_per_class": train_per_class,
            "val_per_class": val_per_class, "image_size": image_size, "seed": seed}


def read_params(root: str | Path) -> dict | None:
    """The parameters a synthetic folder was made with, or None when ``root`` is not one."""
    marker = Path(root) / MARKER
    if not marker.is_file():
        return None
    try:
        return json.loads(marker.read_text())
    except (OSError, ValueError):
        return None


def covers(root: str | Path, num_classes: int, train_per_class: int, val_per_class: int, image_size: int,
           seed: int) -> bool:
    """Whether the synthetic folder at ``root`` already holds at least what is asked (same seed and size)."""
    p = read_params(root)
    return bool(p) and p.get("format") == _FORMAT_VERSION and p["seed"] == seed and \
        p["image_size"] == image_size and p["num_classes"] == num_classes and \
        p["train_per_class"] >= train_per_class and p["val_per_class"] >= val_per_class


def make_synthetic_imagenet(root: str | Path, num_classes: int = 10, train_per_class: int = 100,
                            val_per_class: int = 20, image_size: int = 64, seed: int = 0) -> Path:
    """Write the stand-in as ``root/train/<wnid>/*.JPEG`` and ``root/val/<wnid>/*.JPEG`` and return ``root``.

    Also writes ``words.txt`` (wnid, tab, description) and the marker ``synthetic.json`` with the parameters. When
    ``root`` already holds a stand-in with these parameters it is returned as is (first use generates, later uses
    read). A different stand-in there is replaced; a non-empty folder that is not a stand-in is never touched.
    The folder is written under a temporary name and renamed into place, so an interrupted run leaves nothing
    half-made at ``root``.
    """
    root = Path(root)
    for name, val, lo in (("num_classes", num_classes, 1), ("train_per_class", train_per_class, 0),
                          ("val_per_class", val_per_class, 0), ("image_size", image_size, 16)):
        if not isinstance(val, int) or val < lo:
            raise ValueError(f"make_synthetic_imagenet: {name} must be an int >= {lo}, got {val!r}")
    params = _params(num_classes, train_per_class, val_per_class, image_size, seed)
    if read_params(root) == params:
        return root
    if root.exists() and any(root.iterdir()) and read_params(root) is None:
        raise FileExistsError(
            f"make_synthetic_imagenet: {root} exists and is not a synthetic stand-in (no {MARKER}); "
            "choose an empty or new folder"
        )
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = root.parent / f".{root.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        wnids = [synthetic_wnid(k) for k in range(num_classes)]
        for split, count in (("train", train_per_class), ("val", val_per_class)):
            for k, wnid in enumerate(wnids):
                folder = tmp / split / wnid
                folder.mkdir(parents=True)
                for i in range(count):
                    rng = np.random.default_rng([seed, _SPLIT_CODE[split], k, i])
                    name = f"{wnid}_{i}.JPEG" if split == "train" else f"{wnid}_val_{i}.JPEG"
                    Image.fromarray(render(k, rng, image_size)).save(folder / name, quality=90)
        (tmp / "words.txt").write_text(
            "".join(f"{w}\tsynthetic {class_spec(k)['name']}\n" for k, w in enumerate(wnids)))
        (tmp / MARKER).write_text(json.dumps(params, indent=1) + "\n")
        if read_params(root) == params:  # another process finished first
            shutil.rmtree(tmp, ignore_errors=True)
            return root
        old = None
        if root.exists():
            old = root.parent / f".{root.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(root, old)
        os.replace(tmp, root)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return root
