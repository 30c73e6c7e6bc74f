"""Permutation p-values shared by the permutation and Mantel tests."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rtdkit.chance import permutation_pvalue

__all__ = ["draw_permutations", "permutation_pvalue"]


def draw_permutations(n: int, count: int, seed: int | None) -> list[NDArray[np.intp]]:
    """All permutations up front, from a child of ``seed``'s SeedSequence.

    The child stream keeps the permutations independent of any generator a measure seeds
    with ``seed`` itself (RTD's subsamples).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    return [rng.permutation(n) for _ in range(count)]
