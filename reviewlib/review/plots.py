"""Figures for the review notebooks, drawn from :func:`reviewlib.review.tables.layer_table` tables.

Every function builds a :class:`matplotlib.figure.Figure` directly (no ``pyplot`` state, no ``plt.show``), so it
works under the Agg backend in tests and scripts; in a notebook, the returned figure displays when it is the cell's
last expression (or via ``display(fig)``). With ``save="name"`` a figure is also written to ``figures/name.png``
at the repository root; ``save`` may instead be an explicit path (any suffix matplotlib knows, e.g. ``.pdf``).
"""
from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .tables import layer_totals

__all__ = ["FIGURES_DIR", "KIND_COLOURS", "save_figure", "png_bytes", "feature_map_plot", "param_breakdown_plot",
           "compare_models_plot"]

#: ``figures/`` at the repository root (beside ``reviewlib/``); the environment variable REVIEWLIB_FIGURES overrides.
FIGURES_DIR = Path(os.environ.get("REVIEWLIB_FIGURES", Path(__file__).resolve().parents[2] / "figures"))

#: One colour per row kind, shared by all plots (conv and FC contrast: AlexNet's parameters sit in the FC layers).
KIND_COLOURS = {"conv": "tab:blue", "fc": "tab:orange", "inception": "tab:green", "pool": "tab:gray",
                "lrn": "tab:purple", "aux": "tab:brown", "other": "tab:olive"}


def _rows(table: pd.DataFrame) -> pd.DataFrame:
    missing = {"name", "kind"} - set(table.columns)
    if missing:
        raise ValueError(f"expected a reviewlib.review.tables.layer_table DataFrame; missing columns {sorted(missing)}")
    if table.empty:
        raise ValueError("the layer table has no layer rows to plot")
    return table.reset_index(drop=True)


def save_figure(fig: Figure, name: str | os.PathLike, *, dpi: int = 120) -> Path:
    """Write ``fig`` and return its path.

    A bare name (``"alexnet_params"``) goes to ``FIGURES_DIR/alexnet_params.png``; a path with a directory or a
    suffix is used as given. Folders are created; the file is written to a temp file and renamed, so a half-written
    PNG never replaces a good one.
    """
    path = Path(name)
    if not isinstance(name, Path) and path.parent == Path(".") and not path.suffix:
        path = FIGURES_DIR / f"{path.name}.png"
    if not path.suffix:
        path = path.with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=path.suffix.lstrip("."))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; a figure is for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def png_bytes(fig: Figure, *, dpi: int = 80) -> bytes:
    """``fig`` as PNG bytes (what a widget shows; no file, no pyplot state)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def _finish(fig: Figure, save: str | os.PathLike | None) -> Figure:
    if save is not None:
        save_figure(fig, save)
    return fig


def feature_map_plot(table: pd.DataFrame, title: str | None = None,
                     save: str | os.PathLike | None = None) -> Figure:
    """Spatial size (bars, left axis) and channels (line, right axis, log scale) of each layer's output.

    Shows the shape every paper's architecture figure shows: the maps shrink (224 -> 55 -> 27 -> 13 -> 6 in
    AlexNet, halving per block in VGG) while the channels grow.
    """
    rows = _rows(table)
    x = range(len(rows))
    fig = Figure(figsize=(max(6.0, 0.45 * len(rows) + 2), 4.2), layout="constrained")
    ax = fig.add_subplot()
    colours = [KIND_COLOURS.get(k, "tab:olive") for k in rows["kind"]]
    ax.bar(x, rows["out_h"].astype(float), color=colours, alpha=0.8)
    ax.set_ylabel("output height = width (pixels)")
    ax.set_xticks(list(x), rows["name"], rotation=60, ha="right", fontsize=8)
    ax2 = ax.twinx()
    ax2.plot(list(x), rows["out_c"].astype(float), color="black", marker="o", lw=1.5, label="channels")
    ax2.set_yscale("log")
    ax2.set_ylabel("output channels (log)")
    kinds = list(dict.fromkeys(rows["kind"]))
    handles = [Patch(color=KIND_COLOURS.get(k, "tab:olive"), label=f"{k} (size)") for k in kinds]
    handles += ax2.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper center", fontsize=8)
    ax.set_title(title or "Feature maps per layer")
    return _finish(fig, save)


def param_breakdown_plot(table: pd.DataFrame, log: bool = True, save: str | os.PathLike | None = None,
                         title: str | None = None) -> Figure:
    """Parameters per layer as bars coloured by kind (conv vs FC ...), log scale by default, with each kind's share
    in the legend (AlexNet Sect. 3.5 / VGG Table 2: the FC layers hold most of the parameters)."""
    rows = _rows(table)
    rows = rows[rows["params"] > 0].reset_index(drop=True)
    if rows.empty:
        raise ValueError("no layer in the table has parameters")
    total = float(rows["params"].sum())
    fig = Figure(figsize=(max(6.0, 0.45 * len(rows) + 2), 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(range(len(rows)), rows["params"].astype(float),
           color=[KIND_COLOURS.get(k, "tab:olive") for k in rows["kind"]])
    if log:
        ax.set_yscale("log")
    ax.set_xticks(range(len(rows)), rows["name"], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("parameters" + (" (log)" if log else ""))
    shares = rows.groupby("kind", sort=False)["params"].sum() / total
    ax.legend(handles=[Patch(color=KIND_COLOURS.get(k, "tab:olive"), label=f"{k}: {s:.1%}") for k, s in shares.items()],
              fontsize=8)
    ax.set_title(title or f"Parameters per layer (total {total / 1e6:.2f} M)")
    return _finish(fig, save)


def compare_models_plot(tables: Mapping[str, pd.DataFrame], column: str = "params", log: bool = False,
                        save: str | os.PathLike | None = None, title: str | None = None) -> Figure:
    """One bar per model of a total of its layer table (:func:`reviewlib.review.tables.layer_totals`): ``params``,
    ``macs`` or ``neurons`` (e.g. GoogLeNet's "12x fewer parameters" than AlexNet, Sect. 1)."""
    if column not in ("params", "macs", "neurons"):
        raise ValueError(f"column={column!r}: use 'params', 'macs' or 'neurons'")
    if not tables:
        raise ValueError("compare_models_plot needs at least one {name: layer_table} entry")
    values = {name: float(layer_totals(_rows(table))[column]) for name, table in tables.items()}
    scale, unit = (1e9, "G") if max(values.values()) >= 1e9 else (1e6, "M")
    fig = Figure(figsize=(max(4.5, 1.1 * len(values) + 2), 3.8), layout="constrained")
    ax = fig.add_subplot()
    bars = ax.bar(list(values), [v / scale for v in values.values()], color="tab:blue")
    ax.bar_label(bars, fmt="%.2f", fontsize=8)
    if log:
        ax.set_yscale("log")
    label = {"params": "parameters", "macs": "multiply-adds per image", "neurons": "neurons"}[column]
    ax.set_ylabel(f"{label} ({unit})")
    ax.set_title(title or f"{label.capitalize()} per model")
    return _finish(fig, save)
