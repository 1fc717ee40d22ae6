"""The three papers side by side: depth, parameters, multiply-adds and reported accuracy, then the papers' claims
about each other's size and cost beside what reviewlib's models give.

* :func:`comparison_table` (:func:`model_row` per model): depth in weight layers, parameters, multiply-adds (MACs)
  and the FC share of the parameters, computed from reviewlib's models on the ``meta`` device; beside them the
  accuracy each paper reports (typed from its tables, :data:`PAPER_RESULTS`) or torchvision's weights report (read
  from ``torchvision.models.*_Weights.IMAGENET1K_V1.meta``).
* :func:`param_shares`: conv vs first FC vs the other FC layers (AlexNet Sect. 3.5, VGG Table 1, GoogLeNet Sect. 5:
  average pooling leaves one small FC layer).
* :func:`claims`: the claim check of the cross-paper numbers (AlexNet's abstract, VGG's Table 2, GoogLeNet's
  Sect. 1 and Sect. 5), :func:`reviewlib.review.claims.claim_table`.
* :func:`reported_vs_ours`: the papers' and torchvision's ImageNet numbers beside our run's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from ...errors import ConfigError
from ...nets import build_model, count_params, input_side, paper_of
from ...review import tables
from ...review.claims import Claim, claim_table
from ...review.tables import layer_table, layer_totals, weight_depth

#: Single-model error rates (%) the papers print, (top-1, top-5, where); None where a paper gives no number.
PAPER_RESULTS: dict[str, tuple[float | None, float, str]] = {
    "alexnet_paper": (40.7, 18.2, "AlexNet Table 2: 1 CNN, ILSVRC-2012 val, 10 patches (Sect. 4.1)"),
    "vgg_A": (29.6, 10.4, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "vgg_A-LRN": (29.7, 10.5, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "vgg_B": (28.7, 9.9, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "vgg_C": (28.1, 9.4, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "vgg_D": (27.0, 8.8, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "vgg_E": (27.3, 9.0, "VGG Table 3: S=256, Q=256, dense evaluation"),
    "googlenet_paper": (None, 9.15, "GoogLeNet Table 3: 1 model, 10 crops (top-1 not reported)"),
}

#: reviewlib model name -> torchvision weights enum (its IMAGENET1K_V1 meta holds acc@1 / acc@5).
TORCHVISION_WEIGHTS = {"alexnet": "AlexNet_Weights", "vgg11": "VGG11_Weights", "vgg13": "VGG13_Weights",
                       "vgg16": "VGG16_Weights", "vgg19": "VGG19_Weights", "googlenet": "GoogLeNet_Weights"}
#: The torchvision model closest to each paper model (same architecture for VGG A = vgg11, D = vgg16).
TORCHVISION_COUNTERPART = {"alexnet_paper": "alexnet", "vgg_A": "vgg11", "vgg_B": "vgg13", "vgg_D": "vgg16",
                           "vgg_E": "vgg19", "googlenet_paper": "googlenet"}

#: GoogLeNet Table 1's "params" column (thousands): conv1, conv2, inception 3a-5b, the linear layer.
TABLE1_PARAMS_K = (2.7, 112, 159, 380, 364, 437, 463, 580, 840, 1072, 1388, 1000)

#: The overview's rows: the papers' models, then torchvision's.
DEFAULT_MODELS = ("alexnet_paper", "vgg_A", "vgg_A-LRN", "vgg_B", "vgg_C", "vgg_D", "vgg_E", "googlenet_paper",
                  "alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "googlenet")
#: One model per paper for the parameter-share figure (VGG-16 = configuration D).
SHARE_MODELS = ("alexnet_paper", "vgg_D", "googlenet_paper")

#: A one-line meaning for every column of :func:`format_table` (the notebook's legend).
COLUMNS = {
    "model": "reviewlib's name: *_paper / vgg_<config> are the papers' nets, the others torchvision's",
    "source": "whose accuracy the row reports: the paper's tables or torchvision's retrained weights",
    "input": "side of the input image the counts are for (the paper AlexNet needs 227 for its 55x55 maps)",
    "weight layers": "depth counted in layers with weights (an Inception module counts 2, as GoogLeNet does)",
    "params": "parameters of the network used at test time",
    "aux params": "parameters of GoogLeNet's two auxiliary classifiers, used in training only",
    "MACs (G)": "multiply-accumulates per image at that input, in billions (the papers' 'multiply-adds')",
    "FC share": "share of the parameters in fully connected layers",
    "top-1 %": "reported ImageNet validation top-1 accuracy, one model (n/r: not reported)",
    "top-5 %": "reported ImageNet validation top-5 accuracy, one model",
}
KEY_COLUMNS = ["model", "weight layers", "params", "MACs (G)", "top-1 %", "top-5 %"]


@dataclass(frozen=True)
class Reported:
    """Accuracies (%) reported for a model, and where they come from (``source``: "paper" or "torchvision")."""

    top1: float | None
    top5: float | None
    source: str
    where: str


def torchvision_metrics(name: str) -> tuple[float, float]:
    """``(acc@1, acc@5)`` of torchvision's ImageNet weights for ``name`` (the weights' metadata, no download)."""
    import torchvision

    if name not in TORCHVISION_WEIGHTS:
        raise ConfigError(f"no torchvision weights for {name!r}; models with weights: {', '.join(TORCHVISION_WEIGHTS)}")
    m = getattr(torchvision.models, TORCHVISION_WEIGHTS[name]).IMAGENET1K_V1.meta["_metrics"]["ImageNet-1K"]
    return float(m["acc@1"]), float(m["acc@5"])


def reported(name: str) -> Reported:
    """The paper's single-model result (its errors as accuracies) for a paper model, torchvision's 1-crop accuracy
    for a torchvision one; ``Reported(None, None, "none", "")`` when neither."""
    if name in PAPER_RESULTS:
        e1, e5, where = PAPER_RESULTS[name]
        return Reported(None if e1 is None else round(100 - e1, 2), round(100 - e5, 2), "paper", where)
    if name in TORCHVISION_WEIGHTS:
        a1, a5 = torchvision_metrics(name)
        return Reported(a1, a5, "torchvision", "torchvision IMAGENET1K_V1: 1 centre crop 224")
    return Reported(None, None, "none", "")


def meta_model(name: str, **kw) -> nn.Module:
    """``build_model(name, **kw)`` on the ``meta`` device: shapes and counts without allocating a weight."""
    with torch.device("meta"):
        return build_model(name, **kw)


def inference_table(name: str, side: int | None = None, **kw) -> pd.DataFrame:
    """The layer table of ``name``'s test-time network (GoogLeNet without its auxiliary heads) for ``side`` x
    ``side`` inputs (default: the papers' 224, i.e. 227 for the paper AlexNet)."""
    side = input_side(name, 224) if side is None else side
    if paper_of(name) == "googlenet":
        kw = {"aux_logits": False, **kw}
    return layer_table(meta_model(name, image_size=side, **kw), side)


def model_row(name: str) -> dict:
    """One row of the overview table (at the papers' 224, AlexNet's 227), computed on the meta device.

    ``params``/``macs``/``fc_share`` are of the inference network (GoogLeNet without its auxiliary heads, as
    torchvision's 6,624,904); ``train_only_params`` are the auxiliary heads' parameters, used in training only.
    """
    table = inference_table(name)
    totals, shares = layer_totals(table), tables.param_shares(table)
    rep = reported(name)
    return {
        "model": name, "paper": paper_of(name), "source": "torchvision" if name in TORCHVISION_WEIGHTS else "paper",
        "input": input_side(name, 224), "weight_layers": weight_depth(table), "params": totals["params"],
        "train_only_params": count_params(meta_model(name)) - totals["params"], "macs": totals["macs"],
        "fc_share": float(shares.loc[shares["kind"] == "fc", "share"].sum()), "top1": rep.top1, "top5": rep.top5,
        "reported": rep.where,
    }


def comparison_table(names=DEFAULT_MODELS) -> pd.DataFrame:
    """:func:`model_row` for each name, indexed by model (accuracies in %, ``None`` -> NaN)."""
    df = pd.DataFrame([model_row(n) for n in names]).set_index("model")
    for c in ("top1", "top5"):
        df[c] = df[c].astype(float)
    return df


def format_table(df: pd.DataFrame) -> pd.DataFrame:
    """The comparison table as text columns (explained in :data:`COLUMNS`), ``model`` a column."""
    out = pd.DataFrame({"model": df.index})
    out["source"] = df["source"].to_numpy()
    out["input"] = df["input"].to_numpy()
    out["weight layers"] = df["weight_layers"].to_numpy()
    out["params"] = [f"{v:,}" for v in df["params"]]
    out["aux params"] = [f"{v:,}" if v else "-" for v in df["train_only_params"]]
    out["MACs (G)"] = [f"{v / 1e9:.3f}" for v in df["macs"]]
    out["FC share"] = [f"{v:.1%}" for v in df["fc_share"]]
    out["top-1 %"] = ["n/r" if pd.isna(v) else f"{v:.2f}" for v in df["top1"]]
    out["top-5 %"] = ["n/r" if pd.isna(v) else f"{v:.2f}" for v in df["top5"]]
    return out


def param_shares(names=SHARE_MODELS) -> pd.DataFrame:
    """Parameters of each test-time network in conv layers (Inception modules included), in the first FC layer
    (AlexNet's FC6, VGG's FC1, GoogLeNet's only classifier) and in the other FC layers; counts and shares."""
    rows = []
    for name in names:
        shares = tables.param_shares(inference_table(name))
        fc = shares.loc[shares["kind"] == "fc", "params"]
        conv = int(shares.loc["conv", "params"])
        first = int(fc.iloc[0]) if len(fc) else 0
        rest = int(fc.sum()) - first
        total = int(shares["params"].sum())
        rows.append({"model": name, "conv": conv, "first_fc": first, "other_fc": rest,
                     "other": total - conv - first - rest, "total": total, "conv_share": conv / total,
                     "first_fc_share": first / total, "other_fc_share": rest / total})
    return pd.DataFrame(rows).set_index("model")


def claims() -> pd.DataFrame:
    """The papers' numbers about the three nets' depth, size and cost beside ours (computed here, at 224/227).

    AlexNet abstract (60 million parameters) and Sect. 3.5 (eight learned layers); VGG Table 1 (11 to 19 weight
    layers) and Table 2 (133 to 144 million parameters); GoogLeNet Sect. 5 (22 layers with parameters) and Sect. 1
    (12x fewer parameters than AlexNet, a budget of 1.5 billion multiply-adds at inference).
    """
    t = comparison_table(("alexnet_paper", "vgg_A", "vgg_E", "googlenet_paper"))
    p, d, macs = t["params"], t["weight_layers"], t["macs"]
    ratio = round(float(p["alexnet_paper"] / p["googlenet_paper"]), 1)
    table1 = sum(TABLE1_PARAMS_K) * 1000
    return claim_table([
        Claim("AlexNet (abstract): parameters", 60, int(p["alexnet_paper"]), unit=1e6, rel_tol=0.02,
              note="a round figure: 61.0 million to the nearest million"),
        Claim("AlexNet (Sect. 3.5): learned layers", 8, int(d["alexnet_paper"])),
        Claim("VGG-A (Table 1): weight layers", 11, int(d["vgg_A"])),
        Claim("VGG-E (Table 1): weight layers", 19, int(d["vgg_E"])),
        Claim("VGG-A (Table 2): parameters", 133, int(p["vgg_A"]), unit=1e6),
        Claim("VGG-E (Table 2): parameters", 144, int(p["vgg_E"]), unit=1e6),
        Claim("GoogLeNet (Sect. 5): layers with parameters", 22, int(d["googlenet_paper"])),
        Claim("GoogLeNet (Sect. 1): times fewer parameters than AlexNet", 12, ratio,
              note=f"its own Table 1 adds up to {table1 / 1e6:.1f} M, {p['alexnet_paper'] / table1:.1f}x fewer; "
                   "12x would need about 5 M"),
        Claim("GoogLeNet (Sect. 1): multiply-adds at inference", 1.5, int(macs["googlenet_paper"]), unit=1e9,
              note=f"{macs['googlenet_paper'] / 1.5e9 - 1:.0%} over the stated budget with true 5x5 branches; "
                   "torchvision's 3x3 '5x5' branches give 1.498 billion"),
    ])


def reported_vs_ours(ours: pd.DataFrame) -> pd.DataFrame:
    """One row per trained model: the paper's and torchvision's ImageNet numbers (224 px, full width, 1000
    classes) beside ours (:func:`reviewlib.papers.overview.experiments.run_table`: the subset, our width and size).
    """
    rows = []
    for name in ours.index:
        rep, full = reported(name), model_row(name)
        tv = TORCHVISION_COUNTERPART.get(name)
        tv1, tv5 = torchvision_metrics(tv) if tv else (math.nan, math.nan)
        r = ours.loc[name]
        rows.append({"model": name, "paper top-1 %": rep.top1, "paper top-5 %": rep.top5,
                     "torchvision": tv or "-", "torchvision top-1 %": tv1, "torchvision top-5 %": tv5,
                     "params (M)": full["params"] / 1e6, "MACs (G)": full["macs"] / 1e9,
                     "our params (M)": r["params"] / 1e6, "our MACs (M)": r["macs"] / 1e6,
                     "our s / epoch": r["seconds_per_epoch"], "our top-1 %": r["top1"],
                     "our top-1 sd": r["top1_sd"], "our top-5 %": r["top5"]})
    return pd.DataFrame(rows)


#: A one-line meaning for every column of :func:`reported_vs_ours`.
REPORTED_VS_OURS = {
    "model": "the paper's net",
    "paper top-1 %": "ImageNet val top-1 the paper reports for one model (its own test protocol; n/a: not given)",
    "paper top-5 %": "ImageNet val top-5 the paper reports for one model",
    "torchvision": "torchvision's model of the same family",
    "torchvision top-1 %": "ImageNet val top-1 of torchvision's retrained weights, one centre crop",
    "torchvision top-5 %": "ImageNet val top-5 of torchvision's retrained weights",
    "params (M)": "the paper-size net's parameters at test time, millions",
    "MACs (G)": "the paper-size net's multiply-accumulates per 224 image (AlexNet 227), billions",
    "our params (M)": "parameters of the net we trained (our width, 10 classes, GoogLeNet's aux heads included)",
    "our MACs (M)": "multiply-accumulates per image of our trained net at its input size, millions",
    "our s / epoch": "our measured training seconds per epoch (wall clock, mean over epochs and seeds)",
    "our top-1 %": "our validation top-1 on the 10-class subset, last epoch, mean over seeds (chance: 10%)",
    "our top-1 sd": "standard deviation of our top-1 over seeds",
    "our top-5 %": "our validation top-5, mean over seeds (chance: 50%)",
}
