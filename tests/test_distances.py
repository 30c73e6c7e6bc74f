"""The memory-lean distance pipeline: bit for bit the published conventions, and the guard."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rtdkit
from rtdkit import RTDInputError
from rtdkit.distances import (
    available_memory,
    cross_matrices,
    cross_matrices_f32,
    distance_quantile,
    euclidean_distances,
    normalized_distances,
)
from rtdkit.divergence import barcode_from_distances
from rtdkit.engines import get_engine


def _cloud(n: int, seed: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        return rng.normal(size=(n, 3))
    grid = rng.integers(0, 3, size=(n, 2)).astype(float)  # ties everywhere
    return grid if kind == "grid" else grid[rng.integers(0, max(n // 3, 1), size=n)]


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=60),
    seed=st.integers(min_value=0, max_value=2**31 - 1),
    kind=st.sampled_from(["gaussian", "grid", "duplicates"]),
    q=st.sampled_from([0.9, 0.5, 0.1, 0.99, 1.0, 0.0, 0.37, 1e-9]),
)
def test_distance_quantile_is_numpys_bit_for_bit(n: int, seed: int, kind: str, q: float) -> None:
    d = euclidean_distances(_cloud(n, seed, kind))
    assert distance_quantile(d, q) == float(np.quantile(d, q))


@pytest.mark.parametrize("kind", ["gaussian", "grid", "duplicates"])
@pytest.mark.parametrize("normalize", ["quantile", None, 0.5])
def test_float32_cross_matrices_equal_the_float64_ones_rounded(
    kind: str, normalize: str | float | None
) -> None:
    p = _cloud(50, 1, kind)
    q = _cloud(50, 2, "gaussian")[:, : p.shape[1]]
    q[:10] = p[:10]  # entries of mu at and near the zero floor
    w32, mu32 = cross_matrices_f32(p, q, metric="euclidean", normalize=normalize)
    w, mu = cross_matrices(
        normalized_distances(p, normalize=normalize), normalized_distances(q, normalize=normalize)
    )
    assert w32.dtype == mu32.dtype == np.float32
    np.testing.assert_array_equal(w32, w.astype(np.float32))
    np.testing.assert_array_equal(mu32, mu.astype(np.float32))
    assert not np.any(np.signbit(mu32))  # the engine reads mu in place: no -0.0


def test_entries_just_below_the_floor_are_zeroed_before_rounding() -> None:
    """An entry whose float64 value is below the floor but whose float32 rounding is not."""
    for seed in range(100):  # a matrix whose floor lies just below a float32 value
        rng = np.random.default_rng(seed)
        w = rng.uniform(1.0, 2.0, size=(6, 6))
        w = np.triu(w, 1) + np.triu(w, 1).T
        below = 0.0
        for _ in range(3):  # the entry moves the mean, hence the floor, a little
            w[0, 1] = w[1, 0] = below
            below = np.nextafter(float(np.mean(w)) * 1e-6, 0.0)
        w[0, 1] = w[1, 0] = below
        if float(np.float32(below)) >= float(np.mean(w)) * 1e-6:
            break
    assert float(np.float32(below)) >= float(np.mean(w)) * 1e-6 > below
    wt = w.copy()
    wt[0, 1] = wt[1, 0] = 1.0  # w below the floor, w~ above it
    for a, b in ((w, wt), (wt, w)):
        w32, mu32 = cross_matrices_f32(a, b, metric="precomputed", normalize=None)
        w64, mu64 = cross_matrices(a, b)
        np.testing.assert_array_equal(w32, w64.astype(np.float32))
        np.testing.assert_array_equal(mu32, mu64.astype(np.float32))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cross_barcode_equals_the_float64_route(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.normal(size=(80, 6))
    q = np.vstack([p[:40, :3], rng.normal(size=(40, 3))])  # half the points agree
    w, wt = normalized_distances(p), normalized_distances(q)
    for engine in ("cone", "reference"):
        ours = rtdkit.cross_barcode(p, q, engine=engine, return_edges=True)
        theirs = barcode_from_distances(w, wt, maxdim=1, engine=get_engine(engine))
        np.testing.assert_array_equal(ours[1], theirs[1])


def test_available_memory_is_known_here() -> None:
    available = available_memory()
    assert available is not None and available > 0


@pytest.mark.parametrize("engine", ["cone", "reference"])
def test_memory_guard_refuses_before_allocating(engine: str) -> None:
    """400 000 points would need terabytes: refused at once, naming a subset that fits (one
    barcode on every point given has no batch= to lower)."""
    p = np.zeros((400_000, 1))
    with pytest.raises(RTDInputError, match=r"GiB.*pass a random subset of at most \d+ points"):
        rtdkit.cross_barcode(p, p, engine=engine)


@pytest.mark.parametrize("metric", ["cosine", "correlation", "cityblock"])
@pytest.mark.parametrize("n", [1, 2, 7, 33])
def test_blockwise_symmetrisation_equals_the_whole_matrix_formula(metric: str, n: int) -> None:
    """The in-place, blockwise symmetrisation (small blocks here, so that a matrix spans
    several, with a ragged last one) gives the whole-matrix formula's floats exactly."""
    from scipy.spatial.distance import cdist

    from rtdkit.distances import _symmetrize_in_place

    x = np.random.default_rng(n).normal(size=(n, 5))
    d = cdist(x, x, metric=metric)
    d[np.triu_indices(n, 1)] *= 1 + 1e-12  # an asymmetry like round-off, on one side only
    expected = np.maximum((d + d.T) / 2.0, 0.0)
    _symmetrize_in_place(d, block=4)
    assert np.array_equal(d, expected)


@pytest.mark.parametrize("n_jobs", [1, 2])  # 2: a whole cloud's distances on two threads
@pytest.mark.parametrize("scale", [1e-310, 1e-200])
def test_distances_that_underflow_are_told_from_coinciding_points(
    scale: float, n_jobs: int
) -> None:
    """Points ~1e-310 apart (subnormal) or 1e-200 apart differ, but every distance is 0."""
    x = np.random.default_rng(0).normal(size=(30, 3))
    with pytest.raises(RTDInputError, match=r"underflow float64.*multiply P by 1e200") as info:
        rtdkit.rtd(x * scale, x, n_jobs=n_jobs)
    assert "coincide" not in str(info.value)
    # The advice works: rescaled, the cloud is the one it was (up to subnormal rounding).
    rescaled = rtdkit.rtd(x * scale * 1e200, x * 2.0, trials=2, batch=20, seed=0)
    assert rescaled.value == pytest.approx(
        rtdkit.rtd(x, x * 2.0, trials=2, batch=20, seed=0).value, abs=1e-9
    )


def test_a_subnormal_precomputed_quantile_is_refused_as_underflow() -> None:
    x = np.random.default_rng(0).normal(size=(30, 3))
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    with pytest.raises(RTDInputError, match=r"underflow float64 \(the 0.9-quantile is \d"):
        rtdkit.rtd(d * 1e-310, d, metric="precomputed")


def test_coinciding_points_keep_the_duplicate_message() -> None:
    x = np.random.default_rng(0).normal(size=(30, 3))
    duplicates = np.vstack([np.ones((29, 3)), [[2.0, 2.0, 2.0]]])
    with pytest.raises(RTDInputError, match=r"most points coincide.*remove duplicate") as info:
        rtdkit.rtd(duplicates, x)
    assert "underflow" not in str(info.value)
    with pytest.raises(RTDInputError, match="most points coincide"):
        rtdkit.rtd(duplicates * 1e-310, x)  # subnormal, but the points do coincide


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("copies", [1, 2, 3, 5, 8])
def test_underflow_is_blamed_only_where_coinciding_points_do_not_explain_the_zero(
    q: float, copies: int
) -> None:
    """Brute force: the same cloud at a normal scale has a 0 quantile iff its duplicates do."""
    from rtdkit.distances import _distances_underflow

    rng = np.random.default_rng(copies)
    distinct = rng.normal(size=(4, 2))
    x = np.vstack([np.repeat(distinct[:1], copies, axis=0), distinct[1:]])
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    tiny = x * 1e-200  # every distance underflows to 0
    assert _distances_underflow(np.zeros_like(d), q, tiny) == (np.quantile(d, q) > 0.0)
