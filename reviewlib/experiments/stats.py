"""Seeds, means, standard errors and verdicts: how an ablation's result is read.

Every variant of an ablation is trained with several seeds. A variant's result is the mean ± sample standard
deviation over its seeds; its effect is the difference of means to the baseline, with the standard error of that
difference, ``se = sqrt(sd_v**2 / n_v + sd_b**2 / n_b)``. The verdict compares the effect with the direction the
paper reports:

* ``"within noise at this budget"`` when ``|effect| < t * se`` (or a variant has fewer than two seeds),
* ``"as the paper reports"`` when the effect has the paper's sign,
* ``"opposite"`` otherwise.

``t`` is the 97.5% quantile of Student's t with Welch's degrees of freedom: the half-width of a 95% interval for a
difference of two means estimated from few seeds (about 2.8 for three seeds each, against 2 for many). It is a
reading aid, not a test of a hypothesis chosen in advance: with three seeds the standard deviation itself is rough.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd
from scipy import stats as _scipy_stats

from ..review.report import pm as mean_pm_sd

CONFIDENCE = 0.975
AS_PAPER, NOISE, OPPOSITE = "as the paper reports", "within noise at this budget", "opposite"


def mean_sd(values: Sequence[float]) -> tuple[float, float, int]:
    """Mean, sample standard deviation (NaN for one value) and count of ``values``."""
    vals = [float(v) for v in values if not math.isnan(float(v))]
    n = len(vals)
    if n == 0:
        return math.nan, math.nan, 0
    mean = sum(vals) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n > 1 else math.nan
    return mean, sd, n


def effect(variant: Sequence[float], baseline: Sequence[float]) -> tuple[float, float, float]:
    """Difference of means (variant - baseline), its standard error and Welch's degrees of freedom."""
    mv, sv, nv = mean_sd(variant)
    mb, sb, nb = mean_sd(baseline)
    if nv < 2 or nb < 2:
        return mv - mb, math.nan, math.nan
    a, b = sv ** 2 / nv, sb ** 2 / nb
    se = math.sqrt(a + b)
    df = (a + b) ** 2 / (a ** 2 / (nv - 1) + b ** 2 / (nb - 1)) if a + b > 0 else float(nv + nb - 2)
    return mv - mb, se, df


def noise_band(se: float, df: float) -> float:
    """Half-width of the 95% interval of a difference with standard error ``se`` and ``df`` degrees of freedom."""
    return float(_scipy_stats.t.ppf(CONFIDENCE, df)) * se


def verdict(diff: float, se: float, paper_sign: int, df: float = math.inf) -> str:
    """The verdict for an effect ``diff`` ± ``se`` (``df`` degrees of freedom) when the paper reports an effect of
    sign ``paper_sign`` (+1: the variant scores higher than the baseline, -1: lower, 0: no difference)."""
    if math.isnan(diff) or math.isnan(se) or diff == 0 or abs(diff) < noise_band(se, df):  # no effect at all is noise
        return NOISE if paper_sign else AS_PAPER
    if paper_sign == 0:
        return OPPOSITE
    return AS_PAPER if diff * paper_sign > 0 else OPPOSITE


def ablation_summary(scores: Mapping[str, Sequence[float]], baseline: str, paper_signs: Mapping[str, int],
                     paper_claims: Mapping[str, str] | None = None, metric: str = "val top-1 (%)") -> pd.DataFrame:
    """One row per variant: mean ± sd of ``metric`` over seeds, the difference to ``baseline`` with its standard
    error, the paper's claim and the computed verdict.

    ``scores``: variant -> one score per seed (e.g. final validation top-1 in %). ``paper_signs``: variant -> the
    sign of the difference the paper reports (variant - baseline), e.g. -1 for "without dropout" if the paper
    says dropout helps. The baseline row has no difference and no verdict.
    """
    if baseline not in scores:
        raise KeyError(f"ablation_summary: no baseline {baseline!r} among {list(scores)}")
    rows = []
    for name, vals in scores.items():
        mean, sd, n = mean_sd(vals)
        row = {"variant": name, "seeds": n, "mean": mean, "sd": sd}
        if name == baseline:
            row.update({"diff": math.nan, "se": math.nan, "verdict": "baseline"})
        else:
            diff, se, df = effect(vals, scores[baseline])
            row.update({"diff": diff, "se": se, "verdict": verdict(diff, se, paper_signs.get(name, 0), df)})
        row["paper"] = (paper_claims or {}).get(name, "")
        rows.append(row)
    table = pd.DataFrame(rows).set_index("variant")
    table.attrs["metric"] = metric
    return table


def format_summary(table: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """The summary as a reader sees it: ``mean ± sd`` and ``diff ± se`` as text."""

    def pm(a: float, b: float) -> str:
        return "" if math.isnan(a) else mean_pm_sd(a, b, digits)

    metric = table.attrs.get("metric", "score")
    return pd.DataFrame({
        "seeds": table["seeds"],
        f"{metric}, mean ± sd": [pm(m, s) for m, s in zip(table["mean"], table["sd"])],
        "vs baseline (pp) ± se": [pm(d, s) if not math.isnan(d) else "" for d, s in zip(table["diff"], table["se"])],
        "paper": table["paper"],
        "verdict": table["verdict"],
    }, index=table.index)


def epochs_to_reach(history: pd.DataFrame, column: str, target: float, *, below: bool = True) -> float:
    """The first epoch at which ``column`` reaches ``target`` (at or below it when ``below``), else NaN.

    For AlexNet's Fig. 1: epochs until the training error first reaches 25%, for ReLU and for tanh.
    """
    hit = history[history[column] <= target] if below else history[history[column] >= target]
    return float(hit["epoch"].iloc[0]) if len(hit) else math.nan
