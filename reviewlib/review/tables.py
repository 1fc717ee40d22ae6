"""Models as tables: layer shapes, parameters, multiply-adds and neurons, row by row.

The papers describe their networks as tables (AlexNet Sect. 3.5 and Fig. 2, VGG Table 1 and Table 2, GoogLeNet
Table 1). :func:`layer_table` rebuilds such a table from a live model, so every number a notebook quotes is
computed, not copied; :func:`layer_totals` sums it the papers' way:

* output shapes come from forward hooks on one image in eval mode (so GoogLeNet's auxiliary heads, which do not run
  at inference, are not rows);
* parameters are counted from the modules themselves;
* multiply-adds come from :class:`torch.utils.flop_counter.FlopCounterMode`, attributed to each row by reading its
  running total before and after the row runs. ``FlopCounterMode`` counts convolutions and matrix products only, two
  FLOPs per multiply-add, so ``MACs = flops / 2``. This is the convention of torchvision's ``weights.meta["_ops"]``
  (its "GFLOPS" are in fact multiply-adds): AlexNet 0.714, VGG-16 15.47, GoogLeNet 1.498 G per 224x224 image, and of
  GoogLeNet's "1.5 billion multiply-adds" budget (Sect. 1). Pooling, ReLU, LRN and BatchNorm count zero (our LRN
  sums its squares with a 1x1 convolution by a 0/1 matrix, which multiplies no weights, so its count is dropped);
* receptive fields (``rf``, ``jump``) use the recurrence of :mod:`reviewlib.review.receptive` (VGG Sect. 2.3).

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

import itertools
import math
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..errors import ConfigError
from ..nets import eval_mode
from .receptive import adaptive_footprint, first_tensor, footprint, one_image_shape, receptive_fields

from torchvision.models.googlenet import BasicConv2d as _TVBasicConv2d
from torchvision.models.googlenet import Inception as _TVInception
from torchvision.models.googlenet import InceptionAux as _TVInceptionAux
from torchvision.models.inception import BasicConv2d as _TVBasicConv2dV3

#: torchvision's composite blocks are atomic rows too.
_TV_ATOMIC: dict[type, str] = {_TVBasicConv2d: "conv", _TVBasicConv2dV3: "conv", _TVInception: "inception",
                               _TVInceptionAux: "aux"}

__all__ = ["COLUMNS", "WEIGHT_KINDS", "layer_table", "layer_totals", "partial_layer_table", "param_breakdown",
           "param_shares", "weight_depth", "macs_total"]

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
def _model_device(model: nn.Module) -> torch.device:
    t = next(itertools.chain(model.parameters(), model.buffers()), None)
    return torch.device("cpu") if t is None else t.device


@contextmanager
def _moved(model: nn.Module, device: torch.device):
    """Move ``model`` to ``device`` for the ``with`` block and back to where it was (nothing moves for meta)."""
    home = _model_device(model)
    moved = device.type != "meta" and device != home
    if moved:
        model.to(device)
    try:
        yield
    finally:
        if moved:
            model.to(home)


def _forward(model: nn.Module, shape: tuple[int, ...], device: torch.device) -> Any:
    """One forward pass of a zero image; on ``meta`` the weights are swapped for meta copies for this call only
    (shapes and FLOPs need no arithmetic), so the model itself is untouched."""
    x = torch.zeros(shape, device=device)
    if device.type == "meta" and _model_device(model).type != "meta":
        state = {k: torch.empty_like(v, device="meta") for k, v in model.state_dict(keep_vars=True).items()}
        return torch.func.functional_call(model, state, (x,), strict=False)
    return model(x)


@dataclass
class _Run:
    """What one traced forward pass left: a record per row-module call (forward order), the multiply-adds of the
    whole pass (FLOPs / 2, LRN's band sums dropped), and the error that stopped it (None when it finished)."""

    records: list[dict[str, Any]]
    macs: int
    error: ConfigError | None


def _trace(model: nn.Module, shape: tuple[int, ...], device: torch.device) -> _Run:
    """Run one image through ``model`` in eval mode under ``FlopCounterMode``, hooks on every row module."""
    rows = _row_modules(model)
    records: list[dict[str, Any]] = []
    current: list[str] = []
    counter = FlopCounterMode(display=False)

    def pre_hook(mod: nn.Module, args: tuple) -> None:
        current.append(rows[mod][0])
        x = first_tensor(args)
        records.append({"module": mod, "path": rows[mod][0], "kind": rows[mod][1],
                        "in_shape": tuple(x.shape) if x is not None else None, "flops0": counter.get_total_flops()})

    def post_hook(mod: nn.Module, args: tuple, output: Any) -> None:
        rec = next(r for r in reversed(records) if r["module"] is mod and "out_shape" not in r)
        y = first_tensor(output)
        rec["out_shape"] = tuple(y.shape) if y is not None else None
        rec["flops"] = counter.get_total_flops() - rec.pop("flops0")
        current.pop()

    handles = [h for mod in rows for h in (mod.register_forward_pre_hook(pre_hook),
                                           mod.register_forward_hook(post_hook))]
    error = None
    try:
        with eval_mode(model), torch.no_grad(), counter:
            _forward(model, shape, device)
    except Exception as err:
        where = f" in {current[-1]}" if current else ""
        hint = "" if isinstance(err, ConfigError) else (
            " If a feature map became smaller than a kernel, use a larger input_size.")
        error = ConfigError(f"forward pass of {type(model).__name__} failed{where} with input {tuple(shape[1:])} "
                            f"(C, H, W): {str(err).rstrip('.')}.{hint}")
        error.__cause__ = err
    finally:
        for h in handles:
            h.remove()
    band_sums = 0
    for rec in records:
        if rec["kind"] == "lrn" and "flops" in rec:
            band_sums += rec["flops"]
            rec["flops"] = 0
    return _Run(records, (int(counter.get_total_flops()) - band_sums) // 2, error)


def _run(model: nn.Module, shape: tuple[int, ...], device: torch.device | str | None) -> _Run:
    """:func:`_trace` on ``device`` (the model moved there and back), or on meta when ``device`` is None, falling
    back to the model's own device when a module cannot run on meta."""
    if device is not None:
        device = torch.device(device)
        with _moved(model, device):
            return _trace(model, shape, device)
    run, home = _trace(model, shape, torch.device("meta")), _model_device(model)
    if run.error is not None and not isinstance(run.error.__cause__, ConfigError) and home.type != "meta":
        run = _trace(model, shape, home)  # (a ConfigError cause: the model itself refused the input)
    return run


# --------------------------------------------------------------------------------------------------- the table
def layer_table(model: nn.Module, input_size: int | Sequence[int] = 224, *, device: torch.device | str | None = None,
                names: str = "model") -> pd.DataFrame:
    """The model as the papers' layer tables: one row per layer in forward (eval) order (totals:
    :func:`layer_totals`).

    Columns (:data:`COLUMNS`): ``name`` (``model.layer_names`` or the module path; ``names="auto"`` gives Caffe
    names conv1, pool1, norm1, fc6, weight layers numbered together; adaptive pools and composite rows keep
    their attribute name, e.g. ``avgpool``, ``inception3a``), ``path``, ``kind``, ``kernel``/``stride``/``padding``
    (height component; a composite row reports its widest branch), ``output`` as the papers write it
    (``"55x55x96"``, H x W x C; FC rows ``"1x1x4096"``), ``out_h``/``out_w``/``out_c``, ``neurons`` (output
    elements per image), ``params`` (of that row's modules, each module counted once), ``macs`` (multiply-adds per
    image, FlopCounterMode flops / 2, see the module docstring), ``rf`` and ``jump`` (receptive field and stride in
    input pixels along the row order; an FC row sees the whole input, so its ``rf`` is the input height and its
    ``jump`` is NA).

    ``device=None`` traces on PyTorch's ``meta`` device (exact shapes and counts, no arithmetic, so VGG-16 takes
    milliseconds) and falls back to the model's own device if a module cannot run on meta; any other device runs a
    real forward pass there (the model is moved there and back).
    """
    shape = one_image_shape(input_size)
    run = _run(model, shape, device)
    if run.error is not None:
        raise run.error
    return _records_to_table(model, run.records, shape, names=names)


def partial_layer_table(model: nn.Module, input_size: int | Sequence[int] = 224, *, names: str = "model"
                        ) -> tuple[pd.DataFrame, ConfigError | None, str | None]:
    """:func:`layer_table` of a model that may not run to the end (a reader's half-built exercise): the rows of the
    layers that finished before the forward pass stopped, the error that stopped it (None if it finished) and the
    path of the innermost row module it stopped in (None if it stopped between layers)."""
    shape = one_image_shape(input_size)
    run = _run(model, shape, None)
    done = [r for r in run.records if "out_shape" in r]
    failed = [r["path"] for r in run.records if "out_shape" not in r]
    return _records_to_table(model, done, shape, names=names), run.error, failed[-1] if failed else None


def _records_to_table(model: nn.Module, records: list[dict[str, Any]], shape: tuple[int, ...], *,
                      names: str) -> pd.DataFrame:
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
        geom, in_shape = None, rec.get("in_shape")
        if isinstance(mod, _ADAPTIVE_POOLS) and in_shape is not None and len(in_shape) == 4:
            geom = adaptive_footprint(in_shape[2], oh)
        elif kind not in ("fc", "lrn", "bn") and not isinstance(mod, nn.Linear):
            geom = footprint(mod)
            if geom is None and in_shape is not None and len(in_shape) == 4 and len(out) == 4:
                geom = (1, max(1, in_shape[2] // oh), 0)  # unknown module: assume it only resamples
        rows.append({
            "path": rec["path"], "kind": kind, "module": mod,
            "kernel": geom[0] if geom else pd.NA, "stride": geom[1] if geom else pd.NA,
            "padding": geom[2] if geom else pd.NA,
            "output": f"{oh}x{ow}x{oc}", "out_h": oh, "out_w": ow, "out_c": oc,
            "neurons": oh * ow * oc, "params": params, "macs": int(rec["flops"]) // 2,
        })
    fc = [row["kind"] == "fc" or isinstance(row["module"], nn.Linear) for row in rows]
    kernels = [(1 if row["kernel"] is pd.NA else row["kernel"], 1 if row["stride"] is pd.NA else row["stride"])
               for row in rows]
    for row, (r, j) in zip(rows, receptive_fields(kernels, fc, shape[2])):
        row["rf"], row["jump"] = r, pd.NA if j is None else j
    display = _display_names(model, [r["path"] for r in rows], [r["kind"] for r in rows], names,
                             [r["module"] for r in rows])
    for row, name in zip(rows, display):
        row["name"] = name
        del row["module"]
    df = pd.DataFrame(rows, columns=COLUMNS)
    nullable = ("kernel", "stride", "padding", "out_h", "out_w", "out_c", "rf", "jump")  # NA where a row has none
    return df.astype({**dict.fromkeys(nullable, "Int64"), **dict.fromkeys(("neurons", "params", "macs"), "int64")})


def layer_totals(table: pd.DataFrame) -> dict[str, int]:
    """The totals the papers quote, from a :func:`layer_table`: ``params`` and ``macs`` over all rows, ``neurons``
    over the :data:`WEIGHT_KINDS` rows only (AlexNet's "650,000 neurons" count conv and FC outputs, not the LRN and
    pooling outputs)."""
    return {"params": int(table["params"].sum()), "macs": int(table["macs"].sum()),
            "neurons": int(table.loc[table["kind"].isin(WEIGHT_KINDS), "neurons"].sum())}


def weight_depth(table: pd.DataFrame, pooling: bool = False) -> int:
    """Depth in layers with parameters along the inference path of a :func:`layer_table`: a conv or FC row counts 1,
    an Inception row 2 (its branches run side by side, the deepest is 1x1 reduce then 3x3/5x5), and with
    ``pooling=True`` a pooling row 1. AlexNet 8, VGG Table 1's 11 to 19, GoogLeNet 22 (27 with pooling, Sect. 5)."""
    depth = {"conv": 1, "fc": 1, "inception": 2, "pool": int(pooling)}
    return int(table["kind"].map(depth).fillna(0).sum())


def param_shares(table: pd.DataFrame) -> pd.DataFrame:
    """Where the parameters sit (AlexNet Sect. 3.5, VGG Table 2, GoogLeNet Sect. 5): one row for all conv layers
    (Inception modules included), one per FC layer (in order, by name) and ``other`` (when any), with columns
    ``kind``, ``params`` and ``share`` (summing to 1). From a :func:`layer_table`, so of the inference network."""
    conv = table["kind"].isin(("conv", "inception"))
    fc = table[table["kind"] == "fc"]
    groups = [("conv", "conv", int(table.loc[conv, "params"].sum()))]
    groups += [(name, "fc", int(p)) for name, p in zip(fc["name"], fc["params"])]
    other = int(table["params"].sum()) - sum(g[2] for g in groups)
    if other:
        groups.append(("other", "other", other))
    df = pd.DataFrame(groups, columns=["group", "kind", "params"]).set_index("group")
    df["share"] = df["params"] / df["params"].sum()
    return df


def macs_total(model: nn.Module, input_size: int | Sequence[int] = 224, *, device: torch.device | str | None = None
               ) -> int:
    """Multiply-adds of one eval-mode forward pass (all conv/linear ops, FlopCounterMode flops / 2).

    Same convention as torchvision's ``weights.meta["_ops"]`` (AlexNet 0.714 G) and GoogLeNet's "1.5 billion
    multiply-adds" (Sect. 1). Uses the meta device unless ``device`` is given, like :func:`layer_table`.
    """
    run = _run(model, one_image_shape(input_size), device)
    if run.error is not None:
        raise run.error
    return run.macs


# ----------------------------------------------------------------------------------------------- parameter counts
def param_breakdown(model: nn.Module, by: str = "block") -> pd.DataFrame:
    """Where the parameters are: columns ``[by, "params", "share"]``, shares summing to 1.

    ``by="block"``: top-level children (AlexNet/VGG ``features``/``classifier``; GoogLeNet ``conv1`` ...
    ``inception5b``, ``aux1``, ``aux2``, ``fc``), named through ``model.layer_names`` when it lists them.
    ``by="layer"``: one row per row module (as in :func:`layer_table`, but static, so aux heads are included and
    BatchNorm is folded into the conv before it). All parameters count, including training-only heads; see
    :func:`param_shares` for the inference network's conv/FC split.
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
    else:
        raise ValueError(f"param_breakdown(by={by!r}): use 'block' or 'layer'")
    total = sum(groups.values())
    if total == 0:
        raise ValueError(f"{type(model).__name__} has no parameters to break down")
    return pd.DataFrame({by: list(groups), "params": list(groups.values()),
                         "share": [v / total for v in groups.values()]})
