"""AlexNet's numbers beside ours (Krizhevsky, Sutskever, Hinton 2012): the abstract's 60 million parameters and
650,000 neurons, Fig. 2's neurons per layer, Sect. 3.2's two GPUs, Sect. 3.3's LRN, Sect. 3.4's pooling and Sect.
4.1's augmentation factor.

Everything in the *ours* columns is computed from modules built by :mod:`reviewlib.nets` (on PyTorch's meta device
when only shapes and counts are needed), never typed.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

from ...errors import ConfigError
from ...nets import alexnet
from ...nets.alexnet import PAPER_INPUT, alexnet_specs
from ...nets.arch import trace
from ...nets.layers import TwoTowerConv
from ...review.claims import Claim, claim_table
from ...review.tables import layer_table, layer_totals

# ---------------------------------------------------------------------------------------------- the paper's numbers
PAPER_NEURONS = (253_440, 186_624, 64_896, 64_896, 43_264, 4096, 4096, 1000)  # Fig. 2 caption
PAPER_LAYER_NAMES = ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8")
PAPER_PARAMS_M = 60  # "60 million parameters" (abstract)
PAPER_NEURONS_K = 650  # "650,000 neurons" (abstract)
PAPER_INPUT_DIM = 150_528  # Fig. 2 caption: 224x224x3
PAPER_OWN_TOWER = ("conv2", "conv4", "conv5")  # Sect. 3.2: these see only the maps on their own GPU
PAPER_AUG_FACTOR = 2048  # Sect. 4.1

#: One line for every column of :func:`reviewlib.review.tables.layer_table` the notebook shows.
LAYER_LEGEND = {
    "name": "the layer, as the paper names it (conv1-conv5, fc6-fc8; lrn and pool rows between them)",
    "kind": "what the layer does: conv, lrn (local response normalisation), pool (max-pooling) or fc (fully connected)",
    "kernel": "side of the window the layer slides over its input (11 = an 11x11 window)",
    "stride": "how many pixels the window moves between outputs",
    "padding": "zeros added around the input on each side",
    "output": "height x width x channels of the layer's output for one image",
    "neurons": "output values of the layer (height x width x channels): the paper's 'neurons'",
    "params": "learned weights and biases",
    "macs": "multiply-accumulates to compute the layer for one image (the papers' unit of cost)",
    "rf": "receptive field: the side, in input pixels, of the square of the input that one output value can see "
          "(it grows with every kernel and every stride before it)",
}
LAYER_KEYS = ["name", "kind", "kernel", "stride", "output", "params", "rf"]


# ------------------------------------------------------------------------------------------------- architecture
def paper_model(image_size: int = PAPER_INPUT, **kwargs) -> nn.Module:
    """The paper's AlexNet on PyTorch's meta device (shapes and counts, no 61M weights in memory)."""
    with torch.device("meta"):
        return alexnet("paper", image_size=image_size, **kwargs)


def _weight_rows(model: nn.Module, image_size: int) -> pd.DataFrame:
    t = layer_table(model, image_size, device="meta")
    return t[t["kind"].isin(("conv", "fc"))].reset_index(drop=True)


def neurons_per_layer(image_size: int = PAPER_INPUT) -> pd.DataFrame:
    """Fig. 2's neurons per layer beside the output elements of our paper model, plus a ``total`` row.

    Columns: ``layer``, ``paper``, ``ours``, ``ours - paper``, ``ours shape``.
    """
    rows = _weight_rows(paper_model(image_size), image_size)
    if list(rows["name"]) != list(PAPER_LAYER_NAMES):
        raise ConfigError(f"neurons_per_layer: expected layers {PAPER_LAYER_NAMES}, got {list(rows['name'])}")
    df = pd.DataFrame({"layer": rows["name"], "paper": PAPER_NEURONS, "ours": rows["neurons"].astype(int),
                       "ours shape": rows["output"]})
    df["ours - paper"] = df["ours"] - df["paper"]
    total = {"layer": "total", "paper": sum(PAPER_NEURONS), "ours": int(df["ours"].sum()), "ours shape": "",
             "ours - paper": int(df["ours"].sum()) - sum(PAPER_NEURONS)}
    df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    return df[["layer", "paper", "ours", "ours - paper", "ours shape"]]


def conv_out(size: int, kernel: int = 11, stride: int = 4, padding: int = 0) -> int:
    """PyTorch's (and Caffe's) floor rule for a convolution's output side."""
    return (size + 2 * padding - kernel) // stride + 1


def factorisations(n: int, sides: Sequence[int] = range(40, 65), channels: Sequence[int] = (48, 96)
                   ) -> list[tuple[int, int, int]]:
    """Every ``(h, w, c)`` with ``h <= w`` from ``sides`` and ``c`` from ``channels`` whose product is ``n``."""
    return [(h, w, c) for c in channels for h in sides for w in sides if h <= w and h * w * c == n]


def conv1_candidates(paper_value: int = PAPER_NEURONS[0]) -> pd.DataFrame:
    """Candidate arithmetic for Fig. 2's 253,440 conv1 neurons, each computed, and whether it hits the number:
    the usual suspects (input 224 vs 227, padding, one tower only) and an exhaustive search for ``h x w x c``
    products with sides 40-64 and 48 or 96 maps."""
    rows = []

    def add(candidate: str, h: int, w: int, c: int) -> None:
        rows.append({"candidate": candidate, "shape": f"{h}x{w}x{c}", "neurons": h * w * c,
                     "equals paper": h * w * c == paper_value})

    s227, s224, s224p = conv_out(227), conv_out(224), conv_out(224, padding=2)
    add("227 input, 11x11/4, no padding (our paper model)", s227, s227, 96)
    add(f"224 input, no padding: floor((224-11)/4)+1 = {s224}", s224, s224, 96)
    add(f"224 input, padding 2 (torchvision): {s224p}", s224p, s224p, 96)
    add("224 / 4 = 56 (stride-only arithmetic)", 224 // 4, 224 // 4, 96)
    add("one tower only (48 maps) at 55x55", s227, s227, 48)
    add("225 input, no padding", conv_out(225), conv_out(225), 96)
    for h, w, c in factorisations(paper_value):
        add("exhaustive search hit: sides 40-64, 48 or 96 maps", h, w, c)
    return pd.DataFrame(rows)


def pool5_by_input(sizes: Sequence[int] = range(200, 301), variant: str = "paper") -> pd.DataFrame:
    """The pool5 map side for each input side (:func:`reviewlib.nets.arch.trace`: floor rounding, no weights);
    0 where the input is too small for the net."""
    specs = alexnet_specs(variant)
    rows = []
    for s in sizes:
        try:
            side = trace(specs, (3, s, s))[-1].out_shape[1]
        except ConfigError:
            side = 0
        rows.append({"input": s, "pool5": side})
    return pd.DataFrame(rows)


def accepted_inputs(variant: str = "paper", fc_map: int = 6, sizes: Sequence[int] = range(32, 513)
                    ) -> tuple[int, int]:
    """The smallest and largest input side whose pool5 map is ``fc_map`` x ``fc_map`` (what FC6 was built for).
    For the paper model (11x11/4 conv1, no padding, floor rounding) every side from 227 to 258 gives 6x6."""
    df = pool5_by_input(sizes, variant)
    ok = df.loc[df["pool5"] == fc_map, "input"]
    if ok.empty:
        raise ConfigError(f"no input side in {sizes[0]}..{sizes[-1]} gives a {fc_map}x{fc_map} pool5 map")
    if list(ok) != list(range(int(ok.min()), int(ok.max()) + 1)):
        raise ConfigError("the accepted input sides are not one contiguous range")
    return int(ok.min()), int(ok.max())


def own_tower_layers(model: nn.Module) -> list[str]:
    """Names of the conv layers whose towers see only their own half of the input maps (Sect. 3.2)."""
    names = getattr(model, "layer_names", {})
    return [names.get(path, path) for path, mod in model.named_modules()
            if (isinstance(mod, TwoTowerConv) and not mod.cross) or (isinstance(mod, nn.Conv2d) and mod.groups > 1)]


def augmentation_factor(resize: int = 256, crop: int = 224, flips: int = 2, count_positions: bool = False) -> int:
    """Sect. 4.1's "factor of 2048": (256 - 224)^2 x 2 = 2048. Counting crop *positions* exactly (fencepost)
    gives (256 - 224 + 1)^2 x 2 = 2178 (``count_positions=True``)."""
    if crop > resize:
        raise ConfigError(f"augmentation_factor: crop {crop} is larger than the {resize} image")
    d = resize - crop + (1 if count_positions else 0)
    return d * d * flips


def architecture_claims(image_size: int = PAPER_INPUT) -> list[Claim]:
    """The architecture claims of the abstract, Fig. 2, Sect. 3.2 and 4.1 with our computed values."""
    model = paper_model(image_size)
    table = layer_table(model, image_size, device="meta")
    totals = layer_totals(table)
    kinds = table["kind"].value_counts()
    conv1 = table[table["name"] == "conv1"].iloc[0]
    by_name = table.set_index("name")
    own = sum(PAPER_NEURONS)
    claims = [
        Claim("parameters", PAPER_PARAMS_M, totals["params"], unit=1e6, rel_tol=0.02,
              note="'about 60 million': ours rounds to 61 million"),
        Claim("neurons (conv + FC outputs)", PAPER_NEURONS_K, totals["neurons"], unit=1e3, rel_tol=0.02,
              note=f"within 2%; the paper's own Fig. 2 list sums to {own:,}"),
        Claim("conv layers", 5, int(kinds.get("conv", 0))),
        Claim("fully connected layers", 3, int(kinds.get("fc", 0))),
        Claim("conv1 neurons (Fig. 2)", PAPER_NEURONS[0], int(conv1["neurons"]),
              note="55x55x96 = 290,400; 253,440 is no 55x55 or 54x54 product (see the candidates table)"),
    ]
    claims += [Claim(f"{name} neurons (Fig. 2)", paper, int(by_name.loc[name, "neurons"]))
               for name, paper in zip(PAPER_LAYER_NAMES[1:], PAPER_NEURONS[1:])]
    claims += [
        Claim("input side", 224, image_size,
              note="(224-11)/4+1 = 54.25; 55x55 conv1 maps need 227 (any side 227-258 fits FC6)"),
        Claim("input dimensionality (Fig. 2)", PAPER_INPUT_DIM, 3 * 224 * 224,
              note=f"224x224x3 as printed; our {image_size} input has {3 * image_size ** 2:,}"),
        Claim("conv1 kernel / stride", "11x11 / 4", f"{conv1['kernel']}x{conv1['kernel']} / {conv1['stride']}"),
        Claim("layers seeing only their own GPU", ", ".join(PAPER_OWN_TOWER), ", ".join(own_tower_layers(model))),
        Claim("FC6 input (pool5 map)", "6x6x256", by_name.loc["pool5", "output"]),
        Claim("augmentation factor (Sect. 4.1)", PAPER_AUG_FACTOR, augmentation_factor(),
              note="(256-224)^2 x 2; exact crop positions give 33^2 x 2 = 2,178"),
    ]
    return claims


def claims(image_size: int = PAPER_INPUT) -> pd.DataFrame:
    """The claim check: every numeric architecture claim beside ours, with a verdict
    (:func:`reviewlib.review.claims.claim_table`)."""
    return claim_table(architecture_claims(image_size))


def torchinfo_check(image_size: int = PAPER_INPUT) -> tuple[str, dict]:
    """``torchinfo.summary`` of the paper model (meta device) and its total beside our layer table's: returns the
    summary text and ``{"torchinfo": ..., "ours": ..., "agree": bool}`` (total parameters)."""
    import torchinfo

    model = paper_model(image_size)
    info = torchinfo.summary(model, input_size=(1, 3, image_size, image_size), device="meta", verbose=0,
                             col_names=("output_size", "num_params"), depth=2)
    ours = layer_totals(layer_table(model, image_size, device="meta"))["params"]
    return str(info), {"torchinfo": int(info.total_params), "ours": int(ours), "agree": int(info.total_params) == ours}


def pooling_comparison(image_size: int = PAPER_INPUT) -> pd.DataFrame:
    """Overlapping (z=3, s=2) vs non-overlapping (z=s=2) pooling (Sect. 3.4): each pool's output, FC6's input
    and the parameter count, from the layer tables (meta device)."""
    rows = []
    for label, overlap in (("z=3, s=2 (paper)", True), ("z=2, s=2", False)):
        m = paper_model(image_size, overlap_pool=overlap)
        by_name = layer_table(m, image_size, device="meta").set_index("name")
        rows.append({"pooling": label, "pool1": by_name.loc["pool1", "output"],
                     "pool2": by_name.loc["pool2", "output"], "pool5": by_name.loc["pool5", "output"],
                     "fc6 inputs": int(m.classifier[1].in_features), "params": int(by_name["params"].sum())})
    return pd.DataFrame(rows)


def lrn_check(seed: int = 0, channels: int = 16, scale: float = 30.0) -> pd.DataFrame:
    """Sect. 3.3's LRN on the same activations, four ways, against the hand-written loop of
    :mod:`reviewlib.nets.scratch`: our layer, ``nn.LocalResponseNorm`` with the paper's alpha (the pitfall: torch
    divides alpha by n), with alpha x n (the fix) and with torch's defaults. Max |difference| to 3 digits."""
    from ...nets.layers import LocalResponseNorm
    from ...nets.scratch import local_response_norm
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(2, channels, 4, 4, generator=g) * scale  # post-ReLU activations are >= 0
    ref = local_response_norm(a, 5, 1e-4, 0.75, 2.0)
    ways = {
        "reviewlib LocalResponseNorm()": LocalResponseNorm()(a),
        "nn.LocalResponseNorm(5, alpha=1e-4, k=2)  (pitfall)": nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0)(a),
        "nn.LocalResponseNorm(5, alpha=5e-4, k=2)  (fixed)": nn.LocalResponseNorm(5, 5e-4, 0.75, 2.0)(a),
        "nn.LocalResponseNorm(5)  (torch defaults, k=1)": nn.LocalResponseNorm(5)(a),
    }
    rows = []
    for name, out in ways.items():
        diff = float((out - ref).abs().max())
        rows.append({"implementation": name, "max |diff| vs paper formula": float(f"{diff:.3g}"),
                     "equals paper (1e-5)": bool(torch.allclose(out, ref, rtol=1e-5, atol=1e-5))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------- Sect. 3.2: two GPUs
def place_towers(model: nn.Module, devices: Sequence[torch.device | str]) -> dict[str, str]:
    """Put tower ``i`` of every :class:`~reviewlib.nets.layers.TwoTowerConv` on ``devices[i]`` (Sect. 3.2: half the
    kernels on each GPU). ``TwoTowerConv.forward`` sends each tower its input and gathers the outputs on the
    input's device, which is where the two GPUs "talk". Returns ``{"<layer>.tower<i>": device}``."""
    devices = [torch.device(d) for d in devices]
    names = getattr(model, "layer_names", {})
    placed: dict[str, str] = {}
    for path, mod in model.named_modules():
        if not isinstance(mod, TwoTowerConv):
            continue
        if len(devices) < len(mod.towers):
            raise ConfigError(f"place_towers: {names.get(path, path)} has {len(mod.towers)} towers but only "
                              f"{len(devices)} device(s) were given; pass one device per tower")
        for i, conv in enumerate(mod.towers):
            conv.to(devices[i])
            placed[f"{names.get(path, path)}.tower{i}"] = str(devices[i])
    if not placed:
        raise ConfigError("place_towers: the model has no TwoTowerConv layers; build it with alexnet('paper')")
    return placed


def tower_devices(n: int = 2) -> list[torch.device]:
    """``n`` CUDA devices when there are that many, else ``n`` CPU stand-ins."""
    if torch.cuda.is_available() and torch.cuda.device_count() >= n:
        return [torch.device(f"cuda:{i}") for i in range(n)]
    return [torch.device("cpu") for _ in range(n)]


@torch.no_grad()
def two_device_demo(model: nn.Module, x: torch.Tensor, devices: Sequence[torch.device | str] | None = None
                    ) -> dict:
    """Run ``model`` (eval mode) on one device, then a copy with its towers on ``devices``; compare the outputs.
    Returns ``{"placement": {...}, "max_abs_diff": float, "equal": bool, "shape": tuple}``."""
    devices = list(devices) if devices is not None else tower_devices(2)
    model = model.eval()
    single = model(x)
    split = copy.deepcopy(model)
    placement = place_towers(split, devices)
    out = split(x).to(single.device)
    return {"placement": placement, "max_abs_diff": float((out - single).abs().max()),
            "equal": bool(torch.allclose(out, single, atol=1e-5)), "shape": tuple(out.shape)}
