"""The "build it yourself" checker: compare a reader's model with ours layer by layer.

It compares what the layer tables of :mod:`reviewlib.review.tables` say (what each layer is, kernel, stride,
padding, output shape and parameters, row by row in forward order) and names the first layer that differs or is
missing, so a reader learns *where* their model went wrong without seeing the answer. A half-built model whose forward
pass stops (a branch not written yet, a linear layer of the wrong size) is traced as far as it runs.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pandas as pd
from torch import nn

from .tables import layer_table, partial_layer_table

COMPARED = ["what", "kernel", "stride", "padding", "output", "params"]
ERROR_CHARS = 240  # a forward error is quoted up to this length, shortened at a word boundary


@dataclass
class CheckResult:
    ok: bool
    message: str
    table: pd.DataFrame  # side by side: yours vs ours, one row per layer

    def __str__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:  # a notebook shows the verdict, then the table
        colour = "#1a7f37" if self.ok else "#b42318"
        return f'<p style="color:{colour}"><b>{self.message}</b></p>' + self.table.to_html(index=False)


def _what(model: nn.Module, path: str, kind: str) -> str:
    """What a row is: its kind, except pools, which say max / average and adaptive."""
    try:
        mod = model.get_submodule(path)
    except AttributeError:  # a model that is itself one row is listed under its class name
        mod = model
    for cls, name in ((nn.AdaptiveAvgPool2d, "adaptive avg pool"), (nn.AdaptiveMaxPool2d, "adaptive max pool"),
                      (nn.MaxPool2d, "max pool"), (nn.AvgPool2d, "avg pool")):
        if isinstance(mod, cls):
            return name
    return kind


def _rows(model: nn.Module, table: pd.DataFrame) -> pd.DataFrame:
    table = table.reset_index(drop=True)
    table["what"] = [_what(model, p, k) for p, k in zip(table["path"], table["kind"])]
    adaptive = [w.startswith("adaptive") for w in table["what"]]  # its window follows from the input: no kernel
    table.loc[adaptive, ["kernel", "stride", "padding"]] = pd.NA
    return table


def _describe(row) -> str:
    if row is None:
        return "-"
    geom = "" if pd.isna(row["kernel"]) else f" {row['kernel']}x{row['kernel']}/{row['stride']} pad {row['padding']}"
    return f"{row['what']}{geom} -> {row['output']}, {int(row['params']):,} params"


def _short(err: Exception) -> str:
    """The error that stopped a forward pass, as ``Type: message``, shortened at a word boundary."""
    cause = err.__cause__ or err
    text = textwrap.shorten(f"{type(cause).__name__}: {cause}", ERROR_CHARS, placeholder=" ...")
    return text if text.endswith((".", "...")) else text + "."


def check_model(yours: nn.Module, reference: nn.Module, input_size=224) -> CheckResult:
    """Compare ``yours`` with ``reference`` on one input size; the message names the first differing or missing
    layer. ``yours`` may be unfinished: its layers are compared as far as its forward pass runs."""
    ref = _rows(reference, layer_table(reference, input_size))
    try:
        table, error, failed = partial_layer_table(yours, input_size)
    except Exception as exc:  # e.g. a layer whose forward returns no tensor: say so instead of a traceback
        return CheckResult(False, f"Your model cannot be traced on a {input_size} input: {_short(exc)}",
                           pd.DataFrame(columns=["#", "layer", "yours", "expected", "same"]))
    mine = _rows(yours, table)
    rows, first = [], None
    for i in range(max(len(mine), len(ref))):
        a = mine.iloc[i] if i < len(mine) else None
        b = ref.iloc[i] if i < len(ref) else None
        same = a is not None and b is not None and all(str(a[c]) == str(b[c]) for c in COMPARED)
        rows.append({"#": i + 1, "layer": b["name"] if b is not None else "-",
                     "yours": _describe(a), "expected": _describe(b), "same": same})
        if not same and first is None:
            first = i
    if error is not None and (first is None or first >= len(mine)):  # it stopped at the first layer it lacks
        first = len(mine)
        if first < len(rows):
            rows[first]["yours"] = f"stopped{f' at {failed!r}' if failed else ''}: {_short(error)}"
    table = pd.DataFrame(rows, columns=["#", "layer", "yours", "expected", "same"])
    if first is None:
        return CheckResult(True, f"All {len(ref)} layers match: shapes, kernels, strides, padding and "
                                 f"{int(ref['params'].sum()):,} parameters.", table)
    stopped = "" if error is None else (
        f" Your model's forward pass stopped{f' at {failed!r}' if failed else ''} with {_short(error)}")
    a = mine.iloc[first] if first < len(mine) else None
    b = ref.iloc[first] if first < len(ref) else None
    if b is None and a is None:
        msg = f"All {len(ref)} layers match, but then your model fails.{stopped}"
    elif b is None:
        msg = f"Layer {first + 1}: your model has extra layers from here on ({_describe(a)})."
    elif a is None:
        msg = f"Layer {first + 1} ({b['name']}): missing in your model; expected {_describe(b)}.{stopped}"
    elif a["what"] != b["what"]:
        msg = (f"First difference at layer {first + 1} ({b['name']}): yours is {_describe(a)}, expected "
               f"{_describe(b)}.{stopped}")
    else:
        detail = ", ".join(f"{c} {a[c]} instead of {b[c]}" for c in COMPARED if str(a[c]) != str(b[c]))
        msg = f"First difference at layer {first + 1} ({b['name']}): {detail}.{stopped}"
    return CheckResult(False, msg, table)
