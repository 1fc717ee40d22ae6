"""Convolution by hand (AlexNet Sect. 3.5; the two GPU towers of Sect. 3.2 as ``groups``): im2col and one matrix
product, equal to ``torch.nn.functional.conv2d`` (tested in ``tests/test_scratch.py``)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import ConfigError


def _pair(value, name: str, layer: str) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(3, 2) -> (3, 2)``; anything else is a clear error."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (int(value[0]), int(value[1]))
    raise ConfigError(f"{layer}: {name}={value!r} must be an int or a pair of ints, e.g. {name}=2 or {name}=(2, 1)")


def _output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Positions a window of ``kernel`` visits along one axis: floor((size + 2*padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    groups: int = 1,
) -> torch.Tensor:
    """2-D convolution as a matrix product ("im2col"); equals ``torch.nn.functional.conv2d``.

    A convolution layer (AlexNet Sect. 3.5, e.g. conv1: 96 kernels of 11x11x3, stride 4) computes, for every output
    channel ``o`` and every output position ``(p, q)``::

        y[n, o, p, q] = bias[o] + sum_{c, u, v} weight[o, c, u, v] * x_pad[n, c, p*s_h + u, q*s_w + v]

    ``F.unfold`` copies every ``kh x kw`` window of the (zero-padded) input into one column, giving a matrix
    ``cols`` of shape ``(N, C*kh*kw, L)`` where ``L = H_out * W_out``. Flattening the weight to ``(O, C*kh*kw)``
    turns the sum above into one matrix product ``weight @ cols`` of shape ``(N, O, L)``, reshaped to
    ``(N, O, H_out, W_out)``.

    ``groups``: AlexNet splits its kernels over two GPUs (Sect. 3.2); conv2, conv4 and conv5 see only the maps on
    their own GPU. That is ``groups=2``: the input channels are cut into ``groups`` equal blocks, the kernels too, and
    block ``g`` of kernels sees only block ``g`` of channels. So ``weight`` has ``C / groups`` input channels
    (conv2: 256 kernels of 5x5x48, not 5x5x96). ``unfold`` lists channels outermost, so the rows of ``cols`` split
    into ``groups`` contiguous blocks and one batched matrix product does all groups at once.

    Args:
        x: input ``(N, C, H, W)`` (or ``(C, H, W)``).
        weight: kernels ``(O, C // groups, kh, kw)``, as in ``nn.Conv2d``.
        bias: ``(O,)`` or ``None``.
        stride, padding: int or ``(h, w)`` pair; padding adds zeros on every side.
        groups: number of towers; must divide both ``C`` and ``O``.
    """
    if x.dim() == 3:  # unbatched input, as F.conv2d allows
        return conv2d(x.unsqueeze(0), weight, bias, stride, padding, groups).squeeze(0)
    if x.dim() != 4:
        raise ConfigError(f"conv2d: input must be (N, C, H, W) or (C, H, W), got shape {tuple(x.shape)}")
    if weight.dim() != 4:
        raise ConfigError(f"conv2d: weight must be (out_channels, in_channels // groups, kh, kw), "
                          f"got {tuple(weight.shape)}")
    stride, padding = _pair(stride, "stride", "conv2d"), _pair(padding, "padding", "conv2d")
    n, c, h, w = x.shape
    out_channels, c_per_group, kh, kw = weight.shape
    if groups < 1 or c % groups or out_channels % groups:
        raise ConfigError(
            f"conv2d: groups={groups} must divide both the {c} input channels and the {out_channels} kernels"
        )
    if c_per_group * groups != c:
        raise ConfigError(
            f"conv2d: weight expects {c_per_group} x groups={groups} = {c_per_group * groups} input channels, "
            f"the input has {c}; give weight shape ({out_channels}, {c // groups}, {kh}, {kw})"
        )
    if bias is not None and bias.shape != (out_channels,):
        raise ConfigError(f"conv2d: bias must have shape ({out_channels},), got {tuple(bias.shape)}")
    h_out = _output_size(h, kh, stride[0], padding[0])
    w_out = _output_size(w, kw, stride[1], padding[1])
    if h_out < 1 or w_out < 1:
        raise ConfigError(
            f"conv2d: the {h}x{w} input (padding {padding}) is smaller than the {kh}x{kw} kernel; "
            "use a larger input or more padding"
        )

    # im2col: (N, C*kh*kw, L), one column per output position; rows ordered (channel, u, v).
    cols = F.unfold(x, kernel_size=(kh, kw), padding=padding, stride=stride)
    # Split the rows into the groups' channel blocks: (N, groups, C/groups*kh*kw, L).
    cols = cols.view(n, groups, c_per_group * kh * kw, h_out * w_out)
    # Each group's kernels as a matrix: (groups, O/groups, C/groups*kh*kw).
    kernels = weight.reshape(groups, out_channels // groups, c_per_group * kh * kw)
    # One batched matrix product per (sample, group): (N, groups, O/groups, L).
    y = torch.matmul(kernels, cols)
    y = y.reshape(n, out_channels, h_out, w_out)
    if bias is not None:
        y = y + bias.view(1, out_channels, 1, 1)
    return y


class Conv2d(nn.Module):
    """``nn.Conv2d`` built on the hand-written ``conv2d`` (zero padding, dilation 1).

    ``weight`` has shape ``(out_channels, in_channels // groups, kh, kw)`` and ``bias`` ``(out_channels,)``, the same
    parameter names and shapes as ``nn.Conv2d``, so ``load_state_dict`` works in both directions. Initialised as
    ``nn.Conv2d`` is (Kaiming-uniform with ``a = sqrt(5)``), not with AlexNet's N(0, 0.01) of Sect. 5.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        groups: int = 1,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ConfigError(
                f"Conv2d: groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = _pair(stride, "stride", "Conv2d")
        self.padding = _pair(padding, "padding", "Conv2d")
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, *self.kernel_size, **factory))
        self.bias = nn.Parameter(torch.empty(out_channels, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The same initialisation as ``nn.Conv2d.reset_parameters``."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight[0].numel()
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
