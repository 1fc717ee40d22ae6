"""Test-time protocols of the three papers, top-1/top-5 error, ensembles and error analysis.

Protocols (all of them average *softmax* posteriors over the views of one image, and over the models of an ensemble):

- ``"center"``: short side resized to ``round(image_size*256/224)``, one centre crop (torchvision's evaluation preset).
- ``"10crop"``: AlexNet Sect. 2 + 4.1 -- the image's short side rescaled to 256 and its central 256x256 square kept,
  then the four corner and the centre 224 patches and their horizontal reflections (``v2.functional.five_crop``).
- ``"144crop"``: GoogLeNet Sect. 7 -- short side at 256, 288, 320, 352; left/centre/right (or top/centre/bottom)
  squares; from each square the 4 corner and the centre 224 crops plus the whole square resized to 224; and the mirror
  of each: 4 x 3 x 6 x 2 = 144 views.
- ``"dense"``: VGG Sect. 3.2 -- the fully-connected layers become convolutions (:func:`to_dense`), the net runs on the
  whole image rescaled to its short side Q, the class score map is averaged spatially, and the softmax of the image and
  of its flip are averaged. Several Q (Table 4's multi-scale test) average their softmax too.
- ``"multicrop"``: VGG Sect. 3.2 -- a 5x5 grid of 224 crops and their flips (50 views) per scale Q.

Every size in the papers refers to 224-pixel training crops; here they are scaled by ``image_size/224`` (see
:func:`paper_scales`) so the same protocol runs on the small study models. What this module hand-writes is exactly the
papers' test protocols and the FC->conv conversion; resizing, cropping and flipping use ``torchvision.transforms.v2``.

The evaluator does all resizing, cropping and normalisation (ImageNet mean/std) itself, so a dataset that yields
``(PIL image, label)`` -- e.g. ``reviewlib.data.load_split(..., transform=None)`` -- serves every protocol.
"""
from __future__ import annotations

import copy
import functools
import math
import time
from contextlib import contextmanager
from typing import Iterable, NamedTuple, Sequence

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torch import nn
from torchvision.transforms.v2 import functional as F
from tqdm.auto import tqdm

from ..data.augment import IMAGENET_MEAN, IMAGENET_STD
from ..device import pick_device
from ..errors import ConfigError

__all__ = [
    "IMAGENET_MEAN", "IMAGENET_STD", "PROTOCOLS", "PAPER_SCALES", "VGG_MULTISCALE_Q",
    "paper_scales", "default_scales", "to_image_tensor", "resize_short", "normalize",
    "center_crop", "ten_crops", "crops_144", "grid_crops", "multicrop_views", "make_views",
    "views_per_image", "FullyConvNet", "to_dense", "dense_predict", "ensemble_predict", "model_logits",
    "topk_errors", "Predictions", "predict_dataset", "evaluate",
    "confusion_matrix", "per_class_accuracy", "mistakes_gallery",
]

# torchvision's ImageNet preset (FACTS.md, "Evaluation preset").

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
    """Scale sizes quoted for 224-pixel crops to ``image_size``: ``round(s * image_size / 224)``."""
    return tuple(int(round(s * image_size / 224)) for s in sizes)


def default_scales(protocol: str, image_size: int) -> tuple[int, ...]:
    """The paper's test scale(s) for ``protocol``, scaled to ``image_size`` (see :data:`PAPER_SCALES`)."""
    _check_protocol(protocol)
    return paper_scales(PAPER_SCALES[protocol], image_size)


def _check_protocol(protocol: str) -> None:
    if protocol not in PROTOCOLS:
        raise ConfigError(f"evaluate: unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")


# ---------------------------------------------------------------------------------------------------------------
# Images and views
# ---------------------------------------------------------------------------------------------------------------

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
    _check_protocol(protocol)
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


# ---------------------------------------------------------------------------------------------------------------
# VGG dense evaluation (Sect. 3.2): fully-connected layers as convolutions
# ---------------------------------------------------------------------------------------------------------------

class FullyConvNet(nn.Module):
    """A VGG/AlexNet-style net whose classifier is convolutional (VGG Sect. 3.2).

    ``features`` is a copy of the original's; ``classifier`` holds the first FC layer as a ``k x k`` convolution
    (``kernel_size``), the others as 1x1 convolutions, with the original ReLU/Dropout in between. The original's
    ``avgpool`` is gone (folded into the first conv when it was not the identity at the training size, see
    :func:`to_dense`). ``forward`` returns the class score map ``[N, classes, H/32 - k + 1, W/32 - k + 1]``.
    """

    def __init__(self, features: nn.Module, classifier: nn.Sequential, kernel_size: int, train_size: int | None):
        super().__init__()
        self.features = features
        self.classifier = classifier
        self.kernel_size = kernel_size
        self.train_size = train_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        h, w = x.shape[-2:]
        if h < self.kernel_size or w < self.kernel_size:
            hint = f" (at least {self.train_size}x{self.train_size})" if self.train_size else ""
            raise ConfigError(f"FullyConvNet: the input gives a {h}x{w} feature map, smaller than the "
                              f"{self.kernel_size}x{self.kernel_size} kernel of the converted FC1 layer; "
                              f"use images at least as large as the training crops{hint}")
        return self.classifier(x)


def _last_conv_channels(features: nn.Module) -> int:
    """Output channels of the last convolution layer of ``features`` (all towers of a two-tower conv together)."""
    for layer in reversed(list(features.children())):
        towers = getattr(layer, "towers", None)
        if isinstance(towers, nn.ModuleList):  # reviewlib.layers.TwoTowerConv: outputs are concatenated
            return sum(t.out_channels for t in towers)
        if isinstance(layer, nn.Conv2d):
            return layer.out_channels
    convs = [m for m in features.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ConfigError("to_dense: model.features has no Conv2d layer; dense evaluation needs a VGG-style net")
    return convs[-1].out_channels


@torch.no_grad()
def _pool_matrix(pool: nn.Module, m: int, s: int) -> torch.Tensor:
    """The linear map of ``pool`` from an m x m to an s x s map, as a [m*m, s*s] matrix (pool applied to a basis)."""
    basis = torch.eye(m * m).view(m * m, 1, m, m)
    out = pool(basis)
    if tuple(out.shape[-2:]) != (s, s):
        raise ConfigError(f"to_dense: model.avgpool maps a {m}x{m} map to {tuple(out.shape[-2:])}, "
                          f"but the classifier expects {s}x{s}")
    return out.reshape(m * m, s * s)


@torch.no_grad()
def to_dense(model: nn.Module, image_size: int | None = None) -> FullyConvNet:
    """Convert a VGG-structured model into a fully-convolutional net (VGG Sect. 3.2). Hand-written: the paper's idea.

    ``model`` needs ``.features``, ``.avgpool`` and ``.classifier`` (an ``nn.Sequential`` of Linear/ReLU/Dropout, e.g.
    torchvision's VGG ``[Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear]``; torchvision's AlexNet works too).
    FC1 (``in_features = C * s * s``, C = the last Conv2d's ``out_channels``) becomes an ``s x s`` convolution by
    reshaping its weight to ``[out, C, s, s]`` (the flatten order of ``torch.flatten``), the other Linear layers
    1x1 convolutions. The weights are copied; ``features`` is deep-copied, so later training of ``model`` does not
    change the result.

    ``avgpool`` is skipped: torchvision's ``AdaptiveAvgPool2d((7,7))`` is the identity on the 7x7 map of a 224 input.
    When ``image_size`` is given, the feature map size m at that size is measured; if m != s and ``avgpool`` is an
    adaptive average pool (e.g. a (7,7) pool after the 3x3 map of a 96-pixel model), the pool is linear and is folded
    into FC1, giving an ``m x m`` kernel -- exact at the training size. Without ``image_size`` m = s is assumed.
    """
    for attr in ("features", "avgpool", "classifier"):
        if not hasattr(model, attr):
            raise ConfigError(f"to_dense: {type(model).__name__} has no .{attr}; dense evaluation needs a VGG-style "
                              "model with .features, .avgpool and .classifier (GoogLeNet: use '144crop' or "
                              "'multicrop')")
    if not isinstance(model.classifier, nn.Sequential):
        raise ConfigError("to_dense: model.classifier must be an nn.Sequential of Linear/ReLU/Dropout layers")
    channels = _last_conv_channels(model.features)
    linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
    if not linears:
        raise ConfigError("to_dense: model.classifier has no Linear layer")
    fc1 = linears[0]
    s = math.isqrt(fc1.in_features // channels)
    if s * s * channels != fc1.in_features:
        raise ConfigError(f"to_dense: FC1 has {fc1.in_features} inputs, not C*s*s for C={channels} channels of the "
                          "last conv; cannot reshape it into a square convolution")

    param = next(model.parameters())
    m = s
    if image_size is not None:
        was_training = model.training
        model.eval()
        probe = torch.zeros(1, 3, image_size, image_size, device=param.device, dtype=param.dtype)
        fmap = model.features(probe)
        model.train(was_training)
        if fmap.shape[-1] != fmap.shape[-2]:
            raise ConfigError(f"to_dense: features give a non-square {tuple(fmap.shape[-2:])} map at {image_size}")
        m = fmap.shape[-1]

    weight1 = fc1.weight.detach().reshape(fc1.out_features, channels, s, s)
    if m != s:
        if not isinstance(model.avgpool, nn.AdaptiveAvgPool2d):
            raise ConfigError(f"to_dense: at image_size={image_size} the features give a {m}x{m} map but FC1 expects "
                              f"{s}x{s}, and avgpool ({type(model.avgpool).__name__}) is not an adaptive average "
                              "pool that could be folded into FC1; build the model for this image size")
        pool = _pool_matrix(model.avgpool, m, s).to(weight1)  # [m*m, s*s]
        weight1 = torch.einsum("ocq,pq->ocp", weight1.reshape(fc1.out_features, channels, s * s), pool)
        weight1 = weight1.reshape(fc1.out_features, channels, m, m)

    layers, first = [], True
    for layer in model.classifier:
        if isinstance(layer, nn.Linear):
            k = m if first else 1
            conv = nn.Conv2d(layer.in_features // (s * s) if first else layer.in_features, layer.out_features,
                             kernel_size=k, bias=layer.bias is not None)
            conv = conv.to(device=layer.weight.device, dtype=layer.weight.dtype)
            conv.weight.copy_(weight1 if first else layer.weight.detach().view(layer.out_features, -1, 1, 1))
            if layer.bias is not None:
                conv.bias.copy_(layer.bias.detach())
            layers.append(conv)
            first = False
        elif isinstance(layer, (nn.ReLU, nn.Dropout, nn.Identity)):
            layers.append(copy.deepcopy(layer))
        else:
            raise ConfigError(f"to_dense: classifier layer {type(layer).__name__} cannot be made convolutional; "
                              "expected only Linear, ReLU and Dropout (VGG layout)")
    dense = FullyConvNet(copy.deepcopy(model.features), nn.Sequential(*layers), m, image_size)
    return dense.train(model.training)


# ---------------------------------------------------------------------------------------------------------------
# Predictions
# ---------------------------------------------------------------------------------------------------------------

@contextmanager
def _eval_mode(models: Sequence[nn.Module]):
    """Put every model in eval mode (dropout off, BN running stats, no GoogLeNet aux outputs), then restore."""
    states = [mod.training for mod in models]
    try:
        for mod in models:
            mod.eval()
        yield
    finally:
        for mod, state in zip(models, states):
            mod.train(state)


def _as_list(models) -> list[nn.Module]:
    models = list(models) if isinstance(models, (list, tuple)) else [models]
    if not models:
        raise ConfigError("evaluate: the list of models is empty")
    return models


def _device_of(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def model_logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """``model(images)``, taking ``[0]`` of a tuple output (GoogLeNet's ``GoogLeNetOutputs(logits, aux2, aux1)``)."""
    out = model(images.to(_device_of(model)))
    return out[0] if isinstance(out, tuple) else out


@torch.no_grad()
def ensemble_predict(models, images: torch.Tensor) -> torch.Tensor:
    """Softmax posteriors ``[N, classes]`` averaged over ``models`` (AlexNet Sect. 6's 5 CNNs, GoogLeNet Sect. 7).

    ``models`` is one model or a list; each runs in eval mode (restored afterwards) on normalised ``images``.
    """
    models = _as_list(models)
    with _eval_mode(models):
        probs = [model_logits(mod, images).float().softmax(1).to(images.device) for mod in models]
    return torch.stack(probs).mean(0)


@torch.no_grad()
def dense_predict(model_or_dense, images: torch.Tensor, flips: bool = True, softmax: bool = True) -> torch.Tensor:
    """VGG dense evaluation (Sect. 3.2) of normalised ``images`` ``[N,3,H,W]`` (any H, W >= the training size).

    ``model_or_dense`` is a :class:`FullyConvNet`, a VGG-style model (converted with :func:`to_dense`) or a list of
    either (an ensemble). The class score map is averaged spatially; with ``softmax`` the result is the softmax
    posterior, averaged with that of the mirrored image when ``flips`` (and over models) -> ``[N, classes]``.
    With ``softmax=False`` the spatially averaged scores (logits) are returned, averaged likewise.
    """
    models = [m if isinstance(m, FullyConvNet) else to_dense(m) for m in _as_list(model_or_dense)]
    if images.ndim == 3:
        images = images.unsqueeze(0)
    inputs = torch.cat([images, images.flip(-1)]) if flips else images
    outs = []
    with _eval_mode(models):
        for mod in models:
            scores = mod(inputs.to(_device_of(mod))).float().mean((-2, -1))
            out = scores.softmax(1) if softmax else scores
            outs.append(out.view(2 if flips else 1, images.shape[0], -1).mean(0).to(images.device))
    return torch.stack(outs).mean(0)


def topk_correct(logits: torch.Tensor, targets: torch.Tensor, ks: Sequence[int] = (1, 5)) -> list[int]:
    """How many rows have their target among the top k scores, for each k (k clipped to the number of classes)."""
    kmax = min(max(ks), logits.shape[1])
    hits = logits.topk(kmax, dim=1).indices.eq(targets.to(logits.device).long()[:, None])
    return [int(hits[:, :min(k, kmax)].any(1).sum()) for k in ks]


def topk_errors(logits: torch.Tensor, targets: torch.Tensor, ks: Sequence[int] = (1, 5)) -> dict[str, float]:
    """Top-k error rates (fractions in [0, 1]) of ``logits`` (or probabilities) ``[N, C]`` against ``targets`` ``[N]``.

    Returns ``{"top1": ..., "top5": ...}`` keyed by the requested k. When ``C < k``, k is clipped to C (so with fewer
    than 5 classes top-5 is top-C and its error is 0) -- the key keeps the requested k.
    """
    if logits.ndim != 2 or targets.ndim != 1 or logits.shape[0] != targets.shape[0]:
        raise ConfigError(f"topk_errors: expected logits [N, C] and targets [N], got {tuple(logits.shape)} and "
                          f"{tuple(targets.shape)}")
    if logits.shape[0] == 0:
        raise ConfigError("topk_errors: no predictions (N = 0)")
    n = logits.shape[0]
    return {f"top{k}": 1.0 - c / n for k, c in zip(ks, topk_correct(logits, targets, ks))}


class Predictions(NamedTuple):
    """What :func:`predict_dataset` returns; rows follow ``indices`` (positions in the dataset)."""
    probs: torch.Tensor       # [N, classes] float32, softmax averaged over views and models
    preds: torch.Tensor       # [N] int64, argmax of probs
    targets: torch.Tensor     # [N] int64
    indices: torch.Tensor     # [N] int64, dataset positions
    crops_per_image: int      # network inputs per image and model
    seconds: float


def _pick_indices(n: int, max_images: int | None) -> list[int]:
    """All positions, or ``max_images`` evenly spaced ones (datasets are sorted by class; this keeps all classes)."""
    if max_images is None or max_images >= n:
        return list(range(n))
    if max_images < 1:
        raise ConfigError(f"evaluate: max_images must be >= 1, got {max_images}")
    return sorted(set(np.linspace(0, n - 1, max_images).round().astype(int).tolist()))


class _Views(torch.utils.data.Dataset):
    """(normalised views, label, index) per image -- runs in DataLoader workers when ``num_workers > 0``."""

    def __init__(self, dataset, indices, make):
        self.dataset, self.indices, self.make = dataset, indices, make

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        index = self.indices[i]
        img, label = self.dataset[index]
        return self.make(img), int(label), index


def _dense_views(img, scales):
    """Dense protocol input: one normalised whole image per scale (sizes differ, so a list)."""
    img = to_image_tensor(img)
    return [normalize(resize_short(img, q)) for q in scales]


@torch.no_grad()
def predict_dataset(model, dataset, *, protocol: str = "center", image_size: int, device=None, batch_size: int = 64,
                    max_images: int | None = None, scales: Sequence[int] | None = None, num_workers: int = 0,
                    progress: bool = True) -> Predictions:
    """Softmax posteriors of ``model`` (or a list of models: an ensemble) for ``dataset`` under ``protocol``.

    ``dataset`` yields ``(PIL image or [3,H,W] un-normalised tensor, label)``. ``scales`` are the short sides (pixels)
    to test at; default :func:`default_scales` (the paper's, scaled by ``image_size/224``). ``batch_size`` counts
    network inputs (views); the views of several images share a batch. ``max_images`` takes that many evenly spaced
    images. Models are moved to ``device`` (default :func:`reviewlib.device.pick_device`) and run in eval mode.
    """
    _check_protocol(protocol)
    models = _as_list(model)
    device = torch.device(device) if device is not None else pick_device()
    scales = tuple(int(q) for q in scales) if scales is not None else default_scales(protocol, image_size)
    if not scales:
        raise ConfigError("evaluate: scales is empty")
    if min(scales) < image_size:
        raise ConfigError(f"evaluate: test scale {min(scales)} is smaller than image_size={image_size}; "
                          "every scale must be >= the crop size")
    for mod in models:
        mod.to(device)
    if protocol == "dense":
        models = [m if isinstance(m, FullyConvNet) else to_dense(m, image_size) for m in models]
        make = functools.partial(_dense_views, scales=scales)
    else:
        make = functools.partial(make_views, protocol=protocol, image_size=image_size, scales=scales)

    indices = _pick_indices(len(dataset), max_images)
    if not indices:
        raise ConfigError("evaluate: the dataset is empty")
    items = _Views(dataset, indices, make)
    if num_workers > 0:
        items = torch.utils.data.DataLoader(items, batch_size=None, num_workers=num_workers,
                                            pin_memory=device.type == "cuda")
    start = time.perf_counter()
    probs, targets, order = [], [], []
    pending: list[tuple[torch.Tensor, int, int]] = []

    def flush():
        if not pending:
            return
        views = torch.cat([v for v, _, _ in pending]).to(device, non_blocking=True)
        out = torch.cat([ensemble_predict(models, chunk) for chunk in views.split(batch_size)])
        for p, (v, label, index) in zip(out.split([v.shape[0] for v, _, _ in pending]), pending):
            probs.append(p.mean(0).cpu())
            targets.append(label)
            order.append(index)
        pending.clear()

    with _eval_mode(models):
        for views, label, index in tqdm(items, total=len(indices), desc=f"evaluate ({protocol})",
                                        disable=not progress, leave=False):
            if protocol == "dense":
                per_scale = [dense_predict(models, v.to(device)) for v in views]
                probs.append(torch.cat(per_scale).mean(0).cpu())
                targets.append(label)
                order.append(index)
                continue
            pending.append((views, label, index))
            if sum(v.shape[0] for v, _, _ in pending) >= batch_size:
                flush()
        flush()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    probs_t = torch.stack(probs)
    return Predictions(probs_t, probs_t.argmax(1), torch.tensor(targets, dtype=torch.long),
                       torch.tensor(order, dtype=torch.long), views_per_image(protocol, scales), seconds)


def evaluate(model, dataset, *, protocol: str = "center", image_size: int, device=None, batch_size: int = 64,
             max_images: int | None = None, scales: Sequence[int] | None = None, num_workers: int = 0,
             progress: bool = True) -> dict:
    """Top-1/top-5 error of ``model`` (or a list of models, softmax-averaged) on ``dataset`` under a paper protocol.

    Arguments as :func:`predict_dataset`. Returns a dict: ``protocol``, ``top1_error``, ``top5_error`` (fractions;
    top-5 is top-C when there are C < 5 classes), ``n`` (images), ``crops_per_image`` (network inputs per image and
    model), ``models``, ``scales``, ``seconds`` and ``images_per_second``.
    """
    pred = predict_dataset(model, dataset, protocol=protocol, image_size=image_size, device=device,
                           batch_size=batch_size, max_images=max_images, scales=scales, num_workers=num_workers,
                           progress=progress)
    errors = topk_errors(pred.probs, pred.targets, ks=(1, 5))
    n = len(pred.targets)
    return {
        "protocol": protocol,
        "top1_error": errors["top1"],
        "top5_error": errors["top5"],
        "n": n,
        "crops_per_image": pred.crops_per_image,
        "models": len(_as_list(model)),
        "scales": tuple(scales) if scales is not None else default_scales(protocol, image_size),
        "seconds": pred.seconds,
        "images_per_second": n / pred.seconds if pred.seconds > 0 else float("inf"),
    }


# ---------------------------------------------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------------------------------------------

def _long(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).long().flatten().cpu()


def confusion_matrix(preds, targets, num_classes: int, class_names: Sequence[str] | None = None):
    """Counts ``[true class, predicted class]`` as an int64 tensor, or a DataFrame labelled by ``class_names``."""
    preds, targets = _long(preds), _long(targets)
    if preds.shape != targets.shape:
        raise ConfigError(f"confusion_matrix: {preds.numel()} predictions but {targets.numel()} targets")
    for name, t in (("preds", preds), ("targets", targets)):
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= num_classes):
            raise ConfigError(f"confusion_matrix: {name} hold class ids outside [0, {num_classes}); "
                              "pass the right num_classes")
    cm = torch.bincount(targets * num_classes + preds, minlength=num_classes * num_classes)
    cm = cm.view(num_classes, num_classes)
    if class_names is None:
        return cm
    if len(class_names) != num_classes:
        raise ConfigError(f"confusion_matrix: {len(class_names)} class names for {num_classes} classes")
    return pd.DataFrame(cm.numpy(), index=pd.Index(class_names, name="true"),
                        columns=pd.Index(class_names, name="predicted"))


def per_class_accuracy(preds, targets, num_classes: int | None = None,
                       class_names: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per class: ``name``, ``n`` (images), ``correct``, ``accuracy`` (NaN for classes without images),
    sorted by accuracy (worst first)."""
    preds, targets = _long(preds), _long(targets)
    if num_classes is None:
        num_classes = len(class_names) if class_names is not None else int(max(preds.max(), targets.max())) + 1
    cm = confusion_matrix(preds, targets, num_classes)
    n = cm.sum(1)
    correct = cm.diag()
    names = list(class_names) if class_names is not None else [str(c) for c in range(num_classes)]
    df = pd.DataFrame({"name": names, "n": n.numpy(), "correct": correct.numpy()},
                      index=pd.RangeIndex(num_classes, name="class"))
    df["accuracy"] = df["correct"] / df["n"].where(df["n"] > 0)
    return df.sort_values("accuracy", kind="stable")


def _thumbnail(img) -> np.ndarray:
    """A displayable HxWx3 array from a PIL image or a [3,H,W] tensor (ImageNet-normalised ones are undone)."""
    if isinstance(img, Image.Image):
        return np.asarray(img.convert("RGB"))
    t = torch.as_tensor(img).detach().cpu()
    if t.is_floating_point():
        if float(t.min()) < 0:
            t = t * torch.tensor(IMAGENET_STD)[:, None, None] + torch.tensor(IMAGENET_MEAN)[:, None, None]
        t = t.clamp(0, 1)
    else:
        t = t.float() / 255
    return t.permute(1, 2, 0).numpy()


def mistakes_gallery(dataset, preds, targets, class_names: Sequence[str], n: int = 12, indices=None, ncols: int = 4,
                     probs: torch.Tensor | None = None):
    """A matplotlib Figure of up to ``n`` misclassified images: thumbnail, true and predicted class.

    ``preds``/``targets`` follow ``indices`` (dataset positions; default 0..N-1), e.g. a :class:`Predictions`'
    fields. With ``probs`` the predicted class's probability is shown. The figure is built without pyplot, so a
    notebook shows it once, as the cell's value.
    """
    from matplotlib.figure import Figure

    preds, targets = _long(preds), _long(targets)
    indices = _long(indices) if indices is not None else torch.arange(len(preds))
    wrong = (preds != targets).nonzero().flatten()[:n].tolist()
    if not wrong:
        fig = Figure(figsize=(4, 1))
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no mistakes", ha="center", va="center")
        ax.axis("off")
        return fig
    rows = math.ceil(len(wrong) / ncols)
    fig = Figure(figsize=(2.6 * min(ncols, len(wrong)), 2.9 * rows), layout="constrained")
    for k, i in enumerate(wrong):
        ax = fig.add_subplot(rows, min(ncols, len(wrong)), k + 1)
        img, _ = dataset[int(indices[i])]
        ax.imshow(_thumbnail(img))
        ax.set_xticks([])
        ax.set_yticks([])
        p = f" ({float(probs[i, preds[i]]):.0%})" if probs is not None else ""
        ax.set_title(f"true: {class_names[targets[i]]}\npred: {class_names[preds[i]]}{p}", fontsize=8)
    return fig
