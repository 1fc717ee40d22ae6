"""One English/Korean glossary for every notebook (the review this kit grew from was written in Korean).

The terms live in ``glossary.csv`` beside this module, one row per term: the English term, the Korean term, the
notebooks that use it (``overview``, ``alexnet``, ``vgg``, ``googlenet``) and a one-line meaning. Every notebook
renders its part of it the same way with :func:`glossary_markdown`.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

GLOSSARY_FILE = Path(__file__).with_name("glossary.csv")
NOTEBOOKS = ("overview", "alexnet", "vgg", "googlenet")


def glossary(notebook: str | None = None) -> pd.DataFrame:
    """The glossary (columns ``term``, ``korean``, ``meaning``), all of it or the terms ``notebook`` uses."""
    if notebook is not None and notebook not in NOTEBOOKS:
        raise ValueError(f"glossary: unknown notebook {notebook!r}; choose one of {', '.join(NOTEBOOKS)}")
    with open(GLOSSARY_FILE, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if notebook is not None:
        rows = [r for r in rows if notebook in r["papers"].split()]
    return pd.DataFrame(rows, columns=["term", "korean", "papers", "meaning"]).drop(columns="papers")


def glossary_markdown(notebook: str) -> str:
    """The notebook's glossary as a Markdown table: English | 한국어 | meaning."""
    lines = ["| English | 한국어 | meaning |", "|---|---|---|"]
    lines += [f"| {r.term} | {r.korean} | {r.meaning} |" for r in glossary(notebook).itertuples()]
    return "\n".join(lines)
