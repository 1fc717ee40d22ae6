"""The building blocks the three papers name, as ``nn.Module``s that run on any device.

Only what the papers define differently from torch's built-ins is written here; everything else (Conv2d, MaxPool2d,
Linear, Dropout) is torch's own. Hand-written teaching versions of conv2d, max-pool, LRN and dropout live in
:mod:`reviewlib.nets.scratch`.

Several modules carry attributes that :mod:`reviewlib.review.tables` reads:
``atomic_row`` (one row in the layer table), ``row_kind`` (its "kind" column) and ``rf_kernel`` / ``rf_stride`` /
``rf_padding`` (its footprint for the receptive-field recurrence).
"""
from __future__ import annotations

import contextlib
from collections import namedtuple

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


def activation(name: str) -> nn.Module:
    """``relu`` (AlexNet Sect. 3.1's "non-saturating" neuron, the default everywhere) or ``tanh`` (for Fig. 1)."""
    try:
        return ACTIVATIONS[name](inplace=True) if name == "relu" else ACTIVATIONS[name]()
    except KeyError:
        raise ConfigError(f"unknown activation {name!r}; use one of {sorted(ACTIVATIONS)}") from None


class ConvBlock(nn.Module):
    """Convolution + (optional BatchNorm) + ReLU: GoogLeNet's basic unit.

    With ``batch_norm=True`` this is torchvision's ``BasicConv2d`` (bias-free conv, BatchNorm with eps 0.001, same
    attribute names, so its state_dict loads); with ``batch_norm=False`` it is the paper's plain conv + ReLU
    (GoogLeNet Sect. 5: "All the convolutions ... use rectified linear activation").
    """

    atomic_row = True
    row_kind = "conv"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 batch_norm: bool = False, act: str = "relu") -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                              bias=not batch_norm)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001) if batch_norm else None
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return self.act(x)


def lrn_band(channels: int, size: int = 5, towers: int = 1, device=None) -> torch.Tensor:
    """The ``(C, C)`` 0/1 matrix of AlexNet Sect. 3.3's sum: ``band[i, j] = 1`` when map ``j`` is one of the ``n =
    size`` maps adjacent to map ``i`` (``i - n//2 <= j <= i + (n-1)//2``, as torch counts an even ``n``) and both maps
    live on the same tower. Multiplying the maps by it (a 1x1 convolution) sums the squares over each map's
    neighbours; with ``towers=2`` it is block-diagonal, so each GPU's maps are normalised among themselves."""
    if channels % towers:
        raise ConfigError(f"LocalResponseNorm: {channels} channels cannot be split into {towers} towers; "
                          f"use a channel count divisible by {towers}")
    i = torch.arange(channels, device=device)
    offset = i[None, :] - i[:, None]  # j - i
    tower = i // (channels // towers)
    return ((offset >= -(size // 2)) & (offset <= (size - 1) // 2) & (tower[:, None] == tower[None, :])).float()


def _autocast_off(device_type: str):
    """A context that switches autocast off on ``device_type`` (nothing to switch off on e.g. ``meta``)."""
    if torch.amp.is_autocast_available(device_type):
        return torch.autocast(device_type, enabled=False)
    return contextlib.nullcontext()


def _channel_sum(weight: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``weight @ x`` over the channels of ``(N, C, H, W)`` maps (a 1x1 convolution), in ``x``'s own layout: for
    channels-last maps the channels are the last axis in memory, so the product runs on them without a copy."""
    if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
        return torch.matmul(x.permute(0, 2, 3, 1), weight.t()).permute(0, 3, 1, 2)
    return torch.matmul(weight, x.flatten(2)).view_as(x)


class _LRNFunction(torch.autograd.Function):
    """``y = x * d**(-beta)`` with ``d = k + alpha * S`` and ``S = band @ x**2`` (a 1x1 convolution over the channels,
    :func:`_channel_sum`), and its closed-form gradient
    ``dx = g * d**(-beta) - 2 * alpha * beta * x * band^T (g * x * d**(-beta - 1))``:
    one more 1x1 convolution. ``weight`` is ``alpha * band``."""

    @staticmethod
    def forward(ctx, x, weight, beta, k):
        d = _channel_sum(weight, x * x).add_(k)
        # d ** -beta: the paper's beta = 3/4 as 1/sqrt(d) * 1/sqrt(sqrt(d)), any other as exp(-beta log d); both are
        # faster than torch's CPU pow with a float exponent
        scale = d.rsqrt().mul_(d.sqrt().rsqrt_()) if beta == 0.75 else d.log().mul_(-beta).exp_()
        ctx.save_for_backward(x, weight, d, scale)
        ctx.beta = beta
        return x * scale

    @staticmethod
    def backward(ctx, g):
        x, weight, d, scale = ctx.saved_tensors
        with _autocast_off(g.device.type):
            u = g * scale
            t = _channel_sum(weight.t(), (u * x).div_(d))
            return u.addcmul_(t, x, value=-2 * ctx.beta), None, None, None


def local_response_norm(x: torch.Tensor, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0,
                        towers: int = 1) -> torch.Tensor:
    """AlexNet Sect. 3.3 on ``(N, C, H, W)`` maps, fast: the sum of squares is one 1x1 convolution with
    :func:`lrn_band`, the gradient is written out (:class:`_LRNFunction`). Half-precision inputs (bf16 autocast)
    are normalised in float32 and returned in their own dtype; float64 stays float64 (for ``gradcheck``)."""
    if x.dim() != 4:
        raise ConfigError(f"LocalResponseNorm: input must be (N, C, H, W), got shape {tuple(x.shape)}")
    with _autocast_off(x.device.type):
        xf = x if x.dtype in (torch.float32, torch.float64) else x.float()
        weight = lrn_band(x.shape[1], size, towers, x.device).to(xf.dtype) * alpha
        return _LRNFunction.apply(xf, weight, beta, k).to(x.dtype)


class LocalResponseNorm(nn.Module):
    """Local response normalisation exactly as AlexNet Sect. 3.3 writes it.

    ``b[i] = a[i] / (k + alpha * sum_{j=max(0, i-n/2)}^{min(N-1, i+n/2)} a[j]^2) ** beta`` with the paper's constants
    k=2, n=5, alpha=1e-4, beta=0.75. ``alpha`` multiplies the *sum*: ``torch.nn.LocalResponseNorm(size, alpha, beta,
    k)`` divides ``alpha`` by ``size`` (the mean of the squares), so it equals this module only with ``alpha * size``
    (tested, with the hand-written loop of :func:`reviewlib.nets.scratch.local_response_norm`).

    ``towers=2`` normalises each half of the channels on its own, as on the paper's two GPUs, where the "adjacent
    kernel maps" of a GPU are the maps that GPU holds. Computed by :func:`local_response_norm`, several times faster
    than torch's LRN forward and backward.
    """

    row_kind = "lrn"

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0, towers: int = 1):
        super().__init__()
        if size < 1:
            raise ConfigError(f"LocalResponseNorm: size must be at least 1, got {size}")
        self.size, self.alpha, self.beta, self.k, self.towers = size, alpha, beta, k, towers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k, self.towers)

    def extra_repr(self) -> str:
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}, towers={self.towers}"


class TwoTowerConv(nn.Module):
    """AlexNet's convolution split over two GPUs (Sect. 3.2, Fig. 2).

    Each tower holds half of the kernels. With ``cross=False`` (conv2, conv4, conv5) a tower sees only the half of
    the input maps that lives on its own GPU; with ``cross=True`` (conv1, conv3) each tower sees all input maps,
    which is where the GPUs communicate. Outputs are concatenated tower 0 then tower 1. Mathematically
    ``cross=False`` is a grouped convolution with ``groups=towers``; keeping the towers as separate modules lets
    :func:`reviewlib.nets.alexnet` place them on two devices.
    """

    atomic_row = True
    row_kind = "conv"

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 towers: int = 2, cross: bool = False) -> None:
        super().__init__()
        if out_channels % towers or (not cross and in_channels % towers):
            raise ConfigError(
                f"TwoTowerConv: {in_channels}->{out_channels} channels cannot be split evenly into {towers} towers; "
                f"use channel counts divisible by {towers}")
        tower_in = in_channels if cross else in_channels // towers
        self.cross = cross
        self.towers = nn.ModuleList(
            nn.Conv2d(tower_in, out_channels // towers, kernel_size, stride=stride, padding=padding)
            for _ in range(towers))
        self.rf_kernel, self.rf_stride, self.rf_padding = kernel_size, stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inputs = [x] * len(self.towers) if self.cross else x.chunk(len(self.towers), dim=1)
        outs = [conv(inp.to(conv.weight.device)).to(x.device) for conv, inp in zip(self.towers, inputs)]
        return torch.cat(outs, dim=1)


class Inception(nn.Module):
    """The Inception module with dimension reductions (GoogLeNet Sect. 4, Fig. 2b).

    Four parallel branches concatenated along channels: 1x1; 1x1 reduce -> 3x3; 1x1 reduce -> 5x5;
    3x3 max-pool (stride 1) -> 1x1 projection. ``k5=5`` is the paper; torchvision uses ``k5=3`` (a known bug kept
    for its pretrained weights). Attribute names equal torchvision's, so its state_dict loads.
    """

    atomic_row = True
    row_kind = "inception"

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int,
                 pool_proj: int, k5: int = 5, batch_norm: bool = False) -> None:
        super().__init__()
        block = lambda i, o, k, p=0: ConvBlock(i, o, k, padding=p, batch_norm=batch_norm)  # noqa: E731
        self.branch1 = block(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(block(in_channels, ch3x3red, 1), block(ch3x3red, ch3x3, 3, 1))
        self.branch3 = nn.Sequential(block(in_channels, ch5x5red, 1), block(ch5x5red, ch5x5, k5, k5 // 2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
                                     block(in_channels, pool_proj, 1))
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj
        self.rf_kernel, self.rf_stride, self.rf_padding = max(3, k5), 1, max(3, k5) // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class NaiveInception(nn.Module):
    """The naive Inception module (GoogLeNet Fig. 2a): 1x1, 3x3 and 5x5 convolutions and a 3x3 max-pool side by
    side, concatenated. The pool branch passes all input channels through, so the output depth can only grow —
    the problem the 1x1 reductions of Fig. 2b solve."""

    atomic_row = True
    row_kind = "inception"

    def __init__(self, in_channels: int, ch1x1: int, ch3x3: int, ch5x5: int, batch_norm: bool = False) -> None:
        super().__init__()
        self.branch1 = ConvBlock(in_channels, ch1x1, 1, batch_norm=batch_norm)
        self.branch2 = ConvBlock(in_channels, ch3x3, 3, padding=1, batch_norm=batch_norm)
        self.branch3 = ConvBlock(in_channels, ch5x5, 5, padding=2, batch_norm=batch_norm)
        self.branch4 = nn.MaxPool2d(3, stride=1, padding=1)
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + in_channels
        self.rf_kernel, self.rf_stride, self.rf_padding = 5, 1, 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class AuxClassifier(nn.Module):
    """GoogLeNet's auxiliary classifier (Sect. 5), attached to 4a and 4d and used only in training.

    Paper: 5x5/3 average pool (4x4 output at 224), 1x1 conv 128 + ReLU, FC 1024 + ReLU, dropout 70%, linear.
    ``pool="adaptive"`` is torchvision's adaptive pooling to 4x4. Attribute names equal torchvision's
    ``InceptionAux`` (conv, fc1, fc2, dropout).
    """

    atomic_row = True
    row_kind = "aux"

    def __init__(self, in_channels: int, num_classes: int, *, pooled_size: int = 4, pool: str = "paper",
                 conv_channels: int = 128, fc_features: int = 1024, dropout: float = 0.7,
                 batch_norm: bool = False) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(5, stride=3) if pool == "paper" else nn.AdaptiveAvgPool2d(pooled_size)
        self.conv = ConvBlock(in_channels, conv_channels, 1, batch_norm=batch_norm)
        self.fc1 = nn.Linear(conv_channels * pooled_size * pooled_size, fc_features)
        self.fc2 = nn.Linear(fc_features, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.conv(self.pool(x)), 1)
        return self.fc2(self.dropout(F.relu(self.fc1(x), inplace=True)))


class FixedInput(nn.Module):
    """A guard where a network with fully connected layers needs one exact feature-map size.

    AlexNet's FC6 takes exactly 6x6x256 = 9,216 inputs (Sect. 3.5), so the network only accepts the input size it was
    built for. torchvision lifts this with adaptive average pooling; VGG (Sect. 3.2) with dense evaluation. This module
    is the identity on the right shape and otherwise raises an error that says which size to use and the ways out.
    """

    def __init__(self, expected: tuple[int, int, int], layer: str, model: str, image_size: int) -> None:
        super().__init__()
        self.expected, self.layer, self.model, self.image_size = tuple(expected), layer, model, image_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.expected:
            c, h, w = self.expected
            got = "x".join(str(s) for s in (x.shape[2], x.shape[3], x.shape[1]))
            raise ConfigError(
                f"{self.model} was built for {self.image_size}x{self.image_size} inputs: {self.layer} expects a "
                f"{h}x{w}x{c} map ({c * h * w:,} features) but got {got}. Resize or crop the input to "
                f"{self.image_size}x{self.image_size}, rebuild with image_size=<your size>, or use adaptive pooling "
                f"(the torchvision variant) or dense evaluation (reviewlib.evaluate.to_dense).")
        return x

    def extra_repr(self) -> str:
        return f"expected={self.expected}, layer={self.layer!r}"


def fc_head(in_features: int, hidden: tuple[int, ...], num_classes: int, dropout: float = 0.5,
            dropout_first: bool = True, act: str = "relu") -> nn.Sequential:
    """The fully connected classifier with dropout (AlexNet Sect. 4.2, VGG Sect. 2.1).

    ``dropout_first=True`` is AlexNet's (and torchvision alexnet's) order Dropout-Linear-ReLU; ``False`` is VGG's
    Linear-ReLU-Dropout. The last layer is a plain linear layer (the softmax is in the loss).
    """
    layers: list[nn.Module] = []
    prev = in_features
    for width in hidden:
        if dropout_first:
            layers += [nn.Dropout(p=dropout), nn.Linear(prev, width), activation(act)]
        else:
            layers += [nn.Linear(prev, width), activation(act), nn.Dropout(p=dropout)]
        prev = width
    layers.append(nn.Linear(prev, num_classes))
    return nn.Sequential(*layers)


GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
GoogLeNetOutputs.__doc__ = "Train-mode output of GoogLeNet with auxiliary heads, as torchvision returns it."
