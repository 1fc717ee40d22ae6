"""The "build it yourself" checker: compare a reader's model with ours layer by layer.

It compares what the layer tables of :mod:`reviewlib.review.tables` say (kind, kernel, stride, padding, output shape and
parameters, row by row in forward order) and names the first layer that differs, so a reader learns *where* their
model went wrong without seeing the answer.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from torch import nn

from .tables import layer_table

COMPARED = ["kind", "kernel", "stride", "padding", "output", "params"]


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


def _rows(model: nn.Module, input_size) -> pd.DataFrame:
    t = layer_table(model, input_size)
    return t[t["name"] != "total"].reset_index(drop=True)


def check_model(yours: nn.Module, reference: nn.Module, input_size=224) -> CheckResult:
    """Compare ``yours`` with ``reference`` on one input size; the message names the first differing layer."""
    try:
        mine = _rows(yours, input_size)
    except Exception as exc:  # a reader's half-finished model: say what broke instead of a traceback
        return CheckResult(False, f"your model does not run on a {input_size} input: {exc}", pd.DataFrame())
    ref = _rows(reference, input_size)
    n = max(len(mine), len(ref))
    rows, first = [], None
    for i in range(n):
        a = mine.iloc[i] if i < len(mine) else None
        b = ref.iloc[i] if i < len(ref) else None
        same = a is not None and b is not None and all(str(a[c]) == str(b[c]) for c in COMPARED)
        rows.append({"#": i + 1, "layer": b["name"] if b is not None else "-",
                     "yours": _describe(a), "expected": _describe(b), "same": same})
        if not same and first is None:
            first = i
    table = pd.DataFrame(rows)
    if first is None:
        return CheckResult(True, f"All {len(ref)} layers match: shapes, kernels, strides, padding and "
                                 f"{int(ref['params'].sum()):,} parameters.", table)
    a = mine.iloc[first] if first < len(mine) else None
    b = ref.iloc[first] if first < len(ref) else None
    if b is None:
        msg = f"Layer {first + 1}: your model has extra layers from here on ({_describe(a)})."
    elif a is None:
        msg = f"Layer {first + 1} ({b['name']}): missing in your model; expected {_describe(b)}."
    else:
        diffs = [c for c in COMPARED if str(a[c]) != str(b[c])]
        detail = ", ".join(f"{c} {a[c]} instead of {b[c]}" for c in diffs)
        msg = f"First difference at layer {first + 1} ({b['name']}): {detail}."
    return CheckResult(False, msg, table)


def _describe(row) -> str:
    if row is None:
        return "-"
    geom = "" if pd.isna(row["kernel"]) else f" {row['kernel']}x{row['kernel']}/{row['stride']} pad {row['padding']}"
    return f"{row['kind']}{geom} -> {row['output']}, {int(row['params']):,} params"
