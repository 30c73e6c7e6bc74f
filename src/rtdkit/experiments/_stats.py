"""Statistics of the experiments' tables: correlations with intervals, paired comparisons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from rtdkit._validation import FloatArray, RTDInputError
from rtdkit.stats import compare_correlations, correlate


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b between two sequences.

    Examples
    --------
    >>> round(kendall_tau([1, 2, 3], [0.1, 0.5, 0.4]), 4)
    0.3333
    """
    return float(stats.kendalltau(x, y).statistic)


def scaled(values: Sequence[float]) -> FloatArray:
    """Values divided by their maximum (the paper's "scaled metrics"); zeros stay zeros."""
    v = np.asarray(values, dtype=float)
    top = float(np.max(np.abs(v))) if v.size else 0.0
    out: FloatArray = v / top if top > 0 else v
    return out


def _constant(values: Sequence[float]) -> bool:
    return bool(np.ptp(np.asarray(values, dtype=float)) == 0.0)


def correlation_entry(x: Sequence[float], y: Sequence[float], *, seed: int) -> Any:
    """Pearson and Spearman correlation with 95 % bootstrap intervals, or None when either
    sequence is constant (the correlation is undefined then)."""
    if _constant(x) or _constant(y):
        return None
    res = correlate(x, y, seed=seed)
    return {
        "pearson": res.pearson,
        "pearson_ci95": list(res.pearson_ci),
        "spearman": res.spearman,
        "spearman_ci95": list(res.spearman_ci),
        "n": res.n,
    }


def comparison_entry(
    shared: Sequence[float], a: Sequence[float], b: Sequence[float], *, seed: int
) -> Any:
    """Does ``a`` correlate with ``shared`` more than ``b`` does? Williams' test and the paired
    bootstrap interval of the difference (:func:`rtdkit.stats.compare_correlations`), for
    Spearman and Pearson; None when a sequence is constant."""
    if any(_constant(v) for v in (shared, a, b)):
        return None
    out: dict[str, Any] = {}
    for method in ("spearman", "pearson"):
        try:
            res = compare_correlations(shared, a, b, method=method, seed=seed)
        except RTDInputError as exc:
            # Both measures rank the points exactly alike (e.g. both monotone in the shift
            # strength): the two correlations are equal and Williams' test is undefined.
            corr = stats.spearmanr if method == "spearman" else stats.pearsonr
            difference = corr(shared, a).statistic - corr(shared, b).statistic
            out[method] = {"difference": float(difference), "undefined": str(exc)}
            continue
        out[method] = {
            "difference": res.difference,
            "ci95": list(res.ci),
            "williams_t": res.t,
            "pvalue": res.pvalue,
        }
    return out


def correlation_table(
    series: dict[str, list[float]],
    against: Sequence[str] = ("disagreement", "error"),
    *,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Correlations of RTD and of 1-CKA with each series in ``against`` (Tables 2-8).

    For every target: each measure's :func:`correlation_entry` and, under ``"rtd_vs_1-cka"``,
    the paired comparison of the two (:func:`comparison_entry`). The points of a curve
    (epochs, shift strengths) are treated as independent observations, as the paper's tables
    do; consecutive epochs are not, so the intervals are optimistic, and conclusions across
    seeds should rest on the per-seed values.

    Examples
    --------
    >>> s = {"rtd": [3, 2, 1, 0], "1-cka": [1, 1.5, 0.5, 0], "disagreement": [6, 4, 2, 0]}
    >>> table = correlation_table(s, against=("disagreement",))
    >>> round(table["disagreement"]["rtd"]["pearson"], 12)
    1.0
    """
    return {
        target: {
            "rtd": correlation_entry(series["rtd"], series[target], seed=seed),
            "1-cka": correlation_entry(series["1-cka"], series[target], seed=seed),
            "rtd_vs_1-cka": comparison_entry(
                series[target], series["rtd"], series["1-cka"], seed=seed
            ),
        }
        for target in against
    }


# The exact sign-flip test enumerates 2**n assignments: 65 536 at 16 seeds.
MAX_SIGN_FLIP_SEEDS = 16


def sign_flip_pvalue(differences: Sequence[float]) -> float:
    """Exact two-sided paired permutation test that the mean of paired differences is 0.

    Under the null hypothesis each seed's difference (method A minus method B on the same
    seed) is as likely positive as negative, so all ``2**n`` sign assignments are equally
    likely; the p-value is the share of them whose mean is at least as far from 0 as the
    observed one (the observed assignment included, so p >= 2 / 2**n for n seeds: 5 seeds
    can never reach p < 0.05, 6 can).

    Examples
    --------
    >>> sign_flip_pvalue([1.0, 2.0, 0.5, 1.5, 1.0, 3.0])  # 2 of 64 assignments as extreme
    0.03125
    """
    d = np.asarray(differences, dtype=float)
    if d.ndim != 1 or not 1 <= len(d) <= MAX_SIGN_FLIP_SEEDS or not np.isfinite(d).all():
        raise RTDInputError(
            f"differences must be 1 to {MAX_SIGN_FLIP_SEEDS} finite numbers (one per seed), "
            f"got {d.size} values"
        )
    signs = 1 - 2 * ((np.arange(2 ** len(d))[:, None] >> np.arange(len(d))) & 1)
    means = np.abs(signs @ d) / len(d)
    observed = abs(float(d.mean()))
    # Relative tolerance: assignments equal to the observed mean up to rounding count as ties.
    return float(np.mean(means >= observed * (1 - 1e-12)))
