"""The overview's explorers: how the three nets' size and cost change with their width and input size.

* :func:`explorer`: the shared :class:`~reviewlib.review.explorer.Explorer` (the same widget as the paper
  notebooks'), with the model as a control beside the width and the input side: its totals line and layer table
  show one net at a time.
* :func:`compare` / :func:`scaling_plot` / :func:`compare_widget`: the three side by side at one width and input
  side (the parameters and multiply-adds of each, or the ConfigError text where a net cannot take that input), and
  how both grow with the width and with the input side.

All counts come from reviewlib's models built on the ``meta`` device (no weights allocated).
"""
from __future__ import annotations

import html

import pandas as pd
from matplotlib.figure import Figure
from torch import nn

from ...errors import ConfigError
from ...nets import build_model, input_side, paper_of
from ...review.explorer import Control, Explorer
from ...review.tables import layer_totals
from .claims import inference_table
from .experiments import LABELS
from .figures import PAPER_COLOURS
from .plan import MODELS

WIDTHS = (0.0625, 0.125, 0.25, 0.5, 1.0)
SIZES = (64, 96, 128, 160, 224, 320)
EXPLORER_MODELS = ("alexnet_paper", "vgg_A", "vgg_D", "googlenet_paper", "alexnet", "googlenet")


def explorer() -> Explorer:
    """One net at a chosen width and training size (the paper AlexNet takes 227/224 of it, Sect. 3.5): its layer
    table and totals, or the ConfigError text of an impossible setting (e.g. the paper AlexNet at 64 px: its pool5
    has no 3x3 window left)."""
    controls = [Control("model", "googlenet_paper", options=EXPLORER_MODELS, label="model"),
                Control("width", 1.0, options=WIDTHS, label="width (channel multiplier)"),
                Control("size", 224, 32, 512, 8, label="training size (px)")]

    def build(v: dict) -> tuple[nn.Module, int]:
        side = input_side(v["model"], v["size"])
        kw = {"aux_logits": False} if paper_of(v["model"]) == "googlenet" else {}
        return build_model(v["model"], width=v["width"], image_size=side, **kw), side

    return Explorer(controls, build, title="The three nets: size and cost at a width and input size")


def compare(width: float = 1.0, size: int = 224, models=MODELS) -> pd.DataFrame:
    """The three test-time nets at ``width`` and training ``size``: input side, parameters and multiply-adds, or
    the error text where the net cannot take that input."""
    rows = []
    for m in models:
        side = input_side(m, size)
        try:
            t = layer_totals(inference_table(m, side, width=width))
            rows.append({"model": m, "input": side, "params": t["params"], "macs": t["macs"], "error": ""})
        except ConfigError as e:
            rows.append({"model": m, "input": side, "params": pd.NA, "macs": pd.NA, "error": str(e)})
    return pd.DataFrame(rows).set_index("model")


def scaling_table(widths=WIDTHS, sizes=SIZES, models=MODELS) -> pd.DataFrame:
    """:func:`compare` over a grid: every width at 224, and every size at full width (long format)."""
    parts = [compare(w, 224, models).assign(width=w, size=224) for w in widths]
    parts += [compare(1.0, s, models).assign(width=1.0, size=s) for s in sizes]
    return pd.concat(parts).reset_index()


def scaling_plot(table: pd.DataFrame | None = None, save=None) -> Figure:
    """Parameters and multiply-adds of the three nets against the width (at 224) and the input size (at full
    width), log scales; from :func:`scaling_table`."""
    table = scaling_table() if table is None else table
    fig = Figure(figsize=(12, 7), layout="constrained")
    axes = fig.subplots(2, 2)
    by_width = table[table["size"] == 224].drop_duplicates(["model", "width"]).sort_values("width")
    by_size = table[table["width"] == 1.0].drop_duplicates(["model", "size"]).sort_values("size")
    for col, (data, x, xlabel) in enumerate(((by_width, "width", "width (channel multiplier), 224 px"),
                                              (by_size, "size", "training size (px), full width"))):
        for row, (y, ylabel) in enumerate((("params", "parameters"), ("macs", "multiply-adds per image"))):
            ax = axes[row, col]
            for m, d in data.dropna(subset=[y]).groupby("model", sort=False):
                ax.plot(d[x], d[y].astype(float), marker="o", color=PAPER_COLOURS[paper_of(m)],
                        label=LABELS.get(m, m))
            ax.set_xscale("log", base=2) if x == "width" else None
            ax.set_yscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3, which="both")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("How size and cost grow: with the width (about its square) and with the input side "
                 "(cost as its square; parameters only where an FC layer sees the whole map)")
    if save is not None:
        from ...review.plots import save_figure

        save_figure(fig, save)
    return fig


def compare_html(table: pd.DataFrame) -> str:
    """:func:`compare`'s table as a small HTML table (the error text in place of the numbers where there is one)."""
    rows = "".join(
        f"<tr><td>{html.escape(LABELS.get(m, m))}</td><td>{r['input']}</td>"
        + (f"<td colspan=2 style='color:#b42318'>{html.escape(r['error'])}</td>" if r["error"] else
           f"<td>{int(r['params']):,}</td><td>{int(r['macs']):,}</td>") + "</tr>"
        for m, r in table.iterrows())
    return ("<table><tr><th>model</th><th>input</th><th>parameters</th><th>multiply-adds</th></tr>"
            + rows + "</table>")


def compare_widget():
    """Width and size controls (labels in full) redrawing the three nets' parameters and multiply-adds live."""
    import ipywidgets as w

    style = {"description_width": "initial"}
    width = w.Dropdown(options=list(WIDTHS), value=1.0, description="width (channel multiplier)", style=style)
    size = w.IntSlider(value=224, min=32, max=512, step=8, description="training size (px)",
                       continuous_update=False, style=style)
    out = w.HTML()
    out.add_class("reviewlib-totals")

    def render(*_):
        out.value = compare_html(compare(width.value, size.value))

    width.observe(render, names="value")
    size.observe(render, names="value")
    render()
    return w.VBox([w.HBox([width, size]), out])
