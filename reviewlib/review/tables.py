"""Models as tables: layer shapes, parameters, multiply-adds, neurons and receptive fields.

The papers describe their networks as tables (AlexNet Sect. 3.5 and Fig. 2, VGG Table 1 and Table 2, GoogLeNet
Table 1). :func:`layer_table` rebuilds such a table from a live model, so every number a notebook quotes is
computed, not copied:

* output shapes come from forward hooks on one image in eval mode (so GoogLeNet's auxiliary heads, which do not run
  at inference, are not rows);
* parameters are counted from the modules themselves;
* multiply-adds come from :class:`torch.utils.flop_counter.FlopCounterMode`, attributed to each row by reading its
  running total before and after the row runs. ``FlopCounterMode`` counts convolutions and matrix products only, two
  FLOPs per multiply-add, so ``MACs = flops / 2``. This is the convention of torchvision's ``weights.meta["_ops"]``
  (its "GFLOPS" are in fact multiply-adds): AlexNet 0.714, VGG-16 15.47, GoogLeNet 1.498 G per 224x224 image, and of
  GoogLeNet's "1.5 billion multiply-adds" budget (Sect. 5). Pooling, ReLU, LRN and BatchNorm count zero;
* receptive fields use the standard recurrence ``r_out = r_in + (k - 1) * j_in``, ``j_out = j_in * s`` (hand-written,
  because the receptive field is what VGG Sect. 2.3 is about: three 3x3 layers see 7x7).
  :func:`empirical_receptive_field` checks it by back-propagating from one output unit.

Row rules (the contract with :mod:`reviewlib.nets`; torchvision's models follow it too):

* ``model.layer_names: dict[str, str]`` (optional) maps module paths (``"features.0"``) to display names (``"conv1"``);
* a module with ``atomic_row = True`` (or a ``row_kind``, or torchvision's ``BasicConv2d``, ``Inception`` and
  ``InceptionAux``) is one row and its children are not rows;
* ``rf_kernel``, ``rf_stride``, ``rf_padding`` (optional) give a composite row's kernel for the receptive field;
  otherwise they are read from ``Conv2d``/``MaxPool2d``/``AvgPool2d`` (for a composite module, the branch with the
  largest kernel, composing ``nn.Sequential`` branches layer by layer);
* ``row_kind`` (optional) is the ``kind`` column; otherwise conv / fc / pool / lrn / inception / aux / other;
* ReLU, Dropout, Flatten and other parameter-free modules are not rows; a ``BatchNorm`` that directly follows a
  conv row is folded into it (its parameters are added to that row), as the papers' tables have no BN rows.
"""
from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import torch
import torchinfo
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..errors import ConfigError

try:  # torchvision's composite blocks are atomic rows too
    from torchvision.models.googlenet import BasicConv2d as _TVBasicConv2d
    from torchvision.models.googlenet import Inception as _TVInception
    from torchvision.models.googlenet import InceptionAux as _TVInceptionAux
    from torchvision.models.inception import BasicConv2d as _TVBasicConv2dV3

    _TV_ATOMIC: dict[type, str] = {
        _TVBasicConv2d: "conv",
        _TVBasicConv2dV3: "conv",
        _TVInception: "inception",
        _TVInceptionAux: "aux",
    }
except ImportError:  # pragma: no cover - torchvision is a dependency
    _TV_ATOMIC = {}

__all__ = [
    "COLUMNS",
    "WEIGHT_KINDS",
    "layer_table",
    "model_params",
    "param_breakdown",
    "receptive_field",
    "receptive_field_recurrence",
    "empirical_receptive_field",
    "macs_total",
    "count_neurons",
    "summary",
]

#: Columns of :func:`layer_table`, in order.
COLUMNS = [
    "name", "path", "kind", "kernel", "stride", "padding", "output", "out_h", "out_w", "out_c",
    "neurons", "params", "macs", "rf", "jump",
]
#: Row kinds whose outputs the papers count as neurons (AlexNet's "650,000 neurons" are conv and FC outputs).
WEIGHT_KINDS = ("conv", "fc", "inception")

_POOLS = (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd)
_ADAPTIVE_POOLS = (nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)
_CONVS = (nn.modules.conv._ConvNd,)
_NORMS = (nn.modules.batchnorm._BatchNorm,)


# --------------------------------------------------------------------------------------------------- input sizes
def _input_shape(input_size: Any) -> tuple[int, int, int, int]:
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


def _pair(v: Any) -> int:
    """The height component of an int-or-tuple layer attribute (all kernels in the three papers are square)."""
    return int(v[0]) if isinstance(v, (tuple, list)) else int(v)


# ----------------------------------------------------------------------------------------------------- row rules
def _is_lrn(m: nn.Module) -> bool:
    return isinstance(m, (nn.LocalResponseNorm, nn.CrossMapLRN2d)) or type(m).__name__ == "LocalResponseNorm"


def _is_atomic(m: nn.Module) -> bool:
    if getattr(m, "atomic_row", False) or type(m) in _TV_ATOMIC:
        return True
    # a composite module that names its own kind is one row (lenient reading of the contract)
    return getattr(m, "row_kind", None) is not None and any(True for _ in m.children())


def _leaf_kind(m: nn.Module) -> str | None:
    """Kind of a leaf module, or None when it is not a row (ReLU, Dropout, Flatten, ...)."""
    kind = getattr(m, "row_kind", None)
    if kind is not None:
        return str(kind)
    if isinstance(m, _CONVS):
        return "conv"
    if isinstance(m, nn.Linear):
        return "fc"
    if isinstance(m, _POOLS + _ADAPTIVE_POOLS):
        return "pool"
    if _is_lrn(m):
        return "lrn"
    if isinstance(m, _NORMS):
        return "bn"
    if any(True for _ in m.parameters(recurse=False)):
        return "other"
    return None


def _atomic_kind(m: nn.Module) -> str:
    kind = getattr(m, "row_kind", None)
    if kind is not None:
        return str(kind)
    if type(m) in _TV_ATOMIC:
        return _TV_ATOMIC[type(m)]
    cls = type(m).__name__.lower()
    if "inception" in cls:
        return "inception"
    if "aux" in cls:
        return "aux"
    if any(isinstance(c, _CONVS) for c in m.modules()):
        return "conv"
    if any(isinstance(c, nn.Linear) for c in m.modules()):
        return "fc"
    return "other"


def _row_modules(model: nn.Module) -> dict[nn.Module, tuple[str, str]]:
    """module -> (path, kind) for every row module, in registration order (atomic modules are not descended)."""
    rows: dict[nn.Module, tuple[str, str]] = {}

    def visit(mod: nn.Module, path: str) -> None:
        if mod in rows:
            return
        if path and _is_atomic(mod):
            rows[mod] = (path, _atomic_kind(mod))
            return
        children = list(mod.named_children())
        if not children:
            kind = _leaf_kind(mod)
            if kind is not None:
                rows[mod] = (path or type(mod).__name__, kind)
            return
        for name, child in children:
            visit(child, f"{path}.{name}" if path else name)

    visit(model, "")
    return rows


def _compose(mod: nn.Module) -> tuple[int, int, int] | None:
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
    parts = [c for c in (_compose(c) for c in children) if c is not None]
    if not parts:
        return None
    if isinstance(mod, nn.Sequential):
        k, s, p = parts[0]
        for k2, s2, p2 in parts[1:]:
            k, s, p = k + (k2 - 1) * s, s * s2, p + p2 * s
        return (k, s, p)
    return max(parts, key=lambda t: t[0])


def _adaptive_geometry(n_in: int, n_out: int) -> tuple[int, int, int]:
    """Largest window and step of an adaptive pool from ``n_in`` to ``n_out`` (exact when n_in % n_out == 0)."""
    windows = [math.ceil((i + 1) * n_in / n_out) - (i * n_in) // n_out for i in range(n_out)]
    return (max(windows), max(1, n_in // n_out), 0)


def _display_names(model: nn.Module, paths: Sequence[str], kinds: Sequence[str], names: str,
                   modules: Sequence[nn.Module]) -> list[str]:
    if names not in ("model", "path", "auto"):
        raise ValueError(f"names={names!r}: use 'model' (model.layer_names, else module paths), 'path' or 'auto'")
    mapping = getattr(model, "layer_names", None) or {}
    out: list[str] = []
    counts: dict[str, int] = {}
    for path, kind, mod in zip(paths, kinds, modules):
        if names == "model":
            out.append(str(mapping.get(path, path)))
        elif names == "path":
            out.append(path)
        else:  # Caffe-style names: conv1, pool1, norm1, ..., fc6 (weight layers are numbered together)
            if kind in ("conv", "fc"):
                counts["weight"] = counts.get("weight", 0) + 1
                out.append(f"{kind}{counts['weight']}")
            elif kind in ("pool", "lrn") and not isinstance(mod, _ADAPTIVE_POOLS):
                counts[kind] = counts.get(kind, 0) + 1
                out.append(f"{'norm' if kind == 'lrn' else 'pool'}{counts[kind]}")
            else:
                out.append(path.rsplit(".", 1)[-1])
    seen: dict[str, int] = {}
    for i, n in enumerate(out):  # a module called twice gives two rows: name, name#2
        seen[n] = seen.get(n, 0) + 1
        if seen[n] > 1:
            out[i] = f"{n}#{seen[n]}"
    return out


# ------------------------------------------------------------------------------------------------ forward trace
def _first_tensor(x: Any) -> torch.Tensor | None:
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (tuple, list)):
        for v in x:
            t = _first_tensor(v)
            if t is not None:
                return t
    return None


def _model_device(model: nn.Module) -> torch.device:
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def _forward(model: nn.Module, shape: tuple[int, ...], device: torch.device) -> Any:
    """One forward pass of a zero image; on ``meta`` the weights are swapped for meta copies for this call only
    (shapes and FLOPs need no arithmetic), so the model itself is untouched."""
    x = torch.zeros(shape, device=device)
    if device.type == "meta" and _model_device(model).type != "meta":
        state = {k: torch.empty_like(v, device="meta") for k, v in model.state_dict(keep_vars=True).items()}
        return torch.func.functional_call(model, state, (x,), strict=False)
    return model(x)


class _OnDevice:
    """Context manager: move ``model`` to ``device`` (not for meta) and back to where it was."""

    def __init__(self, model: nn.Module, device: torch.device):
        self.model, self.device, self.home = model, device, _model_device(model)
        self.moved = device.type != "meta" and device != self.home

    def __enter__(self) -> None:
        if self.moved:
            self.model.to(self.device)

    def __exit__(self, *exc: Any) -> None:
        if self.moved:
            self.model.to(self.home)


def _with_device(fn: Any, model: nn.Module, device: torch.device | str | None) -> Any:
    """``fn(device)`` on meta when ``device`` is None (falling back to the model's device if meta fails), else on
    ``device`` with the model moved there and back."""
    if device is None:
        try:
            return fn(torch.device("meta"))
        except ConfigError as err:
            if isinstance(err.__cause__, ConfigError):  # the model itself refused the input (e.g. FixedInput)
                raise
            return fn(_model_device(model))
    device = torch.device(device)
    with _OnDevice(model, device):
        return fn(device)


def _trace(model: nn.Module, shape: tuple[int, ...], device: torch.device) -> list[dict[str, Any]]:
    """Run one image through ``model`` in eval mode; one record per row-module call, in forward order."""
    rows = _row_modules(model)
    records: list[dict[str, Any]] = []
    current: list[str] = []
    counter = FlopCounterMode(display=False)

    def pre_hook(mod: nn.Module, args: tuple) -> None:
        current.append(rows[mod][0])
        x = _first_tensor(args)
        records.append({"module": mod, "in_shape": tuple(x.shape) if x is not None else None,
                        "flops0": counter.get_total_flops()})

    def post_hook(mod: nn.Module, args: tuple, output: Any) -> None:
        rec = next(r for r in reversed(records) if r["module"] is mod and "out_shape" not in r)
        y = _first_tensor(output)
        rec["out_shape"] = tuple(y.shape) if y is not None else None
        rec["flops"] = counter.get_total_flops() - rec.pop("flops0")
        current.pop()

    handles = []
    for mod in rows:
        handles.append(mod.register_forward_pre_hook(pre_hook))
        handles.append(mod.register_forward_hook(post_hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), counter:
            _forward(model, shape, device)
    except Exception as err:
        where = f" in {current[-1]}" if current else ""
        hint = "" if isinstance(err, ConfigError) else (
            " If a feature map became smaller than a kernel, use a larger input_size.")
        raise ConfigError(f"forward pass of {type(model).__name__} failed{where} with input {tuple(shape[1:])} "
                          f"(C, H, W): {str(err).rstrip('.')}.{hint}") from err
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    for rec in records:
        rec["path"], rec["kind"] = rows[rec["module"]]
    return records


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


def layer_table(
    model: nn.Module,
    input_size: int | Sequence[int] = 224,
    *,
    device: torch.device | str | None = None,
    names: str = "model",
    total: bool = True,
) -> pd.DataFrame:
    """The model as the papers' layer tables: one row per layer in forward (eval) order, plus a ``total`` row.

    Columns (:data:`COLUMNS`): ``name`` (``model.layer_names`` or the module path; ``names="auto"`` gives Caffe
    names conv1, pool1, norm1, fc6, weight layers numbered together; adaptive pools and composite rows keep
    their attribute name, e.g. ``avgpool``, ``inception3a``), ``path``, ``kind``, ``kernel``/``stride``/``padding``
    (height component; a composite row reports its widest branch), ``output`` as the papers write it
    (``"55x55x96"``, H x W x C; FC rows ``"1x1x4096"``), ``out_h``/``out_w``/``out_c``, ``neurons`` (output elements per image), ``params`` (of that
    row's modules, each module counted once), ``macs`` (multiply-adds per image, FlopCounterMode flops / 2, see the
    module docstring), ``rf`` and ``jump`` (receptive field and stride in input pixels along the row order; an FC
    row sees the whole input, so its ``rf`` is the input height and its ``jump`` is NA).

    The ``total`` row sums ``params`` and ``macs`` over all rows and ``neurons`` over :data:`WEIGHT_KINDS` rows,
    the paper's convention (LRN and pooling outputs are not extra neurons).

    ``device=None`` traces on PyTorch's ``meta`` device (exact shapes and counts, no arithmetic, so VGG-16 takes
    milliseconds) and falls back to the model's own device if a module cannot run on meta; any other device runs a
    real forward pass there (the model is moved there and back).
    """
    shape = _input_shape(input_size)
    records = _with_device(lambda dev: _trace(model, shape, dev), model, device)
    return _records_to_table(model, records, shape, names=names, total=total)


def _records_to_table(model: nn.Module, records: list[dict[str, Any]], shape: tuple[int, ...], *,
                      names: str, total: bool) -> pd.DataFrame:
    counted: set[int] = set()
    rows: list[dict[str, Any]] = []
    for rec in records:
        mod = rec["module"]
        params = 0
        for p in mod.parameters():
            if id(p) not in counted:
                counted.add(id(p))
                params += p.numel()
        out = rec.get("out_shape")
        if out is None:
            raise ConfigError(f"{rec['path']}: its forward returned no tensor; "
                              "layer_table cannot read its output shape")
        if len(out) == 4:
            oc, oh, ow = out[1], out[2], out[3]
        elif len(out) == 2:
            oc, oh, ow = out[1], 1, 1
        else:
            oc, oh, ow = math.prod(out[1:]), 1, 1
        kind = rec["kind"]
        # BatchNorm right after a conv row: fold it in (the papers' tables have no BN rows)
        if kind == "bn" and rows and rows[-1]["kind"] == "conv" and (rows[-1]["out_c"], rows[-1]["out_h"]) == (oc, oh):
            rows[-1]["params"] += params
            rows[-1]["macs"] += int(rec["flops"]) // 2
            continue
        geom = None
        in_shape = rec.get("in_shape")
        if kind == "fc" or isinstance(mod, nn.Linear):
            geom = None
        elif isinstance(mod, _ADAPTIVE_POOLS) and in_shape is not None and len(in_shape) == 4:
            geom = _adaptive_geometry(in_shape[2], oh)
        elif kind not in ("lrn", "bn"):
            geom = _compose(mod)
            if geom is None and in_shape is not None and len(in_shape) == 4 and len(out) == 4:
                geom = (1, max(1, in_shape[2] // oh), 0)  # unknown module: assume it only resamples
        rows.append({
            "path": rec["path"], "kind": kind, "module": mod,
            "kernel": geom[0] if geom else pd.NA, "stride": geom[1] if geom else pd.NA,
            "padding": geom[2] if geom else pd.NA,
            "output": f"{oh}x{ow}x{oc}", "out_h": oh, "out_w": ow, "out_c": oc,
            "neurons": oh * ow * oc, "params": params, "macs": int(rec["flops"]) // 2,
        })
    # receptive field along the row order; once the maps are flattened every unit sees the whole input
    r, j, flat = 1, 1, False
    for row in rows:
        if row["kind"] == "fc" or isinstance(row["module"], nn.Linear) or flat:
            flat = True
            row["rf"], row["jump"] = shape[2], pd.NA
            continue
        k = row["kernel"] if row["kernel"] is not pd.NA else 1
        s = row["stride"] if row["stride"] is not pd.NA else 1
        (r, j), = receptive_field_recurrence([(k, s)], start=(r, j))
        row["rf"], row["jump"] = r, j
    display = _display_names(model, [r["path"] for r in rows], [r["kind"] for r in rows], names,
                             [r["module"] for r in rows])
    for row, name in zip(rows, display):
        row["name"] = name
        del row["module"]
    df = pd.DataFrame(rows, columns=COLUMNS)
    if total:
        tot = {c: pd.NA for c in COLUMNS}
        tot.update(name="total", path="", kind="", output="",
                   neurons=int(df.loc[df["kind"].isin(WEIGHT_KINDS), "neurons"].sum()),
                   params=int(df["params"].sum()), macs=int(df["macs"].sum()))
        df = pd.concat([df, pd.DataFrame([tot], columns=COLUMNS)], ignore_index=True)
    for c in ("kernel", "stride", "padding", "out_h", "out_w", "out_c", "rf", "jump"):
        df[c] = df[c].astype("Int64")
    for c in ("neurons", "params", "macs"):
        df[c] = df[c].astype("int64")
    return df


def _rows_only(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["name"] != "total"]


# ----------------------------------------------------------------------------------------------- parameter counts
def model_params(model: nn.Module, trainable_only: bool = False) -> int:
    """All parameters of ``model`` (shared tensors once), including heads that only run in training (GoogLeNet aux)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def param_breakdown(model: nn.Module, by: str = "block") -> pd.DataFrame:
    """Where the parameters are: columns ``[by, "params", "share"]``, shares summing to 1.

    ``by="block"``: top-level children (AlexNet/VGG ``features``/``classifier``; GoogLeNet ``conv1`` ...
    ``inception5b``, ``aux1``, ``aux2``, ``fc``), named through ``model.layer_names`` when it lists them.
    ``by="layer"``: one row per row module (as in :func:`layer_table`, but static, so aux heads are included and
    BatchNorm is folded into the conv before it). ``by="kind"``: ``conv``, ``fc`` and ``other`` (BatchNorm, ...),
    by the leaf module owning each tensor — e.g. AlexNet's FC share (Sect. 3.5: most of its 60M parameters).
    All parameters count, including training-only heads; see :func:`layer_table` for the inference-time view.
    """
    mapping = getattr(model, "layer_names", None) or {}
    groups: dict[str, int] = {}
    seen: set[int] = set()

    def count(mod: nn.Module, recurse: bool = True) -> int:
        n = 0
        for p in mod.parameters(recurse=recurse):
            if id(p) not in seen:
                seen.add(id(p))
                n += p.numel()
        return n

    if by == "block":
        own = count(model, recurse=False)
        if own:
            groups["(root)"] = own
        for name, child in model.named_children():
            n = count(child)
            if n:
                key = str(mapping.get(name, name))
                groups[key] = groups.get(key, 0) + n
    elif by == "layer":
        last_conv = None
        for mod, (path, kind) in _row_modules(model).items():
            n = count(mod)
            if kind == "bn" and last_conv is not None:
                groups[last_conv] += n
                continue
            key = str(mapping.get(path, path))
            groups[key] = groups.get(key, 0) + n
            last_conv = key if kind == "conv" else None
        groups = {k: v for k, v in groups.items() if v}
    elif by == "kind":
        groups = {"conv": 0, "fc": 0, "other": 0}
        for mod in model.modules():
            kind = "conv" if isinstance(mod, _CONVS) else "fc" if isinstance(mod, nn.Linear) else "other"
            groups[kind] += count(mod, recurse=False)
    else:
        raise ValueError(f"param_breakdown(by={by!r}): use 'block', 'layer' or 'kind'")
    total = sum(groups.values())
    if total == 0:
        raise ValueError(f"{type(model).__name__} has no parameters to break down")
    return pd.DataFrame({by: list(groups), "params": list(groups.values()),
                         "share": [v / total for v in groups.values()]})


# ------------------------------------------------------------------------------------------------ receptive field
def receptive_field(model_or_table: nn.Module | pd.DataFrame, input_size: int | Sequence[int] = 224,
                    **table_kw: Any) -> pd.DataFrame:
    """Per-row receptive field (``rf``) and jump from :func:`layer_table` (or from a table already built)."""
    table = model_or_table if isinstance(model_or_table, pd.DataFrame) else layer_table(
        model_or_table, input_size, **table_kw)
    return _rows_only(table)[["name", "kind", "kernel", "stride", "padding", "output", "rf", "jump"]].reset_index(
        drop=True)


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
    shape = _input_shape(input_size)
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
    y = _first_tensor(net(x))
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


# ----------------------------------------------------------------------------------------- paper-style totals
def macs_total(model: nn.Module, input_size: int | Sequence[int] = 224, *, device: torch.device | str | None = None
               ) -> int:
    """Multiply-adds of one eval-mode forward pass (all conv/linear ops, FlopCounterMode flops / 2).

    Same convention as torchvision's ``weights.meta["_ops"]`` (AlexNet 0.714 G) and GoogLeNet's "1.5 billion
    multiply-adds" (Sect. 5). Uses the meta device unless ``device`` is given, like :func:`layer_table`.
    """
    shape = _input_shape(input_size)

    def run(dev: torch.device) -> int:
        counter = FlopCounterMode(display=False)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad(), counter:
                _forward(model, shape, dev)
        except Exception as err:
            raise ConfigError(f"forward pass of {type(model).__name__} failed with input {shape[1:]}: {err}") from err
        finally:
            model.train(was_training)
        return int(counter.get_total_flops()) // 2

    return _with_device(run, model, device)


def count_neurons(model: nn.Module, input_size: int | Sequence[int] = 224, kinds: Iterable[str] = WEIGHT_KINDS,
                  **table_kw: Any) -> int:
    """Output elements per image of the rows of ``kinds`` (AlexNet's abstract: 650,000 neurons = conv + FC outputs)."""
    table = _rows_only(layer_table(model, input_size, total=False, **table_kw))
    return int(table.loc[table["kind"].isin(tuple(kinds)), "neurons"].sum())


def summary(model: nn.Module, input_size: int | Sequence[int] = 224, *, depth: int = 3, verbose: int = 0,
            col_names: Iterable[str] = ("output_size", "num_params", "mult_adds"), **kwargs: Any
            ) -> torchinfo.ModelStatistics:
    """torchinfo's summary of one image in eval mode (print it, or ``str()`` it, in a notebook).

    A thin wrapper: ``input_size`` accepts the same forms as :func:`layer_table`; other keywords go to
    :func:`torchinfo.summary`. It runs a real forward pass on the model's device.
    """
    return torchinfo.summary(model, input_size=_input_shape(input_size), depth=depth, verbose=verbose,
                             col_names=tuple(col_names), device=_model_device(model), mode="eval", **kwargs)
