"""rtdkit.mst_measures: RTD-Lite and NTS against computations from scratch, and properties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.cluster.hierarchy import cophenet, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import pdist, squareform
from scipy.stats import rankdata

import rtdkit
from conftest import related_pair
from rtdkit import RTDInputError
from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.engines.score import identity_terms
from rtdkit.mst_measures import (
    merge_times,
    minimum_spanning_tree,
    nts,
    nts_from_distances,
    rtd_lite,
    rtd_lite_from_distances,
)

# --------------------------------------------------------------------------------------------
# Independent computations: Kruskal with a union-find, and sweeps over every threshold
# --------------------------------------------------------------------------------------------


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


def _sorted_edges(d: np.ndarray) -> list[tuple[float, int, int]]:
    return sorted((float(d[i, j]), i, j) for i, j in itertools.combinations(range(len(d)), 2))


def kruskal(d: np.ndarray) -> list[tuple[float, int, int]]:
    forest = UnionFind(len(d))
    return [(t, i, j) for t, i, j in _sorted_edges(d) if forest.union(i, j)]


def components(d: np.ndarray, t: float) -> int:
    return int(connected_components(d <= t, directed=False)[0])


def kernel_integral(w: np.ndarray, mu: np.ndarray) -> float:
    """∫ (#components of Rips(w)_t − #components of Rips(mu)_t) dt, a sweep over thresholds:
    the integral of dim ker(H0 L_t → H0 K_t) that the first term of the identity stands for."""
    levels = np.unique(np.concatenate([w.ravel(), mu.ravel()]))
    total = 0.0
    for low, high in itertools.pairwise(levels):
        total += (components(w, low) - components(mu, low)) * (high - low)
    return total


def rtd_lite_barcode(w: np.ndarray, mu: np.ndarray) -> list[tuple[float, float]]:
    """The RTD-Lite barcode as the paper builds it: for each edge of mu's tree in order, the bar
    from its weight to the scale at which w's edges join the two clusters it merged."""
    merged = UnionFind(len(w))
    bars = []
    for birth, i, j in kruskal(mu):
        grown = UnionFind(len(w))
        grown.parent = list(merged.parent)
        death = _joining_scale(grown, w, i, j)
        if death > birth:
            bars.append((birth, death))
        merged.union(i, j)
    return bars


def _joining_scale(grown: UnionFind, w: np.ndarray, i: int, j: int) -> float:
    """Add w's tree edges in order to the clusters ``grown`` until i and j are joined."""
    for t, u, v in kruskal(w):
        grown.union(u, v)
        if grown.find(i) == grown.find(j):
            return t
    raise AssertionError("w's tree spans every point")


def path_maximum(edges: list[tuple[float, int, int]], u: int, v: int) -> float:
    """Largest weight on the tree path from u to v, by depth-first search."""
    adjacent: dict[int, list[tuple[int, float]]] = {}
    for t, i, j in edges:
        adjacent.setdefault(i, []).append((j, t))
        adjacent.setdefault(j, []).append((i, t))
    stack = [(u, -1, 0.0)]
    while stack:
        node, came_from, largest = stack.pop()
        if node == v:
            return largest
        stack += [(x, node, max(largest, t)) for x, t in adjacent[node] if x != came_from]
    raise AssertionError("not a tree")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(rankdata(a), rankdata(b))[0, 1])


def nts_by_hand(w: np.ndarray, w_tilde: np.ndarray, variant: str) -> float:
    tree, tree_t = kruskal(w), kruskal(w_tilde)
    core = sorted({(min(i, j), max(i, j)) for _, i, j in tree + tree_t})
    if variant == "merge":
        a = [path_maximum(tree, i, j) for i, j in core]
        b = [path_maximum(tree_t, i, j) for i, j in core]
    else:
        a = [w[i, j] for i, j in core]
        b = [w_tilde[i, j] for i, j in core]
    return spearman(np.array(a), np.array(b))


def _matrices(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    p, q = related_pair(n, seed=seed)
    return normalized_distances(p, name="P"), normalized_distances(q, name="Q")


# --------------------------------------------------------------------------------------------
# Spanning trees and merge times
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_prim_tree_weighs_what_kruskal_finds(seed: int) -> None:
    w, _ = _matrices(25, seed)
    weights, edges = minimum_spanning_tree(w)
    assert len(edges) == 24
    assert np.sum(weights) == pytest.approx(sum(t for t, _, _ in kruskal(w)), rel=1e-12)
    assert np.array_equal(weights, w[edges[:, 0], edges[:, 1]])
    forest = UnionFind(25)
    assert all(forest.union(int(i), int(j)) for i, j in edges)  # a spanning tree: no cycle


def test_prim_tree_matches_the_native_engines_tree() -> None:
    # The identity's w-side tree (native Prim, float32 values) weighs the same.
    w, w_tilde = _matrices(60, 7)
    forward, _ = identity_terms(w, w_tilde)
    floored, _ = cross_matrices(w, w_tilde)
    assert np.sum(minimum_spanning_tree(floored)[0]) == pytest.approx(forward.mst_w, rel=1e-6)


def test_merge_times_are_the_single_linkage_cophenetic_distances() -> None:
    w, _ = _matrices(30, 1)
    weights, edges = minimum_spanning_tree(w)
    expected = squareform(cophenet(linkage(squareform(w, checks=False), "single")))
    assert np.allclose(merge_times(weights, edges, 30), expected, rtol=0, atol=1e-12)


def test_merge_times_agree_with_the_threshold_sweep() -> None:
    # merge time of (u, v) = smallest t at which u and v are connected in {w <= t}
    w, _ = _matrices(12, 2)
    times = merge_times(*minimum_spanning_tree(w), 12)
    joined = np.full((12, 12), np.nan)
    for t in np.unique(w)[::-1]:  # descending: the last assignment is the smallest t
        labels = connected_components(w <= t, directed=False)[1]
        joined[labels[:, None] == labels[None, :]] = t
    np.fill_diagonal(joined, 0.0)
    assert np.array_equal(times, joined)


# --------------------------------------------------------------------------------------------
# RTD-Lite
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_rtd_lite_equals_the_papers_barcode_and_the_kernel_integral(seed: int) -> None:
    w, w_tilde = _matrices(16, seed)
    forward, backward = rtd_lite_from_distances(w, w_tilde)
    for value, (a, b) in ((forward, (w, w_tilde)), (backward, (w_tilde, w))):
        floored, mu = cross_matrices(a, b)
        bars = rtd_lite_barcode(floored, mu)
        assert value == pytest.approx(sum(d - b for b, d in bars), rel=1e-9)
        assert value == pytest.approx(kernel_integral(floored, mu), rel=1e-9)


def test_rtd_lite_is_the_first_term_of_the_identity_and_at_most_rtd() -> None:
    w, w_tilde = _matrices(80, 4)
    forward, backward = identity_terms(w, w_tilde)
    assert backward is not None
    lite = rtd_lite_from_distances(w, w_tilde)
    for value, terms in zip(lite, (forward, backward), strict=True):
        assert value == pytest.approx(terms.mst_w - terms.mst_mu, rel=1e-5)
        assert value <= terms.total + 1e-6


def test_rtd_lite_of_clouds() -> None:
    p, q = related_pair(70, seed=5)
    assert rtd_lite(p, 2.5 * p @ np.linalg.qr(np.ones((6, 6)) + np.eye(6))[0]) == pytest.approx(
        0.0, abs=1e-12
    )
    w, w_tilde = normalized_distances(p), normalized_distances(q)
    assert rtd_lite(p, q) == pytest.approx(np.mean(rtd_lite_from_distances(w, w_tilde)))
    assert rtd_lite(p, q, symmetric=False) == rtd_lite_from_distances(w, w_tilde)[0]
    assert rtd_lite(p, q) > 0
    distances = squareform(pdist(p)), squareform(pdist(q))
    assert rtd_lite(*distances, metric="precomputed") == pytest.approx(rtd_lite(p, q))


def test_rtd_lite_rejects_mismatched_rows() -> None:
    with pytest.raises(RTDInputError, match="same objects"):
        rtd_lite(np.zeros((10, 2)) + np.arange(10)[:, None], np.ones((9, 2)))


# --------------------------------------------------------------------------------------------
# NTS
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["merge", "edge"])
@pytest.mark.parametrize("seed", range(3))
def test_nts_equals_the_computation_from_scratch(variant: str, seed: int) -> None:
    w, w_tilde = _matrices(20, seed)
    expected = nts_by_hand(w, w_tilde, variant)
    assert nts_from_distances(w, w_tilde, variant=variant) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("variant", ["merge", "edge"])
def test_nts_properties(variant: str) -> None:
    p, q = related_pair(60, seed=8)
    value = nts(p, q, variant=variant)
    assert -1.0 <= value <= 1.0
    assert nts(q, p, variant=variant) == pytest.approx(value, rel=1e-12)  # symmetric
    assert nts(p, p, variant=variant) == 1.0
    # ranks only: rescaling a cloud or squaring its distances changes nothing
    assert nts(p, 7.0 * q, variant=variant) == pytest.approx(value, rel=1e-12)
    d, d_tilde = squareform(pdist(p)), squareform(pdist(q))
    assert nts(d, d_tilde**2, variant=variant, metric="precomputed") == pytest.approx(value)
    # an unrelated cloud scores below a related one, and below 0: each tree's edges are the
    # shortest pairs of its own cloud but typical pairs of the other, so the union of the two
    # trees is anti-correlated by construction (the chance level of NTS is negative)
    unrelated = np.random.default_rng(0).normal(size=q.shape)
    assert nts(p, unrelated, variant=variant) < min(value, 0.0)


def test_nts_merge_variant_sees_only_the_hierarchy() -> None:
    # Moving points without changing which clusters merge first keeps NTS-M at 1: two tight
    # pairs far apart, then the same pairs at other (still increasing) scales.
    a = np.array([[0.0], [1.0], [10.0], [12.0], [40.0]])
    b = np.array([[0.0], [2.0], [30.0], [33.0], [90.0]])
    assert nts(a, b) == 1.0


def test_nts_refuses_constant_values() -> None:
    # An equilateral triangle: every distance and merge time ties, the correlation is undefined.
    tri = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    d = squareform(pdist(tri))
    d[np.abs(d - 1.0) < 1e-12] = 1.0
    with pytest.raises(RTDInputError, match="rank correlation is undefined"):
        nts(d, d, metric="precomputed")
    with pytest.raises(RTDInputError, match="variant"):
        nts(tri, tri, variant="nope")


def test_nts_and_rtd_lite_rank_pairs_as_rtd_does_on_a_clear_case() -> None:
    p, related = related_pair(80, seed=9)
    unrelated = np.random.default_rng(1).normal(size=related.shape)
    assert rtd_lite(p, related) < rtd_lite(p, unrelated)
    assert nts(p, related) > nts(p, unrelated)
    assert rtdkit.rtd(p, related, batch=None).value < rtdkit.rtd(p, unrelated, batch=None).value
