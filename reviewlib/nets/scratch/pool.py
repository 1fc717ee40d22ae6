"""Max-pooling by hand (AlexNet Sect. 3.4: overlapping pooling, z=3 and s=2): the max over ``unfold``'s windows,
equal to ``torch.nn.functional.max_pool2d`` (tested in ``tests/test_scratch.py``)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...errors import ConfigError
from .conv import _output_size, _pair


def _ceil_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """As ``_output_size`` but rounding up, dropping a last window that would start in the right padding (torch's
    rule)."""
    out = -(-(size + 2 * padding - kernel) // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


def max_pool2d(
    x: torch.Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    ceil_mode: bool = False,
) -> torch.Tensor:
    """Max-pooling over ``kernel_size`` windows; equals ``torch.nn.functional.max_pool2d``.

    AlexNet Sect. 3.4: a pooling layer is "a grid of pooling units spaced ``s`` pixels apart, each summarizing a
    neighborhood of size ``z x z``". With ``s = z`` the windows tile the map (traditional pooling); AlexNet uses
    overlapping pooling, ``z = 3, s = 2`` (``max_pool2d(x, 3, 2)``)::

        y[n, c, p, q] = max_{u, v < z} x_pad[n, c, p*s + u, q*s + v]

    ``stride`` defaults to ``kernel_size`` (non-overlapping), as in torch. Padding adds ``-inf`` (not zeros) so a
    padded cell never wins the max; ``unfold`` then lists every window's ``kh*kw`` values and we take their max.
    As in torch, ``padding`` may be at most half the kernel, so no window is all padding.

    ``ceil_mode=True`` (torchvision's GoogLeNet uses it) rounds the output size up instead of down: one more window
    at the right/bottom edge when the last one would not fit, as long as it starts inside the input; the missing
    cells are ``-inf`` padding too.
    """
    if x.dim() == 3:
        return max_pool2d(x.unsqueeze(0), kernel_size, stride, padding, ceil_mode).squeeze(0)
    if x.dim() != 4:
        raise ConfigError(f"max_pool2d: input must be (N, C, H, W) or (C, H, W), got shape {tuple(x.shape)}")
    kh, kw = _pair(kernel_size, "kernel_size", "max_pool2d")
    sh, sw = _pair(kernel_size if stride is None else stride, "stride", "max_pool2d")
    ph, pw = _pair(padding, "padding", "max_pool2d")
    if ph > kh // 2 or pw > kw // 2:
        raise ConfigError(
            f"max_pool2d: padding ({ph}, {pw}) must be at most half the kernel ({kh}, {kw}); lower the padding"
        )
    n, c, h, w = x.shape
    h_out, w_out = _output_size(h, kh, sh, ph), _output_size(w, kw, sw, pw)
    if h_out < 1 or w_out < 1:
        raise ConfigError(f"max_pool2d: the {h}x{w} input is smaller than the {kh}x{kw} window; use a larger input")
    if ceil_mode:
        h_out, w_out = _ceil_output_size(h, kh, sh, ph), _ceil_output_size(w, kw, sw, pw)
    # Extra -inf cells at the bottom/right for the windows ceil_mode adds (0 otherwise).
    extra_h = max(0, (h_out - 1) * sh + kh - (h + 2 * ph))
    extra_w = max(0, (w_out - 1) * sw + kw - (w + 2 * pw))

    x = F.pad(x, (pw, pw + extra_w, ph, ph + extra_h), value=float("-inf"))  # (left, right, top, bottom)
    windows = F.unfold(x, kernel_size=(kh, kw), stride=(sh, sw))  # (N, C*kh*kw, L)
    windows = windows.view(n, c, kh * kw, h_out * w_out)
    return windows.amax(dim=2).view(n, c, h_out, w_out)


class MaxPool2d(nn.Module):
    """``nn.MaxPool2d`` built on the hand-written ``max_pool2d``; ``MaxPool2d(3, 2)`` is AlexNet's overlapping pool."""

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode)

    def extra_repr(self) -> str:
        s = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return s + (", ceil_mode=True" if self.ceil_mode else "")
