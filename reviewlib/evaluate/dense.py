"""VGG's dense evaluation (Sect. 3.2): the fully-connected layers become convolutions.

"the first FC layer is converted to a 7x7 conv. layer, the last two FC layers to 1x1 conv. layers. The resulting
fully-convolutional net is then applied to the whole (uncropped) image. The result is a class score map ...
spatially averaged (sum-pooled)". :func:`to_dense` does the conversion by reshaping the weights (hand-written: it is
the paper's idea); :func:`reviewlib.evaluate.predict.dense_predict` runs it on whole images and their flips.
"""
from __future__ import annotations

import copy
import math

import torch
from torch import nn

from ..errors import ConfigError
from ..nets import eval_mode

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
        with eval_mode(model):
            fmap = model.features(torch.zeros(1, 3, image_size, image_size, device=param.device, dtype=param.dtype))
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
