"""Small statistics of the experiments' tables: rank and linear correlations, scaling."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from rtdkit._validation import FloatArray


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b between two sequences.

    Examples
    --------
    >>> round(kendall_tau([1, 2, 3], [0.1, 0.5, 0.4]), 4)
    0.3333
    """
    return float(stats.kendalltau(x, y).statistic)


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson correlation, or None when either sequence is constant (it is undefined then).

    Examples
    --------
    >>> pearson([1, 2, 3], [2, 4, 7]) > 0.9, pearson([1, 1, 1], [1, 2, 3])
    (True, None)
    """
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.ptp(a) == 0.0 or np.ptp(b) == 0.0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def scaled(values: Sequence[float]) -> FloatArray:
    """Values divided by their maximum (the paper's "scaled metrics"); zeros stay zeros."""
    v = np.asarray(values, dtype=float)
    top = float(np.max(np.abs(v))) if v.size else 0.0
    out: FloatArray = v / top if top > 0 else v
    return out


def correlation_table(
    series: dict[str, list[float]], against: Sequence[str] = ("disagreement", "error")
) -> dict[str, dict[str, float | None]]:
    """Pearson correlation of RTD and of 1-CKA with each series in ``against`` (Tables 2-8).

    Examples
    --------
    >>> s = {"rtd": [3, 2, 0], "1-cka": [1, 1, 0], "disagreement": [6, 4, 0]}
    >>> round(correlation_table(s, against=("disagreement",))["disagreement"]["rtd"], 12)
    1.0
    """
    return {
        target: {m: pearson(series[m], series[target]) for m in ("rtd", "1-cka")}
        for target in against
    }
