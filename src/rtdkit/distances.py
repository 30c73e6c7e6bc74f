"""Pairwise distances and their normalisation (Section 2.3 of the paper).

The RTD compares the *shapes* of two clouds, so each distance matrix is divided by its own
0.9-quantile before the two are compared. The quantile is taken over all N² entries, the zero
diagonal included, with numpy's default linear interpolation, as the published code does.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import (
    DEFAULT_QUANTILE,
    METRICS,
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_distance_matrix,
    check_metric,
    check_normalize,
)

__all__ = [
    "DEFAULT_QUANTILE",
    "METRICS",
    "check_memory",
    "check_metric",
    "cross_matrices",
    "cross_matrices_f32",
    "distance_quantile",
    "euclidean_distances",
    "normalization_scale",
    "normalized_distances",
    "pairwise_distances",
    "resolve_quantile",
]

# The engines compute in float32 (as the published code did): no distance may exceed this.
FLOAT32_MAX = float(np.finfo(np.float32).max)

# The quantile and metric checks live on the ground floor; their names stay importable here.
resolve_quantile = check_normalize


def euclidean_distances(x: FloatArray) -> FloatArray:
    """Exact Euclidean distances in float64.

    ``cdist`` sums squared differences coordinate by coordinate, so duplicate points get an
    exact 0 (the Gram-matrix trick would leave round-off there and create spurious bars).
    """
    from scipy.spatial.distance import cdist  # scipy loads on first use, not with rtdkit

    d: FloatArray = cdist(x, x, metric="euclidean")
    return d


def pairwise_distances(x: Any, *, metric: str = "euclidean", name: str = "P") -> FloatArray:
    """N x N distance matrix of the cloud ``x`` (or ``x`` itself if ``metric='precomputed'``)."""
    check_metric(metric)
    arr = as_float_matrix(x, name)
    if metric == "precomputed":
        return check_distance_matrix(arr, name)
    if metric == "euclidean":
        return _check_finite(euclidean_distances(arr), name)
    from scipy.spatial.distance import cdist

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


def distance_quantile(d: FloatArray, q: float) -> float:
    """``np.quantile(d, q)`` over all N² entries, bit for bit, at a quarter of its memory.

    ``np.quantile`` copies the whole matrix to partition it (8 bytes per N²). The sorted N²
    entries are the N diagonal zeros followed by each upper-triangle entry twice, so the two
    order statistics around the quantile come from a partition of the upper triangle alone
    (4 bytes per N²); numpy's own linear interpolation between them, at the same fraction,
    gives the same float.
    """
    n = len(d)
    total = n * n
    position = (total - 1) * q  # numpy's virtual index for method='linear'
    if n < 2 or position >= total - 1:
        return float(np.max(d, initial=0.0))
    below = int(np.floor(position))
    fraction = position - below
    upper = np.empty(n * (n - 1) // 2)
    start = 0
    for i in range(n - 1):
        upper[start : start + n - 1 - i] = d[i, i + 1 :]
        start += n - 1 - i
    ranks = sorted({(k - n) // 2 for k in (below, below + 1) if k >= n})
    if ranks:
        upper.partition(ranks)
    a, b = (0.0 if k < n else float(upper[(k - n) // 2]) for k in (below, below + 1))
    return float(np.quantile(np.array([a, b]), fraction))


def normalization_scale(d: FloatArray, normalize: str | float | None, *, name: str) -> float:
    """The factor each distance is divided by; 1.0 when ``normalize`` is None."""
    q = resolve_quantile(normalize)
    if q is None:
        return 1.0
    scale = distance_quantile(d, q)
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
    d /= normalization_scale(d, normalize, name=name)  # d is ours: scale it in place
    return d


def check_float32_range(w: FloatArray) -> None:
    """``w`` must fit in float32, the precision every engine computes in.

    ``mu = min(w, w_tilde) <= w``, so ``w`` is the only block that can overflow. A single
    outlier about 1e38 times further away than the typical distance does it even after the
    quantile normalisation.
    """
    top = float(np.max(w, initial=0.0))
    if top > FLOAT32_MAX:
        raise RTDInputError(
            "the distances do not fit in float32, in which rtdkit's engines compute: the "
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
    floor = zero_floor(w)
    w = np.where(w < floor, 0.0, w)
    mu = np.where(mu < floor, 0.0, mu)
    return w, mu


def zero_floor(w: FloatArray) -> float:
    """Entries below this are round-off, set to 0 (``mean(w) * 1e-6``, as published)."""
    return float(np.mean(w)) * 1e-6


def cross_matrices_f32(
    p: FloatArray, q: FloatArray, *, metric: str, normalize: str | float | None
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """``cross_matrices`` of the normalised distances of two clouds, rounded to float32.

    Equal bit for bit to ``cross_matrices(normalized_distances(p), normalized_distances(q))``
    rounded to float32 (the engines' precision), but it never holds more than 16 bytes per N²:
    one float64 matrix at a time, rounded to float32 as soon as its entries are final. The
    floor is applied in float64 before rounding, and ``float32(min(a, b)) = min(float32(a),
    float32(b))`` because rounding is monotone.
    """
    w = normalized_distances(p, metric=metric, normalize=normalize, name="P")
    check_float32_range(w)
    floor = zero_floor(w)
    w[w < floor] = 0.0
    w32 = w.astype(np.float32)
    del w
    w_tilde = normalized_distances(q, metric=metric, normalize=normalize, name="Q")
    w_tilde[w_tilde < floor] = 0.0  # then min(w, w~) < floor exactly where a zero is taken
    with np.errstate(over="ignore"):  # w~ may exceed float32: min(w, w~) <= w still fits
        mu32 = w_tilde.astype(np.float32)
    del w_tilde
    np.minimum(w32, mu32, out=mu32)
    return w32, mu32


def available_memory() -> int | None:
    """Bytes the system can still give this process (MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(n: int, bytes_per_n2: float, *, what: str) -> None:
    """Refuse up front work on N points that needs more memory than is available."""
    available = available_memory()
    needed = bytes_per_n2 * float(n) * float(n)
    if available is not None and needed > available:
        raise RTDInputError(
            f"{what} on {n} points needs about {needed / 2**30:.1f} GiB ({bytes_per_n2:g} bytes "
            f"per N²) but only {available / 2**30:.1f} GiB are available; compute the RTD on "
            "random subsets instead: rtdkit.rtd(P, Q, batch=...) with a batch that fits"
        )
