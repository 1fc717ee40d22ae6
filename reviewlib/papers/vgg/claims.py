"""VGG's numbers beside ours (Simonyan & Zisserman 2014): Tables 1-2, Sect. 2.3's 3x3-stack arithmetic, Sect. 3.1's
crops, Sect. 3.3's cost, and the reported results of Tables 3-5 beside torchvision's.

Everything in the *ours* columns is computed from modules built by :mod:`reviewlib.nets` (on PyTorch's meta device
when only shapes and counts are needed), never typed.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

from ...errors import ConfigError
from ...nets import count_params, vgg
from ...nets.vgg import TABLE1, VGG, WEIGHT_LAYERS, shorthand
from ...review.claims import Claim, claim_table
from ...review.tables import layer_table, layer_totals, param_shares, weight_depth

SHALLOW = "B-5x5"  # Sect. 4.1's shallow net: B with each pair of 3x3 convs replaced by one 5x5 conv
CONFIGS = TABLE1 + (SHALLOW,)

# ---------------------------------------------------------------------------------------------- the paper's numbers
#: Table 2: parameters in millions.
PAPER_PARAMS_M = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}
#: Table 3 (single test scale, top-1 / top-5 val error %), S = 256, Q = 256.
TABLE3 = pd.DataFrame(
    {"top1_error": [29.6, 29.7, 28.7, 28.1, 27.0, 27.3], "top5_error": [10.4, 10.5, 9.9, 9.4, 8.8, 9.0]},
    index=pd.Index(list(TABLE1), name="config"))
#: Sect. 4.1: the shallow net's top-1 error was 7% higher than B's (centre crop).
SHALLOW_GAP = 7.0
#: Tables 3-5 for D and E, as the paper's rows (train scale S, test protocol, top-1 / top-5 val error %).
PAPER_EVAL = pd.DataFrame([
    ("D", "S=256", "single scale Q=256 (Table 3)", 27.0, 8.8),
    ("D", "S in [256,512]", "single scale Q=384 (Table 3)", 25.6, 8.1),
    ("D", "S in [256,512]", "multi-scale Q={256,384,512}, dense (Table 4)", 24.8, 7.5),
    ("D", "S in [256,512]", "dense + multi-crop (Table 5)", 24.4, 7.2),
    ("E", "S=256", "single scale Q=256 (Table 3)", 27.3, 9.0),
    ("E", "S in [256,512]", "single scale Q=384 (Table 3)", 25.5, 8.0),
    ("E", "S in [256,512]", "multi-scale Q={256,384,512}, dense (Table 4)", 24.8, 7.5),
    ("E", "S in [256,512]", "dense + multi-crop (Table 5)", 24.4, 7.1),
], columns=["config", "train scale", "test", "top1_error", "top5_error"])
#: Table 6: D and E fused (dense + multi-crop), the best two-net result.
TABLE6_DE = (23.7, 6.8)
#: Sect. 3.3: four NVIDIA Titan Black GPUs, 2-3 weeks per net. FP32 peak of one Titan Black (NVIDIA's spec sheet).
PAPER_GPUS, PAPER_DAYS, TITAN_BLACK_TFLOPS = 4, (14, 21), 5.1
IMAGENET_TRAIN_IMAGES = 1_281_167
#: Sect. 3.1: the initial weights of net A are drawn from N(0, 10^-2): zero mean, variance 10^-2.
PAPER_INIT_VARIANCE = 1e-2


# ------------------------------------------------------------------------------------------------- architecture
def build_meta(config: str | list = "D", **kwargs) -> VGG:
    """``reviewlib.nets.vgg(config, **kwargs)`` on PyTorch's meta device: shapes and counts, no weights in memory."""
    with torch.device("meta"):
        return vgg(config, **kwargs)


def architecture_table(image_size: int = 224, configs: Sequence[str] = CONFIGS) -> pd.DataFrame:
    """Table 1 + Table 2 computed from built (meta) models: shorthand, weight layers, parameters, final map,
    multiply-adds and the FC1 share, beside the paper's figures (none for the shallow net: Table 2 omits it)."""
    rows = []
    for c in configs:
        t = layer_table(build_meta(c, image_size=image_size), image_size)
        totals = layer_totals(t)
        last = t[(t["kind"] == "pool") & (t["name"] != "avgpool")].iloc[-1]
        rows.append({"config": c, "shorthand": shorthand(c), "weight layers": weight_depth(t),
                     "paper layers": WEIGHT_LAYERS[c], "params": totals["params"],
                     "paper params (M)": PAPER_PARAMS_M.get(c, pd.NA), "final map": last["output"],
                     "GMACs": round(totals["macs"] / 1e9, 2),
                     "fc1 share": round(float(param_shares(t).loc["fc1", "share"]), 3)})
    return pd.DataFrame(rows).set_index("config")


def claims(image_size: int = 224, channels: int = 64) -> pd.DataFrame:
    """The claim check: every numeric architecture claim of the paper beside ours, computed from built modules.

    Table 2's parameter counts, Table 1's weight-layer counts, Sect. 2.3's 27C^2 vs 49C^2 (and "81% more") with
    C = ``channels``, Sect. 2.1's 224x224 input reaching 7x7x512 before the FC layers, and Sect. 4.1's shallow net
    (five 5x5 convs with the receptive fields of B's pairs of 3x3 convs).
    """
    out: list[Claim] = []
    tables = {c: layer_table(build_meta(c, image_size=image_size), image_size) for c in CONFIGS}
    for c in TABLE1:
        out.append(Claim(f"Table 2: parameters of {c}", PAPER_PARAMS_M[c], layer_totals(tables[c])["params"],
                         unit=1e6))
    for c in TABLE1:
        out.append(Claim(f"Table 1: weight layers of {c}", WEIGHT_LAYERS[c], weight_depth(tables[c])))
    three = stack_comparison(3, 3, channels, measure=False)
    out.append(Claim("Sect. 2.3: weights of three 3x3 layers / C^2", 27,
                     int(three.loc["stack", "weights"]) // channels ** 2))
    out.append(Claim("Sect. 2.3: weights of one 7x7 layer / C^2", 49,
                     int(three.loc["single", "weights"]) // channels ** 2))
    extra = three.loc["single", "weights"] / three.loc["stack", "weights"] - 1
    out.append(Claim("Sect. 2.3: a 7x7 layer has more weights (%)", 81, round(100 * float(extra), 1),
                     rel_tol=0.01, note="49/27 - 1 = 81.5%: the paper rounds down"))
    out.append(Claim("Sect. 2.3: receptive field of three 3x3 layers", 7, int(three.loc["stack", "rf (layer table)"])))
    pool5 = tables["D"][tables["D"]["name"] == "pool5"].iloc[0]["output"]
    out.append(Claim("Sect. 2.1: 224x224 input -> map before the FC layers", "7x7x512", pool5))
    shallow, b = tables[SHALLOW], tables["B"]
    out.append(Claim("Sect. 4.1: conv layers of the shallow net", 5, int((shallow["kind"] == "conv").sum())))
    same_rf = _pool_rfs(shallow) == _pool_rfs(b)
    out.append(Claim("Sect. 4.1: 5x5 convs see what B's pairs of 3x3 see (rf at each pool)", "same",
                     "same" if same_rf else "differs"))
    return claim_table(out)


def _pool_rfs(table: pd.DataFrame) -> list[int]:
    return table.loc[(table["kind"] == "pool") & (table["name"] != "avgpool"), "rf"].astype(int).tolist()


def shallow_rows(image_size: int = 224) -> pd.DataFrame:
    """B and its shallow twin (Sect. 4.1) block by block: convs, kernel, receptive field at the block's pool and the
    block's conv parameters. The fields agree, the 5x5 block has more weights (25C^2 vs 18C^2) and one ReLU fewer."""
    rows = []
    for c in ("B", SHALLOW):
        t = layer_table(build_meta(c, image_size=image_size), image_size)
        block = 1
        convs: list = []
        for r in t.itertuples():
            if r.kind == "conv":
                convs.append(r)
            elif r.kind == "pool" and r.name != "avgpool":
                rows.append({"config": c, "block": block, "convs": len(convs),
                             "kernel": f"{convs[0].kernel}x{convs[0].kernel}", "rf at pool": int(r.rf),
                             "conv params": sum(int(x.params) for x in convs), "ReLUs": len(convs)})
                block, convs = block + 1, []
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ Sect. 2.3: why 3x3 stacks
def stack_receptive_field(depth: int, kernel: int) -> int:
    """Receptive field of ``depth`` stacked ``kernel x kernel`` stride-1 convs: ``depth (kernel - 1) + 1``
    (the closed form of ``r_out = r_in + (k - 1) j`` with jump 1; Sect. 2.3: two 3x3 see 5x5, three see 7x7)."""
    if depth < 1 or kernel < 1:
        raise ConfigError(f"stack_receptive_field: depth ({depth}) and kernel ({kernel}) must be at least 1")
    return depth * (kernel - 1) + 1


def conv_stack(depth: int, kernel: int, channels: int, *, in_channels: int | None = None, bias: bool = False
               ) -> nn.Sequential:
    """``depth`` x (Conv2d ``kernel x kernel``, stride 1, 'same' padding, then ReLU): one VGG block."""
    if kernel % 2 == 0:
        raise ConfigError(f"conv_stack: kernel {kernel} is even; VGG's 'same' padding needs an odd kernel")
    layers: list[nn.Module] = []
    c_in = channels if in_channels is None else in_channels
    for _ in range(depth):
        layers += [nn.Conv2d(c_in, channels, kernel, padding=kernel // 2, bias=bias), nn.ReLU(inplace=True)]
        c_in = channels
    return nn.Sequential(*layers)


def stack_comparison(depth: int = 3, kernel: int = 3, channels: int = 64, *, measure: bool = True) -> pd.DataFrame:
    """A stack of ``depth`` ``kernel x kernel`` convs against the one big kernel that sees the same field (Sect. 2.3).

    Rows ``stack`` and ``single``; columns: the layers, the receptive field by the formula, from
    :func:`~reviewlib.review.tables.layer_table`'s ``rf`` and (``measure=True``) by back-propagation
    (:func:`~reviewlib.review.receptive.empirical_receptive_field`, on a 1-channel copy so it stays fast), the
    weights counted from the built modules (no biases, as in Sect. 2.3's C^2 counts), weights / C^2 and the
    non-linearities (ReLU modules).
    """
    from ...review.receptive import empirical_receptive_field

    big = stack_receptive_field(depth, kernel)
    rows = {}
    for name, (d, k) in {"stack": (depth, kernel), "single": (1, big)}.items():
        with torch.device("meta"):
            block = conv_stack(d, k, channels)
        size = 2 * big + 1
        rf_table = int(layer_table(block, (channels, size, size))["rf"].iloc[-1])
        row = {"layers": f"{d} x {k}x{k}", "rf (formula)": stack_receptive_field(d, k), "rf (layer table)": rf_table}
        if measure:
            row["rf (gradient)"] = empirical_receptive_field(conv_stack(d, k, 1), (1, size, size))
        weights = count_params(block)
        row.update({"weights": weights, "weights / C^2": weights / channels ** 2,
                    "non-linearities": sum(isinstance(m, nn.ReLU) for m in block.modules())})
        rows[name] = row
    return pd.DataFrame(rows).T.infer_objects()


def stack_sentence(table: pd.DataFrame) -> str:
    """One line on a :func:`stack_comparison` table: same field, weights and ReLUs of each side."""
    s, b = table.loc["stack"], table.loc["single"]
    rf = int(s["rf (formula)"])
    return (f"same {rf}x{rf} field: the stack has {int(s['weights']):,} weights and {int(s['non-linearities'])} "
            f"ReLUs; one {b['layers'][4:]} conv has {int(b['weights']):,} weights "
            f"({b['weights'] / s['weights'] - 1:+.0%}) and 1 ReLU")


def one_by_one_rows(image_size: int = 224) -> pd.DataFrame:
    """Configuration C's 1x1 convs (conv3_3, conv4_3, conv5_3) beside the 3x3 conv before them: the receptive field
    does not grow, a ReLU is added (Sect. 2.3)."""
    t = layer_table(build_meta("C", image_size=image_size), image_size)
    idx = t.index[(t["kind"] == "conv") & (t["kernel"] == 1)]
    keep = sorted(set(idx) | set(idx - 1))
    return t.loc[keep, ["name", "kernel", "output", "params", "rf"]].reset_index(drop=True)


def torchinfo_check(config: str = "D", image_size: int = 224) -> tuple[str, dict]:
    """``torchinfo.summary`` of a configuration (on the meta device) and its totals beside our layer table's:
    returns the summary text and ``{"torchinfo": ..., "ours": ..., "agree": bool}`` (total parameters)."""
    import torchinfo

    model = build_meta(config, image_size=image_size)
    info = torchinfo.summary(model, input_size=(1, 3, image_size, image_size), device="meta", verbose=0,
                             col_names=("output_size", "num_params"), depth=2)
    ours = layer_totals(layer_table(model, image_size))["params"]
    return str(info), {"torchinfo": int(info.total_params), "ours": int(ours), "agree": int(info.total_params) == ours}


# ------------------------------------------------------------------------------------ Sect. 3.1 and 3.3: training
def init_std(variance: float = PAPER_INIT_VARIANCE) -> float:
    """The standard deviation of Sect. 3.1's N(0, 10^-2): the paper gives the variance, so std = sqrt(0.01) = 0.1."""
    return math.sqrt(variance)


def crop_coverage(crop: int, scales: Sequence[int]) -> pd.DataFrame:
    """Sect. 3.1: what a ``crop`` x ``crop`` training patch covers of an image rescaled to short side S: the
    fraction of the short side (``crop / S``) and of the square's area, for each S in ``scales``."""
    rows = []
    for s in scales:
        if s < crop:
            raise ConfigError(f"crop_coverage: S={s} is smaller than the {crop}-pixel crop; Sect. 3.1 needs S >= crop")
        rows.append({"S": s, "side covered": crop / s, "area covered": (crop / s) ** 2})
    return pd.DataFrame(rows).set_index("S")


def activation_memory(table: pd.DataFrame, input_shape: Sequence[int] = (3, 224, 224), bytes_per_value: int = 4
                      ) -> dict[str, float]:
    """Forward activation memory of one image from a layer table: the input plus every conv, pool and FC output
    (``avgpool``, the identity at the natural map size, is not counted), x 4 bytes (fp32). Backward keeps these and
    adds their gradients, so training needs roughly twice as much."""
    rows = table[table["name"] != "avgpool"]
    values = int(math.prod(input_shape)) + int(rows["neurons"].sum())
    forward = values * bytes_per_value
    return {"values": values, "forward_MB": forward / 2 ** 20, "train_MB": 2 * forward / 2 ** 20}


def training_cost(macs_per_image: int, images_per_epoch: int = IMAGENET_TRAIN_IMAGES, epochs: int = 74,
                  backward_factor: float = 3.0) -> dict[str, float]:
    """Sect. 3.3: multiply-adds of training (forward + backward ~ 3x forward) and what the paper's hardware could
    do: the days at 100% of 4 Titan Blacks' FP32 peak, and the utilisation implied by the paper's 2-3 weeks."""
    total = macs_per_image * images_per_epoch * epochs * backward_factor
    peak_macs = PAPER_GPUS * TITAN_BLACK_TFLOPS * 1e12 / 2
    ideal_days = total / peak_macs / 86400
    return {"training PetaMACs": total / 1e15, "days at 4x Titan Black peak": ideal_days,
            "implied utilisation (2 weeks)": ideal_days / PAPER_DAYS[0],
            "implied utilisation (3 weeks)": ideal_days / PAPER_DAYS[1]}


# -------------------------------------------------------------------------------------- reported results
def torchvision_reported() -> pd.DataFrame:
    """torchvision's ImageNet-1k numbers (``VGG*_Weights.IMAGENET1K_V1.meta``, no download): single 224 centre crop
    of a 256 short side, as errors in %, beside the paper's single-scale Table 3 row (Q = S = 256, dense), with the
    gaps (torchvision - paper, points)."""
    from torchvision import models as tvm

    rows = []
    for cfg, name in (("A", "VGG11"), ("B", "VGG13"), ("D", "VGG16"), ("E", "VGG19")):
        meta = getattr(tvm, f"{name}_Weights").IMAGENET1K_V1.meta
        m = meta["_metrics"]["ImageNet-1K"]
        tv1, tv5 = round(100 - m["acc@1"], 2), round(100 - m["acc@5"], 2)
        rows.append({"config": cfg, "torchvision": name.lower(), "params": meta["num_params"],
                     "tv top1_error": tv1, "paper top1_error": TABLE3.loc[cfg, "top1_error"],
                     "top1 gap": round(tv1 - TABLE3.loc[cfg, "top1_error"], 2),
                     "tv top5_error": tv5, "paper top5_error": TABLE3.loc[cfg, "top5_error"],
                     "top5 gap": round(tv5 - TABLE3.loc[cfg, "top5_error"], 2)})
    return pd.DataFrame(rows).set_index("config")


def gap_sentence(table: pd.DataFrame) -> str:
    """How far torchvision's errors are from Table 3's, top-1 and top-5 separately (from
    :func:`torchvision_reported`)."""
    def span(col: str) -> str:
        lo, hi = table[col].min(), table[col].max()
        return f"{lo:+.2f} to {hi:+.2f}"
    return (f"torchvision - paper: top-1 error {span('top1 gap')} points, top-5 error {span('top5 gap')} points "
            f"(configurations {', '.join(table.index)})")
