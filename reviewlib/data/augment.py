"""The three papers' training augmentations and the evaluation centre crop, as batched tensor ops on the device.

Every transform takes a uint8 batch ``[B, 3, S, S]`` (the squares of :mod:`reviewlib.data.store`) already on the
training device (CUDA, MPS or CPU) and returns a normalized float32 batch ``[B, 3, crop, crop]``. Each is a small
frozen dataclass with

- ``draw(n, generator) -> Draws``: all of its randomness, drawn on the CPU from a ``torch.Generator`` (crop boxes in
  [0, 1] coordinates of the stored square, flips, PCA alphas, photometric factors and order, interpolations), so a
  run is the same on every device and a batch can be redrawn from its seed alone;
- ``apply(x, draws)``: the pixels, on ``x``'s device;
- ``__call__(x, generator)``: both.

Sizes are plain ints: ``resize`` is the short side the crops are taken from (256 for a 224 crop: :func:`resize_side`),
``crop`` the output side, which the caller chooses (227 for the paper's AlexNet is the caller's business).
Given the same draws, ``apply`` equals a per-image pipeline of ``torchvision.transforms.v2.functional`` calls
(resize, crop, hflip, adjust_brightness / contrast / saturation, normalize) on the uint8 image converted to float
(tested); where resampling differs from torchvision's (shrinking with antialias) :mod:`.resample` says how.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

import torch

from .resample import MODES, crop_resize

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
GREY = (0.2989, 0.587, 0.114)  # torchvision's rgb_to_grayscale weights (ITU-R BT.601 luma)


def scaled_side(side_at_224: int, size: int) -> int:
    """A side the papers quote for 224-pixel crops (256, 288, 512 ...), scaled to crops of ``size``."""
    return round(side_at_224 * size / 224)


def resize_side(size: int) -> int:
    """The short side crops of ``size`` are taken from: 256 for the papers' 224, scaled alike (AlexNet Sect. 2)."""
    return scaled_side(256, size)


@dataclass(frozen=True)
class Draws:
    """The random choices of one batch (CPU tensors; ``n`` = batch size)."""

    boxes: torch.Tensor  # [n, 4] float64: (x0, y0, x1, y1) in [0, 1] of the stored square
    flip: torch.Tensor  # [n] bool: mirror left-right
    alpha: torch.Tensor  # [n, 3]: PCA colour-noise coefficients (AlexNet Sect. 4.1), already times sigma
    modes: torch.Tensor | None = None  # [n] int64: interpolation, an index into resample.MODES
    factors: torch.Tensor | None = None  # [n, 3] float32: brightness, contrast, saturation factors
    order: torch.Tensor | None = None  # [n, 3] int64: the order those three are applied in (0, 1, 2 permuted)

    def __len__(self) -> int:
        return len(self.boxes)

    def __getitem__(self, which) -> "Draws":
        """The draws of some images (a slice, or an index tensor), e.g. ``draws[:8]``."""
        return Draws(**{f.name: None if (v := getattr(self, f.name)) is None else v[which] for f in fields(self)})


def _check_batch(x: torch.Tensor) -> None:
    if x.dtype != torch.uint8 or x.ndim != 4 or x.shape[1] != 3 or x.shape[2] != x.shape[3]:
        raise ValueError(f"expected a uint8 batch [B, 3, S, S] (stored squares), got {x.dtype} {tuple(x.shape)}")


def _pca_tuples(pca) -> tuple[tuple[float, ...], tuple[tuple[float, ...], ...]]:
    eigval, eigvec = (IMAGENET_EIGVAL, IMAGENET_EIGVEC) if pca is None else pca
    eigval = torch.as_tensor(eigval, dtype=torch.float64).flatten()
    eigvec = torch.as_tensor(eigvec, dtype=torch.float64)
    if eigvec.shape != (3, eigval.numel()):
        raise ValueError(f"pca: eigvec must be [3, k] with k = len(eigval) = {eigval.numel()}, got "
                         f"{tuple(eigvec.shape)}; pass the eigenvectors as columns")
    return tuple(eigval.tolist()), tuple(tuple(r) for r in eigvec.tolist())


def colour_shift(alpha: torch.Tensor, pca) -> torch.Tensor:
    """AlexNet Sect. 4.1: the RGB shift ``[p1, p2, p3] [a1 l1, a2 l2, a3 l3]^T`` added to every pixel of an image;
    ``[n, 3]`` float64 for alphas ``[n, k]`` and ``pca = (eigval [k], eigvec [3, k])``."""
    eigval, eigvec = (torch.tensor(t, dtype=torch.float64) for t in pca)
    return (alpha.double()[:, :eigval.numel()] * eigval) @ eigvec.T


def normalize_(out: torch.Tensor, shift: torch.Tensor | None = None, scale: float = 1.0) -> torch.Tensor:
    """In place: ``(scale * out + shift - mean) / std`` per image and channel (ImageNet statistics on [0, 1]
    pixels; ``scale=1/255`` for 0-255 values)."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float64)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float64)
    shift = torch.zeros(len(out), 3, dtype=torch.float64) if shift is None else shift
    bias = ((shift - mean) / std).to(out.device, out.dtype)
    return out.mul_((scale / std).to(out.device, out.dtype)[None, :, None, None]).add_(bias[:, :, None, None])


def sliced_and_normalized(x: torch.Tensor, draws: Draws, crop: int, shift: torch.Tensor | None,
                          index: torch.Tensor | None = None) -> torch.Tensor | None:
    """When every box is exactly ``crop`` stored pixels at an integer offset (a store kept at the resize side,
    AlexNet Sect. 2), the crops need no resampling: each is a slice, flipped where drawn, converted, then PCA-shifted
    and normalised in two passes over the batch (``x / (255 std) + (shift - mean) / std``). None when a box needs
    resampling. ``index``: the crops are of ``x[index]``, sliced straight out of ``x`` (no gathered copy)."""
    side = x.shape[-1]
    px = draws.boxes.double() * side
    start = px[:, :2].round()
    if not (torch.allclose(px[:, 2:] - px[:, :2], torch.full_like(start, float(crop)), atol=1e-6)
            and torch.allclose(start, px[:, :2], atol=1e-6)):
        return None
    out = torch.empty(len(draws), x.shape[1], crop, crop, device=x.device)
    images = range(len(draws)) if index is None else index.tolist()
    for i, (k, (c, r), flip) in enumerate(zip(images, start.long().tolist(), draws.flip.tolist())):
        patch = x[k, :, r:r + crop, c:c + crop]
        out[i].copy_(patch.flip(-1) if flip else patch)  # the flip on the 8-bit patch: a quarter of the bytes
    return normalize_(out, shift, 1 / 255)  # x / (255 std) + (shift - mean) / std


def crop_and_normalize(x: torch.Tensor, draws: Draws, crop: int, shift: torch.Tensor | None,
                       index: torch.Tensor | None = None) -> torch.Tensor:
    """The boxes of ``draws`` cut from the uint8 squares ``x`` (``x[index]`` when given), resized to ``crop``,
    flipped, PCA-shifted and normalised. Each output pixel is a weighted mean of stored pixels (weights summing to
    one), so colouring before or after resampling gives the same numbers; it is done on whichever of the two tensors
    is smaller. Boxes that need no resampling (exactly ``crop`` stored pixels at integer offsets) are sliced
    instead: the same numbers."""
    sliced = sliced_and_normalized(x, draws, crop, shift, index)
    if sliced is not None:
        return sliced
    x = (x if index is None else x.index_select(0, index.to(x.device))).float()
    if x.shape[-1] < crop:
        return crop_resize(normalize_(x, shift, 1 / 255), draws.boxes, crop, flip=draws.flip)
    return normalize_(crop_resize(x, draws.boxes, crop, flip=draws.flip), shift, 1 / 255)


def photometric_(x: torch.Tensor, factors: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """In place on [0, 1] images ``[n, 3, H, W]``: Howard's (2013) brightness, contrast and saturation changes, in
    each image's own ``order``, with torchvision's formulas: ``clamp(f * x + (1 - f) * ref, 0, 1)`` where ``ref`` is
    0 (brightness), the image's mean grey level (contrast) or its grey image (saturation)."""
    factors = factors.to(x.device, x.dtype)
    order = order.to(x.device)
    for step in range(3):
        op = order[:, step, None, None, None]  # [n, 1, 1, 1]: 0 brightness, 1 contrast, 2 saturation
        f = factors.gather(1, order[:, step, None])[:, :, None, None]
        grey = x[:, 0:1].mul(GREY[0]).add_(x[:, 1:2], alpha=GREY[1]).add_(x[:, 2:3], alpha=GREY[2])
        mean = grey.mean(dim=(-2, -1), keepdim=True)
        ref = grey.mul_(op == 2).add_(mean * (op == 1))  # the grey image, its mean, or 0
        torch.lerp(ref.expand_as(x), x, f, out=x).clamp_(0, 1)  # f * x + (1 - f) * ref
    return x


class _Transform:
    """``__call__`` = ``apply(x, draw(len(x), generator))``."""

    crop: int

    def draw(self, n: int, generator: torch.Generator | None = None) -> Draws:
        raise NotImplementedError

    def apply(self, x: torch.Tensor, draws: Draws) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.apply(x, self.draw(len(x), generator))

    def gathered(self, images: torch.Tensor, index: torch.Tensor, generator: torch.Generator | None = None
                 ) -> torch.Tensor:
        """``self(images[index], generator)``: the same numbers; a transform that can read its crops straight
        out of ``images`` skips the gathered copy of the batch (:class:`reviewlib.data.batches.Batches` calls it)."""
        return self(images.index_select(0, index.to(images.device)), generator)

    def _flips(self, n: int, g) -> torch.Tensor:  # drawn even when off, so the other draws do not move
        return (torch.rand(n, generator=g) < 0.5) & bool(getattr(self, "flip", True))

    def _alphas(self, n: int, g) -> torch.Tensor:
        return torch.randn(n, 3, generator=g, dtype=torch.float64) * getattr(self, "pca_sigma", 0.0)

    def _shift(self, draws: Draws) -> torch.Tensor | None:
        return colour_shift(draws.alpha, self.pca) if getattr(self, "pca_sigma", 0.0) else None


class _CropAndNormalize(_Transform):
    """A transform that only crops, resizes, flips and colours (:func:`crop_and_normalize`): its square crops are
    sliced straight out of the store when they need no resampling."""

    def apply(self, x: torch.Tensor, draws: Draws | None = None, index: torch.Tensor | None = None) -> torch.Tensor:
        """The crops of ``draws`` (drawn here when None) out of ``x``, or out of ``x[index]`` without gathering it
        (``index``: int64 on the CPU)."""
        _check_batch(x)
        n = len(x) if index is None else len(index)
        if index is not None and n and not (0 <= int(index.min()) and int(index.max()) < len(x)):
            raise IndexError(f"{type(self).__name__}: index out of range for {len(x)} images")
        draws = self.draw(n) if draws is None else draws
        return crop_and_normalize(x, draws, self.crop, self._shift(draws), index)

    def gathered(self, images: torch.Tensor, index: torch.Tensor, generator: torch.Generator | None = None
                 ) -> torch.Tensor:
        return self.apply(images, self.draw(len(index), generator), index)


def _check_sizes(name: str, **sizes: int) -> None:
    for key, value in sizes.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: {key} must be an int >= 1 (pixels), got {value!r}")


def _square_boxes(offsets: torch.Tensor, crop: int, side: torch.Tensor | int) -> torch.Tensor:
    """Boxes of a ``crop``-pixel square at integer ``offsets [n, 2]`` (x, y) in a square of ``side`` pixels."""
    side = torch.as_tensor(side, dtype=torch.float64).reshape(-1, 1)
    start = offsets.double() / side
    return torch.cat([start, start + crop / side], dim=1)


@dataclass(frozen=True)
class AlexNetTrain(_CropAndNormalize):
    """AlexNet Sect. 2 and 4.1: the short side rescaled to ``resize`` and the central ``resize x resize`` square
    kept (the stored square, rescaled), a random ``crop x crop`` patch at an integer offset, a horizontal flip with
    probability 1/2, and the PCA colour noise ``alpha ~ N(0, pca_sigma)`` per image (``pca = (eigval, eigvec)``,
    ImageNet's by default; ``pca_sigma=0`` turns it off); then ImageNet normalisation.

    Equals ``resize(resize) -> crop(top, left, crop, crop) -> hflip -> + shift -> normalize`` per image; exactly
    when ``resize`` >= the stored side (upsampling), within roi_align's box filter otherwise (:mod:`.resample`).
    """

    resize: int
    crop: int
    pca_sigma: float = 0.1
    flip: bool = True
    pca: tuple | None = field(default=None, repr=False)  # (eigval, eigvec); None: ImageNet's

    def __post_init__(self) -> None:
        _check_sizes("AlexNetTrain", resize=self.resize, crop=self.crop)
        if self.crop > self.resize:
            raise ValueError(f"AlexNetTrain: crop {self.crop} is larger than the {self.resize}-pixel square")
        object.__setattr__(self, "pca", _pca_tuples(self.pca))

    def draw(self, n: int, generator: torch.Generator | None = None) -> Draws:
        offsets = torch.randint(0, self.resize - self.crop + 1, (n, 2), generator=generator)
        return Draws(_square_boxes(offsets, self.crop, self.resize), self._flips(n, generator),
                     self._alphas(n, generator))


@dataclass(frozen=True)
class VGGTrain(_CropAndNormalize):
    """VGG Sect. 3.1: scale jittering, the training scale S drawn per image uniformly from the integers
    [``s_min``, ``s_max``] (``s_min == s_max``: single-scale training), the image rescaled to short side S, a random
    ``crop x crop`` patch (one per image per step), a horizontal flip and AlexNet's "random RGB colour shift" (PCA
    noise, ``pca_sigma``); then ImageNet normalisation. Crops come from the stored central square, not from the
    whole rescaled image (the same for square images such as Tiny ImageNet's).
    """

    s_min: int
    s_max: int
    crop: int
    pca_sigma: float = 0.1
    flip: bool = True
    pca: tuple | None = field(default=None, repr=False)  # (eigval, eigvec); None: ImageNet's

    def __post_init__(self) -> None:
        _check_sizes("VGGTrain", s_min=self.s_min, s_max=self.s_max, crop=self.crop)
        if not self.crop <= self.s_min <= self.s_max:
            raise ValueError(f"VGGTrain: need crop <= s_min <= s_max, got crop {self.crop}, S in "
                             f"[{self.s_min}, {self.s_max}] (pixels)")
        object.__setattr__(self, "pca", _pca_tuples(self.pca))

    def draw(self, n: int, generator: torch.Generator | None = None) -> Draws:
        s = torch.randint(self.s_min, self.s_max + 1, (n,), generator=generator)
        u = torch.rand(n, 2, generator=generator, dtype=torch.float64)
        offsets = (u * (s - self.crop + 1)[:, None]).floor()
        return Draws(_square_boxes(offsets, self.crop, s), self._flips(n, generator), self._alphas(n, generator))


@dataclass(frozen=True)
class GoogLeNetTrain(_Transform):
    """GoogLeNet Sect. 6: "patches of the image whose size is distributed evenly between 8% and 100% of the image
    area with aspect ratio constrained to the interval [3/4, 4/3]" (``area``, ``ratio``; as torchvision's
    RandomResizedCrop: ten tries, else the whole square, here in continuous [0, 1] coordinates), resized to ``crop``
    with an interpolation drawn per image from ``modes`` ("bilinear, area, nearest neighbor and cubic, with equal
    probability"), Howard's photometric distortions (brightness, contrast, saturation factors uniform in
    [1 - ``photometric``, 1 + ``photometric``], applied in a random order per image, in float without rounding to
    8 bits between them), a horizontal flip, and PCA colour noise (``pca_sigma``); then ImageNet normalisation.
    """

    crop: int
    area: tuple[float, float] = (0.08, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    photometric: float = 0.4
    pca_sigma: float = 0.1
    flip: bool = True
    modes: tuple[str, ...] = MODES
    pca: tuple | None = field(default=None, repr=False)  # (eigval, eigvec); None: ImageNet's
    tries: int = field(default=10, repr=False)

    def __post_init__(self) -> None:
        _check_sizes("GoogLeNetTrain", crop=self.crop)
        if not 0 < self.area[0] <= self.area[1] <= 1:
            raise ValueError(f"GoogLeNetTrain: area must be (lo, hi) with 0 < lo <= hi <= 1, got {self.area}")
        if not 0 < self.ratio[0] <= self.ratio[1]:
            raise ValueError(f"GoogLeNetTrain: ratio must be (lo, hi) with 0 < lo <= hi, got {self.ratio}")
        if not 0 <= self.photometric < 1:
            raise ValueError(f"GoogLeNetTrain: photometric must be in [0, 1), got {self.photometric}")
        unknown = [m for m in self.modes if m not in MODES]
        if unknown or not self.modes:
            raise ValueError(f"GoogLeNetTrain: modes must be some of {MODES}, got {self.modes}")
        object.__setattr__(self, "pca", _pca_tuples(self.pca))

    def draw(self, n: int, generator: torch.Generator | None = None) -> Draws:
        g = generator
        area = torch.empty(n, self.tries, dtype=torch.float64).uniform_(*self.area, generator=g)
        log_r = torch.empty(n, self.tries, dtype=torch.float64).uniform_(*map(math.log, self.ratio), generator=g)
        w, h = (area * log_r.exp()).sqrt(), (area / log_r.exp()).sqrt()
        fits = (w <= 1) & (h <= 1)
        first = fits.to(torch.int8).argmax(1, keepdim=True)  # the first try that fits
        w = torch.where(fits.any(1), w.gather(1, first)[:, 0], 1.0)
        h = torch.where(fits.any(1), h.gather(1, first)[:, 0], 1.0)
        at = torch.rand(n, 2, generator=g, dtype=torch.float64)
        x0, y0 = at[:, 0] * (1 - w), at[:, 1] * (1 - h)
        boxes = torch.stack([x0, y0, x0 + w, y0 + h], dim=1)
        modes = torch.tensor([MODES.index(m) for m in self.modes])[torch.randint(len(self.modes), (n,), generator=g)]
        factors = 1 + (2 * torch.rand(n, 3, generator=g) - 1) * self.photometric
        order = torch.rand(n, 3, generator=g).argsort(dim=1)
        return Draws(boxes, self._flips(n, g), self._alphas(n, g), modes, factors, order)

    def apply(self, x: torch.Tensor, draws: Draws) -> torch.Tensor:
        _check_batch(x)
        out = crop_resize(x.float().mul_(1 / 255), draws.boxes, self.crop, flip=draws.flip, modes=draws.modes)
        if self.photometric:
            photometric_(out, draws.factors, draws.order)
        return normalize_(out, self._shift(draws))


@dataclass(frozen=True)
class CentreCrop(_CropAndNormalize):
    """Evaluation (the single-crop protocol all three papers report): the short side rescaled to ``resize`` (at
    least ``crop``), the central ``crop x crop`` patch, ImageNet normalisation. No randomness; also the "no
    augmentation" training ablation."""

    resize: int
    crop: int

    def __post_init__(self) -> None:
        _check_sizes("CentreCrop", resize=self.resize, crop=self.crop)

    def draw(self, n: int, generator: torch.Generator | None = None) -> Draws:
        side = max(self.resize, self.crop)  # a crop larger than the rescaled image: rescale so it fits
        top = int(round((side - self.crop) / 2.0))  # torchvision's center_crop
        box = _square_boxes(torch.tensor([[top, top]]), self.crop, side)
        return Draws(box.expand(n, 4), torch.zeros(n, dtype=torch.bool), torch.zeros(n, 3, dtype=torch.float64))


# ------------------------------------------------------------------------------------------------- colour PCA
def _unit_pixels(images: torch.Tensor, max_pixels: int, gen: torch.Generator) -> torch.Tensor:
    """``[N * P, 3]`` float64 pixels on [0, 1]: up to ``max_pixels`` random pixels of each image ``[N, 3, H, W]``."""
    flat = images.reshape(len(images), 3, -1)
    if flat.shape[-1] > max_pixels:
        pick = torch.randint(flat.shape[-1], (len(images), 1, max_pixels), generator=gen)
        flat = flat.gather(2, pick.expand(-1, 3, -1))
    px = flat.transpose(1, 2).reshape(-1, 3).double()
    return px / 255 if not images.is_floating_point() else px


def pca_from_images(images_or_dataset, max_images: int = 500, max_pixels_per_image: int = 4096,
                    seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """PCA of the RGB pixel values of (up to ``max_images``) training images, as AlexNet Sect. 4.1 computes it.

    Accepts an :class:`~reviewlib.data.store.ImageStore` or a tensor ``[N, 3, H, W]`` (uint8 on 0-255, float on
    [0, 1]; ``max_images`` spread evenly over the N, so every class counts), an iterable of PIL images /
    ``[3, H, W]`` tensors, or a dataset whose items are ``(image, label)`` (its first ``max_images``). Up to
    ``max_pixels_per_image`` random pixels per image keep it cheap. Returns ``(eigval [3], eigvec [3, 3])``,
    eigenvalues in descending order and eigenvectors as columns, ready for the transforms' ``pca=``.
    """
    from torchvision.transforms.v2.functional import pil_to_tensor

    gen = torch.Generator().manual_seed(seed)
    images = getattr(images_or_dataset, "images", images_or_dataset)
    if torch.is_tensor(images):
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"pca_from_images: expected images [N, 3, H, W], got {tuple(images.shape)}")
        keep = torch.linspace(0, len(images) - 1, min(len(images), max_images)).round().long().unique()
        chunks = [_unit_pixels(images[keep.to(images.device)].cpu(), max_pixels_per_image, gen)] if len(images) else []
    else:
        if hasattr(images, "__getitem__") and hasattr(images, "__len__"):
            items: Iterable = (images[i] for i in range(min(len(images), max_images)))
        else:
            items = images
        chunks = []
        for i, item in enumerate(items):
            if i >= max_images:
                break
            item = item[0] if isinstance(item, tuple) else item
            if item is None or not (torch.is_tensor(item) or hasattr(item, "convert")):
                continue  # e.g. a skipped unreadable file
            t = item if torch.is_tensor(item) else pil_to_tensor(item.convert("RGB"))
            if t.ndim != 3 or t.shape[0] != 3:
                raise ValueError(f"pca_from_images: image {i} has shape {tuple(t.shape)}, expected [3, H, W]")
            chunks.append(_unit_pixels(t[None], max_pixels_per_image, gen))
    if not chunks:
        raise ValueError("pca_from_images: no images to compute the colour PCA from")
    eigval, eigvec = torch.linalg.eigh(torch.cov(torch.cat(chunks).T))  # ascending
    order = torch.argsort(eigval, descending=True)
    return eigval[order].clamp_min(0).float(), eigvec[:, order].float()


def denormalize(x: torch.Tensor) -> torch.Tensor:
    """Undo the ImageNet normalisation for display; clamps to [0, 1]. ``x``: [..., 3, H, W]."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype, device=x.device)[:, None, None]
    std = torch.tensor(IMAGENET_STD, dtype=x.dtype, device=x.device)[:, None, None]
    return (x * std + mean).clamp(0, 1)

