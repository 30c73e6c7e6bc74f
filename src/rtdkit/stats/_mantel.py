"""The Mantel test: do two dissimilarity matrices over the same objects agree?"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_choice,
    check_int,
    check_seed,
    check_symmetric_matrix,
)
from rtdkit.stats._pvalues import draw_permutations, permutation_pvalue

__all__ = ["MantelResult", "mantel"]


@dataclass(frozen=True)
class MantelResult:
    """Outcome of :func:`mantel`: the correlation of the two upper triangles and its p-value."""

    statistic: float
    pvalue: float
    null: FloatArray
    permutations: int
    method: str
    alternative: str


def _upper(d: FloatArray) -> FloatArray:
    rows, cols = np.triu_indices(len(d), k=1)
    out: FloatArray = d[rows, cols]
    return out


def _standardized(x: FloatArray, name: str) -> FloatArray:
    """``(x - mean) / norm``, so that a dot product of two of them is Pearson's r."""
    centred = x - x.mean()
    norm = float(np.linalg.norm(centred))
    if norm == 0.0 or not math.isfinite(norm):
        raise RTDInputError(
            f"{name} has the same value for every pair of objects; a correlation with it is "
            "undefined"
        )
    out: FloatArray = centred / norm
    return out


def _symmetric(upper: FloatArray, n: int) -> FloatArray:
    """The symmetric n x n matrix (zero diagonal) whose upper triangle is ``upper``."""
    rows, cols = np.triu_indices(n, k=1)
    out = np.zeros((n, n))
    out[rows, cols] = upper
    out[cols, rows] = upper
    return out


def mantel(
    D1: Any,
    D2: Any,
    *,
    permutations: int = 999,
    method: str = "spearman",
    alternative: str = "greater",
    seed: int | None = 0,
) -> MantelResult:
    """Mantel test: do two dissimilarity matrices over the same objects agree?

    The statistic is the Pearson or Spearman correlation between the upper triangles of
    ``D1`` and ``D2`` (diagonal excluded). Its null distribution comes from relabelling the
    objects of ``D2``: rows and columns are permuted together, which keeps the dependence
    between pairs that share an object. That dependence is why a plain correlation test over
    the N(N-1)/2 pairs is invalid (its p-values are far too small). p-values carry the +1
    correction, ``(1 + #{null at least as extreme}) / (permutations + 1)``.

    Parameters
    ----------
    D1, D2 : array-like, shape (N, N)
        Symmetric matrices (e.g. a :func:`rtdkit.pairwise` RTD matrix and a matrix of
        |Δ loss| or of 1 − CKA); only the entries above the diagonal are used.
    permutations : int, default 999
        Number of random relabellings.
    method : {'spearman', 'pearson'}, default 'spearman'
        Rank correlation (any monotone relation) or linear correlation.
    alternative : {'greater', 'less', 'two-sided'}, default 'greater'
        'greater' tests for positive agreement (large D1 where D2 is large).
    seed : int or None, default 0
        Seed of the permutations.

    Returns
    -------
    MantelResult
        ``statistic`` (the correlation), ``pvalue``, ``null``, ``permutations``, ``method``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.spatial.distance import pdist, squareform
    >>> from rtdkit.stats import mantel
    >>> X = np.random.default_rng(0).normal(size=(12, 3))
    >>> D = squareform(pdist(X))
    >>> res = mantel(D, D**2, permutations=99)
    >>> round(res.statistic, 6), res.pvalue
    (1.0, 0.01)
    """
    permutations = check_int(permutations, "permutations", minimum=1)
    method = check_choice(method, "method", ("spearman", "pearson"))
    alternative = check_choice(alternative, "alternative", ("greater", "less", "two-sided"))
    seed = check_seed(seed, generator=False)
    d1 = check_symmetric_matrix(as_float_matrix(D1, "D1"), "D1")
    d2 = check_symmetric_matrix(as_float_matrix(D2, "D2"), "D2")
    if d1.shape != d2.shape:
        raise RTDInputError(
            f"D1 is {d1.shape[0]} x {d1.shape[0]} but D2 is {d2.shape[0]} x {d2.shape[0]}; both "
            "must describe the same objects in the same order"
        )
    u1, u2 = _upper(d1), _upper(d2)
    if method == "spearman":
        from scipy.stats import rankdata

        # Relabelling only permutes the off-diagonal entries, so ranking once is exact.
        u1, u2 = rankdata(u1), rankdata(u2)
    x = _standardized(u1, "D1")
    # Relabelling keeps the mean and norm of the entries: standardise D2 once, then permute.
    z2 = _symmetric(_standardized(u2, "D2"), len(d2))
    observed = float(np.clip(x @ _upper(z2), -1.0, 1.0))
    perms = draw_permutations(len(d1), permutations, seed)
    null = np.array([x @ _upper(z2[np.ix_(p, p)]) for p in perms], dtype=np.float64)
    if alternative == "two-sided":
        pvalue = permutation_pvalue(abs(observed), np.abs(null), larger_is_extreme=True)
    else:
        pvalue = permutation_pvalue(observed, null, larger_is_extreme=alternative == "greater")
    return MantelResult(observed, pvalue, null, permutations, method, alternative)
