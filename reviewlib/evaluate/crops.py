"""The test-time views of the three papers: which crops of an image the network sees.

- ``"center"``: short side resized to ``round(image_size*256/224)``, one centre crop (torchvision's evaluation preset).
- ``"10crop"``: AlexNet Sect. 2 + 4.1 -- the short side rescaled to 256 and the central 256x256 square kept, then the
  four corner and the centre 224 patches and their horizontal reflections (:func:`ten_crops`).
- ``"144crop"``: GoogLeNet Sect. 7 -- short side at 256, 288, 320, 352; left/centre/right (or top/centre/bottom)
  squares; from each square the 4 corner and the centre 224 crops plus the whole square resized to 224; and the
  mirror of each: 4 x 3 x 6 x 2 = 144 views (:func:`crops_144`).
- ``"multicrop"``: VGG Sect. 3.2 -- a 5x5 grid of 224 crops and their flips (50 views) per scale Q
  (:func:`multicrop_views`).
- ``"dense"``: VGG Sect. 3.2 -- the whole image at each scale Q, run through the fully-convolutional net
  (:mod:`reviewlib.evaluate.dense`); it has no fixed views.

Every size in the papers refers to 224-pixel training crops; here they are scaled by ``image_size/224``
(:func:`paper_scales`) so the same protocol runs on the small study models. Resizing, cropping and flipping use
``torchvision.transforms.v2``; views are normalised with the ImageNet mean/std.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import torch
from PIL import Image
from torchvision.transforms.v2 import functional as F

from ..data.augment import IMAGENET_MEAN, IMAGENET_STD, scaled_side
from ..errors import ConfigError

PROTOCOLS = ("center", "10crop", "144crop", "dense", "multicrop")

# Test scales of the papers, in pixels of the short side for 224-pixel crops.
PAPER_SCALES = {
    "center": (256,),                  # torchvision preset / AlexNet Sect. 2
    "10crop": (256,),                  # AlexNet Sect. 2 + 4.1
    "144crop": (256, 288, 320, 352),   # GoogLeNet Sect. 7
    "dense": (256,),                   # VGG Table 3, Q = S = 256
    "multicrop": (256,),               # VGG Sect. 3.2, one scale
}
# VGG Table 4/5: Q in {256, 384, 512} for the scale-jittered models (S in [256, 512]).
VGG_MULTISCALE_Q = (256, 384, 512)


def paper_scales(sizes: Iterable[int], image_size: int) -> tuple[int, ...]:
    """Scale sizes quoted for 224-pixel crops to ``image_size`` (:func:`reviewlib.data.augment.scaled_side`)."""
    return tuple(scaled_side(s, image_size) for s in sizes)


def default_scales(protocol: str, image_size: int) -> tuple[int, ...]:
    """The paper's test scale(s) for ``protocol``, scaled to ``image_size`` (see :data:`PAPER_SCALES`)."""
    check_protocol(protocol)
    return paper_scales(PAPER_SCALES[protocol], image_size)


def check_protocol(protocol: str) -> None:
    """ConfigError naming the protocols when ``protocol`` is not one of :data:`PROTOCOLS`."""
    if protocol not in PROTOCOLS:
        raise ConfigError(f"evaluate: unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")


def to_image_tensor(img) -> torch.Tensor:
    """A PIL image (any mode; converted to RGB) or a ``[3,H,W]`` uint8/float tensor, as a ``[3,H,W]`` tensor.

    PIL images become uint8 tensors; tensors are returned unchanged (uint8, or float in [0, 1]).
    """
    if isinstance(img, Image.Image):
        if img.mode != "RGB":
            img = img.convert("RGB")
        return F.pil_to_tensor(img)
    if isinstance(img, torch.Tensor):
        if img.ndim != 3 or img.shape[0] != 3:
            raise ConfigError(f"evaluate: expected an RGB image tensor [3,H,W], got shape {tuple(img.shape)}; "
                              "pass PIL images or un-normalised [3,H,W] tensors (dataset transform=None)")
        if img.is_floating_point() and img.numel() and (float(img.min()) < -1e-3 or float(img.max()) > 1 + 1e-3):
            raise ConfigError(f"evaluate: the float image tensor has values in [{float(img.min()):.2f}, "
                              f"{float(img.max()):.2f}], not [0, 1], so it looks already normalised; build the "
                              "dataset with transform=None -- the evaluator resizes, crops and normalises itself")
        return img
    raise ConfigError(f"evaluate: expected a PIL image or a [3,H,W] tensor, got {type(img).__name__}; "
                      "build the dataset with transform=None")


def resize_short(img, size: int) -> torch.Tensor:
    """Rescale so that the shorter side is ``size`` pixels (bilinear, antialiased), keeping the aspect ratio."""
    return F.resize(to_image_tensor(img), [int(size)], antialias=True)


def normalize(views: torch.Tensor) -> torch.Tensor:
    """uint8 or [0, 1] float views -> float32 normalised with the ImageNet mean/std."""
    return F.normalize(F.to_dtype(views, torch.float32, scale=True), list(IMAGENET_MEAN), list(IMAGENET_STD))


def _check_fits(img: torch.Tensor, size: int, what: str) -> None:
    h, w = img.shape[-2:]
    if h < size or w < size:
        raise ConfigError(f"{what}: the {h}x{w} image is smaller than the {size}x{size} crop; "
                          f"use a test scale >= {size}")


def _central_square(img: torch.Tensor) -> torch.Tensor:
    s = min(img.shape[-2:])
    return F.center_crop(img, [s, s])


def center_crop(img, size: int, resize: int | None = None) -> torch.Tensor:
    """One view ``[1,3,size,size]``: short side to ``resize`` (default ``round(size*256/224)``), centre crop."""
    resize = resize or paper_scales((256,), size)[0]
    img = resize_short(img, resize)
    _check_fits(img, size, "center_crop")
    return F.center_crop(img, [size, size]).unsqueeze(0)


def ten_crops(img, size: int, resize: int | None = None) -> torch.Tensor:
    """AlexNet's 10 test patches (Sect. 2 + 4.1) as ``[10,3,size,size]``.

    The short side is rescaled to ``resize`` (default ``round(size*256/224)``, the paper's 256) and the central
    ``resize x resize`` square kept (Sect. 2); ``v2.functional.five_crop`` gives the four corner patches and the
    centre patch (top-left, top-right, bottom-left, bottom-right, centre), followed by their horizontal reflections:
    view ``5+i`` is the mirror image of view ``i``. (``v2.functional.ten_crop`` instead crops the mirrored square,
    whose centre patch is one pixel off the reflected centre patch when ``resize - size`` is odd.)
    """
    resize = resize or paper_scales((256,), size)[0]
    square = _central_square(resize_short(img, resize))
    _check_fits(square, size, "ten_crops")
    crops = torch.stack(F.five_crop(square, [size, size]))
    return torch.cat([crops, F.horizontal_flip(crops)])


def _squares(img: torch.Tensor) -> list[torch.Tensor]:
    """GoogLeNet Sect. 7: the left, centre and right (or top, centre, bottom) squares of the image."""
    h, w = img.shape[-2:]
    s = min(h, w)
    offsets = (0, (max(h, w) - s) // 2, max(h, w) - s)
    if w >= h:
        return [F.crop(img, 0, o, s, s) for o in offsets]
    return [F.crop(img, o, 0, s, s) for o in offsets]


def crops_144(img, size: int, scales: Sequence[int] | None = None) -> torch.Tensor:
    """GoogLeNet's 144 test crops (Sect. 7) as ``[len(scales)*36, 3, size, size]`` (144 for the 4 paper scales).

    For each scale (short side; default 256, 288, 320, 352 scaled by ``size/224``), each of the 3 squares
    (left/centre/right or top/centre/bottom) gives 6 crops -- top-left, top-right, bottom-left, bottom-right, centre
    (``v2.functional.five_crop``) and the whole square resized to ``size`` -- followed by their 6 mirror images.
    The result therefore reshapes as ``[scale, square, mirror, crop]`` = ``view(len(scales), 3, 2, 6, 3, size, size)``.
    A square image has three identical squares, so its crops repeat; the paper's images are rectangular.
    """
    scales = tuple(scales) if scales is not None else default_scales("144crop", size)
    img = to_image_tensor(img)
    views = []
    for s in scales:
        scaled = resize_short(img, s)
        _check_fits(scaled, size, f"crops_144 (scale {s})")
        for square in _squares(scaled):
            crops = torch.stack([*F.five_crop(square, [size, size]), F.resize(square, [size, size], antialias=True)])
            views += [crops, F.horizontal_flip(crops)]
    return torch.cat(views)


def grid_crops(img, size: int, grid: int = 5, flips: bool = True) -> torch.Tensor:
    """VGG's multi-crop (Sect. 3.2): a ``grid x grid`` regular grid of ``size`` crops over the image, and their flips.

    The image is used as given (rescale it first with :func:`resize_short`). Crop corners are spaced evenly from the
    top-left to the bottom-right corner. Returns ``[2*grid*grid, 3, size, size]`` (50 for the paper's 5x5) ordered
    ``[flip, row, column]``; without ``flips`` ``[grid*grid, ...]``.
    """
    img = to_image_tensor(img)
    _check_fits(img, size, "grid_crops")
    if grid < 1:
        raise ConfigError(f"grid_crops: grid must be >= 1, got {grid}")
    h, w = img.shape[-2:]
    tops = np.linspace(0, h - size, grid).round().astype(int)
    lefts = np.linspace(0, w - size, grid).round().astype(int)
    crops = torch.stack([F.crop(img, int(t), int(l), size, size) for t in tops for l in lefts])
    return torch.cat([crops, F.horizontal_flip(crops)]) if flips else crops


def multicrop_views(img, size: int, scales: Sequence[int] | None = None, grid: int = 5) -> torch.Tensor:
    """VGG multi-crop over scales: for each Q in ``scales``, :func:`grid_crops` of the image rescaled to Q."""
    scales = tuple(scales) if scales is not None else default_scales("multicrop", size)
    img = to_image_tensor(img)
    return torch.cat([grid_crops(resize_short(img, q), size, grid) for q in scales])


def make_views(img, protocol: str, image_size: int, scales: Sequence[int] | None = None) -> torch.Tensor:
    """All views of one image for a crop protocol, normalised: float32 ``[V, 3, image_size, image_size]``.

    ``scales`` are short sides in pixels (default :func:`default_scales`); for ``"center"`` and ``"10crop"`` each
    scale gives its own 1 or 10 views. The ``"dense"`` protocol has no fixed views; use :func:`dense_predict`.
    """
    check_protocol(protocol)
    scales = tuple(scales) if scales is not None else default_scales(protocol, image_size)
    img = to_image_tensor(img)
    if protocol == "center":
        views = torch.cat([center_crop(img, image_size, q) for q in scales])
    elif protocol == "10crop":
        views = torch.cat([ten_crops(img, image_size, q) for q in scales])
    elif protocol == "144crop":
        views = crops_144(img, image_size, scales)
    elif protocol == "multicrop":
        views = multicrop_views(img, image_size, scales)
    else:
        raise ConfigError("make_views: the 'dense' protocol runs on whole images; use dense_predict")
    return normalize(views)


def views_per_image(protocol: str, scales: Sequence[int]) -> int:
    """Number of network inputs per image and model (dense: image + flip per scale)."""
    per_scale = {"center": 1, "10crop": 10, "144crop": 36, "multicrop": 50, "dense": 2}[protocol]
    return per_scale * len(scales)
