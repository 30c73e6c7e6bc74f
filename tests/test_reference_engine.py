"""The reference engine against an independent computation (gudhi) and the published figures."""

from __future__ import annotations

import numpy as np
import pytest

import rtdkit
from conftest import gudhi_doubled_barcode, related_pair, sort_diagram, unrelated_pair
from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.engines import get_engine
from rtdkit.engines.reference import doubled_matrix

CASES = [
    ("related", 12, 0),
    ("related", 40, 1),
    ("unrelated", 40, 2),
    ("related", 70, 3),
    ("unrelated", 70, 4),
]


def _pair(kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return related_pair(n, seed) if kind == "related" else unrelated_pair(n, seed)


@pytest.mark.parametrize(("kind", "n", "seed"), CASES)
@pytest.mark.parametrize("swap", [False, True])
def test_reference_matches_gudhi(kind: str, n: int, seed: int, swap: bool) -> None:
    p, q = _pair(kind, n, seed)
    if swap:
        p, q = q, p
    maxdim = 2 if n <= 40 else 1
    ours = rtdkit.cross_barcode(p, q, maxdim=maxdim, engine="reference")
    theirs = gudhi_doubled_barcode(p, q, maxdim)
    for dim in range(maxdim + 1):
        np.testing.assert_allclose(sort_diagram(ours[dim]), theirs[dim], rtol=1e-6, atol=1e-7)


def test_reference_matches_gudhi_with_ties_and_duplicates() -> None:
    grid = np.array([[i, j] for i in range(5) for j in range(5)], dtype=float)
    p = np.vstack([grid, grid[:5]])  # exact ties and duplicate points
    rng = np.random.default_rng(5)
    q = np.vstack([grid[rng.permutation(25)], grid[:5]])
    for a, b in ((p, q), (q, p)):
        ours = rtdkit.cross_barcode(a, b, maxdim=1, engine="reference")
        theirs = gudhi_doubled_barcode(a, b, 1)
        np.testing.assert_allclose(sort_diagram(ours[1]), theirs[1], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("engine", ["reference", "cone"])
def test_published_149_bar_case(engine: str) -> None:
    """From the authors' notebooks (see docs/engine.md): exact, since every engine computes in
    float32 as theirs did."""
    np.random.seed(7)  # noqa: NPY002 - the published figure uses numpy's legacy generator
    p = np.random.rand(100, 10)  # noqa: NPY002
    q = np.random.rand(100, 10)  # noqa: NPY002
    bc = rtdkit.cross_barcode(p, q, engine=engine)
    assert len(bc[1]) == 149
    assert float(np.float32(bc.lengths(1).max())) == pytest.approx(0.36882200837135315, rel=1e-7)


def test_critical_edges_carry_the_bar_values() -> None:
    p, q = related_pair(50, 11)
    w, mu = cross_matrices(normalized_distances(p), normalized_distances(q))
    out = get_engine("reference").function(w, mu, maxdim=2, return_edges=True)
    m = doubled_matrix(w, mu).astype(np.float32)
    assert out.edges is not None
    for bars, edges in zip(out.bars, out.edges, strict=True):
        assert edges.shape == (len(bars), 4)
        np.testing.assert_array_equal(m[edges[:, 0], edges[:, 1]], bars[:, 0].astype(np.float32))
        np.testing.assert_array_equal(m[edges[:, 2], edges[:, 3]], bars[:, 1].astype(np.float32))
