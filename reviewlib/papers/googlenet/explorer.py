"""The Inception module (Sect. 4, Fig. 2): its cost by hand, naive against reduced, and an explorer of one module.

Sect. 4's argument is arithmetic: a k x k convolution from ``C_in`` to ``C_out`` maps costs ``C_in * C_out * k * k``
weights and that many multiply-adds per output pixel, so a 1x1 convolution that first shrinks ``C_in`` divides
the cost of the 3x3 and 5x5 convolutions after it. :func:`inception_cost` and :func:`naive_inception_cost` write
the formula out; :func:`naive_vs_reduced` applies it to the nine rows of Table 1 and checks it against the built
modules. :func:`explorer` makes one module editable: one table row per branch and reduction, and a picture of the
four branches with each one's share of the parameters and multiply-adds (:func:`branch_costs`).
"""
from __future__ import annotations

import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from torch import nn

from ...errors import ConfigError
from ...nets import INCEPTION_ROWS, count_params, googlenet_specs
from ...nets.arch import InceptionSpec, build_block, trace
from ...nets.layers import NaiveInception
from ...review.explorer import Control, Explorer, ExplorerState
from ...review.tables import macs_total

DESIGNS = ("with 1x1 reductions", "naive")
BRANCHES = ("1x1", "3x3", "5x5", "pool")
#: The six widths of a Table 1 row, by the explorer's keys, with the table's column names.
WIDTH_LABELS = {"c1x1": "#1x1", "c3x3red": "#3x3 reduce", "c3x3": "#3x3", "c5x5red": "#5x5 reduce", "c5x5": "#5x5",
                "pool_proj": "pool proj"}
BRANCH_COLOURS = {"1x1": "tab:blue", "3x3": "tab:orange", "5x5": "tab:red", "pool": "tab:green"}


# ----------------------------------------------------------------------------------------------- cost by hand
def _conv_cost(cin: int, cout: int, k: int, hw: int, bias: bool) -> tuple[int, int]:
    """(parameters, multiply-adds) of a stride-1 'same' k x k convolution on an hw-pixel map."""
    weights = cin * cout * k * k
    return weights + (cout if bias else 0), weights * hw


def inception_cost(in_channels: int, size: int, c1x1: int, c3x3red: int, c3x3: int, c5x5red: int, c5x5: int,
                   pool_proj: int, *, k5: int = 5, bias: bool = True) -> dict:
    """Parameters, multiply-adds and output depth of the module with 1x1 reductions (Fig. 2b) on a ``size`` x
    ``size`` x ``in_channels`` map: ``params = C_in*C_out*k*k (+ C_out biases)`` per conv and
    ``MACs = C_in*C_out*k*k*H*W`` (the 3x3 max-pool of the fourth branch costs no multiply-adds)."""
    if min(in_channels, size, c1x1, c3x3red, c3x3, c5x5red, c5x5, pool_proj) < 1:
        raise ConfigError("inception_cost: every channel count and the map size must be at least 1")
    hw = size * size
    parts = [_conv_cost(in_channels, c1x1, 1, hw, bias),
             _conv_cost(in_channels, c3x3red, 1, hw, bias), _conv_cost(c3x3red, c3x3, 3, hw, bias),
             _conv_cost(in_channels, c5x5red, 1, hw, bias), _conv_cost(c5x5red, c5x5, k5, hw, bias),
             _conv_cost(in_channels, pool_proj, 1, hw, bias)]
    return {"params": sum(p for p, _ in parts), "macs": sum(m for _, m in parts),
            "out_channels": c1x1 + c3x3 + c5x5 + pool_proj}


def naive_inception_cost(in_channels: int, size: int, c1x1: int, c3x3: int, c5x5: int, *, bias: bool = True) -> dict:
    """The naive module (Fig. 2a): 1x1, 3x3 and 5x5 convolutions straight on the input, plus a 3x3 max-pool whose
    ``in_channels`` maps are concatenated too, so the output is deeper than the input."""
    if min(in_channels, size, c1x1, c3x3, c5x5) < 1:
        raise ConfigError("naive_inception_cost: every channel count and the map size must be at least 1")
    hw = size * size
    parts = [_conv_cost(in_channels, c, k, hw, bias) for c, k in ((c1x1, 1), (c3x3, 3), (c5x5, 5))]
    return {"params": sum(p for p, _ in parts), "macs": sum(m for _, m in parts),
            "out_channels": c1x1 + c3x3 + c5x5 + in_channels}


def _inputs(image_size: int = 224) -> dict[str, tuple[int, int, int]]:
    """The (C, H, W) that enters each module of the paper's net (Table 1 without LRN and aux heads)."""
    specs = googlenet_specs("paper", aux_logits=False, lrn=False)
    return {t.spec.name: t.in_shape for t in trace(specs, (3, image_size, image_size))}


def naive_vs_reduced(image_size: int = 224) -> pd.DataFrame:
    """For each of the nine Inception rows of Table 1, the naive module (same #1x1, #3x3, #5x5, on the input our
    network gives the row) against the module with 1x1 reductions: parameters, multiply-adds and output depth by
    :func:`inception_cost`, checked against the modules :mod:`reviewlib.nets.layers` builds."""
    inputs, rows = _inputs(image_size), []
    for name, c1, r3, c3, r5, c5, pp in INCEPTION_ROWS:
        cin, h, _ = inputs[name]
        red, nai = inception_cost(cin, h, c1, r3, c3, r5, c5, pp), naive_inception_cost(cin, h, c1, c3, c5)
        with torch.device("meta"):
            built = (build_block(InceptionSpec(name, c1, r3, c3, r5, c5, pp), cin), NaiveInception(cin, c1, c3, c5))
        for cost, mod in zip((red, nai), built):
            if count_params(mod) != cost["params"] or macs_total(mod, (cin, h, h)) != cost["macs"]:
                raise AssertionError(f"{name}: the cost formula disagrees with the built module")  # pragma: no cover
        rows.append({"module": name, "input": f"{h}x{h}x{cin}",
                     "naive params": nai["params"], "reduced params": red["params"],
                     "params ratio": nai["params"] / red["params"],
                     "naive MACs": nai["macs"], "reduced MACs": red["macs"],
                     "naive out depth": nai["out_channels"], "reduced out depth": red["out_channels"]})
    return pd.DataFrame(rows)


#: One line per column of :func:`naive_vs_reduced`.
NAIVE_LEGEND = {
    "module": "the Inception row of Table 1",
    "input": "the map entering it (H x W x C) in our traced network at 224",
    "naive params": "weights + biases of Fig. 2a's module with the row's #1x1, #3x3, #5x5 on that input",
    "reduced params": "weights + biases of Fig. 2b's module (the row as Table 1 gives it)",
    "params ratio": "naive params / reduced params",
    "naive MACs": "multiply-adds per image of the naive module",
    "reduced MACs": "multiply-adds per image of the module with reductions",
    "naive out depth": "maps leaving the naive module: #1x1 + #3x3 + #5x5 + every input map (the pool branch)",
    "reduced out depth": "maps leaving the reduced module: #1x1 + #3x3 + #5x5 + pool proj",
}


# ----------------------------------------------------------------------------------------------- the explorer
#: Display names of the branch layers (Table 1's column names) and the branch each belongs to.
ROW_NAMES = {"branch1": "#1x1", "branch2": "#3x3", "branch2.0": "#3x3 reduce", "branch2.1": "#3x3",
             "branch3": "#5x5", "branch3.0": "#5x5 reduce", "branch3.1": "#5x5", "branch4": "pool (all input maps)",
             "branch4.0": "pool", "branch4.1": "pool proj"}
BRANCH_OF = {"branch1": "1x1", "branch2": "3x3", "branch3": "5x5", "branch4": "pool"}
#: The input pixels each branch's output sees (its own receptive field; the branches run side by side).
BRANCH_RF = {"1x1": 1, "3x3": 3, "5x5": 5, "pool": 3}


class Branches(nn.Module):
    """An Inception module (naive or with reductions) shown branch by branch: the same four branches, but not one
    row of the layer table, so every convolution and the pool get their own row."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.branch1, self.branch2, self.branch3, self.branch4 = (module.branch1, module.branch2, module.branch3,
                                                                  module.branch4)
        self.layer_names = {k: v for k, v in ROW_NAMES.items() if _has(self, k)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def _has(module: nn.Module, path: str) -> bool:
    try:
        module.get_submodule(path)
    except AttributeError:
        return False
    return True


def build_module(values: dict) -> tuple[nn.Module, tuple[int, int, int]]:
    """The explorer's ``build``: one module, naive or with reductions, as :class:`Branches`, and its input shape.
    Impossible widths raise :class:`ConfigError` naming the branch."""
    cin, size = int(values["in_channels"]), int(values["map_size"])
    if cin < 1 or size < 1:
        raise ConfigError(f"inception: the input {size}x{size}x{cin} needs at least 1 map of at least 1 pixel")
    if values["design"] not in DESIGNS:
        raise ConfigError(f"inception: unknown design {values['design']!r}; use one of {DESIGNS}")
    naive = values["design"] == "naive"
    for k in ("c1x1", "c3x3", "c5x5") if naive else WIDTH_LABELS:
        if int(values[k]) < 1:
            raise ConfigError(f"inception: {WIDTH_LABELS[k]} needs at least 1 channel, got {values[k]}: every branch "
                              f"and reduction is a convolution with at least one filter")
    if naive:
        module = NaiveInception(cin, int(values["c1x1"]), int(values["c3x3"]), int(values["c5x5"]))
    else:
        spec = InceptionSpec("inception", *(int(values[k]) for k in
                                            ("c1x1", "c3x3red", "c3x3", "c5x5red", "c5x5", "pool_proj")))
        trace([spec], (cin, size, size))
        module = build_block(spec, cin)
    return Branches(module), (cin, size, size)


class InceptionState(ExplorerState):
    """An update of the Inception explorer: the totals line also gives the output depth."""

    @property
    def summary(self) -> str:
        if self.error:
            return f"Impossible setting: {self.error}"
        depth = int(branch_costs(self)["out depth"].sum())
        t = self.totals
        return (f"{self.values['design']}: output {self.values['map_size']}x{self.values['map_size']}x{depth} | "
                f"parameters {t['params']:,} | multiply-adds {t['macs']:,}")


class InceptionExplorer(Explorer):
    """The explorer of one Inception module: rows per branch layer, each with its branch's own receptive field,
    and :meth:`figure` draws the four branches with their shares of the cost."""

    def update(self, **changes) -> InceptionState:
        state = super().update(**changes)
        if state.table is not None:
            table = state.table.copy()
            table["branch"] = [BRANCH_OF[p.split(".")[0]] for p in table["path"]]
            table["rf"] = [BRANCH_RF[b] for b in table["branch"]]
            table["jump"] = 1
            state = InceptionState(state.values, table, state.totals, None)
        else:
            state = InceptionState(state.values, None, None, state.error)
        self.state = state
        return state

    def figure(self) -> Figure | None:
        return None if self.state.table is None else branches_figure(self.state)


def branch_costs(state: ExplorerState) -> pd.DataFrame:
    """One row per branch of the explorer's module: its layers, parameters, multiply-adds, the maps it adds to the
    output and its share of the module's parameters and multiply-adds."""
    t = state.table
    rows = []
    for b in BRANCHES:
        part = t[t["branch"] == b]
        rows.append({"branch": b, "layers": " -> ".join(part["name"]), "params": int(part["params"].sum()),
                     "macs": int(part["macs"].sum()), "out depth": int(part["out_c"].iloc[-1])})
    df = pd.DataFrame(rows).set_index("branch")
    for col, share in (("params", "params share"), ("macs", "MACs share")):
        total = df[col].sum()
        df[share] = df[col] / total if total else 0.0
    return df


def _box(ax, x, y, w, h, text, colour):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02", facecolor=colour,
                                edgecolor="black", alpha=0.35, linewidth=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def branches_figure(state: ExplorerState) -> Figure:
    """The module as Fig. 2 draws it (input at the bottom, four branches, concatenation on top), each layer with its
    output maps, and beside it each branch's share of the parameters and of the multiply-adds."""
    costs, t, v = branch_costs(state), state.table, state.values
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.5, 1])
    ax = left.subplots()
    ax.set(xlim=(0, 4), ylim=(0, 4.4))
    ax.set_axis_off()
    cin, size = v["in_channels"], v["map_size"]
    _box(ax, 2, 0.35, 3.6, 0.4, f"input {size}x{size}x{cin}", "lightgrey")
    depth = int(costs["out depth"].sum())
    _box(ax, 2, 4.0, 3.6, 0.4, f"concatenation: {size}x{size}x{depth}", "lightgrey")
    for i, b in enumerate(BRANCHES):
        part = t[t["branch"] == b]
        x = 0.5 + i
        ys = [1.3, 2.5] if len(part) == 2 else [1.9]
        for y, row in zip(ys, part.itertuples()):
            k = "" if pd.isna(row.kernel) else f" {row.kernel}x{row.kernel}"
            what = "max pool" if row.kind == "pool" else "conv"
            _box(ax, x, y, 0.92, 0.62, f"{row.name}\n{what}{k}\n-> {row.out_c} maps", BRANCH_COLOURS[b])
        ax.annotate("", (x, ys[0] - 0.33), (x, 0.57), arrowprops=dict(arrowstyle="->", lw=0.8))
        if len(ys) == 2:
            ax.annotate("", (x, ys[1] - 0.33), (x, ys[0] + 0.33), arrowprops=dict(arrowstyle="->", lw=0.8))
        ax.annotate("", (x, 3.78), (x, ys[-1] + 0.33), arrowprops=dict(arrowstyle="->", lw=0.8))
        ax.text(x, 3.35, f"{costs.loc[b, 'params share']:.0%} params\n{costs.loc[b, 'MACs share']:.0%} MACs",
                ha="center", va="center", fontsize=7.5)
    ax.set_title(f"Inception module, {v['design']} (Fig. 2{'a' if v['design'] == 'naive' else 'b'})", fontsize=10)
    bars = right.subplots()
    labels = ["parameters", "multiply-adds"]
    start = [0.0, 0.0]
    for b in BRANCHES:
        widths = [costs.loc[b, "params share"], costs.loc[b, "MACs share"]]
        bars.barh(labels, widths, left=start, color=BRANCH_COLOURS[b], alpha=0.8, label=f"{b} branch")
        for j, w in enumerate(widths):
            if w >= 0.06:
                bars.text(start[j] + w / 2, j, f"{w:.0%}", ha="center", va="center", fontsize=8)
        start = [s + w for s, w in zip(start, widths)]
    totals = state.totals
    bars.set(xlim=(0, 1), xlabel="share of the module")
    bars.set_title(f"{totals['params']:,} parameters, {totals['macs'] / 1e6:,.1f}M multiply-adds", fontsize=9)
    bars.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
    return fig


def explorer(row: str = "inception3a", image_size: int = 224) -> InceptionExplorer:
    """One Inception module made editable (Sect. 4, Fig. 2): the design (naive or with 1x1 reductions), the input
    depth and map size, and the six branch widths; it starts at ``row`` of Table 1 with the input our network
    gives it. ``explorer().update(c5x5red=...)`` returns the new state (branch table and totals, or the
    ConfigError text of an impossible setting); :func:`branch_costs` reads a state branch by branch."""
    widths = {r[0]: r[1:] for r in INCEPTION_ROWS}
    if row not in widths:
        raise ConfigError(f"explorer: unknown row {row!r}; use one of {list(widths)}")
    cin, h, _ = _inputs(image_size)[row]
    controls = [Control("design", DESIGNS[0], options=DESIGNS, label="design", group="module"),
                Control("in_channels", cin, 1, 1024, label="input depth (maps)", group="input"),
                Control("map_size", h, 1, 112, label="map size (pixels)", group="input")]
    for key, value in zip(WIDTH_LABELS, widths[row]):
        controls.append(Control(key, value, 0, 512, label=WIDTH_LABELS[key], group="branches (Table 1's columns)"))
    return InceptionExplorer(controls, build_module, title=f"Inception module explorer (starts at {row})")


def readout(state: ExplorerState) -> dict:
    """The headline numbers of an explorer state: parameters, multiply-adds and output depth (or the error)."""
    if state.error:
        return {"error": state.error}
    return {"params": state.totals["params"], "macs": state.totals["macs"],
            "out_depth": int(branch_costs(state)["out depth"].sum())}
