"""Claim checks: every number a paper states, beside the number our code computes, with a verdict.

The paper column comes from the papers (../shared/papers/FACTS.md); the ours column must always be computed in the
notebook cell that builds the table, never typed. A discrepancy gets a one-line explanation, not a silent pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Number

import pandas as pd

MATCHES, ROUNDING, DIFFERS = "matches", "rounding", "differs"


@dataclass(frozen=True)
class Claim:
    """One numeric (or textual) claim. ``unit`` is the paper's rounding unit (1e6 for "60 million");
    ``rel_tol`` the relative gap still called rounding (e.g. 0.02 for "about 1.5 billion")."""

    claim: str
    paper: object
    ours: object
    unit: float = 1.0
    rel_tol: float = 0.0
    note: str = ""


def verdict(paper: object, ours: object, unit: float = 1.0, rel_tol: float = 0.0) -> str:
    """``matches`` when equal, ``rounding`` when equal after rounding ours to the paper's unit (or within
    ``rel_tol``), else ``differs``.

    >>> verdict(61, 60_965_224, unit=1e6), verdict(60, 60_965_224, unit=1e6), verdict(253_440, 290_400)
    ('rounding', 'differs', 'differs')
    """
    if isinstance(paper, Number) and isinstance(ours, Number) and not isinstance(paper, bool):
        if ours == paper * unit:
            return MATCHES
        if round(ours / unit) == paper or (rel_tol and abs(ours - paper * unit) <= rel_tol * abs(paper * unit)):
            return ROUNDING
        return DIFFERS
    return MATCHES if str(paper) == str(ours) else DIFFERS


UNIT_WORDS = {1e6: "million", 1e9: "billion"}


def paper_text(value: object, unit: float = 1.0) -> str:
    """A paper's number the way the paper prints it: ``60 million``, ``1.5 billion``, ``650,000``, ``4,096``.

    >>> paper_text(60, 1e6), paper_text(650, 1e3), paper_text(1.5, 1e9), paper_text(253_440)
    ('60 million', '650,000', '1.5 billion', '253,440')
    """
    if not isinstance(value, Number) or isinstance(value, bool):
        return str(value)
    if unit in UNIT_WORDS:
        return f"{value:g} {UNIT_WORDS[unit]}"
    full = value * unit
    return f"{full:,.0f}" if float(full).is_integer() else f"{full:,g}"


def claim_table(claims: list[Claim]) -> pd.DataFrame:
    """The notebook's claim-check table: claim, paper, ours, verdict, note."""
    rows = []
    for c in claims:
        v = verdict(c.paper, c.ours, c.unit, c.rel_tol)
        paper = paper_text(c.paper, c.unit)
        ours = f"{c.ours:,}" if isinstance(c.ours, int) else (f"{c.ours:.4g}" if isinstance(c.ours, float)
                                                               else c.ours)
        rows.append({"claim": c.claim, "paper": paper, "ours": ours, "verdict": v,
                     "note": c.note if v != MATCHES or c.note else ""})
    return pd.DataFrame(rows, columns=["claim", "paper", "ours", "verdict", "note"])
