"""AlexNet's layer table made editable (Sect. 3.5, Fig. 2): each conv's channels, kernel, stride and padding, the
pooling window and stride (Sect. 3.4), the FC widths and the input size; the layer table, the totals and the
feature-map plot follow live, and an impossible setting (an input too small for the pools, an odd channel count
in a two-tower layer) shows the ConfigError text.

Built on :class:`reviewlib.review.explorer.Explorer`, whose widget draws the plot as a PNG into an Output on every
change. A conv split over the two GPUs (Sect. 3.2) has a channel slider that starts even and steps by 2: each
tower holds half of the kernels.
"""
from __future__ import annotations

from dataclasses import replace

from torch import nn

from ...nets.alexnet import ALEXNET_TABLES, FC_HIDDEN, PAPER_INPUT, AlexNet
from ...nets.arch import Conv, Pool, trace
from ...review.explorer import Control, Explorer, ExplorerState
from ...review.plots import feature_map_plot

#: The table each variant's explorer starts from, with its input side.
START_INPUT = {"paper": PAPER_INPUT, "one_gpu": PAPER_INPUT, "fig1": 32, "torchvision": 224}


def _build(variant: str):
    base = ALEXNET_TABLES[variant]

    def build(v: dict) -> tuple[nn.Module, int]:
        specs = []
        for s in base:
            if isinstance(s, Conv):
                s = replace(s, out=int(v[f"{s.name}_channels"]), kernel=int(v[f"{s.name}_kernel"]),
                            stride=int(v[f"{s.name}_stride"]), padding=int(v[f"{s.name}_padding"]))
            elif isinstance(s, Pool):
                s = replace(s, kernel=int(v["pool_kernel"]), stride=int(v["pool_stride"]))
            specs.append(s)
        size = int(v["image_size"])
        trace(specs, (3, size, size))  # an impossible setting raises ConfigError here, before any module exists
        hidden = (int(v["fc6"]), int(v["fc7"])) if "fc6" in v else ()
        model = AlexNet(specs, 1000, image_size=size, adaptive_pool=None, hidden=hidden,
                        name=f"AlexNet ({variant})")
        return model, size

    return build


class AlexNetExplorer(Explorer):
    """The explorer with a titled feature-map plot (cached per setting, so a redraw with the same values is free)."""

    def figure(self):
        """The feature-map plot of the current setting (None when it is impossible)."""
        if self.state.table is None:
            return None
        key = tuple(sorted(self.values.items()))
        if getattr(self, "_figure_key", None) != key:
            size = self.values["image_size"]
            self._figure = feature_map_plot(self.state.table, title=f"{self.title} at {size}x{size}: output side "
                                                                    f"and channels of every layer")
            self._figure_key = key
        return self._figure


def explorer(variant: str = "paper") -> AlexNetExplorer:
    """AlexNet's table made editable (:meth:`~reviewlib.review.explorer.Explorer.update` returns the layer table
    and totals, or the ConfigError text). ``variant``: ``paper`` (two towers, Fig. 2), ``one_gpu`` (Sect. 3.2's
    footnote), ``fig1`` (Fig. 1's four-layer net) or ``torchvision``."""
    base = ALEXNET_TABLES[variant]
    controls = [Control("image_size", START_INPUT[variant], 16, 512, 1, label="input size (pixels)", group="input")]
    for s in (s for s in base if isinstance(s, Conv)):
        towers = f", {s.towers} towers" if s.towers > 1 else ""
        controls += [
            Control(f"{s.name}_channels", s.out, s.towers, 1024, s.towers, label=f"{s.name}: channels{towers}",
                    group=f"{s.name}"),
            Control(f"{s.name}_kernel", s.kernel, 1, 15, label=f"{s.name}: kernel side", group=f"{s.name}"),
            Control(f"{s.name}_stride", s.stride, 1, 8, label=f"{s.name}: stride", group=f"{s.name}"),
            Control(f"{s.name}_padding", s.padding, 0, 7, label=f"{s.name}: padding", group=f"{s.name}")]
    pool = next(s for s in base if isinstance(s, Pool))
    controls += [Control("pool_kernel", pool.kernel, 1, 7, label="every pool: window z", group="max-pooling"),
                 Control("pool_stride", pool.stride, 1, 4, label="every pool: stride s", group="max-pooling")]
    if variant != "fig1":
        controls += [Control("fc6", FC_HIDDEN[0], 16, 8192, 16, label="fc6 width", group="fully connected"),
                     Control("fc7", FC_HIDDEN[1], 16, 8192, 16, label="fc7 width", group="fully connected")]
    return AlexNetExplorer(controls, _build(variant), title=f"AlexNet ({variant})")


def explorer_lines(changes: list[dict], variant: str = "paper") -> list[str]:
    """What :func:`explorer` does for each change in turn, one line each (the widget's logic, driven from Python):
    the change and the totals line, or the ConfigError text."""
    ex = explorer(variant)
    lines = []
    for change in changes:
        state: ExplorerState = ex.update(**change)
        lines.append(f"{str(change):28s} -> {state.summary}")
    return lines
