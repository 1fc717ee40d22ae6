"""Receptive fields (VGG Sect. 2.3: "a stack of two 3x3 conv. layers has an effective receptive field of 5x5; three
such layers have a 7x7 effective receptive field"), computed two ways.

* :func:`receptive_field_recurrence`: the standard recurrence ``r_out = r_in + (k - 1) * j_in``, ``j_out = j_in * s``,
  written by hand because it is what Sect. 2.3 is about. :func:`reviewlib.review.tables.layer_table` runs it down its
  rows (its ``rf`` and ``jump`` columns), with each row's footprint from :func:`footprint`.
* :func:`empirical_receptive_field`: measured, by back-propagating from one output unit of the built modules.

Also here: the input-size forms every table function accepts (:func:`one_image_shape`) and :func:`first_tensor`.
"""
from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import nn

_CONVS = (nn.modules.conv._ConvNd,)
_POOLS = (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd)


def one_image_shape(input_size: Any) -> tuple[int, int, int, int]:
    """``224`` | ``(H, W)`` | ``(C, H, W)`` | ``(N, C, H, W)`` -> ``(1, C, H, W)`` (always one image)."""
    if isinstance(input_size, bool):
        raise ValueError(f"input_size={input_size!r}: give an int (224), (C, H, W) or (N, C, H, W)")
    if isinstance(input_size, int):
        dims: tuple[int, ...] = (3, input_size, input_size)
    elif isinstance(input_size, (tuple, list, torch.Size)) and all(
        isinstance(d, int) and not isinstance(d, bool) for d in input_size
    ):
        dims = tuple(input_size)
        if len(dims) == 2:
            dims = (3, *dims)
        elif len(dims) == 4:
            dims = dims[1:]
        elif len(dims) != 3:
            raise ValueError(
                f"input_size={input_size!r} has {len(dims)} dims; give an int (224), (H, W), (C, H, W) or (N, C, H, W)"
            )
    else:
        raise ValueError(f"input_size={input_size!r}: give an int (224), (H, W), (C, H, W) or (N, C, H, W) of ints")
    if any(d < 1 for d in dims):
        raise ValueError(f"input_size={input_size!r}: every dimension must be >= 1")
    return (1, *dims)


def first_tensor(x: Any) -> torch.Tensor | None:
    """``x`` itself, or the first tensor in a (nested) tuple or list (GoogLeNet's train-mode outputs), or None."""
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (tuple, list)):
        for v in x:
            t = first_tensor(v)
            if t is not None:
                return t
    return None


def _pair(v: Any) -> int:
    """The height component of an int-or-tuple layer attribute (all kernels in the three papers are square)."""
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


def footprint(mod: nn.Module) -> tuple[int, int, int] | None:
    """(kernel, stride, padding) of a module seen as one layer, or None if it has no spatial extent.

    Uses ``rf_kernel``/``rf_stride``/``rf_padding`` when set; a conv or pool gives its own (dilation folded into an
    effective kernel); an ``nn.Sequential`` composes its layers (k = k1 + (k2 - 1) s1, s = s1 s2, p = p1 + p2 s1);
    any other container is read as parallel branches and the branch with the largest kernel wins (Inception).
    """
    if getattr(mod, "rf_kernel", None) is not None:
        return (int(mod.rf_kernel), int(getattr(mod, "rf_stride", 1) or 1), int(getattr(mod, "rf_padding", 0) or 0))
    if isinstance(mod, _CONVS + _POOLS):
        k = _pair(mod.kernel_size)
        d = _pair(getattr(mod, "dilation", 1))
        s = _pair(mod.stride if mod.stride is not None else mod.kernel_size)
        k_eff = d * (k - 1) + 1
        p = mod.padding
        if isinstance(p, str):  # Conv2d padding="same" / "valid"
            p = (k_eff - 1) // 2 if p == "same" else 0
        return (k_eff, s, _pair(p))
    children = list(mod.children())
    if not children:
        return None
    parts = [c for c in (footprint(c) for c in children) if c is not None]
    if not parts:
        return None
    if isinstance(mod, nn.Sequential):
        k, s, p = parts[0]
        for k2, s2, p2 in parts[1:]:
            k, s, p = k + (k2 - 1) * s, s * s2, p + p2 * s
        return (k, s, p)
    return max(parts, key=lambda t: t[0])


def adaptive_footprint(n_in: int, n_out: int) -> tuple[int, int, int]:
    """Largest window and step of an adaptive pool from ``n_in`` to ``n_out`` (exact when n_in % n_out == 0)."""
    windows = [math.ceil((i + 1) * n_in / n_out) - (i * n_in) // n_out for i in range(n_out)]
    return (max(windows), max(1, n_in // n_out), 0)


def receptive_field_recurrence(layers: Iterable[tuple[int, int]],
                               start: tuple[int, int] = (1, 1)) -> list[tuple[int, int]]:
    """Receptive field and jump after each ``(kernel, stride)`` layer (hand-written: the point of VGG Sect. 2.3).

    ``r_out = r_in + (k - 1) * j_in`` and ``j_out = j_in * s``, starting from one pixel ``(r, j) = (1, 1)``.
    Three 3x3 stride-1 layers: ``[(3, 1), (5, 1), (7, 1)]``; AlexNet's conv1 11/4 then pool 3/2: ``(11, 4), (19, 8)``.
    """
    r, j = start
    out = []
    for k, s in layers:
        if k < 1 or s < 1:
            raise ValueError(f"kernel {k} / stride {s}: both must be >= 1")
        r, j = r + (k - 1) * j, j * s
        out.append((r, j))
    return out


def receptive_fields(kernels: Sequence[tuple[int, int]], flat: Sequence[bool], side: int
                     ) -> list[tuple[int, int | None]]:
    """``(rf, jump)`` after each row of a layer table, down the rows: the recurrence on each ``(kernel, stride)``;
    from the first ``flat`` row (an FC layer) on, every unit sees the whole ``side``-pixel input and has no jump."""
    out: list[tuple[int, int | None]] = []
    r, j = 1, 1
    for (k, s), is_flat in zip(kernels, flat):
        if is_flat or (out and out[-1][1] is None):
            out.append((side, None))
        else:
            (r, j), = receptive_field_recurrence([(k, s)], start=(r, j))
            out.append((r, j))
    return out


def empirical_receptive_field(
    module: nn.Module,
    input_size: int | Sequence[int],
    out_index: Sequence[int] | None = None,
    *,
    dtype: torch.dtype = torch.float64,
) -> int | tuple[int, int]:
    """Measure a receptive field by back-propagation: the side of the input region that reaches one output unit.

    On a CPU deep copy of ``module`` (eval mode): every weight with >= 2 dims is set to ``1 / fan_in``, 1-d weights
    (BatchNorm scale) to 1, biases and running means to 0, running variances to 1; max pools become average pools
    of the same geometry (a max pool's gradient reaches one input per window, which would shrink the region). With
    an all-ones input everything stays positive, so ReLUs pass gradients and no path cancels. The gradient of an
    output unit is then non-zero exactly on its receptive field. ``out_index`` picks one unit (indices without the
    batch dim, e.g. ``(c, i, j)``); by default all channels at the spatial centre are summed, so a block whose
    branches have different kernels (Inception) reports its widest. Returns the side length (an int), or
    ``(height, width)`` if they differ. Use a small module (a few layers, few channels): it runs for real.
    Warns when the region touches the input border (then it may be clipped: use a larger input).
    """
    shape = one_image_shape(input_size)
    net = copy.deepcopy(module).to(device="cpu", dtype=dtype).eval()
    for parent in list(net.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.modules.pooling._MaxPoolNd) and child.dilation in (1, (1, 1)):
                setattr(parent, name, nn.AvgPool2d(child.kernel_size, child.stride, child.padding,
                                                   ceil_mode=child.ceil_mode, count_include_pad=True))
            elif isinstance(child, nn.AdaptiveMaxPool2d):
                setattr(parent, name, nn.AdaptiveAvgPool2d(child.output_size))
    with torch.no_grad():
        for pname, p in net.named_parameters():
            if pname.endswith("bias"):
                p.zero_()
            elif p.dim() >= 2:
                p.fill_(1.0 / (p.numel() // p.shape[0]))
            else:
                p.fill_(1.0)
        for bname, b in net.named_buffers():
            if bname.endswith("running_mean"):
                b.zero_()
            elif bname.endswith("running_var"):
                b.fill_(1.0)
    x = torch.ones(shape, dtype=dtype, requires_grad=True)
    y = first_tensor(net(x))
    if y is None:
        raise ValueError(f"{type(module).__name__} returned no tensor; cannot pick an output unit")
    if out_index is None:  # every channel at the spatial centre: the union of the units' fields (Inception branches)
        out_index = (slice(None),) + tuple(n // 2 for n in y.shape[2:])
    else:
        out_index = tuple(out_index)
        if len(out_index) != y.dim() - 1:
            raise ValueError(f"out_index={out_index} must index the output {tuple(y.shape[1:])} "
                             "(without the batch dim)")
    y[(0, *out_index)].sum().backward()
    hit = x.grad[0].abs().sum(0) > 0
    rows = torch.nonzero(hit.any(1)).flatten()
    cols = torch.nonzero(hit.any(0)).flatten()
    if rows.numel() == 0:
        raise ValueError(f"output unit {out_index} of {type(module).__name__} does not depend on the input")
    h = int(rows[-1] - rows[0] + 1)
    w = int(cols[-1] - cols[0] + 1)
    if rows[0] == 0 or rows[-1] == shape[2] - 1 or cols[0] == 0 or cols[-1] == shape[3] - 1:
        warnings.warn(f"the receptive field of {type(module).__name__} output {out_index} reaches the border of the "
                      f"{shape[2]}x{shape[3]} input and may be clipped; measure with a larger input_size",
                      stacklevel=2)
    return h if h == w else (h, w)
