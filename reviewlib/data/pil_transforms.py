"""The papers' training augmentations as per-image PIL transforms (``torchvision.transforms.v2``), for the
per-image path (:mod:`reviewlib.data.loader`, the figures that show one augmented image).

Training batches use the batched, on-device versions in :mod:`reviewlib.data.augment`, which follow the same papers'
sections; this module keeps the per-image pipelines the notebooks and the per-image evaluation still call.

Every size scales with ``image_size``: the papers' 224-pixel crop from a 256-pixel short side becomes ``image_size``
from ``resize_side(image_size)``; AlexNet's real 227-pixel input and VGG's S range [256, 512] scale the same way.
Geometric steps run on the PIL image (PIL has the "area" filter GoogLeNet asks for), then the image becomes a float
tensor in [0, 1], colour noise is added, and it is normalized with ImageNet's mean and std. The output is a plain
``float32`` tensor ``[3, crop, crop]``.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torchvision.transforms import v2
from torchvision.transforms.v2 import InterpolationMode

from .augment import IMAGENET_EIGVAL, IMAGENET_EIGVEC, IMAGENET_MEAN, IMAGENET_STD, resize_side

PAPERS = ("alexnet", "vgg", "googlenet")
resize_size = resize_side  # the old name of the 256/224 rule


def _check_paper(paper: str) -> str:
    key = str(paper).lower()
    if key not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; choose one of {', '.join(PAPERS)}")
    return key


def _check_size(image_size: int) -> int:
    if not isinstance(image_size, int) or image_size < 8:
        raise ValueError(f"image_size must be an int >= 8 (the training crop in pixels), got {image_size!r}")
    return image_size


def crop_size(paper: str, image_size: int, variant: str = "paper") -> int:
    """The crop a model takes: 227/224 of ``image_size`` for the AlexNet paper model, else ``image_size``.

    AlexNet Sect. 3.5 says 224x224, but its first layer (11x11, stride 4, no padding) only gives 55x55 maps from a
    227x227 input; the ``"paper"`` variant uses that real size, torchvision's AlexNet (padding 2) takes 224.
    """
    paper = _check_paper(paper)
    _check_size(image_size)
    if variant not in ("paper", "torchvision"):
        raise ValueError(f"unknown variant {variant!r}; choose 'paper' or 'torchvision'")
    if paper == "alexnet" and variant == "paper":
        return round(image_size * 227 / 224)
    return image_size


def vgg_scale_range(image_size: int) -> tuple[int, int]:
    """VGG's multi-scale training range [S_min, S_max] = [256, 512] for a 224 crop, scaled (VGG Sect. 3.1)."""
    return resize_side(image_size), resize_side(2 * image_size)


class PCAColorNoise(nn.Module):
    """AlexNet Sect. 4.1, "altering the intensities of the RGB channels": add ``eigvec @ (alpha * eigval)`` to every
    pixel, with ``alpha ~ N(0, sigma)`` (sigma = 0.1 in the paper) drawn afresh for each image on each call.

    Hand-written: ``torchvision.transforms.v2`` has no PCA lighting. Works on float tensors ``[3, H, W]`` or
    ``[N, 3, H, W]`` (one alpha per image) on the [0, 1] scale, i.e. after ``v2.ToDtype(torch.float32, scale=True)``
    and before ``v2.Normalize``. ``eigvec`` holds the eigenvectors as columns (as ``torch.linalg.eigh`` returns them).
    """

    def __init__(self, sigma: float = 0.1, eigval: Sequence[float] | torch.Tensor = IMAGENET_EIGVAL,
                 eigvec: Sequence[Sequence[float]] | torch.Tensor = IMAGENET_EIGVEC) -> None:
        super().__init__()
        eigval = torch.as_tensor(eigval, dtype=torch.float32).flatten()
        eigvec = torch.as_tensor(eigvec, dtype=torch.float32)
        if sigma < 0:
            raise ValueError(f"PCAColorNoise: sigma must be >= 0, got {sigma}")
        if eigvec.ndim != 2 or eigvec.shape[0] != 3 or eigvec.shape[1] != eigval.numel():
            raise ValueError(
                f"PCAColorNoise: eigvec must be [3, k] with k = len(eigval) = {eigval.numel()}, got "
                f"{tuple(eigvec.shape)}; pass the eigenvectors as columns"
            )
        self.sigma = float(sigma)
        self.register_buffer("eigval", eigval, persistent=False)
        self.register_buffer("eigvec", eigvec, persistent=False)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(img) or not img.is_floating_point():
            raise TypeError(
                "PCAColorNoise needs a float image tensor on [0, 1]; put it after "
                "v2.ToDtype(torch.float32, scale=True)"
            )
        if img.ndim < 3 or img.shape[-3] != 3:
            raise ValueError(f"PCAColorNoise needs RGB images [..., 3, H, W], got shape {tuple(img.shape)}")
        if self.sigma == 0:
            return img
        batch = img.shape[:-3]
        alpha = torch.randn(*batch, self.eigval.numel()) * self.sigma  # CPU RNG: reproducible per worker seed
        alpha = alpha.to(device=img.device, dtype=img.dtype)
        shift = (alpha * self.eigval.to(img)) @ self.eigvec.to(img).T  # [..., 3]
        out = img + shift[..., :, None, None]
        return out.as_subclass(type(img)) if type(img) is not torch.Tensor else out

    def extra_repr(self) -> str:
        return f"sigma={self.sigma}, eigval={[round(v, 4) for v in self.eigval.tolist()]}"


def _pca_noise(pca, sigma: float = 0.1) -> PCAColorNoise:
    if pca is None:
        return PCAColorNoise(sigma)
    eigval, eigvec = pca
    return PCAColorNoise(sigma, eigval, eigvec)


def _tail(pca) -> list:
    """To float on [0, 1], PCA colour noise, normalize, plain tensor."""
    return [
        v2.ToImage(),
        v2.ToDtype(torch.float32, scale=True),
        _pca_noise(pca),
        v2.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        v2.ToPureTensor(),
    ]


def train_transform(paper: str, image_size: int, *, variant: str = "paper", pca=None,
                    scale_range: tuple[float, float] | None = None) -> v2.Compose:
    """The training augmentation of ``paper`` ("alexnet", "vgg" or "googlenet") at ``image_size``.

    Input: an RGB PIL image. Output: a normalized ``float32`` tensor ``[3, crop, crop]`` with
    ``crop = crop_size(paper, image_size, variant)``. ``pca = (eigval, eigvec)`` replaces the ImageNet colour PCA.

    - AlexNet Sect. 2 and 4.1: rescale the short side to 256 (scaled) and take the central square, then random
      224x224 crops (227 for the ``"paper"`` variant, see :func:`crop_size`), horizontal flips, PCA colour noise.
    - VGG Sect. 3.1: scale jittering, the short side S drawn from [S_min, S_max] = [256, 512] (scaled; pass
      ``scale_range=(S, S)`` for single-scale training), a random crop, flips and the "random RGB colour shift" of
      AlexNet (PCA colour noise).
    - GoogLeNet Sect. 6: patches of 8%-100% of the image area with aspect ratio in [3/4, 4/3] (``scale_range`` sets
      the area range), resized with a random interpolation (nearest, bilinear, "area" = PIL box, bicubic);
      Howard's photometric distortions (brightness, contrast, saturation jitter 0.4 in random order, plus the
      PCA lighting he also uses); flips.
    """
    paper = _check_paper(paper)
    _check_size(image_size)
    crop = crop_size(paper, image_size, variant)
    if paper == "alexnet":
        if scale_range is not None:
            raise ValueError("train_transform: scale_range applies to 'vgg' (S range) and 'googlenet' (area range), "
                             "not to 'alexnet', which always crops from a fixed 256-pixel (scaled) square")
        side = resize_side(image_size)
        steps = [
            v2.Resize(side, antialias=True),
            v2.CenterCrop(side),
            v2.RandomCrop(crop),
            v2.RandomHorizontalFlip(),
        ]
    elif paper == "vgg":
        s_min, s_max = scale_range if scale_range is not None else vgg_scale_range(image_size)
        s_min, s_max = int(round(s_min)), int(round(s_max))
        if not crop <= s_min <= s_max:
            raise ValueError(
                f"train_transform('vgg'): scale_range {scale_range} must satisfy crop ({crop}) <= S_min <= S_max, "
                f"in pixels (default {vgg_scale_range(image_size)} at image_size {image_size})"
            )
        steps = [
            v2.RandomShortestSize(list(range(s_min, s_max + 1)), antialias=True),
            v2.RandomCrop(crop),
            v2.RandomHorizontalFlip(),
        ]
    else:
        area = tuple(scale_range) if scale_range is not None else (0.08, 1.0)
        if not 0 < area[0] <= area[1] <= 1:
            raise ValueError(f"train_transform('googlenet'): scale_range is the crop's area fraction (lo, hi) with "
                             f"0 < lo <= hi <= 1, got {scale_range}")
        modes = (InterpolationMode.NEAREST, InterpolationMode.BILINEAR, InterpolationMode.BOX,
                 InterpolationMode.BICUBIC)
        steps = [
            v2.RandomChoice([v2.RandomResizedCrop(crop, scale=area, ratio=(3 / 4, 4 / 3), interpolation=m,
                                                  antialias=True) for m in modes]),
            v2.RandomHorizontalFlip(),
            v2.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4),
        ]
    return v2.Compose(steps + _tail(pca))


def eval_transform(image_size: int, *, crop: int | None = None) -> v2.Compose:
    """Evaluation: short side to ``round(image_size * 256 / 224)``, centre crop (``image_size`` unless ``crop``),
    float on [0, 1], ImageNet normalization (the single-crop protocol all three papers report next to multi-crop)."""
    _check_size(image_size)
    side = resize_side(image_size)
    crop = image_size if crop is None else int(crop)
    if crop > side:
        # A crop bigger than the resized image would be padded with black; resize so it fits instead.
        side = crop
    return v2.Compose([
        v2.Resize(side, antialias=True),
        v2.CenterCrop(crop),
        v2.ToImage(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        v2.ToPureTensor(),
    ])
