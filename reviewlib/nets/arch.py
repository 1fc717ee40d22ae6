"""Architectures as data: the rows of the papers' tables, checked before anything is built.

An architecture is a list of layer specs (the rows of AlexNet's Sect. 3.5, VGG's Table 1, GoogLeNet's Table 1).
The same list builds the ``nn.Module`` (:mod:`reviewlib.nets`), drives the shape/parameter analysis
(:mod:`reviewlib.review.tables` runs on what it builds) and backs the notebooks' widgets
(:mod:`reviewlib.review.explorer` edits the list). :func:`trace` walks the list with the output-size formula only, so an impossible configuration
fails with a :class:`~reviewlib.errors.ConfigError` naming the layer and the fix *before* any weight is allocated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Union

from torch import nn

from ..errors import ConfigError
from .layers import (AuxClassifier, ConvBlock, Inception, LocalResponseNorm, TwoTowerConv, activation)


@dataclass(frozen=True)
class Conv:
    """A convolution followed by its non-linearity. ``towers=2`` splits it over AlexNet's two GPUs; ``cross`` says
    whether each tower sees every input map (conv1, conv3) or only its own half (conv2, conv4, conv5)."""

    name: str
    out: int
    kernel: int
    stride: int = 1
    padding: int = 0
    towers: int = 1
    cross: bool = True
    batch_norm: bool = False


@dataclass(frozen=True)
class Pool:
    """Max (or average) pooling, ``kernel`` x ``kernel`` with ``stride``."""

    name: str
    kernel: int
    stride: int
    padding: int = 0
    kind: str = "max"
    ceil_mode: bool = False


@dataclass(frozen=True)
class LRN:
    """Local response normalisation, AlexNet Sect. 3.3 constants by default."""

    name: str
    size: int = 5
    alpha: float = 1e-4
    beta: float = 0.75
    k: float = 2.0
    towers: int = 1


@dataclass(frozen=True)
class InceptionSpec:
    """One row of GoogLeNet's Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj."""

    name: str
    c1x1: int
    c3x3red: int
    c3x3: int
    c5x5red: int
    c5x5: int
    pool_proj: int
    k5: int = 5
    batch_norm: bool = False

    @property
    def out(self) -> int:
        return self.c1x1 + self.c3x3 + self.c5x5 + self.pool_proj


@dataclass(frozen=True)
class Aux:
    """An auxiliary classifier tapping the current feature map (GoogLeNet Sect. 5); not part of the main path."""

    name: str
    pool: str = "paper"  # "paper" = AvgPool 5x5/3; "adaptive" = torchvision's adaptive pool to 4x4
    conv: int = 128
    fc: int = 1024
    dropout: float = 0.7
    batch_norm: bool = False


Spec = Union[Conv, Pool, LRN, InceptionSpec, Aux]


def scale(channels: int, width: float, multiple: int = 1) -> int:
    """``channels * width`` rounded to a positive multiple of ``multiple`` (2 for AlexNet's towers)."""
    return max(multiple, int(round(channels * width / multiple)) * multiple)


def scale_specs(specs: list[Spec], width: float) -> list[Spec]:
    """Every channel count of ``specs`` scaled by ``width`` (the budgets shrink models this way)."""
    if width == 1.0:
        return list(specs)
    out = []
    for s in specs:
        if isinstance(s, Conv):
            s = replace(s, out=scale(s.out, width, s.towers))
        elif isinstance(s, InceptionSpec):
            s = replace(s, **{f: scale(getattr(s, f), width) for f in
                              ("c1x1", "c3x3red", "c3x3", "c5x5red", "c5x5", "pool_proj")})
        elif isinstance(s, Aux):
            s = replace(s, conv=scale(s.conv, width), fc=scale(s.fc, width))
        out.append(s)
    return out


def _out_size(size: int, kernel: int, stride: int, padding: int, ceil_mode: bool) -> int:
    """PyTorch's output-size rule for conv and pooling (with its ceil_mode correction)."""
    span = size + 2 * padding - kernel
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1  # the last window must start inside the input
    return out


@dataclass(frozen=True)
class Traced:
    """A spec with the shape of what enters and leaves it (C, H, W)."""

    spec: Spec
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]


def trace(specs: list[Spec], input_shape: tuple[int, int, int]) -> list[Traced]:
    """Walk the table with the output-size formulas; raise ConfigError at the first impossible layer.

    >>> [t.out_shape for t in trace([Conv("conv1", 96, 11, 4)], (3, 227, 227))]
    [(96, 55, 55)]
    """
    c, h, w = input_shape
    rows: list[Traced] = []
    for s in specs:
        shape_in = (c, h, w)
        if isinstance(s, (Conv, Pool)):
            k, st, p = s.kernel, s.stride, s.padding
            for field, v in (("kernel", k), ("stride", st)):
                if v < 1:
                    raise ConfigError(f"{s.name}: {field} must be at least 1, got {v}")
            if p < 0:
                raise ConfigError(f"{s.name}: padding must be 0 or more, got {p}")
            if isinstance(s, Pool) and p > k // 2:
                raise ConfigError(f"{s.name}: padding {p} must be at most half the pooling window ({k // 2}) "
                                  f"for a {k}x{k} pool; reduce the padding")
            if min(h, w) + 2 * p < k:
                what = "kernel" if isinstance(s, Conv) else "pooling window"
                raise ConfigError(
                    f"{s.name}: {h}x{w} input is smaller than its {k}x{k} {what}; use a larger input or drop a "
                    f"pooling layer")
            if isinstance(s, Conv):
                if s.out < 1:
                    raise ConfigError(f"{s.name}: needs at least 1 output channel, got {s.out}")
                if s.out % s.towers or (not s.cross and c % s.towers):
                    raise ConfigError(f"{s.name}: {c}->{s.out} channels cannot be split into {s.towers} towers; "
                                      f"use channel counts divisible by {s.towers}")
                c = s.out
            ceil = getattr(s, "ceil_mode", False)
            h, w = _out_size(h, k, st, p, ceil), _out_size(w, k, st, p, ceil)
        elif isinstance(s, LRN):
            if s.size < 1:
                raise ConfigError(f"{s.name}: size must be at least 1, got {s.size}")
        elif isinstance(s, InceptionSpec):
            if min(s.c1x1, s.c3x3red, s.c3x3, s.c5x5red, s.c5x5, s.pool_proj) < 1:
                raise ConfigError(f"{s.name}: every branch needs at least 1 channel")
            c = s.out
        elif isinstance(s, Aux):
            if s.pool == "paper" and min(h, w) < 5:
                raise ConfigError(f"{s.name}: {h}x{w} map is smaller than the paper's 5x5 average pool; use a larger "
                                  f"input (at least 5x5 at this stage) or aux_pool='adaptive'")
            rows.append(Traced(s, shape_in, shape_in))
            continue
        else:
            raise ConfigError(f"unknown layer spec {s!r}")
        rows.append(Traced(s, shape_in, (c, h, w)))
    return rows


def aux_pooled_size(spec: Aux, map_size: int) -> int:
    """Side of the auxiliary head's pooled map (4 at 224: 14x14 -> 5x5/3 -> 4x4)."""
    return _out_size(map_size, 5, 3, 0, False) if spec.pool == "paper" else 4


def build_block(spec: Spec, in_channels: int, *, act: str = "relu", num_classes: int = 1000,
                map_size: int = 14) -> nn.Module:
    """One spec as one module (GoogLeNet's named layers)."""
    if isinstance(spec, Conv):
        if spec.towers > 1:
            return TwoTowerConv(in_channels, spec.out, spec.kernel, spec.stride, spec.padding, spec.towers, spec.cross)
        return ConvBlock(in_channels, spec.out, spec.kernel, spec.stride, spec.padding, spec.batch_norm, act)
    if isinstance(spec, Pool):
        cls = nn.MaxPool2d if spec.kind == "max" else nn.AvgPool2d
        return cls(spec.kernel, stride=spec.stride, padding=spec.padding, ceil_mode=spec.ceil_mode)
    if isinstance(spec, LRN):
        return LocalResponseNorm(spec.size, spec.alpha, spec.beta, spec.k, spec.towers)
    if isinstance(spec, InceptionSpec):
        return Inception(in_channels, spec.c1x1, spec.c3x3red, spec.c3x3, spec.c5x5red, spec.c5x5, spec.pool_proj,
                         k5=spec.k5, batch_norm=spec.batch_norm)
    if isinstance(spec, Aux):
        return AuxClassifier(in_channels, num_classes, pooled_size=aux_pooled_size(spec, map_size), pool=spec.pool,
                             conv_channels=spec.conv, fc_features=spec.fc, dropout=spec.dropout,
                             batch_norm=spec.batch_norm)
    raise ConfigError(f"unknown layer spec {spec!r}")


def build_sequential(specs: list[Spec], in_channels: int = 3, act: str = "relu"
                     ) -> tuple[nn.Sequential, dict[str, str]]:
    """The flat ``features`` Sequential of AlexNet and VGG, laid out exactly as torchvision lays it out
    (Conv2d, [BatchNorm2d], ReLU, ..., MaxPool2d), so torchvision's state_dict keys match.

    Returns the Sequential and ``{index: paper name}`` for the layer table.
    """
    layers: list[nn.Module] = []
    names: dict[str, str] = {}
    c = in_channels
    for s in specs:
        if isinstance(s, Conv):
            names[str(len(layers))] = s.name
            if s.towers > 1:
                layers.append(TwoTowerConv(c, s.out, s.kernel, s.stride, s.padding, s.towers, s.cross))
            else:
                layers.append(nn.Conv2d(c, s.out, s.kernel, stride=s.stride, padding=s.padding))
            if s.batch_norm:
                layers.append(nn.BatchNorm2d(s.out))
            layers.append(activation(act))
            c = s.out
        elif isinstance(s, (Pool, LRN)):
            names[str(len(layers))] = s.name
            layers.append(build_block(s, c))
        else:
            raise ConfigError(f"{s.name}: {type(s).__name__} layers cannot go in a plain feature stack")
    return nn.Sequential(*layers), names
