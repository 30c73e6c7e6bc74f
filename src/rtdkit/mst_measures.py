"""Two comparison measures built on minimum spanning trees: RTD-Lite and NTS.

Both read only the spanning trees of the distance matrices, the objects that the first term of
the RTD identity already computes (``docs/score.md``)::

    RTD_1(P, P̃) = [MST(w) − MST(μ)] + TL(H1 Rips(μ)) − TL(image of H1 Rips(w) → H1 Rips(μ))

* **RTD-Lite** (Tulchinskii, Voronkova, Trofimov, Burnaev & Barannikov, *RTD-Lite: Scalable
  Topological Analysis for Comparing Weighted Graphs in Learning Tasks*, AISTATS 2025; code at
  github.com/ArGintum/RTD-Lite) compares the clusters (H0) of the two graphs: its barcode has
  one bar per edge of the spanning tree of ``μ = min(w, w̃)``, from the edge's weight to the
  scale at which ``w`` joins the two clusters that edge merged, and its total length is
  ``MST(w) − MST(μ)``. That is exactly the first, H0-type term of our identity: the integral
  of dim ker(H0 Rips(w)_t → H0 Rips(μ)_t). So RTD-Lite(P, P̃) ≤ RTD_1(P, P̃) direction by
  direction (the rest of RTD_1 is the integral of a dimension, never negative), the two are
  equal when H1 contributes nothing, and the symmetric RTD-Lite is the half-sum of both
  directions, as in the published code.
* **NTS**, Normalized Topological Similarity (Wang & Hu, 2026, *From divergence to normalized
  similarity: a symmetric and scalable topological toolkit for representation analysis*),
  compares the *order* in which points merge into clusters rather than the scales: take the
  union of the edges of the two spanning trees (the "core pairs"), read for each core pair
  the scale at which it becomes connected in each cloud (its merge time: the largest edge on
  the tree path between its ends, i.e. the single-linkage ultrametric), and return Spearman's
  rank correlation of the two lists (NTS-M). The paper's second variant, NTS-E, correlates
  the raw distances of the core pairs instead (``variant='edge'``). NTS lies in [-1, 1], is 1
  for identical clouds and is unchanged by any rescaling or monotone transform of either
  distance matrix (so the quantile normalisation plays no role). It uses the two spanning
  trees of ``w`` and ``w̃`` (the w-side trees of the identity's two directions) and not that
  of ``μ``; it has no counterpart among the identity's terms. Its chance level is *not* 0:
  each tree's edges are the shortest pairs of their own cloud but typical pairs of the other,
  so on unrelated clouds the union of the two trees is anti-correlated by construction
  (measured on independent Gaussian clouds of 500 points in 8-d: NTS-M about −0.14, NTS-E
  about −0.71). Read it against its chance level (:mod:`rtdkit.null`), not against 0.

What the sources leave open, and what is chosen here: the NTS paper (a 2025 preprint; no code
was found) does not say how ties are ranked or which tree is used when several are minimal.
Ties get average ranks (scipy's Spearman), and the tree is the one Prim's algorithm finds
scanning vertices in index order; merge times do not depend on that choice, the set of core
pairs can when distances tie. Its advice to z-score features first (for LLM activations) is a
preprocessing step left to the user. RTD-Lite applies the zero floor of
:func:`rtdkit.distances.cross_matrices` here (the published code does not), so that it equals
the identity's first term exactly; it only changes distances below 1e-6 of the mean.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import spearmanr

from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_bool,
    check_same_rows,
)
from rtdkit.distances import cross_matrices, normalized_distances

__all__ = [
    "merge_times",
    "minimum_spanning_tree",
    "nts",
    "nts_from_distances",
    "rtd_lite",
    "rtd_lite_from_distances",
    "rtd_lite_trial",
]

NTS_VARIANTS = ("merge", "edge")


def minimum_spanning_tree(d: FloatArray) -> tuple[FloatArray, NDArray[np.intp]]:
    """Prim's algorithm on a dense symmetric matrix: ``(weights, edges)`` of one minimum tree.

    O(N²) time and O(N) extra memory, like the native engine's. ``edges[i]`` is the vertex
    pair joined at step ``i`` (vertex 0 first, then always the nearest vertex outside the
    tree, the lowest index among ties); ``weights[i]`` is its entry of ``d``.

    Examples
    --------
    >>> d = np.array([[0.0, 1.0, 4.0], [1.0, 0.0, 2.0], [4.0, 2.0, 0.0]])
    >>> weights, edges = minimum_spanning_tree(d)
    >>> weights.tolist(), edges.tolist()
    ([1.0, 2.0], [[0, 1], [1, 2]])
    """
    n = len(d)
    in_tree = np.zeros(n, dtype=bool)
    nearest = np.full(n, np.inf)  # distance from each outside vertex to the tree
    parent = np.zeros(n, dtype=np.intp)
    weights = np.empty(max(n - 1, 0))
    edges = np.empty((max(n - 1, 0), 2), dtype=np.intp)
    vertex = 0
    for step in range(n - 1):
        in_tree[vertex] = True
        closer = d[vertex] < nearest
        nearest[closer] = d[vertex][closer]
        parent[closer] = vertex
        nearest[in_tree] = np.inf
        vertex = int(np.argmin(nearest))
        weights[step] = d[parent[vertex], vertex]
        edges[step] = parent[vertex], vertex
    return weights, edges


def merge_times(tree_weights: FloatArray, tree_edges: NDArray[np.intp], n: int) -> FloatArray:
    """The N x N single-linkage ultrametric of a spanning tree: for each pair of points, the
    scale at which they join one cluster (the largest tree edge on the path between them).

    Kruskal's merges, replayed on the tree's edges in increasing order: when two clusters
    join at weight t, every pair across them gets merge time t.

    Examples
    --------
    >>> merge_times(np.array([1.0, 2.0]), np.array([[0, 1], [1, 2]]), 3).tolist()
    [[0.0, 1.0, 2.0], [1.0, 0.0, 2.0], [2.0, 2.0, 0.0]]
    """
    times = np.zeros((n, n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    cluster = np.arange(n)
    for k in np.argsort(tree_weights, kind="stable"):
        a, b = cluster[tree_edges[k, 0]], cluster[tree_edges[k, 1]]
        left, right = members.pop(a), members.pop(b)
        times[np.ix_(left, right)] = tree_weights[k]
        times[np.ix_(right, left)] = tree_weights[k]
        cluster[right] = a
        members[a] = left + right
    return times


def _tree_total(d: FloatArray) -> float:
    return float(np.sum(minimum_spanning_tree(d)[0]))


def rtd_lite_from_distances(
    w: FloatArray, w_tilde: FloatArray, *, symmetric: bool = True
) -> tuple[float, ...]:
    """RTD-Lite of two normalised distance matrices: ``(forward,)`` or ``(forward, backward)``.

    ``forward = MST(w) − MST(min(w, w̃))`` with the zero floor of
    :func:`rtdkit.distances.cross_matrices`, the first term of the RTD identity;
    ``backward`` swaps the two.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(30, 3))
    >>> w = normalized_distances(x)
    >>> rtd_lite_from_distances(w, w)
    (0.0, 0.0)
    """
    values = [_one_direction(w, w_tilde)]
    if symmetric:
        values.append(_one_direction(w_tilde, w))
    return tuple(values)


def _one_direction(w: FloatArray, w_tilde: FloatArray) -> float:
    floored, mu = cross_matrices(w, w_tilde)
    return _tree_total(floored) - _tree_total(mu)


def _pair(P: Any, Q: Any) -> tuple[FloatArray, FloatArray]:
    p, q = as_float_matrix(P, "P"), as_float_matrix(Q, "Q")
    check_same_rows(p, q, "P", "Q")
    return p, q


def rtd_lite(
    P: Any,
    Q: Any,
    *,
    symmetric: bool = True,
    normalize: str | float | None = "quantile",
    metric: str = "euclidean",
) -> float:
    """RTD-Lite (Tulchinskii et al., 2025): how differently P and Q form clusters (H0).

    The total length of the RTD-Lite barcode, ``MST(w) − MST(min(w, w̃))`` on the normalised
    distance matrices, half-summed with the opposite direction when ``symmetric``. It equals
    the H0-type first term of the RTD identity (``docs/score.md``), so it never exceeds
    RTD_1 in the same direction; 0 when the clouds are identical up to scale. See the
    module's docstring for how it relates to the paper's definition.

    Parameters
    ----------
    P, Q : array-like, shape (N, D) and (N, D')
        Two representations of the same N objects (N x N distance matrices with
        ``metric='precomputed'``).
    symmetric : bool, default True
        Half-sum of both directions (the published definition); False: P → Q only.
    normalize, metric
        As in :func:`rtdkit.rtd`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> P = rng.normal(size=(100, 5))
    >>> round(rtd_lite(P, 3 * P), 12), rtd_lite(P, rng.normal(size=(100, 2))) > 0
    (0.0, True)
    """
    p, q = _pair(P, Q)
    values = rtd_lite_trial(p, q, normalize=normalize, metric=metric)
    return float(np.mean(values)) if check_bool(symmetric, "symmetric") else values[0]


def rtd_lite_trial(
    p: FloatArray,
    q: FloatArray,
    *,
    normalize: str | float | None = "quantile",
    metric: str = "euclidean",
) -> tuple[float, float]:
    """RTD-Lite in both directions on one subsample (validated float64 arrays, or distance
    matrices with ``metric='precomputed'``): the per-trial step of the registered measure.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(30, 3))
    >>> rtd_lite_trial(x, 2 * x)
    (0.0, 0.0)
    """
    w = normalized_distances(p, metric=metric, normalize=normalize, name="P")
    w_tilde = normalized_distances(q, metric=metric, normalize=normalize, name="Q")
    forward, backward = rtd_lite_from_distances(w, w_tilde)
    return forward, backward


def _core_pairs(edges: NDArray[np.intp], edges_t: NDArray[np.intp]) -> NDArray[np.intp]:
    """The union of the two spanning trees' edges, each pair once, as ``(k, 2)`` rows."""
    both = np.sort(np.vstack([edges, edges_t]), axis=1)
    pairs: NDArray[np.intp] = np.unique(both, axis=0)
    return pairs


def nts_from_distances(w: FloatArray, w_tilde: FloatArray, *, variant: str = "merge") -> float:
    """NTS of two distance matrices (any scale: it only uses ranks). See :func:`nts`.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(30, 3))
    >>> w = normalized_distances(x)
    >>> round(nts_from_distances(w, w ** 2), 12)
    1.0
    """
    if variant not in NTS_VARIANTS:
        raise RTDInputError(f"variant must be one of {NTS_VARIANTS}; got {variant!r}")
    tree, tree_t = minimum_spanning_tree(w), minimum_spanning_tree(w_tilde)
    rows, cols = _core_pairs(tree[1], tree_t[1]).T
    if variant == "merge":
        values = merge_times(*tree, len(w))[rows, cols]
        values_t = merge_times(*tree_t, len(w))[rows, cols]
    else:
        values, values_t = w[rows, cols], w_tilde[rows, cols]
    for name, v in (("P", values), ("Q", values_t)):
        if np.all(v == v[0]):
            raise RTDInputError(
                f"every core pair of {name} has the same {_WHAT[variant]}, so their rank "
                "correlation is undefined; NTS needs points at distinct distances (remove "
                "duplicate points or use more of them)"
            )
    rho = float(spearmanr(values, values_t).statistic)
    return float(np.clip(rho, -1.0, 1.0))


_WHAT = {"merge": "merge time", "edge": "distance"}


def nts(P: Any, Q: Any, *, variant: str = "merge", metric: str = "euclidean") -> float:
    """NTS, Normalized Topological Similarity (Wang & Hu, 2026), in [-1, 1]; 1 = identical.

    Spearman's rank correlation, over the union of the edges of the two minimum spanning trees,
    of the scales at which each pair of points joins one cluster in P and in Q (NTS-M,
    ``variant='merge'``), or of their distances (NTS-E, ``variant='edge'``). A similarity:
    unchanged by rescaling either cloud or by any increasing transform of its distances. See
    the module's docstring for how it relates to the RTD identity and what the paper leaves
    open.

    Parameters
    ----------
    P, Q
        As in :func:`rtd_lite`.
    variant : {'merge', 'edge'}, default 'merge'
        NTS-M (merge times) or NTS-E (distances) of the core pairs.
    metric : str, default 'euclidean'
        As in :func:`rtdkit.rtd`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(100, 5))
    >>> round(nts(x, 2 * x + 1), 12), nts(x, x[::-1]) < 0
    (1.0, True)
    """
    p, q = _pair(P, Q)
    w = normalized_distances(p, metric=metric, normalize=None, name="P")
    w_tilde = normalized_distances(q, metric=metric, normalize=None, name="Q")
    return nts_from_distances(w, w_tilde, variant=variant)
