"""Correlations with bootstrap intervals, and the paired comparison of two correlations."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._intervals import check_level
from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_choice,
    check_int,
    check_same_rows,
    check_seed,
    to_numpy,
)

__all__ = [
    "Correlation",
    "CorrelationComparison",
    "compare_correlations",
    "correlate",
    "williams_test",
]


def _as_vector(x: Any, name: str) -> FloatArray:
    """A 1-D array of at least 4 finite numbers (fewer leave Williams' test no freedom)."""
    arr = to_numpy(x, name)
    if arr.ndim != 1:
        raise RTDInputError(f"{name} must be 1-D (one value per observation), got {arr.shape}")
    column: FloatArray = as_float_matrix(arr[:, None], name, min_rows=4)[:, 0]
    return column


def _rowwise_correlation(x: FloatArray, y: FloatArray, method: str) -> FloatArray:
    """Correlation of each row of ``x`` with the same row of ``y``; NaN for a constant row."""
    if method == "spearman":
        from scipy.stats import rankdata

        x, y = rankdata(x, axis=-1), rankdata(y, axis=-1)
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    num = (xc * yc).sum(axis=-1)
    out: FloatArray = np.full(num.shape, np.nan)
    ok = den > 0
    out[ok] = np.clip(num[ok] / den[ok], -1.0, 1.0)
    return out


def _correlation(x: FloatArray, y: FloatArray, method: str) -> float:
    r = float(_rowwise_correlation(x[None, :], y[None, :], method)[0])
    if math.isnan(r):
        raise RTDInputError("a correlation is undefined: one of the variables is constant")
    return r


def _bootstrap_rows(n: int, n_boot: int, seed: int | None) -> NDArray[np.intp]:
    """Resampled index sets, one per row, drawn at once (deterministic given ``seed``)."""
    out: NDArray[np.intp] = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    return out


def _percentile_interval(values: FloatArray, level: float) -> tuple[float, float]:
    """Percentile interval of the finite ``values``.

    Resamples that repeat a single value have no correlation (NaN) and are left out; they
    are rare unless n is tiny.
    """
    finite = values[np.isfinite(values)]
    if len(finite) < 0.9 * len(values):
        raise RTDInputError(
            "over 10 % of the bootstrap resamples have a constant variable; too few distinct "
            "values for a bootstrap interval"
        )
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class Correlation:
    """Pearson and Spearman correlations of two variables with percentile-bootstrap intervals."""

    pearson: float
    spearman: float
    pearson_ci: tuple[float, float]
    spearman_ci: tuple[float, float]
    n: int
    level: float


def correlate(
    x: Any, y: Any, *, n_boot: int = 2000, level: float = 0.95, seed: int | None = 0
) -> Correlation:
    """Pearson and Spearman correlation of paired observations, each with a bootstrap interval.

    The intervals are percentile intervals over ``n_boot`` resamples of the (x, y) pairs.
    They assume the pairs are independent observations; correlations over the entries of a
    pairwise matrix are not (use :func:`mantel` there).

    Parameters
    ----------
    x, y : array-like, shape (n,)
        Paired observations, n >= 4.
    n_boot : int, default 2000
        Bootstrap resamples.
    level : float, default 0.95
        Coverage of the intervals.
    seed : int or None, default 0
        Seed of the resampling.

    Returns
    -------
    Correlation
        ``pearson``, ``spearman``, ``pearson_ci``, ``spearman_ci``, ``n``, ``level``.

    Examples
    --------
    >>> from rtdkit.stats import correlate
    >>> res = correlate([1, 2, 3, 4, 5, 6], [1, 4, 9, 16, 25, 36], n_boot=200)
    >>> res.spearman, round(res.pearson, 3)
    (1.0, 0.979)
    """
    a, b = _as_vector(x, "x"), _as_vector(y, "y")
    check_same_rows(a, b, "x", "y")
    n_boot = check_int(n_boot, "n_boot", minimum=100)
    level = check_level(level)
    idx = _bootstrap_rows(len(a), n_boot, check_seed(seed, generator=False))
    ci = {
        m: _percentile_interval(_rowwise_correlation(a[idx], b[idx], m), level)
        for m in ("pearson", "spearman")
    }
    return Correlation(
        pearson=_correlation(a, b, "pearson"),
        spearman=_correlation(a, b, "spearman"),
        pearson_ci=ci["pearson"],
        spearman_ci=ci["spearman"],
        n=len(a),
        level=level,
    )


def williams_test(r12: float, r13: float, r23: float, n: int) -> tuple[float, float]:
    """Williams' t test of H0: ρ12 = ρ13 for two correlations sharing variable 1.

    Uses Steiger's (1980, eq. 11) form of Williams' (1959) statistic,

        t = (r12 - r13) sqrt((n - 1)(1 + r23) / (2 (n - 1)/(n - 3) |R| + r̄² (1 - r23)³)),

    with ``|R| = 1 - r12² - r13² - r23² + 2 r12 r13 r23`` and ``r̄ = (r12 + r13) / 2``,
    referred to Student's t with n - 3 degrees of freedom.

    Returns
    -------
    (t, p) : tuple of float
        The statistic and its two-sided p-value.

    Examples
    --------
    >>> from rtdkit.stats import williams_test
    >>> t, p = williams_test(0.80, 0.72, 0.89, 26)
    >>> round(t, 3), round(p, 3)
    (1.361, 0.187)
    """
    from scipy.stats import t as student_t

    n = check_int(n, "n", minimum=4)
    for name, r in (("r12", r12), ("r13", r13), ("r23", r23)):
        if not -1.0 <= float(r) <= 1.0:
            raise RTDInputError(f"{name} must be a correlation in [-1, 1], got {r}")
    det = 1.0 - r12**2 - r13**2 - r23**2 + 2.0 * r12 * r13 * r23
    rbar = (r12 + r13) / 2.0
    denominator = 2.0 * (n - 1) / (n - 3) * det + rbar**2 * (1.0 - r23) ** 3
    if denominator <= 0.0:
        raise RTDInputError(
            "the three correlations are degenerate (two variables are exact copies); "
            "Williams' test is undefined"
        )
    t = (r12 - r13) * math.sqrt((n - 1) * (1.0 + r23) / denominator)
    return float(t), float(2.0 * student_t.sf(abs(t), n - 3))


@dataclass(frozen=True)
class CorrelationComparison:
    """Outcome of :func:`compare_correlations` (``a``, ``b``: the two measures compared)."""

    method: str
    r_a: float
    r_b: float
    r_ab: float
    difference: float
    t: float
    pvalue: float
    ci: tuple[float, float]
    n: int
    level: float


def compare_correlations(
    shared: Any,
    a: Any,
    b: Any,
    *,
    method: str = "spearman",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int | None = 0,
) -> CorrelationComparison:
    """Does ``a`` correlate with ``shared`` more strongly than ``b`` does?

    The two correlations share a variable and are computed on the same observations, so
    they are dependent and must be compared as a pair. Two answers are given:

    * Williams' t test (:func:`williams_test`) of ``r(shared, a) = r(shared, b)``, which
      needs ``r(a, b)`` too. It assumes normality; with ``method='spearman'`` it is applied
      to the rank correlations, a common approximation.
    * A paired percentile-bootstrap interval of ``r(shared, a) - r(shared, b)``: every
      resample of the observations is used for both correlations. It makes no normality
      assumption; an interval excluding 0 is significant at ``1 - level``.

    Both assume independent observations (not the entries of a pairwise matrix).

    Parameters
    ----------
    shared, a, b : array-like, shape (n,)
        The shared variable (e.g. prediction disagreement) and two measures (e.g. RTD and
        1 − CKA) over the same n >= 4 observations.
    method : {'spearman', 'pearson'}, default 'spearman'
    n_boot : int, default 2000
    level : float, default 0.95
    seed : int or None, default 0
        Seed of the bootstrap resampling.

    Returns
    -------
    CorrelationComparison
        ``r_a``, ``r_b``, ``r_ab``, ``difference`` (r_a - r_b), Williams' ``t`` and two-sided
        ``pvalue``, the bootstrap ``ci`` of the difference.

    Examples
    --------
    >>> import numpy as np
    >>> from rtdkit.stats import compare_correlations
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=60)
    >>> res = compare_correlations(z, z + 0.3 * rng.normal(size=60), rng.normal(size=60),
    ...                            n_boot=500)
    >>> res.difference > 0, res.pvalue < 0.001, res.ci[0] > 0
    (True, True, True)
    """
    method = check_choice(method, "method", ("spearman", "pearson"))
    s, x, y = _as_vector(shared, "shared"), _as_vector(a, "a"), _as_vector(b, "b")
    check_same_rows(s, x, "shared", "a")
    check_same_rows(s, y, "shared", "b")
    n_boot = check_int(n_boot, "n_boot", minimum=100)
    level = check_level(level)
    r_a, r_b = _correlation(s, x, method), _correlation(s, y, method)
    r_ab = _correlation(x, y, method)
    t, pvalue = williams_test(r_a, r_b, r_ab, len(s))
    idx = _bootstrap_rows(len(s), n_boot, check_seed(seed, generator=False))
    diffs = _rowwise_correlation(s[idx], x[idx], method) - _rowwise_correlation(
        s[idx], y[idx], method
    )
    return CorrelationComparison(
        method=method,
        r_a=r_a,
        r_b=r_b,
        r_ab=r_ab,
        difference=r_a - r_b,
        t=t,
        pvalue=pvalue,
        ci=_percentile_interval(diffs, level),
        n=len(s),
        level=level,
    )
