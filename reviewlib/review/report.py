"""How a notebook shows tables and sentences about its own runs.

* :func:`folded`: a wide table as its key columns, a one-line legend for every column, and the full table one click
  away in an HTML ``<details>`` block (it reads the same on GitHub, nbviewer and JupyterLab).
* :func:`markdown`: Markdown built from a run's results, so a sentence about a result can never contradict the
  outputs beside it (``markdown(f"... {acc:.1f}% ...")``).
* :func:`pm`: ``"61.2 ± 1.3"``, the way every mean over seeds is written.
"""
from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import pandas as pd


class HTML:
    """Rich HTML output for a notebook cell (what ``IPython.display.HTML`` does, without importing IPython)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_html_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


class Markdown:
    """Rich Markdown output for a notebook cell; ``str()`` gives the Markdown source."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def markdown(text: str) -> Markdown:
    """Show ``text`` (Markdown, usually an f-string over a results table) as the cell's output."""
    return Markdown(text)


def pm(mean: float, sd: float | None = None, digits: int = 1) -> str:
    """``mean ± sd`` with ``digits`` decimals (just the mean when ``sd`` is missing or NaN)."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "n/a"
    text = f"{round(mean, digits) + 0.0:.{digits}f}"  # + 0.0: a mean that rounds to zero prints 0.0, not -0.0
    if sd is not None and not (isinstance(sd, float) and math.isnan(sd)):
        text += f" ± {sd:.{digits}f}"
    return text


def _table_html(df: pd.DataFrame, index: bool) -> str:
    formatters = {c: (lambda v: f"{v:,}") for c in df.columns if pd.api.types.is_integer_dtype(df[c])}
    return df.to_html(index=index, formatters=formatters, na_rep="", escape=True, border=0)


def folded(df: pd.DataFrame, keys: Sequence[str], legend: Mapping[str, str], *, title: str = "",
           index: bool = False, summary: str = "the full table") -> HTML:
    """``df``'s ``keys`` columns, a legend line per column shown, and the whole table folded below.

    ``legend`` maps column names to one-line explanations; every key column needs one (a ``KeyError`` names the
    missing ones), and the folded table's extra columns are explained too when the legend has them.
    """
    missing = [k for k in keys if k not in df.columns and k != df.index.name]
    if missing:
        raise KeyError(f"folded: columns {missing} are not in the table (it has {list(df.columns)})")
    unexplained = [k for k in keys if k not in legend]
    if unexplained:
        raise KeyError(f"folded: give the legend a line for {unexplained}")
    shown = df[[k for k in keys if k in df.columns]]
    rest = [c for c in df.columns if c not in keys and c in legend]
    parts = [f"<p><b>{html.escape(title)}</b></p>" if title else "", _table_html(shown, index)]
    parts.append("<p style='font-size:90%'>" + "<br>".join(
        f"<code>{html.escape(k)}</code>: {html.escape(legend[k])}" for k in list(keys) + rest) + "</p>")
    parts.append(f"<details><summary>{html.escape(summary)} ({len(df)} rows, {len(df.columns)} columns)</summary>"
                 f"{_table_html(df, index)}</details>")
    return HTML("\n".join(p for p in parts if p))
