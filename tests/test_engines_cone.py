"""The native mapping-cone engine against the reference engine (giotto-ph on the doubled matrix).

Both engines see the same float32 filtration values, and a persistence diagram does not depend
on tie-breaking, so the diagrams must agree *exactly* (as multisets of float32 values), not only
to 1e-6. The cone complex and the truncation at the enclosing radius are derived in
docs/engine.md; these tests are what keeps that derivation honest.
"""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import minimum_spanning_tree

import rtdkit
from conftest import assert_stops_on_ctrl_c
from rtdkit import RTDInputError
from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.engines import get_engine
from rtdkit.engines.reference import doubled_matrix

cone = pytest.importorskip("rtdkit.engines.cone")


def _cone(w, mu, maxdim=1, return_edges=False):
    return get_engine("cone").function(w, mu, maxdim=maxdim, return_edges=return_edges)


def _ref(w, mu, maxdim=1):
    return get_engine("reference").function(w, mu, maxdim=maxdim)


def _canon(bars: np.ndarray) -> np.ndarray:
    b = np.asarray(bars, dtype=np.float64).reshape(-1, 2).astype(np.float32)
    b = b[b[:, 1] > b[:, 0]]
    return b[np.lexsort((b[:, 1], b[:, 0]))]


def _matrices(p: np.ndarray, q: np.ndarray, normalize: str | None = "quantile"):
    return cross_matrices(
        normalized_distances(p, normalize=normalize, name="P"),
        normalized_distances(q, normalize=normalize, name="Q"),
    )


def _assert_same(w: np.ndarray, mu: np.ndarray, maxdim: int = 1) -> dict:
    """Bars equal to the reference's; returns the engine's counters."""
    ours, theirs = _cone(w, mu, maxdim), _ref(w, mu, maxdim)
    assert len(ours.bars) == maxdim + 1
    assert ours.bars[0].shape == (0, 2)
    for dim in range(1, maxdim + 1):
        a, b = _canon(ours.bars[dim]), _canon(theirs.bars[dim])
        assert a.shape == b.shape, f"H{dim}: {len(a)} bars vs {len(b)} for the reference"
        np.testing.assert_array_equal(a, b)  # exact, as float32 values
        np.testing.assert_allclose(ours.bars[dim], theirs.bars[dim], rtol=1e-6, atol=0)
    stats = cone.cone_diagnostics(w, mu, maxdim=maxdim)
    assert stats["essential"] == 0  # nothing survives the enclosing radius
    for dim in range(1, maxdim + 1):
        assert np.all(ours.bars[dim][:, 1] <= np.float32(stats["alpha"]))
    return stats


def _clouds(kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.normal(size=(n, 8))
    if kind == "related":  # Q = P A + noise
        q = p @ rng.normal(size=(8, 5)) + 0.3 * rng.normal(size=(n, 5))
    else:
        q = rng.uniform(size=(n, 3))
    return p, q


@pytest.mark.parametrize("n", [10, 37, 90, 200])
@pytest.mark.parametrize("kind", ["related", "unrelated"])
@pytest.mark.parametrize("swap", [False, True])
def test_dim1_matches_reference(n: int, kind: str, swap: bool) -> None:
    p, q = _clouds(kind, n, seed=n)
    if swap:
        p, q = q, p
    _assert_same(*_matrices(p, q))


@pytest.mark.parametrize("n", [8, 15, 30])
@pytest.mark.parametrize("kind", ["related", "unrelated"])
@pytest.mark.parametrize("swap", [False, True])
def test_dim2_matches_reference(n: int, kind: str, swap: bool) -> None:
    p, q = _clouds(kind, n, seed=100 + n)
    if swap:
        p, q = q, p
    w, mu = _matrices(p, q)
    _assert_same(w, mu, maxdim=2)


def test_dim3_matches_reference() -> None:
    w, mu = _matrices(*_clouds("related", 10, seed=3))
    _assert_same(w, mu, maxdim=3)


def _grid_pair(seed: int) -> tuple[np.ndarray, np.ndarray]:
    grid = np.array([[i, j] for i in range(6) for j in range(5)], dtype=float)
    rng = np.random.default_rng(seed)
    p = np.vstack([grid, grid[:6]])  # exact ties and duplicate points
    q = np.vstack([grid[rng.permutation(len(grid))], grid[3:9]])
    return p, q


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("swap", [False, True])
def test_ties_and_duplicates(seed: int, swap: bool) -> None:
    p, q = _grid_pair(seed)
    if swap:
        p, q = q, p
    w, mu = _matrices(p, q)
    _assert_same(w, mu, maxdim=1)
    _assert_same(w[:20, :20], mu[:20, :20], maxdim=2)


def test_many_duplicates() -> None:
    rng = np.random.default_rng(11)
    base = rng.normal(size=(15, 4))
    p = base[rng.integers(0, 15, size=60)]  # every point repeated about four times
    q = p @ rng.normal(size=(4, 4)) + 0.05 * rng.normal(size=(60, 4))
    for a, b in ((p, q), (q, p)):
        _assert_same(*_matrices(a, b))


@pytest.mark.parametrize("swap", [False, True])
def test_very_different_scales_unnormalised(swap: bool) -> None:
    rng = np.random.default_rng(5)
    p = 1e-3 * rng.normal(size=(70, 6))
    q = 1e4 * (p @ rng.normal(size=(6, 6))) + rng.normal(size=(70, 6))
    if swap:
        p, q = q, p
    _assert_same(*_matrices(p, q, normalize=None))
    # and one cloud at 1e-6 against one at 1e6 after the usual normalisation
    _assert_same(*_matrices(1e-6 * p, 1e6 * q))


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=3, max_value=9),
    seed=st.integers(min_value=0, max_value=2**31 - 1),
    levels=st.integers(min_value=1, max_value=4),
)
def test_integer_matrices_with_ties(n: int, seed: int, levels: int) -> None:
    """Arbitrary symmetric matrices with few distinct values: ties everywhere."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, levels + 1, size=(n, n)).astype(float)
    b = rng.integers(0, levels + 1, size=(n, n)).astype(float)
    w, wt = np.triu(a, 1) + np.triu(a, 1).T, np.triu(b, 1) + np.triu(b, 1).T
    _assert_same(w, np.minimum(w, wt), maxdim=1)  # the dimension-1 fast path (cone over L)
    _assert_same(w, np.minimum(w, wt), maxdim=2)  # the generic path (cone over M)


@pytest.mark.parametrize(("n", "levels", "seed"), [(40, 2, 0), (60, 3, 1), (80, 5, 2)])
def test_larger_integer_matrices_with_ties(n: int, levels: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, levels + 1, size=(n, n)).astype(float)
    b = np.clip(a + rng.integers(-1, 2, size=(n, n)), 0, levels)  # mostly agreeing
    w, wt = np.triu(a, 1) + np.triu(a, 1).T, np.triu(b, 1) + np.triu(b, 1).T
    _assert_same(w, np.minimum(w, wt), maxdim=1)


@pytest.mark.parametrize("maxdim", [1, 2])
def test_critical_edges_give_the_bar_values(maxdim: int) -> None:
    p, q = _clouds("related", 40 if maxdim == 1 else 18, seed=9)
    for a, b in ((p, q), (q, p)):
        w, mu = _matrices(a, b)
        out = _cone(w, mu, maxdim=maxdim, return_edges=True)
        assert out.edges is not None
        m = doubled_matrix(w, mu)
        n = len(w)
        for dim in range(1, maxdim + 1):
            bars, edges = out.bars[dim], out.edges[dim]
            assert edges.shape == (len(bars), 4) and edges.dtype == np.int64
            assert np.all((edges >= 0) & (edges < 2 * n))
            np.testing.assert_array_equal(np.float32(m[edges[:, 0], edges[:, 1]]), bars[:, 0])
            np.testing.assert_array_equal(np.float32(m[edges[:, 2], edges[:, 3]]), bars[:, 1])
            # bars without edges are the same bars, in the same order
            np.testing.assert_array_equal(_cone(w, mu, maxdim=maxdim).bars[dim], bars)
        if maxdim == 1:
            # births are edges of K: both ends among the originals N..2N-1
            assert np.all(out.edges[1][:, :2] >= n)


@pytest.mark.parametrize("kind", ["related", "unrelated"])
def test_rtd_bounded_below_by_mst_difference(kind: str) -> None:
    """RTD_1 >= MST(w) - MST(mu), the H0-type part of H1(K, L) (docs/engine.md)."""
    for seed in range(3):
        p, q = _clouds(kind, 60, seed=seed)
        w, mu = _matrices(p, q)
        bars = _cone(w, mu).bars[1]
        total = float(np.sum(bars[:, 1] - bars[:, 0]))
        gap = float(minimum_spanning_tree(w).sum() - minimum_spanning_tree(mu).sum())
        assert gap > 0
        assert total >= gap - 1e-5 * max(1.0, gap)


def test_nothing_lives_past_the_enclosing_radius() -> None:
    """The full doubled complex (no truncation, computed by gudhi) has no bar past alpha*."""
    gudhi = pytest.importorskip("gudhi")
    for kind, seed in (("related", 1), ("unrelated", 2)):
        p, q = _clouds(kind, 12, seed=seed)
        w, mu = _matrices(p, q)
        alpha = float(np.min(np.max(w, axis=1)))
        m = doubled_matrix(w, mu)
        tree = gudhi.RipsComplex(distance_matrix=m).create_simplex_tree(max_dimension=3)
        tree.compute_persistence(homology_coeff_field=2, min_persistence=-1.0)
        for dim in (1, 2):
            bars = np.asarray(tree.persistence_intervals_in_dimension(dim)).reshape(-1, 2)
            assert np.all(np.isfinite(bars[:, 1]))
            bars = bars[bars[:, 1] > bars[:, 0]]
            assert len(bars) > 0 and np.all(bars[:, 1] <= alpha * (1 + 1e-12))
        assert alpha < float(w.max())  # the truncation removes something


def test_maxdim_zero_and_empty_h0() -> None:
    w, mu = _matrices(*_clouds("related", 20, seed=0))
    out = _cone(w, mu, maxdim=0, return_edges=True)
    assert len(out.bars) == 1 and out.bars[0].shape == (0, 2)
    assert out.edges is not None and out.edges[0].shape == (0, 4)


def test_registered_with_edges() -> None:
    info = get_engine("cone")
    assert info.supports_edges and info.max_supported_dim >= 2
    assert "cone" in rtdkit.engines.available_engines()


def test_missing_native_module_is_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed build must not pass silently: the import error names the module and the fix."""
    from rtdkit import engines

    monkeypatch.setitem(sys.modules, "rtdkit.engines._cone", None)  # makes the import fail
    monkeypatch.delattr(engines, "_cone", raising=False)
    monkeypatch.delitem(sys.modules, "rtdkit.engines.cone")
    monkeypatch.delattr(engines, "cone", raising=False)
    monkeypatch.delitem(engines._REGISTRY, "cone")
    with pytest.raises(ImportError, match=r"rtdkit\.engines\._cone.*pip install -e \."):
        get_engine("cone")
    monkeypatch.undo()
    importlib.import_module("rtdkit.engines.cone")
    assert get_engine("cone").name == "cone"


def test_bad_input_is_rejected() -> None:
    w, mu = _matrices(*_clouds("related", 10, seed=0))
    with pytest.raises(RTDInputError, match="mu"):
        _cone(mu, w)  # mu > w somewhere
    with pytest.raises(RTDInputError, match="maxdim"):
        _cone(w, mu, maxdim=4)


def test_sizes_beyond_the_indices_are_refused_up_front() -> None:
    """Too many points for 32-bit edge indices: refused before anything is allocated."""
    big = np.lib.stride_tricks.as_strided(np.zeros(1), (cone.MAX_POINTS + 1,) * 2, (0, 0))
    with pytest.raises(RTDInputError, match=rf"at most {cone.MAX_POINTS} points.*batch="):
        _cone(big, big)


def test_issue_outlier_beyond_float32_is_a_clear_error() -> None:
    """One point ~1e40 times further away than the rest: w overflows float32 in every row.

    The engine used to read past a neighbour list here and return bars dying at inf.
    """
    rng = np.random.default_rng(0)
    p = rng.normal(size=(40, 3))
    p[0] *= 1e40
    q = rng.normal(size=(40, 2))
    for engine in ("cone", "reference"):
        with pytest.raises(RTDInputError, match=r"float32.*normalize='quantile'"):
            rtdkit.cross_barcode(p, q, engine=engine)
    # the engine itself refuses such matrices too (callers that bypass cross_matrices)
    w = normalized_distances(p)
    with pytest.raises(RTDInputError, match="float32"):
        _cone(w, np.minimum(w, normalized_distances(q)))


def test_distances_overflowing_float64_are_named() -> None:
    p = np.random.default_rng(1).normal(size=(30, 3)) * 1e300
    with pytest.raises(RTDInputError, match="overflow float64") as info:
        rtdkit.cross_barcode(p, p[:, :2])
    assert "quantile" not in str(info.value)


def _outcome(p: np.ndarray, q: np.ndarray, normalize: str | None, engine: str) -> object:
    try:
        return _canon(rtdkit.cross_barcode(p, q, engine=engine, normalize=normalize)[1])
    except RTDInputError as exc:
        return str(exc)


@settings(max_examples=60, deadline=None)
@given(
    exponent=st.integers(min_value=0, max_value=300),
    seed=st.integers(min_value=0, max_value=2**31 - 1),
    normalize=st.sampled_from(["quantile", None]),
    scaled=st.sampled_from(["one point of P", "all of P", "one point of Q"]),
)
def test_far_outliers_fuzz(exponent: int, seed: int, normalize: str | None, scaled: str) -> None:
    """Clouds with a point (or all points) scaled by up to 1e300: the cone engine gives the
    reference's bars exactly, or both refuse with the same clear message; never an inf bar."""
    rng = np.random.default_rng(seed)
    p, q = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    factor = 10.0**exponent
    if scaled == "one point of P":
        p[0] *= factor
    elif scaled == "all of P":
        p *= factor
    else:
        q[0] *= factor
    ours, theirs = _outcome(p, q, normalize, "cone"), _outcome(p, q, normalize, "reference")
    if isinstance(ours, str) or isinstance(theirs, str):
        assert ours == theirs
        assert "float32" in ours or "float64" in ours
    else:
        assert isinstance(ours, np.ndarray) and isinstance(theirs, np.ndarray)
        assert np.all(np.isfinite(ours))
        np.testing.assert_array_equal(ours, theirs)


def _hard_pair(n: int) -> tuple[np.ndarray, np.ndarray]:
    """64-d Gaussian against a noisy 2-d projection of it: the engine's slowest kind of pair."""
    rng = np.random.default_rng(0)
    p = rng.normal(size=(n, 64))
    return _matrices(p, p @ rng.normal(size=(64, 2)) + 0.1 * rng.normal(size=(n, 2)))


def test_progress_is_reported_with_increasing_counts() -> None:
    w, mu = _hard_pair(300)  # a few seconds
    calls: list[tuple[int, int]] = []
    cone.cone_engine(w, mu, maxdim=1, progress=lambda done, total: calls.append((done, total)))
    stats = cone.cone_diagnostics(w, mu)
    total = stats["columns"] - stats["trivial"]  # the columns the engine lists
    assert len(calls) >= 2 and calls[-1] == (total, total)  # the last call says "all done"
    dones = [done for done, _ in calls]
    assert all(t == total for _, t in calls) and dones == sorted(dones) and dones[0] < total


def test_cross_barcode_shows_the_engines_progress(capfd: pytest.CaptureFixture[str]) -> None:
    # a hard pair (a cloud against its noisy 2-d image), long enough for a few reports
    rng = np.random.default_rng(1)
    p = rng.normal(size=(90, 8))
    q = p @ rng.normal(size=(8, 2)) + 0.05 * rng.normal(size=(90, 2))
    quiet = rtdkit.cross_barcode(p, q)
    shown = rtdkit.cross_barcode(p, q, progress=True)
    np.testing.assert_array_equal(quiet[1], shown[1])
    err = capfd.readouterr().err
    assert "R-Cross-Barcode (cone), columns" in err
    assert "Traceback" not in err


def test_an_exception_in_the_progress_callback_stops_the_engine() -> None:
    w, mu = _hard_pair(120)

    def stop(done: int, total: int) -> None:
        raise RuntimeError(f"stopped at {done}/{total}")

    with pytest.raises(RuntimeError, match="stopped at"):
        cone.cone_engine(w, mu, maxdim=1, progress=stop)
    assert len(_cone(w[:20, :20], mu[:20, :20]).bars[1]) > 0  # the engine is still usable


def test_ctrl_c_interrupts_a_long_barcode_within_a_second() -> None:
    """A barcode of about 20 s on the 2-core machine stops on Ctrl-C."""
    w, mu = _hard_pair(400)
    assert_stops_on_ctrl_c(lambda: _cone(w, mu))


@pytest.mark.parametrize(
    ("base", "other"),
    [
        (("clusters", 1), ("clusters", 2)),
        (("clusters", 1), ("clusters", 6)),
        (("clusters", 1), ("clusters", 12)),
        (("rings", 5), ("rings", 4)),
        (("rings", 5), ("rings", 1)),
    ],
)
def test_papers_synthetic_experiments_give_the_reference_numbers(
    base: tuple[str, int], other: tuple[str, int]
) -> None:
    """The Section 3.1 clouds (rings with 40 points each to keep the reference quick)."""
    from rtdkit import datasets

    def cloud(kind: str, k: int) -> np.ndarray:
        return datasets.clusters(k) if kind == "clusters" else datasets.rings(k, points_per_ring=40)

    p, q = cloud(*base), cloud(*other)
    totals = []
    for a, b in ((p, q), (q, p)):
        w, mu = _matrices(a, b)
        ours, theirs = _cone(w, mu), _ref(w, mu)  # the reference once per direction
        np.testing.assert_array_equal(_canon(ours.bars[1]), _canon(theirs.bars[1]))
        totals.append(float(np.sum(theirs.bars[1][:, 1] - theirs.bars[1][:, 0])))
    result = rtdkit.rtd(p, q, batch=None, engine="cone")
    assert result.backward is not None
    np.testing.assert_allclose([result.forward[0], result.backward[0]], totals, rtol=1e-12)


@pytest.mark.parametrize(
    "kind", ["projection-2d", "projection-8d", "digits-pca2", "one-hot", "all-equal"]
)
@pytest.mark.parametrize("swap", [False, True])
def test_hard_pairs_match_reference(kind: str, swap: bool) -> None:
    """The pairs where the barcode is expensive (a cloud against a low-dimensional image of it,
    labels against features, a cloud whose distances are all equal), bar for bar, N <= 120."""
    rng = np.random.default_rng(len(kind))
    if kind == "digits-pca2":
        from sklearn.datasets import load_digits

        p = load_digits().data[:110]
        centred = p - p.mean(axis=0)
        q = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T
    elif kind == "one-hot":
        p, q = np.eye(10)[rng.integers(0, 10, size=100)], rng.normal(size=(100, 64))
    elif kind == "all-equal":
        p, q = np.eye(60), rng.normal(size=(60, 3))
    else:
        p = rng.normal(size=(90, 64))
        width = 2 if kind == "projection-2d" else 8
        q = p @ rng.normal(size=(64, width)) + 0.1 * rng.normal(size=(90, width))
    if swap:
        p, q = q, p
    w, mu = _matrices(p, q)
    stats = _assert_same(w, mu)
    if not swap and kind != "all-equal":
        # the cut shortcut pairs columns of every hard direction without a reduction, and the
        # bars checked above include theirs
        assert stats["shortcut"] > 0
