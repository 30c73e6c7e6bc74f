"""How well a low-dimensional embedding keeps the geometry of its input: the RTD-AE metrics.

Each metric compares the same ``n`` points in the input space ``x`` (n x D) and in the
embedding ``z`` (n x d) by their Euclidean distances and returns one number; 1 means perfectly
preserved for the three rank-based ones, and a random assignment of embedded points to input
points gives the chance level stated in each docstring. RTD (:func:`rtdkit.rtd`) is computed
by the experiment itself, next to these.

* :func:`distance_spearman` — Spearman correlation of all pairwise distances.
* :func:`triplet_accuracy` — how often a random triplet keeps the order of its two distances.
* :func:`knn_preservation` — mean fraction of each point's k nearest neighbours kept.
* :func:`longest_bars_total` — total length of the longest R-Cross-Barcode₁ bars, both ways
  (0 when nothing differs; lower is better).
* :func:`rips_diagrams` and :func:`diagram_wasserstein` — the paper's "W.D. H0 / H1": the
  1-Wasserstein distance between the Rips barcodes of ``x`` and of ``z`` (lower is better).
"""

from __future__ import annotations

import numpy as np
from gph import ripser_parallel
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import pdist, squareform
from scipy.stats import spearmanr

from rtdkit._validation import FloatArray, RTDInputError, check_int
from rtdkit.distances import normalized_distances
from rtdkit.divergence import cross_barcode

__all__ = [
    "diagram_wasserstein",
    "distance_spearman",
    "knn_preservation",
    "longest_bars_total",
    "random_triplets",
    "rips_diagrams",
    "triplet_accuracy",
]


def distance_spearman(x: FloatArray, z: FloatArray) -> float:
    """Spearman correlation between the n(n-1)/2 pairwise distances of ``x`` and of ``z``.

    1 when the embedding orders all distances as the input does; about 0 for a random
    assignment of embedded points.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(30, 5))
    >>> distance_spearman(x, 3 * x + 1)
    1.0
    """
    return float(spearmanr(pdist(x), pdist(z)).statistic)


def random_triplets(n: int, count: int, seed: int) -> NDArray[np.intp]:
    """``count`` triplets (i, j, k) of three distinct indices below ``n``, drawn uniformly.

    Rows with a repeated index are redrawn (rejection), so every ordered triplet of distinct
    indices is equally likely.

    Examples
    --------
    >>> t = random_triplets(5, 1000, seed=0)
    >>> t.shape, bool((t[:, 0] != t[:, 1]).all() and (t[:, 1] != t[:, 2]).all())
    ((1000, 3), True)
    """
    n = check_int(n, "n", minimum=3)
    count = check_int(count, "count", minimum=1)
    rng = np.random.default_rng(seed)
    kept: list[NDArray[np.intp]] = []
    found = 0
    while found < count:
        draw = rng.integers(0, n, size=(2 * count, 3))
        ok = (draw[:, 0] != draw[:, 1]) & (draw[:, 0] != draw[:, 2]) & (draw[:, 1] != draw[:, 2])
        kept.append(draw[ok])
        found += int(ok.sum())
    triplets: NDArray[np.intp] = np.concatenate(kept)[:count]
    return triplets


def triplet_accuracy(x: FloatArray, z: FloatArray, *, triplets: int, seed: int) -> float:
    """Fraction of random triplets (i, j, k) whose order ``d(i, j) < d(i, k)`` is the same in
    ``x`` and in ``z`` (the RTD-AE paper's triplet accuracy).

    The triplets come from :func:`random_triplets` with ``seed``, so every embedding of the
    same points is judged on the same triplets. 1 for an embedding that keeps every distance
    order, about 0.5 for a random assignment of embedded points.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(30, 5))
    >>> triplet_accuracy(x, 2 * x, triplets=500, seed=0)
    1.0
    """
    i, j, k = random_triplets(len(x), triplets, seed).T
    dx, dz = squareform(pdist(x)), squareform(pdist(z))
    kept = (dx[i, j] < dx[i, k]) == (dz[i, j] < dz[i, k])
    return float(np.mean(kept))


def knn_preservation(x: FloatArray, z: FloatArray, k: int) -> float:
    """Mean over points of the fraction of their ``k`` nearest neighbours in ``x`` that are also
    among their ``k`` nearest neighbours in ``z`` (a point is not its own neighbour).

    1 for an embedding that keeps every neighbourhood; about ``k / (n - 1)`` for a random
    assignment of embedded points. Ties are broken by index (a stable sort), the same way
    in both spaces.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(30, 3))
    >>> knn_preservation(x, 2 * x, k=5)
    1.0
    """
    k = check_int(k, "k", minimum=1)
    if k >= len(x):
        raise RTDInputError(f"k must be below the number of points ({len(x)}), got {k}")
    near_x, near_z = _neighbours(x, k), _neighbours(z, k)
    kept = [len(np.intersect1d(a, b)) / k for a, b in zip(near_x, near_z, strict=True)]
    return float(np.mean(kept))


def _neighbours(points: FloatArray, k: int) -> NDArray[np.intp]:
    d = squareform(pdist(points))
    np.fill_diagonal(d, np.inf)
    nearest: NDArray[np.intp] = np.argsort(d, axis=1, kind="stable")[:, :k]
    return nearest


def longest_bars_total(x: FloatArray, z: FloatArray, *, bars: int = 50) -> float:
    """Mean of the total length of the ``bars`` longest bars of R-Cross-Barcode₁(x, z) and of
    R-Cross-Barcode₁(z, x) (the RTD-AE paper's "sum of the 50 longest bars").

    RTD with the many short bars left out: each of the two barcodes is what
    :func:`rtdkit.cross_barcode` computes (each cloud divided by its 0.9-quantile), and their
    mean is symmetric as RTD's is. 0 when the two clouds have the same distances up to scale.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(40, 5))
    >>> longest_bars_total(x, 3 * x, bars=10)
    0.0
    """
    bars = check_int(bars, "bars", minimum=1)
    totals = [
        np.sort(cross_barcode(p, q, maxdim=1).lengths(1))[::-1][:bars].sum()
        for p, q in ((x, z), (z, x))
    ]
    return float(np.mean(totals))


def rips_diagrams(points: FloatArray, *, maxdim: int = 1) -> list[FloatArray]:
    """Finite Vietoris–Rips bars of ``points`` in H0 … H``maxdim``, as (k, 2) arrays.

    The distances are divided by their 0.9-quantile first, as :func:`rtdkit.rtd` does, so
    clouds of different sizes are compared on one scale; the one infinite H0 bar is dropped.
    giotto-ph computes in float32, so the bars are float32 values.

    Examples
    --------
    >>> import numpy as np
    >>> h0, h1 = rips_diagrams(np.array([[0.0], [1.0], [3.0]]))
    >>> np.round(h0, 4).tolist(), h1.shape  # distances (1, 2, 3), divided by 3
    ([[0.0, 0.3333], [0.0, 0.6667]], (0, 2))
    """
    d = normalized_distances(points)
    diagrams = ripser_parallel(d, metric="precomputed", maxdim=maxdim)["dgms"]
    return [
        np.asarray(dg, dtype=np.float64)[np.isfinite(dg[:, 1])].reshape(-1, 2) for dg in diagrams
    ]


def diagram_wasserstein(a: FloatArray, b: FloatArray) -> float:
    """1-Wasserstein distance between two persistence diagrams, with the L∞ ground metric.

    The smallest total cost of a matching of the bars of ``a`` with those of ``b`` in which any
    bar may instead go to its nearest point of the diagonal: a pair costs
    ``max(|birth_a - birth_b|, |death_a - death_b|)``, a bar sent to the diagonal half its
    length (the convention of GUDHI's default and of Edelsbrunner and Harer). Solved exactly
    by :func:`scipy.optimize.linear_sum_assignment` on the (|a| + |b|)-square matrix in which
    each diagram is augmented by the diagonal projections of the other's bars.

    Examples
    --------
    >>> import numpy as np
    >>> diagram_wasserstein(np.array([[0.0, 2.0]]), np.empty((0, 2)))
    1.0
    """
    a, b = _diagram(a, "a"), _diagram(b, "b")
    n, m = len(a), len(b)
    to_diagonal_a, to_diagonal_b = (a[:, 1] - a[:, 0]) / 2, (b[:, 1] - b[:, 0]) / 2
    cost = np.zeros((n + m, m + n))
    cost[:n, :m] = np.abs(a[:, None, :] - b[None, :, :]).max(axis=2, initial=0.0)
    # A bar of a may go only to its own diagonal projection, and likewise for b; the
    # projections match one another at no cost.
    cost[:n, m:] = np.where(np.eye(n, dtype=bool), to_diagonal_a[:, None], np.inf)
    cost[n:, :m] = np.where(np.eye(m, dtype=bool), to_diagonal_b[None, :], np.inf)
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].sum())


def _diagram(bars: FloatArray, name: str) -> FloatArray:
    out = np.asarray(bars, dtype=np.float64)
    if out.ndim != 2 or out.shape[1] != 2 or not np.all(np.isfinite(out)):
        raise RTDInputError(
            f"{name} must be a (k, 2) array of finite (birth, death) pairs, got shape "
            f"{out.shape}; drop infinite bars first"
        )
    if np.any(out[:, 1] < out[:, 0]):
        raise RTDInputError(f"{name} has a bar that dies before it is born")
    return out
