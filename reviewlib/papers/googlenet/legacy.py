"""The GoogLeNet review (Szegedy et al. 2014, "Going Deeper with Convolutions") behind notebooks/02_googlenet.

Everything the notebook computes and a test can check lives here:

* the Inception module's cost, written out by hand because it is what Sect. 4 argues (:func:`inception_cost`,
  :func:`naive_inception_cost`, :func:`naive_vs_reduced`) and an explorer of one module (:func:`inception_explorer`);
* Table 1 rebuilt from our model beside the paper's figures, with the rows where the paper disagrees with its own
  architecture flagged (:func:`table1_reproduction`, :func:`conv1_candidates`);
* the numeric claims of Sect. 5 (:func:`reviewlib.review.tables.weight_depth`, :func:`googlenet_claims`), the
  classifier head (:func:`head_comparison`), the auxiliary classifiers (:func:`aux_table`) and paper vs torchvision
  (:func:`variant_comparison`);
* the build-it-yourself answers (:func:`answer_inception`, :func:`answer_googlenet`);
* the compute plan per budget (:func:`review_plan`, :func:`short_run_recipe`), the crop/ensemble evaluation
  (:func:`crops_and_ensembles`) and the tables shaped like the paper's Tables 2 and 3 (:func:`table2`,
  :func:`table3`).

The *paper* columns below are the paper's printed numbers (Table 1, Table 2, Table 3, see ../shared/papers/FACTS.md);
the *ours* columns are always computed from :mod:`reviewlib.nets`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from ...review.tables import layer_table, layer_totals, macs_total, weight_depth
from ...nets.arch import Aux, InceptionSpec, build_block, trace
from ...budget import Budget, get_budget
from ...review.claims import Claim, claim_table
from ...errors import ConfigError
from ...review.explorer import Control, Explorer
from ...nets.layers import NaiveInception
from ...nets import INCEPTION_ROWS, alexnet, count_params, googlenet, googlenet_specs

# ---------------------------------------------------------------------------------------------------------------
# The paper's numbers
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperRow:
    """One row of GoogLeNet's Table 1 and the rows of our layer table it covers."""

    row: str
    type: str
    patch: str
    output: str
    depth: int
    params_k: float | None  # thousands, as printed ("2.7K")
    ops_m: float | None  # millions of multiply-adds, as printed ("34M")
    ours: tuple[str, ...]


#: Table 1 of the paper, row by row (the Inception rows' branch widths are :data:`reviewlib.nets.INCEPTION_ROWS`).
PAPER_TABLE1: list[PaperRow] = [
    PaperRow("convolution", "convolution", "7x7/2", "112x112x64", 1, 2.7, 34, ("conv1",)),
    PaperRow("max pool", "max pool", "3x3/2", "56x56x64", 0, None, None, ("maxpool1",)),
    PaperRow("convolution", "convolution", "3x3/1", "56x56x192", 2, 112, 360, ("conv2", "conv3")),
    PaperRow("max pool", "max pool", "3x3/2", "28x28x192", 0, None, None, ("maxpool2",)),
    PaperRow("inception (3a)", "inception", "", "28x28x256", 2, 159, 128, ("inception3a",)),
    PaperRow("inception (3b)", "inception", "", "28x28x480", 2, 380, 304, ("inception3b",)),
    PaperRow("max pool", "max pool", "3x3/2", "14x14x480", 0, None, None, ("maxpool3",)),
    PaperRow("inception (4a)", "inception", "", "14x14x512", 2, 364, 73, ("inception4a",)),
    PaperRow("inception (4b)", "inception", "", "14x14x512", 2, 437, 88, ("inception4b",)),
    PaperRow("inception (4c)", "inception", "", "14x14x512", 2, 463, 100, ("inception4c",)),
    PaperRow("inception (4d)", "inception", "", "14x14x528", 2, 580, 119, ("inception4d",)),
    PaperRow("inception (4e)", "inception", "", "14x14x832", 2, 840, 170, ("inception4e",)),
    PaperRow("max pool", "max pool", "3x3/2", "7x7x832", 0, None, None, ("maxpool4",)),
    PaperRow("inception (5a)", "inception", "", "7x7x832", 2, 1072, 54, ("inception5a",)),
    PaperRow("inception (5b)", "inception", "", "7x7x1024", 2, 1388, 71, ("inception5b",)),
    PaperRow("avg pool", "avg pool", "7x7/1", "1x1x1024", 0, None, None, ("avgpool",)),
    PaperRow("dropout (40%)", "dropout", "", "1x1x1024", 0, None, None, ()),
    PaperRow("linear", "linear", "", "1x1x1000", 1, 1000, 1, ("fc",)),
    PaperRow("softmax", "softmax", "", "1x1x1000", 0, None, None, ()),
]

#: Table 2 of the paper: ILSVRC classification results (top-5 test error, %).
PAPER_TABLE2 = [
    ("SuperVision", 2012, 16.4),
    ("Clarifai", 2013, 11.7),
    ("MSRA", 2014, 7.35),
    ("VGG", 2014, 7.32),
    ("GoogLeNet", 2014, 6.67),
]

#: Table 3 of the paper: (models, crops, top-5 val error %).
PAPER_TABLE3 = [(1, 1, 10.07), (1, 10, 9.15), (1, 144, 7.89), (7, 1, 8.09), (7, 10, 7.62), (7, 144, 6.67)]

#: Claims of Sect. 5 and 6 that are not Table 1 rows.
PAPER_CLAIMS = dict(depth=22, depth_with_pooling=27, fewer_params_than_alexnet=12, macs_g=1.5, aux_weight=0.3,
                    aux_dropout=0.7, dropout=0.4, avgpool_gain_top1=0.6)


# ---------------------------------------------------------------------------------------------------------------
# The Inception module's cost (Sect. 4): hand-written, because this arithmetic is the section's argument
# ---------------------------------------------------------------------------------------------------------------

def _conv_cost(cin: int, cout: int, k: int, hw: int, bias: bool) -> tuple[int, int]:
    """(parameters, multiply-adds) of a stride-1 'same' k x k convolution on an hw-pixel map."""
    weights = cin * cout * k * k
    return weights + (cout if bias else 0), weights * hw


def inception_cost(in_channels: int, size: int, c1x1: int, c3x3red: int, c3x3: int, c5x5red: int, c5x5: int,
                   pool_proj: int, *, k5: int = 5, bias: bool = True) -> dict:
    """Parameters, multiply-adds and output depth of the Inception module with 1x1 reductions (Fig. 2b) on a
    ``size`` x ``size`` x ``in_channels`` map, by the formula ``params = C_in*C_out*k*k (+ C_out biases)`` per conv
    and ``MACs = C_in*C_out*k*k*H*W`` (the 3x3 max-pool of the fourth branch costs no multiply-adds)."""
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


def naive_vs_reduced(image_size: int = 224) -> pd.DataFrame:
    """For each of the nine Inception rows of Table 1, the naive module (same #1x1, #3x3, #5x5) against the module
    with 1x1 reductions, at the map size and input depth our traced network gives them: parameters, multiply-adds
    and output depth by :func:`inception_cost`, checked against the modules built by :mod:`reviewlib.nets.layers`."""
    specs = googlenet_specs_for_table()
    traced = {t.spec.name: t for t in trace(specs, (3, image_size, image_size))}
    rows = []
    for name, c1, r3, c3, r5, c5, pp in INCEPTION_ROWS:
        cin, h, _ = traced[name].in_shape
        red = inception_cost(cin, h, c1, r3, c3, r5, c5, pp)
        nai = naive_inception_cost(cin, h, c1, c3, c5)
        with torch.device("meta"):
            built_red = build_block(InceptionSpec(name, c1, r3, c3, r5, c5, pp), cin)
            built_nai = NaiveInception(cin, c1, c3, c5)
        for cost, built in ((red, built_red), (nai, built_nai)):
            if count_params(built) != cost["params"] or macs_total(built, (cin, h, h)) != cost["macs"]:
                raise AssertionError(f"{name}: the cost formula disagrees with the built module")  # pragma: no cover
        rows.append({"module": name, "input": f"{h}x{h}x{cin}",
                     "naive params": nai["params"], "reduced params": red["params"],
                     "params ratio": nai["params"] / red["params"],
                     "naive MACs": nai["macs"], "reduced MACs": red["macs"],
                     "naive out depth": nai["out_channels"], "reduced out depth": red["out_channels"]})
    return pd.DataFrame(rows)


def googlenet_specs_for_table():
    """The paper variant's layer specs without LRN and auxiliary heads (the rows Table 1 lists)."""
    return googlenet_specs("paper", aux_logits=False, lrn=False)


# ---------------------------------------------------------------------------------------------------------------
# The explorer of one Inception module
# ---------------------------------------------------------------------------------------------------------------

DESIGNS = ("with 1x1 reductions", "naive")


class _OneModule(nn.Module):
    """A single module under the name ``inception``, so the layer table has one named row."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.inception = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inception(x)


def build_inception_module(values: dict) -> tuple[nn.Module, tuple[int, int, int]]:
    """The explorer's ``build``: one module (naive or with reductions) and its input shape (C, H, W).
    Impossible widths raise :class:`ConfigError` naming the branch."""
    cin, size = int(values["in_channels"]), int(values["map_size"])
    if cin < 1 or size < 1:
        raise ConfigError(f"inception: input {size}x{size}x{cin} must have at least 1 channel and 1 pixel")
    keys = ("c1x1", "c3x3red", "c3x3", "c5x5red", "c5x5", "pool_proj")
    if values["design"] == "naive":
        for k in ("c1x1", "c3x3", "c5x5"):
            if int(values[k]) < 1:
                raise ConfigError(f"inception: branch #{k[1:]} needs at least 1 channel, got {values[k]}")
        module = NaiveInception(cin, int(values["c1x1"]), int(values["c3x3"]), int(values["c5x5"]))
    elif values["design"] == DESIGNS[0]:
        spec = InceptionSpec("inception", *(int(values[k]) for k in keys))
        trace([spec], (cin, size, size))
        module = build_block(spec, cin)
    else:
        raise ConfigError(f"inception: unknown design {values['design']!r}; use one of {DESIGNS}")
    return _OneModule(module), (cin, size, size)


def inception_explorer(row: str = "inception3a", image_size: int = 224) -> Explorer:
    """One Inception module made editable (Sect. 4, Fig. 2): the design (naive or with 1x1 reductions), the input
    depth and map size, and the six branch widths; starts at ``row`` of Table 1 with the input our network gives it.
    ``explorer.update(c5x5red=...)`` returns the new table and totals; :func:`explorer_readout` the headline numbers."""
    widths = {r[0]: r[1:] for r in INCEPTION_ROWS}
    if row not in widths:
        raise ConfigError(f"inception_explorer: unknown row {row!r}; use one of {list(widths)}")
    traced = {t.spec.name: t for t in trace(googlenet_specs_for_table(), (3, image_size, image_size))}
    cin, h, _ = traced[row].in_shape
    c1, r3, c3, r5, c5, pp = widths[row]
    controls = [Control("design", DESIGNS[0], options=DESIGNS, group="module"),
                Control("in_channels", cin, 1, 1024, group="input"),
                Control("map_size", h, 1, 112, group="input")]
    for key, v in (("c1x1", c1), ("c3x3red", r3), ("c3x3", c3), ("c5x5red", r5), ("c5x5", c5), ("pool_proj", pp)):
        controls.append(Control(key, v, 1, 512, label="#" + key.replace("c", "", 1).replace("red", " reduce")
                                if key != "pool_proj" else "pool proj", group="branches"))
    return Explorer(controls, build_inception_module, title=f"Inception module explorer (starts at {row})")


def explorer_readout(state) -> dict:
    """Parameters, multiply-adds and output depth of the explorer's current module (or the error text)."""
    if state.error:
        return {"error": state.error}
    out = state.table.iloc[0]["output"]
    return {"params": state.totals["params"], "macs": state.totals["macs"], "out_depth": int(out.split("x")[-1])}


# ---------------------------------------------------------------------------------------------------------------
# Table 1, reproduced
# ---------------------------------------------------------------------------------------------------------------

def conv1_candidates(size: int = 112) -> pd.DataFrame:
    """Which first layer gives the paper's 2.7K parameters and 34M multiply-adds? Candidate readings of
    "conv 7x7/2, 64 maps" on a 3-channel input, counted on the ``size`` x ``size`` output (112 at 224).

    The depthwise-separable candidate (a 7x7 depthwise conv with depth multiplier 8, then a 1x1 conv to 64 maps)
    is the first layer of TF-slim's Inception-v2 code (``Conv2d_1a_7x7``, ``depthwise_multiplier = 8``);
    the GoogLeNet paper itself does not say that its conv1 was separable.
    """
    hw = size * size
    cands = [
        ("dense 7x7x3 -> 64 (the architecture as written)", 7 * 7 * 3 * 64),
        ("dense 7x7x3 -> 64, with biases", 7 * 7 * 3 * 64 + 64),
        ("7x7 on one (grey) channel -> 64", 7 * 7 * 1 * 64),
        ("depthwise 7x7 (multiplier 1) + 1x1 3 -> 64", 7 * 7 * 3 + 3 * 64),
        ("depthwise 7x7 (multiplier 8) + 1x1 24 -> 64", 7 * 7 * 3 * 8 + 3 * 8 * 64),
    ]
    rows = []
    for name, params in cands:
        macs = (params - 64) * hw if "biases" in name else params * hw
        rows.append({"candidate": name, "params": params, "MACs": macs,
                     "params vs 2.7K (%)": 100 * (params / 2700 - 1), "MACs vs 34M (%)": 100 * (macs / 34e6 - 1)})
    df = pd.DataFrame(rows)
    df["fits both (within 2%)"] = (df["params vs 2.7K (%)"].abs() <= 2) & (df["MACs vs 34M (%)"].abs() <= 2)
    return df


def _pct(ours, paper):
    return 100.0 * (ours / paper - 1.0)


def _weights(module: nn.Module) -> int:
    """Parameters without biases (weights of convolutions and linear layers)."""
    return sum(p.numel() for n, p in module.named_parameters() if not n.endswith("bias"))


def table1_reproduction(model: nn.Module | None = None, image_size: int = 224, tolerance: float = 2.5
                        ) -> pd.DataFrame:
    """Table 1 row by row: the paper's output size, depth, parameters and ops beside ours, with deltas (%).

    ``model`` defaults to ``googlenet("paper", aux_logits=False)`` built on the meta device (the LRN layers, which
    Table 1 omits and which have no weights, are not rows). Two readings of the paper's "K" are compared:

    * ``params d% (K=1000)``: our parameters as the model has them (biases included) against K = 1000;
    * ``params d% (K=1024)``: our weights (no biases) against K = 1024. This reading reproduces several rows
      exactly (the "conv 3x3" row: 114,688 weights = 112.0 x 1024; the linear layer: 1,024,000 = 1000 x 1024), so
      it is the one the flags use.

    ``paper ops/(params*HW)`` checks the paper's two columns against each other under K = 1024: a convolution's
    multiply-adds are its weights times its output pixels, so the ratio is 1 when they agree (ops are in decimal
    millions: they match our multiply-adds). A row is flagged when its output size or depth differs, or its
    K = 1024 parameter delta or multiply-add delta exceeds ``tolerance`` percent; ``note`` says what we found.
    """
    if model is None:
        with torch.device("meta"):
            model = googlenet("paper", aux_logits=False)
    table = layer_table(model, image_size)
    by_name = {r["name"]: r for _, r in table.iterrows()}
    out_rows = []
    prev_output = None
    for pr in PAPER_TABLE1:
        missing = [n for n in pr.ours if n not in by_name]
        if missing:
            raise ConfigError(f"table1_reproduction: the model has no layer named {missing}; pass a GoogLeNet built "
                              f"by reviewlib.nets.googlenet")
        ours = [by_name[n] for n in pr.ours]
        output = ours[-1]["output"] if ours else prev_output
        prev_output = output
        depth = weight_depth(table[table["name"].isin(pr.ours)])
        params = int(sum(r["params"] for r in ours))
        weights = sum(_weights(model.get_submodule(n)) for n in pr.ours)
        macs = int(sum(r["macs"] for r in ours))
        h = int(output.split("x")[0])
        has = pr.params_k is not None
        row = {"row": pr.row, "patch/stride": pr.patch, "our layers": "+".join(pr.ours) or "-",
               "paper output": pr.output, "our output": output, "paper depth": pr.depth, "our depth": depth,
               "paper params (K)": pr.params_k if has else math.nan,
               "our params": params, "our weights": weights,
               "params d% (K=1000)": _pct(params, pr.params_k * 1e3) if has else math.nan,
               "params d% (K=1024)": _pct(weights, pr.params_k * 1024) if has else math.nan,
               "paper ops": pr.ops_m * 1e6 if has else math.nan, "our MACs": macs,
               "MACs d%": _pct(macs, pr.ops_m * 1e6) if has else math.nan,
               "paper ops/(params*HW)": (pr.ops_m * 1e6 / (pr.params_k * 1024 * h * h)
                                         if has and pr.type != "linear" else math.nan)}
        notes = []
        if output != pr.output:
            notes.append(f"output {output} vs the paper's {pr.output}")
        if depth != pr.depth:
            notes.append(f"depth {depth} vs {pr.depth}")
        if len(pr.ours) > 1:
            notes.append(f"merges our {' and '.join(pr.ours)} (1x1 reduce to 64, then 3x3 to 192)")
        off_params = has and abs(row["params d% (K=1024)"]) > tolerance
        off_macs = has and abs(row["MACs d%"]) > tolerance
        if pr.ours == ("conv1",) and (off_params or off_macs):
            fit = conv1_candidates(h)
            best = fit[fit["fits both (within 2%)"]]
            notes.append(f"7*7*3*64 = {weights:,} weights, {macs / 1e6:.0f}M MACs vs 2.7K, 34M; the paper's two "
                         f"figures agree with each other and with "
                         + (f"'{best.iloc[0]['candidate']}' ({int(best.iloc[0]['params']):,} weights, "
                            f"{best.iloc[0]['MACs'] / 1e6:.1f}M MACs)" if len(best) else "no candidate tried")
                         + ", a separable first layer the paper does not mention")
        else:
            if off_params:
                notes.append(f"weights {row['params d% (K=1024)']:+.1f}% vs the paper's params (K=1024)")
            if off_macs:
                notes.append(f"MACs {row['MACs d%']:+.1f}% vs its ops")
            if off_params and not off_macs:
                notes.append(f"its ops column agrees with our widths, so the params entry is the odd one out "
                             f"(ops/(params*HW) = {row['paper ops/(params*HW)']:.3f})")
            elif off_params and off_macs:
                notes.append(f"params and ops agree with each other (ratio {row['paper ops/(params*HW)']:.3f}) "
                             f"but not with the branch widths in the same row")
        flagged = output != pr.output or depth != pr.depth or off_params or off_macs
        row["flag"] = "FLAG" if flagged else ""
        row["note"] = "; ".join(notes)
        out_rows.append(row)
    return pd.DataFrame(out_rows)


def table1_totals(t1: pd.DataFrame) -> pd.DataFrame:
    """Column sums of :func:`table1_reproduction`: the paper's totals against ours."""
    return pd.DataFrame([{"paper params (K)": t1["paper params (K)"].sum(), "our weights": t1["our weights"].sum(),
                          "our params": t1["our params"].sum(), "paper ops": t1["paper ops"].sum(),
                          "our MACs": t1["our MACs"].sum(), "paper depth": t1["paper depth"].sum(),
                          "our depth": t1["our depth"].sum()}])


def format_table1(t1: pd.DataFrame) -> pd.DataFrame:
    """:func:`table1_reproduction` as short text columns for a checked notebook cell (K and M units)."""
    def fmt(v, spec):
        return "" if pd.isna(v) else format(v, spec)

    has = t1["paper params (K)"].notna()
    return pd.DataFrame({
        "row": t1["row"],
        "output p/o": [a if a == b else f"{a} / {b}" for a, b in zip(t1["paper output"], t1["our output"])],
        "depth p/o": [f"{a}/{b}" for a, b in zip(t1["paper depth"], t1["our depth"])],
        "params": t1["paper params (K)"].map(lambda v: fmt(v, ",.1f") + ("K" if not pd.isna(v) else "")),
        "ours/1024": [fmt(w / 1024, ",.1f") if h else "" for w, h in zip(t1["our weights"], has)],
        "d%": t1["params d% (K=1024)"].map(lambda v: fmt(v, "+.1f")),
        "ours/1000": [fmt(p / 1000, ",.1f") if h else "" for p, h in zip(t1["our params"], has)],
        "d%(1000)": t1["params d% (K=1000)"].map(lambda v: fmt(v, "+.1f")),
        "ops": t1["paper ops"].map(lambda v: fmt(v / 1e6, ",.0f") + ("M" if not pd.isna(v) else "")),
        "our MACs": [fmt(m / 1e6, ",.1f") + "M" if h else "" for m, h in zip(t1["our MACs"], has)],
        "d%(MACs)": t1["MACs d%"].map(lambda v: fmt(v, "+.1f")),
        "ops/(p*HW)": t1["paper ops/(params*HW)"].map(lambda v: fmt(v, ".3f")),
        "flag": t1["flag"],
    })


# ---------------------------------------------------------------------------------------------------------------
# Claims of Sect. 5
# ---------------------------------------------------------------------------------------------------------------

def googlenet_claims(image_size: int = 224) -> pd.DataFrame:
    """The claim check of Sect. 5 and Table 1's totals: paper figure, ours (computed here), verdict, note."""
    with torch.device("meta"):
        g = googlenet("paper", aux_logits=True)
        g_noaux = googlenet("paper", aux_logits=False)
        a = alexnet("paper")
    tg = layer_table(g_noaux, image_size)
    g_params, g_macs = layer_totals(tg)["params"], layer_totals(tg)["macs"]
    a_params = count_params(a)
    conv1_macs = int(tg.loc[tg["name"] == "conv1", "macs"].iloc[0])
    sep = conv1_candidates(int(tg.loc[tg["name"] == "conv1", "out_h"].iloc[0]))
    sep_macs = int(sep[sep["fits both (within 2%)"]]["MACs"].iloc[0])
    paper_sum = sum(r.params_k for r in PAPER_TABLE1 if r.params_k) * 1e3
    aux = aux_table(image_size).set_index("head")["pooled map"]
    from ...train.recipes import paper_recipe

    gr, pc = paper_recipe("googlenet"), PAPER_CLAIMS
    claims = [
        Claim("depth: layers with parameters", pc["depth"], weight_depth(tg)),
        Claim("depth: counting pooling too", pc["depth_with_pooling"], weight_depth(tg, pooling=True)),
        Claim("x fewer parameters than AlexNet", pc["fewer_params_than_alexnet"], round(a_params / g_params, 2),
              rel_tol=0.05,
              note=f"AlexNet {a_params:,} / GoogLeNet {g_params:,} (inference, no aux heads); even the sum of "
                   f"Table 1's own params column ({paper_sum / 1e6:.2f}M) gives {60 / (paper_sum / 1e6):.1f}x of "
                   f"60M"),
        Claim("multiply-adds per image (billions)", pc["macs_g"], g_macs, unit=1e9, rel_tol=0.02,
              note=f"{g_macs / 1e9:.3f}G; the dense 7x7 conv1 costs {conv1_macs / 1e6:.0f}M of it vs the paper's 34M"),
        Claim("... with conv1 as a depthwise-separable 7x7 (billions)", pc["macs_g"], g_macs - conv1_macs + sep_macs,
              unit=1e9, rel_tol=0.02, note="the candidate that fits Table 1's conv1 row"),
        Claim("parameters, sum of Table 1 (millions, K=1024)", round(paper_sum * 1.024 / 1e6, 2), g_params,
              unit=1e6, rel_tol=0.02, note=f"ours includes {g_params - _weights(g_noaux):,} biases"),
        Claim("linear layer parameters (thousands)", 1000, count_params(g.fc), unit=1e3,
              rel_tol=0.03, note="1024 x 1000 weights + 1000 biases"),
        Claim("map before the average pool", "7x7x1024", tg.loc[tg["name"] == "inception5b", "output"].iloc[0]),
        Claim("aux classifier on 4a: pooled map", "4x4x512", aux["aux1"]),
        Claim("aux classifier on 4d: pooled map", "4x4x528", aux["aux2"]),
        Claim("aux loss weight", pc["aux_weight"], gr.aux_weight),
        Claim("aux dropout", pc["aux_dropout"], g.aux1.dropout.p),
        Claim("main classifier dropout", pc["dropout"], g.dropout.p),
    ]
    return claim_table(claims)


def head_comparison(image_size: int = 224, num_classes: int = 1000) -> pd.DataFrame:
    """Global average pooling (the paper) vs a fully connected layer on the 7x7x1024 map: the head's weights and
    the whole net's parameters and multiply-adds (Sect. 5; the paper credits pooling with +0.6% top-1)."""
    rows = []
    for head, label in (("avgpool", "global average pooling + linear (paper)"),
                        ("fc", "flatten 7x7x1024 + linear")):
        with torch.device("meta"):
            m = googlenet("paper", aux_logits=False, head=head, num_classes=num_classes, image_size=image_size)
        t = layer_table(m, image_size)
        rows.append({"head": label, "head input": t.loc[t["name"] == "inception5b", "output"].iloc[0],
                     "head params": count_params(m.fc),
                     "total params": layer_totals(t)["params"], "total MACs": layer_totals(t)["macs"]})
    df = pd.DataFrame(rows)
    df["head params ratio"] = df["head params"] / df["head params"].iloc[0]
    return df


def aux_table(image_size: int = 224, num_classes: int = 1000, aux_pool: str | None = None) -> pd.DataFrame:
    """The two auxiliary classifiers (Sect. 5): where they attach, the map they see and pool to, what they cost,
    and a check that eval mode drops them (the model then returns plain logits)."""
    with torch.device("meta"):
        m = googlenet("paper", aux_logits=True, num_classes=num_classes, image_size=image_size, aux_pool=aux_pool)
    traced = {t.spec.name: t for t in trace(m.specs, (3, image_size, image_size))}
    # each head reads the map of the row before it in the table: aux1 after inception4a, aux2 after inception4d
    after = {s.name: prev.name for prev, s in zip(m.specs, m.specs[1:]) if isinstance(s, Aux)}
    main = count_params(m) - sum(count_params(m.get_submodule(n)) for n in after)
    m.eval()
    with torch.no_grad():
        out = m(torch.zeros(1, 3, image_size, image_size, device="meta"))
    from ...train.recipes import paper_recipe

    rows = []
    for name, tap in after.items():
        head = m.get_submodule(name)
        c, h, w = traced[name].in_shape
        k = head.fc1.in_features // head.conv.conv.out_channels
        side = math.isqrt(k)
        rows.append({"head": name, "after": tap, "input map": f"{h}x{w}x{c}", "pooled map": f"{side}x{side}x{c}",
                     "params": count_params(head), "share of main net": count_params(head) / main,
                     "MACs": macs_total(head, (c, h, w)), "loss weight": paper_recipe("googlenet").aux_weight,
                     "at inference": "removed" if isinstance(out, torch.Tensor) else "still runs"})
    return pd.DataFrame(rows)


def variant_comparison(image_size: int = 224) -> pd.DataFrame:
    """The paper's GoogLeNet against torchvision's, read off the two built models (and torchvision's own)."""
    import torchvision

    cols = {}
    for variant in ("paper", "torchvision"):
        with torch.device("meta"):
            m = googlenet(variant, aux_logits=True, image_size=image_size)
            noaux = googlenet(variant, aux_logits=False, image_size=image_size)
        t = layer_table(noaux, image_size)
        cols[variant] = {
            "'5x5' branch kernel": "x".join(map(str, m.inception3a.branch3[1].conv.kernel_size)),
            "BatchNorm after each conv": any(isinstance(x, nn.BatchNorm2d) for x in m.modules()),
            "LRN in the stem": any(type(x).__name__ == "LocalResponseNorm" for x in m.modules()),
            "max pool after 4e": f"{m.maxpool4.kernel_size}x{m.maxpool4.kernel_size}/{m.maxpool4.stride}",
            "dropout before the classifier": m.dropout.p,
            "aux head pooling": type(m.aux1.pool).__name__,
            "params (inference)": layer_totals(t)["params"],
            "params incl. aux heads": count_params(m),
            "MACs per image": layer_totals(t)["macs"],
        }
    with torch.device("meta"):
        tv = torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False)
    cols["torchvision.models.googlenet"] = {k: "" for k in cols["paper"]}
    cols["torchvision.models.googlenet"].update({
        "'5x5' branch kernel": "x".join(map(str, tv.inception3a.branch3[1].conv.kernel_size)),
        "BatchNorm after each conv": any(isinstance(x, nn.BatchNorm2d) for x in tv.modules()),
        "max pool after 4e": f"{tv.maxpool4.kernel_size}x{tv.maxpool4.kernel_size}/{tv.maxpool4.stride}",
        "dropout before the classifier": tv.dropout.p,
        "params (inference)": count_params(tv),
        "MACs per image": macs_total(tv, image_size),
    })
    return pd.DataFrame(cols)


# ---------------------------------------------------------------------------------------------------------------
# Build it yourself: the answers (kept here so the notebook does not show them)
# ---------------------------------------------------------------------------------------------------------------

class AnswerInception(nn.Module):
    """The answer to the notebook's first exercise: Fig. 2b in plain torch."""

    row_kind = "inception"  # tells reviewlib.review.tables to show the module as one row inside a network

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()

        def conv(i, o, k):
            return nn.Sequential(nn.Conv2d(i, o, k, padding=k // 2), nn.ReLU(inplace=True))

        self.branch1 = conv(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(conv(in_channels, ch3x3red, 1), conv(ch3x3red, ch3x3, 3))
        self.branch3 = nn.Sequential(conv(in_channels, ch5x5red, 1), conv(ch5x5red, ch5x5, 5))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), conv(in_channels, pool_proj, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def answer_inception(in_channels: int = 192, row: str = "inception3a") -> nn.Module:
    """The first exercise's answer: ``row`` of Table 1 as an :class:`AnswerInception`."""
    widths = {r[0]: r[1:] for r in INCEPTION_ROWS}
    return AnswerInception(in_channels, *widths[row])


def answer_googlenet(num_classes: int = 1000) -> nn.Module:
    """The second exercise's answer: Table 1 as one ``nn.Sequential`` (no LRN, no auxiliary heads), built with
    :class:`AnswerInception`; it matches ``exercise_reference(num_classes)`` layer by layer."""
    def conv(i, o, k, s=1):
        return nn.Sequential(nn.Conv2d(i, o, k, stride=s, padding=k // 2), nn.ReLU(inplace=True))

    def pool():
        return nn.MaxPool2d(3, stride=2, ceil_mode=True)

    layers: list[nn.Module] = [conv(3, 64, 7, 2), pool(), conv(64, 64, 1), conv(64, 192, 3), pool()]
    c = 192
    for name, *w in INCEPTION_ROWS:
        layers.append(AnswerInception(c, *w))
        c = w[0] + w[2] + w[4] + w[5]
        if name in ("inception3b", "inception4e"):
            layers.append(pool())
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.4), nn.Linear(c, num_classes)]
    return nn.Sequential(*layers)


def exercise_reference(num_classes: int = 1000) -> nn.Module:
    """What the second exercise is checked against: the paper's GoogLeNet without LRN and auxiliary heads."""
    return googlenet("paper", aux_logits=False, lrn=False, num_classes=num_classes)


# ---------------------------------------------------------------------------------------------------------------
# Compute plan and evaluation tables
# ---------------------------------------------------------------------------------------------------------------

def review_plan(budget: Budget | str | None = None) -> dict:
    """How much this notebook trains and evaluates under ``budget``.

    GoogLeNet at 1/4 width takes ~1.5-3 s per 64-image step on a shared 2-core CPU, so the study budget's 8 full
    epochs (79 steps each) would take about half an hour per run; the study plan caps every run (``*_batches`` steps
    per epoch) so that the main run, three ablation variants, the extra ensemble members and the crop protocols
    fit in about ten minutes. The ablation's baseline is also the ensemble's first member (same recipe, seed 0);
    the other members differ only in their seed. ``val_images`` caps the validation set the training curves are
    measured on (evenly spaced, so every class keeps its share). The paper budget runs everything in full.
    """
    b = get_budget(budget)
    if b.name == "smoke":
        return dict(main_epochs=1, main_batches=2, ablation_epochs=1, ablation_batches=1,
                    ensemble_size=2, val_images=None, eval_images=1)
    if b.name == "study":
        return dict(main_epochs=3, main_batches=20, ablation_epochs=2, ablation_batches=8,
                    ensemble_size=3, val_images=200, eval_images=12)
    return dict(main_epochs=b.epochs, main_batches=b.max_batches, ablation_epochs=b.epochs,
                ablation_batches=b.max_batches, ensemble_size=7, val_images=None, eval_images=None)


def short_run_recipe(recipe, steps_per_epoch: int | None):
    """``recipe`` with its Polyak (EMA) decay set so the average spans about one epoch of ``steps_per_epoch``
    steps (``1 - 1/steps``), for runs far shorter than the paper's; unchanged when ``steps_per_epoch`` is None
    (a full-length run keeps the recipe's own decay)."""
    if steps_per_epoch is None or recipe.ema_decay is None:
        return recipe
    if steps_per_epoch < 1:
        raise ValueError(f"short_run_recipe: steps_per_epoch must be >= 1, got {steps_per_epoch}")
    return recipe.with_(ema_decay=round(1.0 - 1.0 / max(2, steps_per_epoch), 4))


def table2() -> pd.DataFrame:
    """Table 2 of the paper (ILSVRC top-5 test error by year) beside torchvision's single-model, single-crop
    ImageNet-1K validation results for the three papers' nets (``weights.meta``; nothing is downloaded)."""
    from torchvision.models import AlexNet_Weights, GoogLeNet_Weights, VGG16_Weights

    rows = [{"source": "paper Table 2 (ILSVRC test)", "team / model": t, "year": y, "top-5 error %": e}
            for t, y, e in PAPER_TABLE2]
    for name, w in (("AlexNet (one weird trick)", AlexNet_Weights.IMAGENET1K_V1),
                    ("VGG-16", VGG16_Weights.IMAGENET1K_V1),
                    ("GoogLeNet (BN variant)", GoogLeNet_Weights.IMAGENET1K_V1)):
        m = w.meta["_metrics"]["ImageNet-1K"]
        rows.append({"source": "torchvision (val, 1 model, 1 crop)", "team / model": name, "year": "",
                     "top-5 error %": round(100 - m["acc@5"], 3),
                     "top-1 error %": round(100 - m["acc@1"], 3)})
    return pd.DataFrame(rows)


def crops_and_ensembles(members: list[nn.Module], dataset, *, image_size: int,
                        protocols: tuple[str, ...] = ("center", "10crop", "144crop"), device=None,
                        max_images: int | None = None, batch_size: int = 64) -> list[dict]:
    """The rows of a Table 3 (Sect. 7): for each protocol, the first model alone and the ensemble of all
    ``members``, with top-1/top-5 error (fractions) in the format of :func:`reviewlib.evaluate.evaluate`.

    Each model's softmax, averaged over its crops, is computed once per protocol
    (:func:`reviewlib.evaluate.predict_dataset`) and the ensemble averages those over models — the same number as
    averaging over all crops of all models, since every model sees the same crops — so the ensemble costs no
    second pass over the first model.
    """
    from ...evaluate import predict_dataset, topk_errors

    if not members:
        raise ValueError("crops_and_ensembles: no models given")
    rows = []
    for protocol in protocols:
        preds = [predict_dataset(m, dataset, protocol=protocol, image_size=image_size, device=device,
                                 max_images=max_images, batch_size=batch_size, progress=False) for m in members]
        groups = [preds[:1]] + ([preds] if len(preds) > 1 else [])
        for group in groups:
            probs = torch.stack([p.probs for p in group]).mean(0)
            err = topk_errors(probs, group[0].targets, ks=(1, 5))
            rows.append({"protocol": protocol, "models": len(group), "crops_per_image": group[0].crops_per_image,
                         "n": len(group[0].targets), "top1_error": err["top1"], "top5_error": err["top5"],
                         "seconds": sum(p.seconds for p in group)})
    return rows


def table3(results: list[dict]) -> pd.DataFrame:
    """A table shaped like the paper's Table 3 from :func:`reviewlib.evaluate.evaluate` results: models, crops,
    cost (network evaluations per image = models x crops), top-1/top-5 error (%), the change against one model and
    one crop, and the paper's top-5 for the same number of crops (1 model or its 7-model ensemble)."""
    if not results:
        raise ValueError("table3: no evaluation results given")
    paper = {(m, c): e for m, c, e in PAPER_TABLE3}
    base = next((r for r in results if r["models"] == 1 and r["crops_per_image"] == 1), results[0])
    rows = []
    for r in results:
        key = (1 if r["models"] == 1 else 7, r["crops_per_image"])
        rows.append({"models": r["models"], "crops": r["crops_per_image"],
                     "cost": r["models"] * r["crops_per_image"], "images": r["n"],
                     "top-1 error %": 100 * r["top1_error"], "top-5 error %": 100 * r["top5_error"],
                     "top-5 vs base (pp)": 100 * (r["top5_error"] - base["top5_error"]),
                     "paper top-5 % (models)": f"{paper[key]} ({key[0]})" if key in paper else ""})
    return pd.DataFrame(rows)
