"""The three papers' training augmentations and the common evaluation transform.

Built from ``torchvision.transforms.v2`` wherever it has the piece; the one piece it lacks, AlexNet's PCA colour
noise ("fancy PCA", AlexNet Sect. 4.1), is hand-written here because it is part of what the review is about.

Every size scales with the budget's ``image_size``: the papers' 224-pixel crop from a 256-pixel short side becomes
``image_size`` from ``round(image_size * 256 / 224)``; AlexNet's real 227-pixel input and VGG's S range [256, 512]
scale the same way. Geometric steps run on the PIL image (cheap, and PIL has the "area" filter GoogLeNet asks for),
then the image becomes a float tensor in [0, 1], colour noise is added, and it is normalized with ImageNet's
mean and std. The output is a plain ``float32`` tensor ``[3, crop, crop]``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import nn
from torchvision.transforms import v2
from torchvision.transforms.v2 import InterpolationMode

PAPERS = ("alexnet", "vgg", "googlenet")

# torchvision's preset values (the ImageNet training-set channel statistics on [0, 1] pixels).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# The widely used RGB PCA of ImageNet training pixels on [0, 1] (fb.resnet.torch ``datasets/imagenet.lua``, copied by
# most AlexNet reimplementations). Columns of IMAGENET_EIGVEC are the eigenvectors, IMAGENET_EIGVAL their eigenvalues.
IMAGENET_EIGVAL = (0.2175, 0.0188, 0.0045)
IMAGENET_EIGVEC = (
    (-0.5675, 0.7192, 0.4009),
    (-0.5808, -0.0045, -0.8140),
    (-0.5836, -0.6948, 0.4203),
)


def _check_paper(paper: str) -> str:
    key = str(paper).lower()
    if key not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; choose one of {', '.join(PAPERS)}")
    return key


def _check_size(image_size: int) -> int:
    if not isinstance(image_size, int) or image_size < 8:
        raise ValueError(f"image_size must be an int >= 8 (the training crop in pixels), got {image_size!r}")
    return image_size


def resize_size(image_size: int) -> int:
    """Short side to rescale to before cropping: 256 for a 224 crop, scaled alike (same as ``Budget.resize_size``)."""
    return round(image_size * 256 / 224)


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
    return round(image_size * 256 / 224), round(image_size * 512 / 224)


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


def _to_float_tensor(img) -> torch.Tensor:
    if torch.is_tensor(img):
        t = img
    else:
        t = v2.functional.pil_to_tensor(img.convert("RGB"))
    if not t.is_floating_point():
        t = t.float() / 255.0
    return t


def pca_from_images(images_or_dataset, max_images: int = 500, max_pixels_per_image: int = 4096,
                    seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """PCA of the RGB pixel values of (up to ``max_images``) training images, as AlexNet Sect. 4.1 computes it.

    Accepts a tensor ``[N, 3, H, W]``, an iterable of PIL images / ``[3, H, W]`` tensors, or a dataset whose items are
    ``(image, label)``. uint8 images are scaled to [0, 1]; float tensors are taken as already on [0, 1]. A random
    subset of ``max_pixels_per_image`` pixels per image keeps it cheap. Returns ``(eigval [3], eigvec [3, 3])``,
    eigenvalues in descending order and eigenvectors as columns, ready for :class:`PCAColorNoise`.
    """
    gen = torch.Generator().manual_seed(seed)
    if torch.is_tensor(images_or_dataset):
        items: Iterable = images_or_dataset[:max_images]
    elif hasattr(images_or_dataset, "__getitem__") and hasattr(images_or_dataset, "__len__"):
        n = min(len(images_or_dataset), max_images)
        items = (images_or_dataset[i] for i in range(n))
    else:
        items = images_or_dataset
    chunks = []
    for i, item in enumerate(items):
        if i >= max_images:
            break
        if isinstance(item, tuple):
            item = item[0]
        if item is None or not (torch.is_tensor(item) or hasattr(item, "convert")):
            continue  # e.g. a skipped unreadable file
        t = _to_float_tensor(item)
        if t.ndim != 3 or t.shape[0] != 3:
            raise ValueError(f"pca_from_images: image {i} has shape {tuple(t.shape)}, expected [3, H, W]")
        px = t.reshape(3, -1).T
        if px.shape[0] > max_pixels_per_image:
            px = px[torch.randperm(px.shape[0], generator=gen)[:max_pixels_per_image]]
        chunks.append(px.double())
    if not chunks:
        raise ValueError("pca_from_images: no images to compute the colour PCA from")
    pixels = torch.cat(chunks)
    cov = torch.cov(pixels.T)
    eigval, eigvec = torch.linalg.eigh(cov)  # ascending
    order = torch.argsort(eigval, descending=True)
    return eigval[order].clamp_min(0).float(), eigvec[:, order].float()


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
        side = resize_size(image_size)
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
    side = resize_size(image_size)
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


def denormalize(x: torch.Tensor) -> torch.Tensor:
    """Undo ``v2.Normalize(IMAGENET_MEAN, IMAGENET_STD)`` for display; clamps to [0, 1]. ``x``: [..., 3, H, W]."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype, device=x.device)[:, None, None]
    std = torch.tensor(IMAGENET_STD, dtype=x.dtype, device=x.device)[:, None, None]
    return (x * std + mean).clamp(0, 1)
