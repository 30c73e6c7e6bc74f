"""Pairwise distances and their normalisation (Section 2.3 of the paper).

The RTD compares the *shapes* of two clouds, so each distance matrix is divided by its own
0.9-quantile before the two are compared. The quantile is taken over all N² entries, the zero
diagonal included, with numpy's default linear interpolation, as the published code does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial.distance import cdist

from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_distance_matrix,
)

DEFAULT_QUANTILE = 0.9

# The engines compute in float32 (as the published code did): no distance may exceed this.
FLOAT32_MAX = float(np.finfo(np.float32).max)

# Metrics scipy's cdist accepts; "precomputed" means the caller passes distance matrices.
_SCIPY_METRICS = (
    "braycurtis",
    "canberra",
    "chebyshev",
    "cityblock",
    "correlation",
    "cosine",
    "euclidean",
    "jensenshannon",
    "minkowski",
    "seuclidean",
    "sqeuclidean",
)
METRICS = (*_SCIPY_METRICS, "precomputed")


def euclidean_distances(x: FloatArray) -> FloatArray:
    """Exact Euclidean distances in float64.

    ``cdist`` sums squared differences coordinate by coordinate, so duplicate points get an
    exact 0 (the Gram-matrix trick would leave round-off there and create spurious bars).
    """
    d: FloatArray = cdist(x, x, metric="euclidean")
    return d


def check_metric(metric: Any) -> str:
    """``metric`` must be a scipy ``cdist`` metric name or 'precomputed'."""
    if not isinstance(metric, str) or metric not in METRICS:
        raise RTDInputError(
            f"metric must be one of {', '.join(METRICS)}; got {metric!r}. Use "
            "metric='precomputed' to pass your own N x N distance matrices"
        )
    return metric


def resolve_quantile(normalize: Any) -> float | None:
    """The quantile that ``normalize`` asks for ('quantile' → 0.9), or None for no scaling."""
    if normalize is None:
        return None
    if normalize == "quantile" and isinstance(normalize, str):
        return DEFAULT_QUANTILE
    if isinstance(normalize, (int, float)) and not isinstance(normalize, bool):
        if 0.0 < float(normalize) <= 1.0:
            return float(normalize)
        raise RTDInputError(f"normalize as a quantile must lie in (0, 1]; got {normalize}")
    raise RTDInputError(
        f"normalize must be 'quantile', a quantile in (0, 1], or None; got {normalize!r}"
    )


def pairwise_distances(x: Any, *, metric: str = "euclidean", name: str = "P") -> FloatArray:
    """N x N distance matrix of the cloud ``x`` (or ``x`` itself if ``metric='precomputed'``)."""
    check_metric(metric)
    arr = as_float_matrix(x, name)
    if metric == "precomputed":
        return check_distance_matrix(arr, name)
    if metric == "euclidean":
        return _check_finite(euclidean_distances(arr), name)
    d: FloatArray = cdist(arr, arr, metric=metric)
    if np.any(np.isnan(d)):
        raise RTDInputError(
            f"metric={metric!r} is undefined for some rows of {name} (e.g. an all-zero row with "
            "'cosine'); drop those rows or choose another metric"
        )
    _check_finite(d, name)
    d = np.maximum((d + d.T) / 2.0, 0.0)
    np.fill_diagonal(d, 0.0)
    return d


def _check_finite(d: FloatArray, name: str) -> FloatArray:
    """Distances that overflow float64 (coordinates near 1e154 and beyond) are refused."""
    if not np.all(np.isfinite(d)):
        raise RTDInputError(
            f"some pairwise distances of {name} overflow float64 (they exceed 1.8e308); divide "
            f"{name} by a large constant first (the RTD does not depend on the scale)"
        )
    return d


def normalization_scale(d: FloatArray, normalize: str | float | None, *, name: str) -> float:
    """The factor each distance is divided by; 1.0 when ``normalize`` is None."""
    q = resolve_quantile(normalize)
    if q is None:
        return 1.0
    scale = float(np.quantile(d, q))
    if not scale > 0.0:
        raise RTDInputError(
            f"the {q}-quantile of {name}'s pairwise distances is 0 (most points coincide), so "
            f"{name} cannot be normalised; remove duplicate points, raise the quantile, or pass "
            "normalize=None"
        )
    return scale


def normalized_distances(
    x: Any,
    *,
    metric: str = "euclidean",
    normalize: str | float | None = "quantile",
    name: str = "P",
) -> FloatArray:
    """Distance matrix of ``x`` divided by its ``normalize`` quantile."""
    d = pairwise_distances(x, metric=metric, name=name)
    return d / normalization_scale(d, normalize, name=name)


def check_float32_range(w: FloatArray) -> None:
    """``w`` must fit in float32, the precision every engine computes in.

    ``mu = min(w, w_tilde) <= w``, so ``w`` is the only block that can overflow. A single
    outlier about 1e38 times further away than the typical distance does it even after the
    quantile normalisation.
    """
    top = float(np.max(w, initial=0.0))
    if top > FLOAT32_MAX:
        raise RTDInputError(
            "the distances do not fit in float32, in which the barcode engines compute: the "
            f"largest normalised distance within the first representation of the pair is "
            f"{top:.3g}, above {FLOAT32_MAX:.3g}. A point lies extremely far from the others "
            "(remove it) or the data are not normalised (rescale them, or use "
            "normalize='quantile')"
        )


def cross_matrices(w: FloatArray, w_tilde: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The two blocks of the paper's doubled matrix (eq. 2): ``w`` and ``mu = min(w, w_tilde)``.

    Entries below ``mean(w) * 1e-6`` are set to 0 in both, as the published code does: it
    removes round-off on near-duplicate points that would otherwise create bars of length 1e-9.
    Raises :class:`RTDInputError` when ``w`` does not fit in float32.
    """
    check_float32_range(w)
    mu = np.minimum(w, w_tilde)
    floor = float(np.mean(w)) * 1e-6
    w = np.where(w < floor, 0.0, w)
    mu = np.where(mu < floor, 0.0, mu)
    return w, mu
