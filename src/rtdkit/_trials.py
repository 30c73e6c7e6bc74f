"""Subsampling trials (Algorithm 2) and their average: one implementation for every caller.

:func:`rtdkit.rtd`, :func:`rtdkit.pairwise` and :func:`rtdkit.layers.compare_layers` draw the
same index sets from the same seed and average the per-trial values the same way, so that an
entry of a pairwise matrix equals the ``rtd()`` of that pair.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rtdkit._validation import FloatArray

__all__ = ["average_trials", "subsample_indices", "take_subset"]


def subsample_indices(
    n: int, batch: int | None, trials: int, seed: int | np.random.Generator | None
) -> list[NDArray[np.intp]]:
    """One index set per trial (Algorithm 2), drawn up front so that parallel = serial.

    When ``batch`` is None or >= ``n`` every subset would be the whole cloud, so a single
    trial over all points is returned.

    Examples
    --------
    >>> [len(s) for s in subsample_indices(10, 4, 3, seed=0)]
    [4, 4, 4]
    >>> subsample_indices(5, None, 3, seed=0)
    [array([0, 1, 2, 3, 4])]
    """
    if batch is None or batch >= n:
        return [np.arange(n)]
    rng = np.random.default_rng(seed)
    return [np.sort(rng.choice(n, size=batch, replace=False)) for _ in range(trials)]


def take_subset(x: Any, idx: NDArray[np.intp], metric: str) -> Any:
    """Rows ``idx`` of a cloud, or the ``idx`` x ``idx`` block of a precomputed matrix."""
    return x[np.ix_(idx, idx)] if metric == "precomputed" else x[idx]


def average_trials(
    forward: ArrayLike, backward: ArrayLike | None, *, symmetric: bool
) -> FloatArray:
    """The per-trial samples a score is the mean of: the half-sum of both directions when
    ``symmetric`` (and a backward value exists), else the forward values.

    Examples
    --------
    >>> average_trials([1.0, 2.0], [3.0, 4.0], symmetric=True).tolist()
    [2.0, 3.0]
    >>> average_trials([1.0, 2.0], [3.0, 4.0], symmetric=False).tolist()
    [1.0, 2.0]
    """
    fwd = np.asarray(forward, dtype=np.float64)
    if symmetric and backward is not None:
        samples: FloatArray = (fwd + np.asarray(backward, dtype=np.float64)) / 2.0
        return samples
    return fwd
