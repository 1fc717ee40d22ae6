"""Crop a box out of every image of a batch and resize it to ``size x size``, all boxes at once, on any device.

A box is ``(x0, y0, x1, y1)`` in [0, 1] coordinates of the (square) image, so the same box means the same part of
the picture whatever the stored resolution. Output pixel ``j`` of a box reads the image at

    u_j = x0 + (j + 0.5) * (x1 - x0) / size        (in [0, 1]; pixel i of an S-pixel row covers [i/S, (i+1)/S])

which is where "resize the whole image so the box is ``size`` pixels wide, then crop the box" reads it (PyTorch's
and torchvision's ``align_corners=False`` convention). The four interpolations GoogLeNet Sect. 6 draws from:

- ``bilinear``: ``torchvision.ops.roi_align(aligned=True, sampling_ratio=0)``. When the box is upsampled (at most
  one image pixel per output pixel) it reads one bilinear sample at ``u_j``: exactly resize (bilinear,
  ``antialias=False``) then crop. ``F.grid_sample`` at the same points gives the same numbers two to three times
  faster on a CPU, so upsampled boxes take that route. When the box is shrunk, roi_align averages
  ``ceil(S * (x1 - x0) / size)`` bilinear samples per output pixel in each direction (a box filter over the output
  pixel's footprint): it equals resize-by-that-factor then average-pool, and is close to, but not the same as,
  torchvision's ``antialias=True`` resize (a triangle filter).
- ``area``: the mean of the image (pixels as constant squares) over each output pixel's footprint, OpenCV's
  INTER_AREA. Where no footprint is wider than a pixel (enlarging) that mean mixes at most two pixels per direction
  and is one bilinear read at a shifted point (exact); where a box is shrunk, roi_align with ``sampling_ratio=k``
  (``k = ceil(shrink)``) takes the mean of ``k x k`` bilinear samples over the footprint instead.
- ``nearest``: the image pixel under ``u_j`` (``floor(u_j * S)``), torchvision's ``NEAREST_EXACT`` (and PIL's
  nearest) rule; read as whole-row copies, columns then rows (:func:`_nearest`). (``grid_sample``'s nearest
  rounds half to even and would differ where ``u_j`` falls exactly on a pixel edge.)
- ``bicubic``: Keys' cubic (a = -0.75, edge pixels repeated) at the same points, in two matrix products for small
  images, ``F.grid_sample(mode="bicubic")`` for large ones (:func:`_bicubic`): exactly
  ``F.interpolate(mode="bicubic", align_corners=False)`` then crop.

A horizontal flip reads the points of a row right to left (exact: flipping commutes with all four).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torchvision.ops import roi_align

MODES = ("bilinear", "area", "nearest", "bicubic")


def sample_points(boxes: torch.Tensor, size: int,
                  flip: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(u, v)``, each ``[n, size]``: where output column ``j`` / row ``i`` of each box reads, in [0, 1] units
    (float64; a flipped box reads its row right to left)."""
    boxes = boxes.double()
    steps = (torch.arange(size, dtype=torch.float64) + 0.5) / size
    x0, y0, x1, y1 = boxes.unbind(1)
    if flip is not None:  # right to left: from x1, stepping back
        x0, x1 = torch.where(flip, x1, x0), torch.where(flip, x0, x1)
    u = x0[:, None] + steps * (x1 - x0)[:, None]
    v = y0[:, None] + steps * (y1 - y0)[:, None]
    return u, v


def shrink(boxes: torch.Tensor, side: int, size: int) -> torch.Tensor:
    """Image pixels per output pixel of each box (its larger direction); <= 1 means the box is upsampled."""
    wh = (boxes[:, 2:] - boxes[:, :2]).double() * side / size
    return wh.max(1).values


def _read(x: torch.Tensor, u: torch.Tensor, v: torch.Tensor, mode: str) -> torch.Tensor:
    """grid_sample of each image at columns ``u [n, size]`` and rows ``v [n, size]`` ([0, 1] units)."""
    n, size = u.shape
    gx = (2 * u - 1).to(x.device, x.dtype, non_blocking=True)  # grid_sample's [-1, 1], align_corners=False
    gy = (2 * v - 1).to(x.device, x.dtype, non_blocking=True)
    grid = torch.stack([gx[:, None, :].expand(n, size, size), gy[:, :, None].expand(n, size, size)], dim=-1)
    return F.grid_sample(x, grid, mode=mode, padding_mode="border", align_corners=False)


def _grid(x: torch.Tensor, boxes: torch.Tensor, size: int, flip, mode: str) -> torch.Tensor:
    return _read(x, *sample_points(boxes, size, flip), mode)


def _roi(x: torch.Tensor, boxes: torch.Tensor, size: int, flip, sampling_ratio: int) -> torch.Tensor:
    side = x.shape[-1]
    index = torch.arange(len(boxes), dtype=torch.float64)[:, None]
    rois = torch.cat([index, boxes.double() * side], dim=1).to(x.device, x.dtype, non_blocking=True)
    out = roi_align(x, rois, (size, size), spatial_scale=1.0, sampling_ratio=sampling_ratio, aligned=True)
    if flip is not None and bool(flip.any()):
        which = flip.nonzero().flatten().to(x.device)
        out.index_copy_(0, which, out.index_select(0, which).flip(-1))
    return out


def _each(x, boxes, size, flip, parts) -> torch.Tensor:
    """``parts``: (which images [n] bool, reader); each reader reads its images (one call when one has them all)."""
    parts = [(which, read) for which, read in parts if bool(which.any())]
    if len(parts) == 1:
        return parts[0][1](x, boxes, size, flip)
    out = x.new_empty(len(boxes), x.shape[1], size, size)
    for which, read in parts:
        i = which.nonzero().flatten()
        at = i.to(x.device)
        out.index_copy_(0, at, read(x.index_select(0, at), boxes[i], size, None if flip is None else flip[i]))
    return out


def _enlarged(boxes: torch.Tensor, side: int, size: int) -> torch.Tensor:
    return shrink(boxes, side, size) <= 1 + 1e-6  # at most one image pixel per output pixel


def _bilinear_enlarged(x, boxes, size, flip):
    return _grid(x, boxes, size, flip, "bilinear")  # one sample per output pixel: what roi_align reads, faster


def _bilinear_shrunk(x, boxes, size, flip):
    return _roi(x, boxes, size, flip, 0)


def _bilinear(x, boxes, size, flip):
    up = _enlarged(boxes, x.shape[-1], size)
    return _each(x, boxes, size, flip, [(up, _bilinear_enlarged), (~up, _bilinear_shrunk)])


def _footprint_points(start: torch.Tensor, stop: torch.Tensor, size: int, side: int) -> torch.Tensor:
    """Where a bilinear read gives the mean over each output pixel's footprint when no footprint is wider than
    one image pixel: inside one pixel, its centre; across the edge ``c`` between two, ``c - 1/2 + t`` with ``t``
    the share of the footprint past ``c`` (OpenCV's INTER_AREA for enlarging). [n, size] in [0, 1] units."""
    j = torch.arange(size + 1, dtype=torch.float64)
    edges = (start[:, None] + j * ((stop - start) / size)[:, None]) * side  # footprint edges, image pixels
    a, b = edges[:, :-1], edges[:, 1:]
    c = a.floor() + 1  # the first pixel edge after a
    t = ((b - c) / (b - a)).clamp(min=0)
    return (a.floor() + t + 0.5) / side


def _area_enlarged(x, boxes, size, flip):
    boxes = boxes.double()
    u = _footprint_points(boxes[:, 0], boxes[:, 2], size, x.shape[-1])
    v = _footprint_points(boxes[:, 1], boxes[:, 3], size, x.shape[-1])
    if flip is not None:
        u = torch.where(flip[:, None], u.flip(1), u)
    return _read(x, u, v, "bilinear")


def _area_shrunk(x, boxes, size, flip):
    k = math.ceil(float(shrink(boxes, x.shape[-1], size).max()) - 1e-6)  # k x k samples over each footprint
    return _roi(x, boxes, size, flip, k)


def _area(x, boxes, size, flip):
    up = _enlarged(boxes, x.shape[-1], size)
    return _each(x, boxes, size, flip, [(up, _area_enlarged), (~up, _area_shrunk)])


def _rows(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``x[i, c, index[i, j], :]`` for ``x [n, C, L, W]`` and ``index [n, m]`` (int64, CPU): ``[n, C, m, W]``, whole
    rows copied (one ``index_select`` over the flattened rows; a ``gather`` reads an index per value, several times
    slower)."""
    n, c, length, width = x.shape
    rows = ((torch.arange(n * c) * length).view(n, c, 1) + index[:, None]).flatten()
    return x.reshape(n * c * length, width).index_select(0, rows.to(x.device, non_blocking=True)).view(n, c, -1, width)


def _nearest(x, boxes, size, flip):
    """Columns (as the rows of the transposed image), then rows: two whole-row copies."""
    side = x.shape[-1]
    u, v = sample_points(boxes, size, flip)
    ix = (u * side).floor().long().clamp_(0, side - 1)
    iy = (v * side).floor().long().clamp_(0, side - 1)
    across = _rows(x.transpose(-1, -2).contiguous(), ix)  # [n, C, size (x), S (y)]
    return _rows(across.transpose(-1, -2).contiguous(), iy)  # [n, C, size (y), size (x)]


CUBIC_A = -0.75  # Keys' kernel parameter, as PyTorch's bicubic


def _cubic_matrix(points: torch.Tensor, side: int) -> torch.Tensor:
    """``[n, size, side]``: row j holds the weights Keys' cubic gives the four image pixels around ``points[:, j]``
    ([0, 1] units) along one axis, edge pixels repeated (PyTorch's coefficients and border rule)."""
    at = points * side - 0.5  # pixel i's centre is at i
    first = at.floor()
    t = (at - first)[..., None]
    a, d = CUBIC_A, torch.cat([t + 1, t, 1 - t, 2 - t], dim=-1)  # distances to pixels first - 1 ... first + 2
    near = ((a + 2) * d - (a + 3)) * d * d + 1  # |d| <= 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a  # 1 < |d| < 2
    weights = torch.cat([far[..., :1], near[..., 1:3], far[..., 3:]], dim=-1)
    index = (first.long()[..., None] + torch.arange(-1, 3)).clamp_(0, side - 1)
    return torch.zeros(*points.shape, side, dtype=torch.float64).scatter_add_(2, index, weights)


#: Above this many multiply-adds per output pixel (``S * (S + size) / size``) bicubic reads with grid_sample's 16
#: taps instead of the dense matrices. Measured on one CPU thread, 16 boxes, freed memory kept: the matrices took
#: 0.5 of grid_sample's time at 64 -> 96 px (107 per pixel), 0.8 at 128 -> 112 (274), 1.0 at 146 -> 130 (310) and
#: 1.35 at 256 -> 224 (549).
MATRIX_MACS_PER_PIXEL = 256


def _bicubic(x, boxes, size, flip):
    """Keys' cubic at the sample points. For small stored sides (the study's), two batched matrix products: the
    4 x 4 pixels each output pixel reads split into a row and a column part (weights ``w(dy) w(dx)``), so box ``i``
    is ``rows_i @ x_i @ cols_i^T`` with ``[size, S]`` matrices of four weights a row: the numbers of
    ``F.grid_sample(mode="bicubic", padding_mode="border")`` at the same points (to float rounding) in about half
    its CPU time at 64 -> 96 px. Dense matrices cost ``S * (S + size) / size`` multiply-adds an output pixel, so
    from :data:`MATRIX_MACS_PER_PIXEL` on grid_sample reads instead."""
    n, c, side = len(x), x.shape[1], x.shape[-1]
    if side * (side + size) > MATRIX_MACS_PER_PIXEL * size:
        return _grid(x, boxes, size, flip, "bicubic")
    u, v = sample_points(boxes, size, flip)
    both = _cubic_matrix(torch.cat([v, u]), side).to(x.device, x.dtype, non_blocking=True)  # rows, then columns
    rows, cols = both[:n], both[n:].transpose(1, 2)  # [n, size, S], [n, S, size]
    by_row = torch.bmm(rows, x.permute(0, 2, 1, 3).reshape(n, side, c * side))  # [n, size, C * S]
    out = torch.bmm(by_row.view(n, size * c, side), cols)  # [n, size * C, size]
    return out.view(n, size, c, size).permute(0, 2, 1, 3).contiguous()


READERS = {"bilinear": _bilinear, "area": _area, "nearest": _nearest, "bicubic": _bicubic}


def crop_resize(x: torch.Tensor, boxes: torch.Tensor, size: int, *, flip: torch.Tensor | None = None,
                modes: torch.Tensor | str = "bilinear") -> torch.Tensor:
    """Box ``i`` of ``x[i]`` resized to ``size x size``.

    ``x``: float ``[n, C, S, S]`` on any device. ``boxes``: ``[n, 4]`` (x0, y0, x1, y1) in [0, 1], on the CPU.
    ``flip``: ``[n]`` bool, mirror the output left-right. ``modes``: one of :data:`MODES`, or ``[n]`` indices into
    it (one interpolation per image). Returns float ``[n, C, size, size]`` on ``x``'s device.
    """
    if x.ndim != 4 or x.shape[-1] != x.shape[-2] or not x.is_floating_point():
        raise ValueError(f"crop_resize: x must be float [n, C, S, S] (square), got {x.dtype} {tuple(x.shape)}")
    if boxes.shape != (len(x), 4):
        raise ValueError(f"crop_resize: boxes must be [{len(x)}, 4], got {tuple(boxes.shape)}")
    if isinstance(modes, str):
        return READERS[modes](x, boxes, size, flip)
    modes = modes.cpu()
    return _each(x, boxes, size, flip, [(modes == m, READERS[name]) for m, name in enumerate(MODES)])
