"""How well a low-dimensional embedding keeps the geometry of its input: the RTD-AE metrics.

Each metric compares the same ``n`` points in the input space ``x`` (n x D) and in the
embedding ``z`` (n x d) by their Euclidean distances and returns one number; 1 means perfectly
preserved for the three rank-based ones, and a random assignment of embedded points to input
points gives the chance level stated in each docstring. RTD (:func:`rtdkit.rtd`) is computed
by the experiment itself, next to these.

* :func:`distance_spearman` — Spearman correlation of all pairwise distances.
* :func:`triplet_accuracy` — how often a random triplet keeps the order of its two distances.
* :func:`knn_preservation` — mean fraction of each point's k nearest neighbours kept.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.distance import pdist, squareform
from scipy.stats import spearmanr

from rtdkit._validation import FloatArray, RTDInputError, check_int

__all__ = ["distance_spearman", "knn_preservation", "random_triplets", "triplet_accuracy"]


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
