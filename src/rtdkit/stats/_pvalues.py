"""Permutation p-values shared by the permutation and Mantel tests."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import FloatArray

__all__ = ["draw_permutations", "permutation_pvalue"]

# Null statistics within this relative distance of the observed one count as ties, and ties
# count against the alternative: rounding noise can then only make a p-value larger.
_TIE_RTOL = 1e-12


def permutation_pvalue(statistic: float, null: FloatArray, larger_is_extreme: bool) -> float:
    """``(1 + #{null at least as extreme}) / (n + 1)``: never 0, exact under exchangeability."""
    tol = _TIE_RTOL * max(1.0, abs(statistic))
    if larger_is_extreme:
        extreme = null >= statistic - tol
    else:
        extreme = null <= statistic + tol
    return float((1 + np.count_nonzero(extreme)) / (len(null) + 1))


def draw_permutations(n: int, count: int, seed: int | None) -> list[NDArray[np.intp]]:
    """All permutations up front, from a child of ``seed``'s SeedSequence.

    The child stream keeps the permutations independent of any generator a measure seeds
    with ``seed`` itself (RTD's subsamples).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    return [rng.permutation(n) for _ in range(count)]
