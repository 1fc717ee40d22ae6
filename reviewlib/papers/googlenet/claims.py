"""GoogLeNet's numbers beside ours: Table 1 row by row, the claims of Sect. 1 and 5, the classifier head, the
auxiliary classifiers and the paper's net against torchvision's.

The *paper* columns are the paper's printed numbers (Table 1, Sect. 1, Sect. 5; ../shared/papers/FACTS.md); every
*ours* column is computed from :mod:`reviewlib.nets`, and where we read the paper's numbers a particular way (its
"K" as 1024) the reading sits in our columns, never in the paper's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from ...errors import ConfigError
from ...nets import alexnet, count_params, googlenet
from ...nets.arch import Aux, trace
from ...review.claims import Claim, claim_table
from ...review.tables import layer_table, layer_totals, macs_total, weight_depth
from ...train.recipes import paper_recipe


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

#: Claims of Sect. 1, 5 and 6 that are not Table 1 rows.
PAPER_CLAIMS = dict(depth=22, depth_with_pooling=27, fewer_params_than_alexnet=12, macs_g=1.5, aux_weight=0.3,
                    aux_dropout=0.7, dropout=0.4, avgpool_gain_top1=0.6)


def _pct(ours, paper):
    return 100.0 * (ours / paper - 1.0)


def _weights(module: nn.Module) -> int:
    """Parameters without biases (weights of convolutions and linear layers)."""
    return sum(p.numel() for n, p in module.named_parameters() if not n.endswith("bias"))


def paper_model(**kw) -> nn.Module:
    """The paper's GoogLeNet at 224 on the meta device (no weights allocated): Table 1 with LRN, no aux heads."""
    with torch.device("meta"):
        return googlenet("paper", **{"aux_logits": False, **kw})


#: One line per column of the layer table (:func:`reviewlib.review.tables.layer_table`) as the notebook shows it.
LAYER_LEGEND = {
    "name": "the layer, named as in Table 1 (an Inception module is one row, its four branches inside it)",
    "kind": "conv, pool, lrn (local response normalisation), inception or fc (the linear classifier)",
    "kernel": "window side in pixels (an Inception row gives its widest branch, the 5x5)",
    "stride": "step of the window in pixels",
    "padding": "zeros added on each side",
    "output": "output map, H x W x C",
    "params": "weights and biases of the row",
    "macs": "multiply-adds per image (torch's FLOP counter / 2)",
    "rf": "receptive field: the side of the input square one output unit can see, in pixels",
    "jump": "distance in input pixels between neighbouring output units (the product of the strides so far)",
}


# ------------------------------------------------------------------------------------------------ Table 1, conv1
def conv1_candidates(size: int = 112) -> pd.DataFrame:
    """Which first layer gives Table 1's 2.7K parameters and 34M multiply-adds? Candidate readings of
    "conv 7x7/2, 64 maps" on a 3-channel input, counted on the ``size`` x ``size`` output (112 at 224).

    The depthwise-separable candidate (a 7x7 depthwise conv with depth multiplier 8, then a 1x1 conv to 64 maps) is
    the first layer of TF-slim's Inception-v2 code (``Conv2d_1a_7x7``, ``depthwise_multiplier = 8``); the GoogLeNet
    paper itself does not say that its conv1 was separable.
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
                     "params vs 2.7K (%)": _pct(params, 2700), "MACs vs 34M (%)": _pct(macs, 34e6)})
    df = pd.DataFrame(rows)
    df["fits both (within 2%)"] = (df["params vs 2.7K (%)"].abs() <= 2) & (df["MACs vs 34M (%)"].abs() <= 2)
    return df


def table1_reproduction(model: nn.Module | None = None, image_size: int = 224, tolerance: float = 2.5
                        ) -> pd.DataFrame:
    """Table 1 row by row: the paper's output size, depth, parameters and ops beside ours, with deltas (%).

    ``model`` defaults to :func:`paper_model` (the LRN layers, which Table 1 omits and which have no weights, are not
    rows). Two readings of the paper's "K" are compared:

    * ``params d% (K=1000)``: our parameters as the model has them (biases included) against K = 1000;
    * ``params d% (K=1024)``: our weights (no biases) against K = 1024. This reading reproduces several rows exactly
      (the "conv 3x3" row: 114,688 weights = 112.0 x 1024; the linear layer: 1,024,000 = 1000 x 1024), so it is the
      one the flags use.

    ``paper ops/(params*HW)`` checks the paper's two columns against each other under K = 1024: a convolution's
    multiply-adds are its weights times its output pixels, so the ratio is 1 when they agree (ops are in decimal
    millions: they match our multiply-adds). A row is flagged when its output size or depth differs, or its
    K = 1024 parameter delta or multiply-add delta exceeds ``tolerance`` percent; ``note`` says what we found.
    """
    model = paper_model() if model is None else model
    table = layer_table(model, image_size)
    by_name = {r["name"]: r for _, r in table.iterrows()}
    out_rows, prev_output = [], None
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
        row["flag"] = "FLAG" if output != pr.output or depth != pr.depth or off_params or off_macs else ""
        row["note"] = "; ".join(notes)
        out_rows.append(row)
    return pd.DataFrame(out_rows)


def table1_totals(t1: pd.DataFrame) -> pd.DataFrame:
    """Column sums of :func:`table1_reproduction`: the paper's totals against ours."""
    return pd.DataFrame([{"paper params (K)": t1["paper params (K)"].sum(), "our weights": t1["our weights"].sum(),
                          "our params": t1["our params"].sum(), "paper ops": t1["paper ops"].sum(),
                          "our MACs": t1["our MACs"].sum(), "paper depth": t1["paper depth"].sum(),
                          "our depth": t1["our depth"].sum()}])


#: The columns of :func:`format_table1`, each explained in one line (the notebook's legend).
TABLE1_LEGEND = {
    "row": "the row of the paper's Table 1",
    "output p/o": "output map H x W x C, paper / ours (one value when both agree)",
    "depth p/o": "layers with weights in the row, paper / ours (an Inception module counts 2: 1x1 reduce, then 3x3 "
                 "or 5x5)",
    "params": "the paper's params column as printed (K = thousand, or 1024: see the next columns)",
    "ours/1024": "our weights (biases left out) divided by 1024: the reading of 'K' that reproduces rows exactly",
    "d%": "ours/1024 against the paper's params, in percent",
    "ours/1000": "our parameters (biases included) divided by 1000",
    "d%(1000)": "ours/1000 against the paper's params, in percent",
    "ops": "the paper's ops column: multiply-adds per image, in millions",
    "our MACs": "our multiply-adds per image (torch's FLOP counter / 2), in millions",
    "d%(MACs)": "our MACs against the paper's ops, in percent",
    "ops/(p*HW)": "the paper's ops divided by its params x output pixels: 1.000 when the paper's two columns agree "
                  "with each other (a conv's multiply-adds are its weights times its output pixels)",
    "flag": "FLAG: the row differs from our build by more than 2.5% (after reading K as 1024)",
    "note": "what the row's numbers say",
}


def format_table1(t1: pd.DataFrame) -> pd.DataFrame:
    """:func:`table1_reproduction` as short text columns (K and M units), the columns of :data:`TABLE1_LEGEND`."""
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
        "note": t1["note"],
    })


# ------------------------------------------------------------------------------------------------ the claim check
def claims(image_size: int = 224) -> pd.DataFrame:
    """The claim check of Sect. 1 (depth, "12 times fewer parameters" than AlexNet, the 1.5 billion multiply-add
    budget), Table 1's totals and Sect. 5 (auxiliary classifiers, dropout): paper figure, ours (computed here),
    verdict, note (:func:`reviewlib.review.claims.claim_table`)."""
    with torch.device("meta"):
        g = googlenet("paper", aux_logits=True)
        a = alexnet("paper")
    g_noaux = paper_model()
    tg = layer_table(g_noaux, image_size)
    g_params, g_macs = layer_totals(tg)["params"], layer_totals(tg)["macs"]
    a_params = count_params(a)
    conv1_macs = int(tg.loc[tg["name"] == "conv1", "macs"].iloc[0])
    sep = conv1_candidates(int(tg.loc[tg["name"] == "conv1", "out_h"].iloc[0]))
    sep_macs = int(sep[sep["fits both (within 2%)"]]["MACs"].iloc[0])
    paper_sum_k = round(sum(r.params_k for r in PAPER_TABLE1 if r.params_k), 1)
    weights = _weights(g_noaux)
    aux = aux_table(image_size).set_index("head")["pooled map"]
    gr, pc = paper_recipe("googlenet"), PAPER_CLAIMS
    rows = [
        Claim("depth: layers with parameters (Sect. 1, 5)", pc["depth"], weight_depth(tg)),
        Claim("depth: counting pooling too (Sect. 5)", pc["depth_with_pooling"], weight_depth(tg, pooling=True)),
        Claim("times fewer parameters than AlexNet (Sect. 1)", pc["fewer_params_than_alexnet"],
              round(a_params / g_params, 2), rel_tol=0.05,
              note=f"AlexNet {a_params:,} / GoogLeNet {g_params:,} (inference, no aux heads); even Table 1's own "
                   f"params column ({paper_sum_k:,.1f}K) gives {60_000 / paper_sum_k:.1f}x of AlexNet's 60 million"),
        Claim("multiply-adds per image (Sect. 1)", pc["macs_g"], g_macs, unit=1e9, rel_tol=0.02,
              note=f"the dense 7x7 conv1 costs {conv1_macs / 1e6:.0f}M of it vs Table 1's 34M"),
        Claim("... with conv1 as a depthwise-separable 7x7", pc["macs_g"], g_macs - conv1_macs + sep_macs,
              unit=1e9, rel_tol=0.02, note="the conv1 candidate that fits Table 1's conv1 row (2.7K, 34M)"),
        Claim("Table 1's params column summed (K)", paper_sum_k, round(weights / 1024, 1), rel_tol=0.03,
              note=f"ours: our {weights:,} weights (no biases) / 1024, the reading of K that reproduces Table 1's "
                   f"rows exactly; with our {g_params - weights:,} biases we have {g_params:,} parameters"),
        Claim("linear layer parameters (Table 1, K)", 1000, round(_weights(g.fc) / 1024, 1),
              note=f"ours: 1024 x 1000 weights / 1024 (plus {count_params(g.fc) - _weights(g.fc):,} biases)"),
        Claim("map before the average pool (Table 1)", "7x7x1024",
              tg.loc[tg["name"] == "inception5b", "output"].iloc[0]),
        Claim("aux classifier on 4a: pooled map (Sect. 5)", "4x4x512", aux["aux1"]),
        Claim("aux classifier on 4d: pooled map (Sect. 5)", "4x4x528", aux["aux2"]),
        Claim("aux loss weight (Sect. 5)", pc["aux_weight"], gr.aux_weight),
        Claim("aux dropout (Sect. 5)", pc["aux_dropout"], g.aux1.dropout.p),
        Claim("main classifier dropout (Table 1)", pc["dropout"], g.dropout.p),
    ]
    return claim_table(rows)


# ------------------------------------------------------------------------------------------------ head, aux, variants
def head_comparison(image_size: int = 224, num_classes: int = 1000) -> pd.DataFrame:
    """Global average pooling (the paper) vs a fully connected layer on the 7x7x1024 map: the head's weights and
    the whole net's parameters and multiply-adds (Sect. 5; the paper credits pooling with +0.6% top-1)."""
    rows = []
    for head, label in (("avgpool", "global average pooling + linear (paper)"),
                        ("fc", "flatten 7x7x1024 + linear")):
        m = paper_model(head=head, num_classes=num_classes)
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
    rows = []
    for name, tap in after.items():
        head = m.get_submodule(name)
        c, h, w = traced[name].in_shape
        side = math.isqrt(head.fc1.in_features // head.conv.conv.out_channels)
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


def torchinfo_check(image_size: int = 224) -> tuple[object, dict]:
    """``torchinfo.summary`` of the paper's GoogLeNet (eval mode, one image, so the aux heads are left out as at
    inference) and the totals of our layer table beside its own. torchinfo's mult-adds also count one addition per
    output of every layer with a bias; ``bias additions`` counts those, so the two totals can be compared exactly."""
    import torchinfo

    model = googlenet("paper", aux_logits=False).eval()
    info = torchinfo.summary(model, input_size=(1, 3, image_size, image_size), depth=1, verbose=0,
                             col_names=("output_size", "num_params", "mult_adds"))
    outputs: list[int] = []
    hooks = [m.register_forward_hook(lambda mod, args, out: outputs.append(out.numel()))
             for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None]
    with torch.no_grad():
        model(torch.zeros(1, 3, image_size, image_size))
    for h in hooks:
        h.remove()
    ours = layer_totals(layer_table(model, image_size))
    totals = {"torchinfo params": int(info.total_params), "layer table params": ours["params"],
              "torchinfo mult-adds": int(info.total_mult_adds), "layer table MACs": ours["macs"],
              "bias additions": sum(outputs)}
    totals["params agree"] = totals["torchinfo params"] == totals["layer table params"]
    totals["mult-adds agree"] = totals["torchinfo mult-adds"] == totals["layer table MACs"] + totals["bias additions"]
    return info, totals
