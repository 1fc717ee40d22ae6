"""Interactive architecture explorers: the widget logic, testable without a browser.

An :class:`Explorer` holds a set of editable values (:class:`Control`) and a ``build(values)`` function that turns
them into a model through the architecture table. :meth:`Explorer.update` rebuilds on PyTorch's ``meta`` device
(shapes and counts without allocating weights, so even VGG's 138M parameters take milliseconds) and returns the
layer table and totals, or the :class:`~reviewlib.errors.ConfigError` text for an impossible setting.
:meth:`Explorer.widget` only wires ipywidgets to :meth:`update`; the notebooks call it and nothing else.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import torch
from torch import nn

from ..errors import ConfigError
from .plots import feature_map_plot, png_bytes
from .tables import layer_table, layer_totals

TABLE_COLUMNS = ["name", "kind", "kernel", "stride", "padding", "output", "neurons", "params", "macs", "rf"]


@dataclass(frozen=True)
class Control:
    """One editable value: an integer slider (``min``/``max``/``step``) or a choice (``options``)."""

    key: str
    value: int | str
    min: int | None = None
    max: int | None = None
    step: int = 1
    options: tuple | None = None
    label: str | None = None
    group: str = ""


@dataclass
class ExplorerState:
    """One update's outcome: the full layer table and its totals (:func:`~reviewlib.review.tables.layer_totals`), or
    the error text."""

    values: dict
    table: pd.DataFrame | None
    totals: dict | None
    error: str | None

    @property
    def summary(self) -> str:
        """One line a widget shows: the totals, or the error."""
        if self.error:
            return f"Impossible setting: {self.error}"
        t = self.totals
        return f"parameters {t['params']:,} | multiply-adds {t['macs']:,} | neurons {t['neurons']:,}"


class Explorer:
    """Editable values -> model (via the table) -> layer table and totals, or the ConfigError text."""

    def __init__(self, controls: list[Control], build: Callable[[dict], tuple[nn.Module, int]], title: str = ""):
        self.controls = {c.key: c for c in controls}
        self.build = build
        self.title = title
        self.values = {c.key: c.value for c in controls}
        self.state = self.update()

    def update(self, **changes) -> ExplorerState:
        unknown = set(changes) - set(self.controls)
        if unknown:
            raise KeyError(f"unknown control(s) {sorted(unknown)}; this explorer has {sorted(self.controls)}")
        self.values.update(changes)
        try:
            with torch.device("meta"):
                model, size = self.build(dict(self.values))
            table = layer_table(model, size, device="meta")
        except ConfigError as exc:
            self.state = ExplorerState(dict(self.values), None, None, str(exc))
            return self.state
        self.state = ExplorerState(dict(self.values), table, layer_totals(table), None)
        return self.state

    def figure(self):
        """The feature-map size plot of the current state (None when the setting is impossible)."""
        if self.state.table is None:
            return None
        return feature_map_plot(self.state.table, title=self.title or None)

    def widget(self, plot: bool = True):
        """The ipywidgets front end: sliders/dropdowns (labels shown in full), the totals line (or the ConfigError
        text of an impossible setting), the layer table and, with ``plot``, the size plot (:meth:`figure`).

        Every change redraws the table and the plot into their own ``Output``, cleared first; the figure is drawn to
        a PNG there and not kept, so old figures do not pile up, and it shows whatever matplotlib backend is active.
        """
        import ipywidgets as w
        from IPython.display import Image

        full_label = {"description_width": "initial"}
        inputs = {}
        for c in self.controls.values():
            label = c.label or c.key
            if c.options is not None:
                inputs[c.key] = w.Dropdown(options=list(c.options), value=c.value, description=label,
                                           style=full_label)
            else:
                inputs[c.key] = w.IntSlider(value=c.value, min=c.min, max=c.max, step=c.step, description=label,
                                            continuous_update=False, style=full_label)
        totals = w.HTML()
        totals.add_class("reviewlib-totals")
        table_out, plot_out = w.Output(), w.Output()

        def show(out, obj) -> None:  # replace what ``out`` shows by ``obj`` (nothing when None)
            out.outputs = ()
            if obj is not None:
                out.append_display_data(obj)

        def render(*_):
            state = self.update(**{k: v.value for k, v in inputs.items()})
            style = "color:#b42318" if state.error else "color:#1a7f37"
            totals.value = f'<b style="{style}">{html.escape(state.summary)}</b>'
            show(table_out, None if state.table is None else
                 state.table[TABLE_COLUMNS].style.format(thousands=",", na_rep=""))
            fig = self.figure() if plot else None
            show(plot_out, None if fig is None else Image(data=png_bytes(fig), format="png"))

        for v in inputs.values():
            v.observe(render, names="value")
        groups: dict[str, list] = {}
        for c in self.controls.values():
            groups.setdefault(c.group, []).append(inputs[c.key])
        boxes = [w.VBox([w.HTML(f"<b>{html.escape(g)}</b>")] + items if g else items) for g, items in groups.items()]
        render()
        self.inputs, self.totals_widget, self.output, self.plot_output = inputs, totals, table_out, plot_out
        parts = [w.HTML(f"<h4>{html.escape(self.title)}</h4>") if self.title else w.HTML(""),
                 w.GridBox(boxes, layout=w.Layout(grid_template_columns="repeat(3, 1fr)")), totals, table_out]
        return w.VBox(parts + ([plot_out] if plot else []))

