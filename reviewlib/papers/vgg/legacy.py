"""VGG review helpers (Simonyan & Zisserman 2014): the claim checks, the 3x3-stack argument, the explorer, the
build-it-yourself answer, the warm start, and the evaluation tables behind ``notebooks/03_vgg``.

The models themselves come from :mod:`reviewlib.nets` (``vgg(config, ...)``, Table 1); this module only adds what
the review of *this* paper needs and what is worth a unit test:

* Table 1 / Table 2 as claims (:func:`architecture_table`, :func:`claims`) and a side-by-side chart
  (:func:`config_chart`);
* Sect. 2.3's argument for 3x3 stacks, computed from built modules (:func:`stack_comparison`), with the closed-form
  receptive field it is checked against (:func:`stack_receptive_field`);
* the editable architecture (:func:`vgg_explorer`, built on
  :class:`reviewlib.review.explorer.Explorer`);
* the answer to the "build VGG-16 from the shorthand" exercise (:func:`vgg16_answer`);
* Sect. 3.1's warm start as training variants (:func:`warm_start_variants`), a study plan that fits the budget
  (:func:`study_plan`), activation memory and training cost (:func:`activation_memory`, :func:`training_cost`);
* Sect. 3.2's test protocols side by side (:func:`protocol_comparison`), the class score map of dense evaluation
  (:func:`score_maps`), and the paper's and torchvision's reported numbers (:data:`TABLE3`, :func:`torchvision_reported`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Sequence

import pandas as pd
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from torch import nn

from ...review.receptive import empirical_receptive_field
from ...review.tables import layer_table, layer_totals, param_shares, weight_depth
from ...budget import Budget, get_budget
from ...review.claims import Claim
from ...errors import ConfigError
from ...review.explorer import Control, Explorer, ExplorerState
from ...nets import VGG_TABLE, WEIGHT_LAYERS, count_params, shorthand, vgg
from ...nets.vgg import FC_HIDDEN, VGG, vgg_specs
from ...review.plots import save_figure

CONFIGS = tuple(VGG_TABLE)  # A, A-LRN, B, C, D, E
CUSTOM = "custom"

# ---------------------------------------------------------------------------------------------- the paper's numbers
#: Table 2: parameters in millions.
PAPER_PARAMS_M = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}
#: Table 1's column headings: weight layers per configuration.
PAPER_WEIGHT_LAYERS = dict(WEIGHT_LAYERS)
#: Table 3 (single test scale, top-1 / top-5 val error %), S = 256, Q = 256.
TABLE3 = pd.DataFrame(
    {"top1_error": [29.6, 29.7, 28.7, 28.1, 27.0, 27.3], "top5_error": [10.4, 10.5, 9.9, 9.4, 8.8, 9.0]},
    index=pd.Index(list(CONFIGS), name="config"))
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
#: Sect. 3.3: four NVIDIA Titan Black GPUs, 2-3 weeks per net. FP32 peak of one Titan Black (NVIDIA's spec sheet).
PAPER_GPUS, PAPER_DAYS, TITAN_BLACK_TFLOPS = 4, (14, 21), 5.1
IMAGENET_TRAIN_IMAGES = 1_281_167


# ------------------------------------------------------------------------------------------------- architecture
def build_meta(config: str | list = "D", **kwargs) -> VGG:
    """``reviewlib.nets.vgg(config, **kwargs)`` on PyTorch's meta device: shapes and counts, no weights in memory."""
    with torch.device("meta"):
        return vgg(config, **kwargs)


def architecture_table(image_size: int = 224, configs: Sequence[str] = CONFIGS) -> pd.DataFrame:
    """Table 1 + Table 2 computed from built (meta) models: shorthand, weight layers, parameters, final map,
    multiply-adds and the FC1 share, beside the paper's figures."""
    rows = []
    for c in configs:
        m = build_meta(c, image_size=image_size)
        t = layer_table(m, image_size)
        totals = layer_totals(t)
        conv_rows = t[t["kind"] == "conv"]
        last = t[(t["kind"] == "pool") & (t["name"] != "avgpool")].iloc[-1]
        rows.append({"config": c, "shorthand": shorthand(c), "weight layers": weight_depth(t),
                     "paper layers": PAPER_WEIGHT_LAYERS[c], "convs": len(conv_rows),
                     "params": totals["params"], "paper params (M)": PAPER_PARAMS_M[c],
                     "final map": last["output"], "GMACs": round(totals["macs"] / 1e9, 2),
                     "fc1 share": round(float(param_shares(t).loc["fc1", "share"]), 3)})
    return pd.DataFrame(rows).set_index("config")


def claims(image_size: int = 224, channels: int = 64) -> list[Claim]:
    """Every numeric architecture claim of the paper, with ours computed from built modules.

    Table 2's parameter counts, Table 1's weight-layer counts, Sect. 2.3's 27C^2 vs 49C^2 (and "81% more") with C =
    ``channels``, and Sect. 2.1's 224x224 input reaching 7x7x512 before the FC layers.
    """
    out: list[Claim] = []
    for c in CONFIGS:
        m = build_meta(c, image_size=image_size)
        out.append(Claim(f"Table 2: parameters of {c} (millions)", PAPER_PARAMS_M[c],
                         count_params(m), unit=1e6))
    for c in CONFIGS:
        out.append(Claim(f"Table 1: weight layers of {c}", PAPER_WEIGHT_LAYERS[c],
                         weight_depth(layer_table(build_meta(c, image_size=image_size), image_size))))
    three = stack_comparison(3, 3, channels, measure=False)
    out.append(Claim("Sect. 2.3: weights of three 3x3 layers / C^2", 27,
                     int(three.loc["stack", "weights"]) // channels ** 2))
    out.append(Claim("Sect. 2.3: weights of one 7x7 layer / C^2", 49,
                     int(three.loc["single", "weights"]) // channels ** 2))
    extra = three.loc["single", "weights"] / three.loc["stack", "weights"] - 1
    out.append(Claim("Sect. 2.3: a 7x7 layer has more weights (%)", 81, round(100 * float(extra), 1), unit=1.0,
                     rel_tol=0.01, note="49/27 - 1 = 81.5%: the paper rounds down"))
    out.append(Claim("Sect. 2.3: receptive field of three 3x3 layers", 7, int(three.loc["stack", "rf (layer table)"])))
    t = layer_table(build_meta("D", image_size=image_size), image_size)
    pool5 = t[t["name"] == "pool5"].iloc[0]["output"]
    out.append(Claim("Sect. 2.1: 224x224 input -> map before the FC layers", "7x7x512", pool5))
    return out


# ---------------------------------------------------------------------------------------------- side-by-side chart
_BOX = {"conv3": "tab:blue", "conv1": "tab:green", "lrn": "tab:purple", "pool": "tab:gray", "fc": "tab:orange"}


def config_chart(configs: Sequence[str] = CONFIGS, save=None) -> Figure:
    """Table 1 as a picture: one column per configuration, one box per layer (3x3 conv, 1x1 conv, LRN, max-pool,
    FC), labelled with its channels; the configurations' depths side by side."""
    cols = []
    for c in configs:
        boxes = []
        for v in VGG_TABLE[c]:
            if v == "M":
                boxes.append(("pool", "maxpool"))
            elif v == "LRN":
                boxes.append(("lrn", "LRN"))
            elif isinstance(v, str):
                boxes.append(("conv1", f"conv1-{v.split('-')[1]}"))
            else:
                boxes.append(("conv3", f"conv3-{v}"))
        boxes += [("fc", "FC-4096"), ("fc", "FC-4096"), ("fc", "FC-1000")]
        cols.append((c, boxes))
    height = max(len(b) for _, b in cols)
    fig = Figure(figsize=(1.55 * len(cols) + 1, 0.28 * height + 1.2), layout="constrained")
    ax = fig.add_subplot()
    for i, (c, boxes) in enumerate(cols):
        for j, (kind, label) in enumerate(boxes):
            ax.add_patch(Rectangle((i * 1.6, -j - 1), 1.4, 0.85, color=_BOX[kind], alpha=0.85))
            ax.text(i * 1.6 + 0.7, -j - 0.57, label, ha="center", va="center", fontsize=6.5, color="white")
        ax.text(i * 1.6 + 0.7, 0.25, f"{c}\n{weight_depth(layer_table(build_meta(c)))} weight layers", ha="center",
                va="bottom", fontsize=8)
    ax.set_xlim(-0.2, 1.6 * len(cols))
    ax.set_ylim(-height - 0.3, 1.5)
    ax.axis("off")
    ax.legend(handles=[Patch(color=v, label=k) for k, v in
                       {"3x3 conv": _BOX["conv3"], "1x1 conv": _BOX["conv1"], "LRN": _BOX["lrn"],
                        "max-pool 2x2/2": _BOX["pool"], "fully connected": _BOX["fc"]}.items()],
              loc="lower center", ncol=5, fontsize=7, bbox_to_anchor=(0.5, -0.06))
    ax.set_title("VGG Table 1: the six configurations")
    if save is not None:
        save_figure(fig, save)
    return fig


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
    """A stack of ``depth`` ``kernel x kernel`` convs against the one big kernel that sees the same field.

    Rows ``stack`` and ``single``; columns: the kernel, the receptive field by the formula, from
    :func:`reviewlib.review.tables.layer_table`'s ``rf`` and (``measure=True``) by back-propagation
    (:func:`reviewlib.review.receptive.empirical_receptive_field`, on a 1-channel copy so it stays fast), the weights
    counted from the built modules (no biases, as in Sect. 2.3's C^2 counts), weights / C^2 and the non-linearities (ReLU
    modules). Everything but the formula column is read from modules built with :func:`conv_stack`.
    """
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


def stack_widget():
    """ipywidgets sliders (stack depth, kernel, channels) driving :func:`stack_comparison` live."""
    import ipywidgets as w
    from IPython.display import display

    def show(depth, kernel, channels):
        t = stack_comparison(depth, kernel, channels)
        display(t)
        s, b = t.loc["stack"], t.loc["single"]
        print(f"same {int(s['rf (formula)'])}x{int(s['rf (formula)'])} field: the stack has "
              f"{int(s['weights']):,} weights and {int(s['non-linearities'])} ReLUs; one {b['layers'][4:]} has "
              f"{int(b['weights']):,} weights ({b['weights'] / s['weights'] - 1:+.0%}) and 1 ReLU")

    return w.interactive(show, depth=w.IntSlider(3, 1, 6, description="stack depth"),
                         kernel=w.IntSlider(3, 1, 7, 2, description="kernel"),
                         channels=w.IntSlider(64, 8, 512, 8, description="channels C"))


def one_by_one_rows(image_size: int = 224) -> pd.DataFrame:
    """Configuration C's 1x1 convs (conv3_3, conv4_3, conv5_3) beside the 3x3 conv before them: the receptive field
    does not grow, a ReLU is added (Sect. 2.3)."""
    t = layer_table(build_meta("C", image_size=image_size), image_size)
    idx = t.index[(t["kind"] == "conv") & (t["kernel"] == 1)]
    keep = sorted(set(idx) | set(idx - 1))
    return t.loc[keep, ["name", "kernel", "output", "params", "rf"]].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------- the explorer
BLOCKS = 5


def config_blocks(config: str) -> dict[str, int]:
    """Explorer values of a Table 1 column: ``b{i}_convs`` and ``b{i}_width`` for the five blocks (1x1 convs
    count as convs; the width is the block's widest conv)."""
    if config not in VGG_TABLE:
        raise ConfigError(f"unknown VGG configuration {config!r}; use one of {list(VGG_TABLE)}")
    values, block, convs = {}, 1, []
    for v in VGG_TABLE[config]:
        if v == "M":
            values[f"b{block}_convs"] = len(convs)
            values[f"b{block}_width"] = max(convs)
            block, convs = block + 1, []
        elif v != "LRN":
            convs.append(int(str(v).split("-")[-1]))
    return values


def blocks_to_config(values: dict) -> list:
    """Explorer values -> a VGG shorthand list (3x3 convs only): ``[w1] * n1 + ['M'] + ...``."""
    cfg: list = []
    for b in range(1, BLOCKS + 1):
        cfg += [int(values[f"b{b}_width"])] * int(values[f"b{b}_convs"]) + ["M"]
    return cfg


class VGGExplorer(Explorer):
    """:class:`~reviewlib.review.explorer.Explorer` whose ``config`` choice sets the block sliders: picking a Table 1
    column loads its counts and widths (and builds that exact column, LRN and 1x1 convs included); editing a block
    count or width afterwards switches ``config`` to ``"custom"`` (3x3 convs only)."""

    def update(self, **changes) -> ExplorerState:
        unknown = set(changes) - set(self.controls)
        if unknown:
            raise KeyError(f"unknown control(s) {sorted(unknown)}; this explorer has {sorted(self.controls)}")
        if getattr(self, "_syncing", False):  # the widget is moving its sliders to self.values: nothing new
            return self.state
        old = dict(self.values)
        new = {**old, **changes}
        if new["config"] != CUSTOM and new["config"] != old.get("config"):
            new.update(config_blocks(new["config"]))  # a column was picked: load its blocks
        elif new["config"] != CUSTOM and any(new[k] != v for k, v in config_blocks(new["config"]).items()):
            new["config"] = CUSTOM  # a block was edited: no longer a Table 1 column
        self.values = new
        return super().update()

    def widget(self, plot: bool = True):
        """The base widget (controls, totals, layer table) plus the feature-map plot, drawn here from a full layer
        table (the base plot reads columns its trimmed table lacks), and sliders that follow :meth:`update`."""
        import ipywidgets as w
        from IPython.display import display

        from ...review.plots import feature_map_plot

        self._syncing = False
        box = super().widget(plot=False)
        fig_out = w.Output()

        def draw():
            fig_out.clear_output(wait=True)
            if not plot or self.state.error is not None:
                return
            with torch.device("meta"):
                model, size = self.build(dict(self.values))
            fig = feature_map_plot(layer_table(model, size), title=f"{self.values['config']} at {size} px")
            with fig_out:
                display(fig)

        def sync(*_):  # show the values update() chose (the column's blocks, or "custom"), then the plot
            if self._syncing:
                return
            self._syncing = True
            try:
                for k, v in self.inputs.items():
                    if v.value != self.values[k]:
                        v.value = self.values[k]
            finally:
                self._syncing = False
            draw()

        for v in self.inputs.values():
            v.observe(sync, names="value")
        draw()
        box.children = tuple(box.children) + (fig_out,)
        return box


def _build(values: dict) -> tuple[nn.Module, int]:
    size = int(values["image_size"])
    cfg = VGG_TABLE[values["config"]] if values["config"] != CUSTOM else blocks_to_config(values)
    specs = vgg_specs(cfg)
    fc = int(values["fc_width"])
    return VGG(specs, 1000, image_size=size, hidden=(fc, fc)), size  # VGG() traces the specs: ConfigError first


def vgg_explorer(config: str = "D", image_size: int = 224) -> VGGExplorer:
    """Table 1 made editable: a configuration, or each block's conv count and width, the FC width and the input
    size; :meth:`VGGExplorer.update` returns the layer table and totals, or the ConfigError text."""
    blocks = config_blocks(config)
    controls = [Control("config", config, options=CONFIGS + (CUSTOM,), group="configuration"),
                Control("image_size", image_size, 8, 512, 8, label="input size", group="configuration"),
                Control("fc_width", FC_HIDDEN[0], 16, 8192, 16, label="FC width", group="configuration")]
    for b in range(1, BLOCKS + 1):
        controls += [Control(f"b{b}_convs", blocks[f"b{b}_convs"], 1, 6, label=f"block {b} convs", group="convs"),
                     Control(f"b{b}_width", blocks[f"b{b}_width"], 8, 1024, 8, label=f"block {b} width",
                             group="widths")]
    return VGGExplorer(controls, _build, title="VGG explorer")


# -------------------------------------------------------------------------------------- build-it-yourself answer
def parse_shorthand(text: str) -> list[tuple[int, int]]:
    """``"64 (x2) - 128 (x2) - 256 (x3) - 512 (x3) - 512 (x3)"`` -> ``[(64, 2), (128, 2), (256, 3), ...]``."""
    blocks = []
    for part in text.split("-"):
        m = re.fullmatch(r"\s*(\d+)\s*(?:\(x(\d+)\))?\s*", part)
        if not m:
            raise ConfigError(f"parse_shorthand: cannot read block {part.strip()!r}; write blocks like '64 (x2)'")
        blocks.append((int(m.group(1)), int(m.group(2) or 1)))
    return blocks


class VGG16Answer(nn.Module):
    """The exercise's answer, written the way a reader would: VGG-16 from the review's shorthand
    ``64 (x2) - 128 (x2) - 256 (x3) - 512 (x3) - 512 (x3)``, then FC-4096, FC-4096, FC-classes (Sect. 2.1)."""

    def __init__(self, num_classes: int = 1000, image_size: int = 224,
                 blocks: str = "64 (x2) - 128 (x2) - 256 (x3) - 512 (x3) - 512 (x3)"):
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for width, n in parse_shorthand(blocks):
            for _ in range(n):
                layers += [nn.Conv2d(c, width, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                c = width
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        self.features = nn.Sequential(*layers)
        side = image_size // 2 ** len(parse_shorthand(blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((side, side))
        self.classifier = nn.Sequential(
            nn.Linear(c * side * side, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def vgg16_answer(num_classes: int = 1000, image_size: int = 224) -> nn.Module:
    """The answer to the notebook's exercise (build it on the meta device to keep it free:
    ``with torch.device("meta"): vgg16_answer()``)."""
    return VGG16Answer(num_classes, image_size)


# ------------------------------------------------------------------------------------------------------ training
@dataclass(frozen=True)
class StudyPlan:
    """How much of each experiment a budget affords (VGG without BatchNorm is costly on a CPU)."""

    budget: Budget  # the data/loader budget (image size, width, batch, epochs, batches per epoch)
    eval_images: int  # validation images for the multi-crop/dense comparison
    note: str


def study_plan(budget: Budget | str | None = None) -> StudyPlan:
    """The VGG notebook's plan for ``budget``.

    ``paper``: the budget as is. ``study``: Tiny ImageNet's native 64 px instead of 96 (the images are 64 px:
    upsampling them only costs time), the budget's width, 3 epochs of at most 10 batches (seven trainings must
    fit in ~10 CPU minutes). ``smoke``: 64 px, 1/16 width, 1 epoch of 2 batches of 8.
    """
    b = get_budget(budget)
    if b.name == "paper":
        return StudyPlan(b, 50_000, "the paper's scale")
    if b.name == "smoke":
        return StudyPlan(b.with_(image_size=64, width=0.0625, epochs=1, max_batches=2, batch_size=8), 2,
                         "smoke: 64 px, width x1/16, 1 epoch of 2 batches of 8 per model (a code-path check, "
                         "not a result)")
    return StudyPlan(b.with_(image_size=64, epochs=3, max_batches=10), 20,
                     "study: 64 px (Tiny ImageNet's own size), width x%g, 3 epochs of 10 batches of %d per model"
                     % (b.width, b.batch_size))


def make_vgg(config: str, *, num_classes: int, width: float, image_size: int, init: str = "kaiming") -> VGG:
    """A fresh VGG column initialised with ``init`` ("kaiming": the study recipe, "glorot", "paper": N(0, 1e-2))."""
    from ...train.recipes import init_kaiming, init_vgg

    model = vgg(config, num_classes=num_classes, width=width, image_size=image_size)
    if init == "kaiming":
        init_kaiming(model)
    else:
        init_vgg(model, init)
    return model


def warm_start_variants(config: str = "D", *, num_classes: int, width: float, image_size: int,
                        inits: Sequence[str] = ("glorot", "kaiming"), base_init: str = "kaiming"
                        ) -> dict[str, Callable[[], nn.Module]]:
    """Builders for :func:`reviewlib.experiments.run_experiments` (``init=False``) comparing Sect. 3.1's warm start
    with random initialisations, in training order:

    ``"A"`` (``base_init``: Kaiming, the study recipe's; "paper" for N(0, 1e-2)) first; then
    ``"<config> warm start from A"``, which copies the first four conv and the three FC layers of *that A after it
    was trained* (:func:`reviewlib.recipes.warm_start_vgg`; the other layers ``base_init``); then
    ``"<config> <init>"`` for each random ``inits``. ``run_experiments`` trains models in place and in order, so the
    warm-start builder reads the trained A. The builder's ``copied`` attribute lists the layers copied last time.
    """
    from ...train.recipes import warm_start_vgg

    kw = dict(num_classes=num_classes, width=width, image_size=image_size)
    source: dict[str, nn.Module] = {}

    def build_a():
        source["A"] = make_vgg("A", init=base_init, **kw)
        return source["A"]

    def build_warm():
        if "A" not in source:
            raise RuntimeError("warm start: build (and train) net A first; run the variants in order")
        model = make_vgg(config, init=base_init, **kw)
        build_warm.copied = warm_start_vgg(model, source["A"])
        return model

    build_warm.copied = []
    variants: dict[str, Callable[[], nn.Module]] = {"A": build_a, f"{config} warm start from A": build_warm}
    for init in inits:
        variants[f"{config} {init}"] = (lambda i=init: make_vgg(config, init=i, **kw))
    return variants


def activation_memory(table: pd.DataFrame, input_shape: Sequence[int] = (3, 224, 224), bytes_per_value: int = 4
                      ) -> dict[str, float]:
    """Forward activation memory of one image from a :func:`reviewlib.review.tables.layer_table`: the input plus every
    conv, pool and FC output (``avgpool``, the identity at the natural map size, is not counted), x 4 bytes (fp32).
    Backward keeps these and adds their gradients, so training needs roughly twice as much."""
    rows = table[table["name"] != "avgpool"]
    values = int(math.prod(input_shape)) + int(rows["neurons"].sum())
    forward = values * bytes_per_value
    return {"values": values, "forward_MB": forward / 2 ** 20, "train_MB": 2 * forward / 2 ** 20}


def training_cost(macs_per_image: int, images_per_epoch: int = IMAGENET_TRAIN_IMAGES, epochs: int = 74,
                  backward_factor: float = 3.0) -> dict[str, float]:
    """Multiply-adds of training (forward + backward ~ 3x forward) and what the paper's hardware could do:
    the days at 100% of 4 Titan Blacks' FP32 peak, and the utilisation implied by the paper's 2-3 weeks."""
    total = macs_per_image * images_per_epoch * epochs * backward_factor
    peak_macs = PAPER_GPUS * TITAN_BLACK_TFLOPS * 1e12 / 2
    ideal_days = total / peak_macs / 86400
    return {"training PetaMACs": total / 1e15, "days at 4x Titan Black peak": ideal_days,
            "implied utilisation (2 weeks)": ideal_days / PAPER_DAYS[0],
            "implied utilisation (3 weeks)": ideal_days / PAPER_DAYS[1]}


def show_augmentations(img, transforms: dict, n: int = 4, seed: int = 0, save=None) -> Figure:
    """``n`` draws of each training transform (name -> torchvision v2 transform ending in Normalize) on one PIL
    image, one row per transform, the original on the left."""
    from ...data.augment import denormalize

    fig = Figure(figsize=(1.9 * (n + 1), 2.0 * len(transforms)), layout="constrained")
    axes = fig.subplots(len(transforms), n + 1, squeeze=False)
    torch.manual_seed(seed)
    for r, (name, tf) in enumerate(transforms.items()):
        axes[r, 0].imshow(img)
        axes[r, 0].set_title(f"original {img.size[0]}x{img.size[1]}", fontsize=7)
        axes[r, 0].set_ylabel(name, fontsize=8)
        for i in range(n):
            x = denormalize(tf(img))
            axes[r, i + 1].imshow(x.permute(1, 2, 0).numpy())
            axes[r, i + 1].set_title(f"{x.shape[2]}x{x.shape[1]}", fontsize=7)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    if save is not None:
        save_figure(fig, save)
    return fig


def curves_figure(histories: dict[str, pd.DataFrame], title: str = "", save=None) -> Figure:
    """Training loss and validation top-1 per epoch, one line per variant."""
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for name, h in histories.items():
        ax_loss.plot(h["epoch"], h["train_loss"], "o-", label=name)
        ax_acc.plot(h["epoch"], h["val_acc1"], "o-", label=name)
    ax_loss.set(xlabel="epoch", ylabel="training loss")
    ax_acc.set(xlabel="epoch", ylabel="validation top-1 (%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    if save is not None:
        save_figure(fig, save)
    return fig


# ---------------------------------------------------------------------------------------------------- evaluation
def paper_test_scales(image_size: int) -> dict[str, tuple[int, ...]]:
    """Sect. 3.2 / Table 4 test scales for a scale-jittered model (S in [256, 512]), scaled to ``image_size``:
    ``single`` = Q = 384, ``multi`` = Q in {256, 384, 512}."""
    from ...evaluate import VGG_MULTISCALE_Q, paper_scales

    return {"single": paper_scales((384,), image_size), "multi": paper_scales(VGG_MULTISCALE_Q, image_size)}


def protocol_comparison(model: nn.Module, dataset, *, image_size: int, max_images: int | None = None,
                        device=None, progress: bool = False) -> pd.DataFrame:
    """Table 4/5 on our subset: dense, multi-crop (5x5 grid x flips) and both (softmax averaged, Table 5) at one
    test scale (Q = 384, scaled) and at three (Q = 256, 384, 512, scaled). Errors in %; ``crops`` is network inputs
    per image (dense: one whole image per scale and its flip)."""
    from ...evaluate import predict_dataset, topk_errors

    rows = []
    for label, scales in paper_test_scales(image_size).items():
        preds = {}
        for protocol in ("dense", "multicrop"):
            preds[protocol] = predict_dataset(model, dataset, protocol=protocol, image_size=image_size,
                                              device=device, max_images=max_images, scales=scales, progress=progress)
        both = (preds["dense"].probs + preds["multicrop"].probs) / 2
        for name, probs, crops in (("dense", preds["dense"].probs, 2 * len(scales)),
                                   ("multi-crop", preds["multicrop"].probs, preds["multicrop"].crops_per_image),
                                   ("dense + multi-crop", both, 2 * len(scales) + preds["multicrop"].crops_per_image)):
            e = topk_errors(probs, preds["dense"].targets)
            rows.append({"scales": f"{label} Q={list(scales)}", "protocol": name, "crops": crops,
                         "top1_error": 100 * e["top1"], "top5_error": 100 * e["top5"]})
    return pd.DataFrame(rows)


@torch.no_grad()
def score_maps(model: nn.Module, img, scales: Sequence[int], *, image_size: int) -> list[torch.Tensor]:
    """Dense evaluation of one image (Sect. 3.2): the class score maps ``[classes, h, w]`` (softmax per position)
    of the fully-convolutional net at each test scale Q (short side)."""
    from ...evaluate import normalize, resize_short, to_dense

    dense = to_dense(model, image_size).eval()
    device = next(dense.parameters()).device
    out = []
    for q in scales:
        x = normalize(resize_short(img, q)).unsqueeze(0).to(device)
        out.append(dense(x)[0].softmax(0).cpu())
    return out


def score_map_figure(model: nn.Module, img, scales: Sequence[int], *, image_size: int, class_names: Sequence[str],
                     save=None) -> Figure:
    """The image, then for each Q the score map of the class the spatially averaged scores pick."""
    maps = score_maps(model, img, scales, image_size=image_size)
    mean = torch.stack([m.mean((1, 2)) for m in maps]).mean(0)
    k = int(mean.argmax())
    fig = Figure(figsize=(2.6 * (len(maps) + 1), 2.8), layout="constrained")
    axes = fig.subplots(1, len(maps) + 1)
    axes[0].imshow(img)
    axes[0].set_title("input", fontsize=8)
    for ax, q, m in zip(axes[1:], scales, maps):
        im = ax.imshow(m[k].numpy(), vmin=0, vmax=1, cmap="viridis")
        ax.set_title(f"Q={q}: {m.shape[1]}x{m.shape[2]} map\nmean p={float(m[k].mean()):.2f}", fontsize=8)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=axes[-1], shrink=0.8)
    fig.suptitle(f"class score map of '{class_names[k]}' (dense evaluation)", fontsize=9)
    if save is not None:
        save_figure(fig, save)
    return fig


def torchvision_reported() -> pd.DataFrame:
    """torchvision's ImageNet-1k numbers (``VGG*_Weights.IMAGENET1K_V1.meta``, no download): single 224 centre crop
    of a 256 short side, as errors in %, beside the paper's single-scale Table 3 row (Q = 256 for S = 256)."""
    from torchvision import models as tvm

    rows = []
    for cfg, name in (("A", "VGG11"), ("B", "VGG13"), ("D", "VGG16"), ("E", "VGG19")):
        meta = getattr(tvm, f"{name}_Weights").IMAGENET1K_V1.meta
        m = meta["_metrics"]["ImageNet-1K"]
        rows.append({"config": cfg, "torchvision": name.lower(), "params": meta["num_params"],
                     "tv top1_error": round(100 - m["acc@1"], 2), "tv top5_error": round(100 - m["acc@5"], 2),
                     "paper top1_error (Table 3)": TABLE3.loc[cfg, "top1_error"],
                     "paper top5_error (Table 3)": TABLE3.loc[cfg, "top5_error"]})
    return pd.DataFrame(rows).set_index("config")
