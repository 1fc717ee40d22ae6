"""Table 1 made editable (Sect. 2.1-2.2): pick a configuration, or change each block's number of 3x3 convs and its
width, the FC width and the input size; the layer table, the totals and the feature-map plot follow live, and an
impossible setting (a 16-pixel input: the fifth pool gets a 1x1 map) shows the ConfigError text.

Built on :class:`reviewlib.review.explorer.Explorer`: its widget draws the plot as a PNG into an Output on every
change; this module only adds the link between the ``config`` choice and the block sliders.
"""
from __future__ import annotations

from torch import nn

from ...errors import ConfigError
from ...nets import VGG_TABLE
from ...nets.vgg import FC_HIDDEN, VGG, vgg_specs
from ...review.explorer import Control, Explorer, ExplorerState
from ...review.plots import feature_map_plot
from .claims import CONFIGS

CUSTOM = "custom"
BLOCKS = 5


def config_blocks(config: str) -> dict[str, int]:
    """Explorer values of a configuration: ``b{i}_convs`` and ``b{i}_width`` for the five blocks (1x1 and 5x5
    convs count as convs; the width is the block's widest conv)."""
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


def _build(values: dict) -> tuple[nn.Module, int]:
    size = int(values["image_size"])
    cfg = VGG_TABLE[values["config"]] if values["config"] != CUSTOM else blocks_to_config(values)
    fc = int(values["fc_width"])
    return VGG(vgg_specs(cfg), 1000, image_size=size, hidden=(fc, fc)), size  # VGG() traces: ConfigError first


class VGGExplorer(Explorer):
    """An :class:`~reviewlib.review.explorer.Explorer` whose ``config`` choice sets the block sliders: picking a
    configuration loads its counts and widths (and builds that exact column, LRN, 1x1 and 5x5 convs included);
    editing a block afterwards switches ``config`` to ``"custom"`` (3x3 convs only)."""

    _syncing = False

    def update(self, **changes) -> ExplorerState:
        unknown = set(changes) - set(self.controls)
        if unknown:
            raise KeyError(f"unknown control(s) {sorted(unknown)}; this explorer has {sorted(self.controls)}")
        if self._syncing:  # the widget is moving its sliders to self.values: nothing new
            return self.state
        old = dict(self.values)
        new = {**old, **changes}
        if new["config"] != CUSTOM and new["config"] != old.get("config"):
            new.update(config_blocks(new["config"]))  # a configuration was picked: load its blocks
        elif new["config"] != CUSTOM and any(new[k] != v for k, v in config_blocks(new["config"]).items()):
            new["config"] = CUSTOM  # a block was edited: no longer a column of Table 1
        self.values = new
        state = super().update()
        self._sync_inputs()
        return state

    def _sync_inputs(self) -> None:
        """Move the widget's controls (when there is a widget) to the values :meth:`update` chose."""
        inputs = getattr(self, "inputs", None)
        if not inputs:
            return
        self._syncing = True
        try:
            for k, w in inputs.items():
                if w.value != self.values[k]:
                    w.value = self.values[k]
        finally:
            self._syncing = False

    def figure(self):
        """The feature-map plot of the current setting, titled with it (None when the setting is impossible);
        the same setting gives the same figure object, so a redraw while the sliders catch up is free."""
        if self.state.table is None:
            return None
        key = tuple(sorted(self.values.items()))
        if getattr(self, "_figure_key", None) != key:
            v = self.values
            self._figure = feature_map_plot(
                self.state.table, title=f"VGG {v['config']} at {v['image_size']}x{v['image_size']}: output side "
                                        f"and channels of every layer")
            self._figure_key = key
        return self._figure


def explorer(config: str = "D", image_size: int = 224) -> VGGExplorer:
    """Table 1 made editable: a configuration (Table 1's six and the shallow B-5x5), or each block's conv count and
    width, the FC width and the input size (:meth:`VGGExplorer.update` returns the layer table and totals, or the
    ConfigError text)."""
    blocks = config_blocks(config)
    controls = [Control("config", config, options=CONFIGS + (CUSTOM,), label="configuration", group="network"),
                Control("image_size", image_size, 8, 512, 8, label="input size (pixels)", group="network"),
                Control("fc_width", FC_HIDDEN[0], 16, 8192, 16, label="FC1 and FC2 width", group="network")]
    for b in range(1, BLOCKS + 1):
        controls += [Control(f"b{b}_convs", blocks[f"b{b}_convs"], 1, 6, label=f"block {b}: 3x3 convs",
                             group="convs per block"),
                     Control(f"b{b}_width", blocks[f"b{b}_width"], 8, 1024, 8, label=f"block {b}: channels",
                             group="channels per block")]
    return VGGExplorer(controls, _build, title="VGG explorer")


def explorer_lines(changes: list[dict], config: str = "D") -> list[str]:
    """What :func:`explorer` does for each change in turn, one line each (the widget's logic, driven from Python)."""
    ex = explorer(config)
    lines = []
    for change in changes:
        state = ex.update(**change)
        lines.append(f"{str(change):32s} -> config={ex.values['config']:6s} | {state.summary}")
    return lines
