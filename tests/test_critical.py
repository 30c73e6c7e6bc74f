"""Critical entries: each bar's birth and death, read back from the two input matrices."""

from __future__ import annotations

import numpy as np
import pytest

import rtdkit
from rtdkit import RTDInputError
from rtdkit.critical import FROM_W, FROM_W_TILDE, ZERO, critical_barcode, critical_identity
from rtdkit.distances import normalized_distances


def _matrices(seed: int, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.normal(size=(n, 4))
    q = np.tanh(p @ rng.normal(size=(4, 2))) + 0.2 * rng.normal(size=(n, 2))
    return normalized_distances(p), normalized_distances(q)


@pytest.mark.parametrize("engine", ["reference", "cone"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_entries_read_back_the_bars(engine: str, seed: int) -> None:
    w, wt = _matrices(seed)
    bc, critical = critical_barcode(w, wt, maxdim=1, engine=engine)
    assert len(critical) == 2 and critical[1].source.shape == (len(bc[1]), 2)
    # The engines report bars rounded through float32; the entries are the float64 inputs.
    np.testing.assert_allclose(critical[1].read(w, wt), bc[1], rtol=0.0, atol=1e-6)
    used = set(np.unique(critical[1].source).tolist())
    assert used <= {ZERO, FROM_W, FROM_W_TILDE} and FROM_W in used


def test_entries_come_from_the_smaller_matrix() -> None:
    w, wt = _matrices(5)
    _, critical = critical_barcode(w, wt)
    c = critical[1]
    rows, cols, source = c.rows.ravel(), c.cols.ravel(), c.source.ravel()
    picked_wt = source == FROM_W_TILDE
    # An entry of mu = min(w, w~) read from w~ is one where w~ is the smaller.
    assert np.all(wt[rows[picked_wt], cols[picked_wt]] <= w[rows[picked_wt], cols[picked_wt]])


def test_same_barcode_as_cross_barcode() -> None:
    rng = np.random.default_rng(7)
    p, q = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))
    bc, _ = critical_barcode(normalized_distances(p), normalized_distances(q))
    np.testing.assert_array_equal(bc[1], rtdkit.cross_barcode(p, q)[1])


def test_bad_matrices_are_refused() -> None:
    w, wt = _matrices(0)
    with pytest.raises(RTDInputError, match="square"):
        critical_barcode(w[:, :-1], wt)
    with pytest.raises(RTDInputError, match="same N points"):
        critical_barcode(w, wt[:-1, :-1])
    with pytest.raises(RTDInputError, match="maxdim must be >= 0"):
        critical_barcode(w, wt, maxdim=-1)


@pytest.mark.parametrize("seed", [0, 1])
def test_critical_identity_sums_to_the_barcode_total_in_both_directions(seed: int) -> None:
    """The identity's signed entries give its total, which is the cone barcode's total length
    (an independent computation: the bars themselves), in each direction."""
    w, wt = _matrices(seed)
    forward, backward = critical_identity(w, wt)
    assert backward is not None
    np.testing.assert_allclose(np.sum(forward.sign * forward.read(w, wt)), forward.value, atol=1e-9)
    np.testing.assert_allclose(
        np.sum(backward.sign * backward.read(wt, w)), backward.value, atol=1e-9
    )
    there, _ = critical_barcode(w, wt, engine="cone")
    back, _ = critical_barcode(wt, w, engine="cone")
    assert forward.value == pytest.approx(there.total_length(1), rel=1e-5)
    assert backward.value == pytest.approx(back.total_length(1), rel=1e-5)
    only_forward, none = critical_identity(w, wt, symmetric=False)
    assert none is None and only_forward.value == forward.value


def test_entries_of_bars_paired_by_their_cut_read_back_the_bars() -> None:
    """On a cloud against a 2-d image of it the cone engine pairs most columns by their cut,
    without a reduction: their death entry is the w entry of the cut's first cone triangle, and
    it must read back the bar exactly as the reference engine's bars have it."""
    from rtdkit.distances import cross_matrices
    from rtdkit.engines.cone import cone_diagnostics

    rng = np.random.default_rng(3)
    p = rng.normal(size=(60, 16))
    q = p @ rng.normal(size=(16, 2)) + 0.05 * rng.normal(size=(60, 2))
    w, wt = normalized_distances(p), normalized_distances(q)
    assert cone_diagnostics(*cross_matrices(w, wt))["shortcut"] > 10
    bc, critical = critical_barcode(w, wt, engine="cone")
    reference, _ = critical_barcode(w, wt, engine="reference")
    np.testing.assert_array_equal(np.sort(bc[1], axis=0), np.sort(reference[1], axis=0))
    read = critical[1].read(w, wt).astype(np.float32)  # the engines' float32 values
    np.testing.assert_array_equal(read, bc[1].astype(np.float32))
    assert np.sum(critical[1].source[:, 1] == FROM_W) > 10  # deaths at cone triangles
