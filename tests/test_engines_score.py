"""The RTD_1 identity (rtdkit.engines.score) against the barcode engines and independent terms.

RTD_1(P, P̃) = [MST(w) − MST(mu)] + TL(H1 Rips(mu)) − TL(image of H1 Rips(w) → H1 Rips(mu)).
Each term is checked on its own against an independent computation (scipy's spanning tree,
giotto-ph's H1 barcode of Rips(mu)), and the total against the cone engine and the reference
engine (giotto-ph on the paper's doubled matrix) on every family of inputs the engine tests use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest
from gph import ripser_parallel
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import minimum_spanning_tree

import rtdkit
from conftest import assert_stops_on_ctrl_c
from rtdkit._parallel import WorkCancelled, imap
from rtdkit.datasets import clusters, rings
from rtdkit.distances import cross_matrices, normalized_distances, pairwise_distances
from rtdkit.engines import get_engine
from rtdkit.engines.score import MAX_POINTS, _compute, identity_terms

# The barcode engines sum float32 bar ends in float64; the identity sums the same float32
# values grouped differently, so they agree to float32 precision (in practice, exactly).
RTOL, ATOL = 1e-6, 1e-6


def _family(kind: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.normal(size=(n, 8))
    if kind == "related":
        return p, p @ rng.normal(size=(8, 5)) + 0.3 * rng.normal(size=(n, 5))
    if kind == "unrelated":
        return p, rng.uniform(size=(n, 3))
    if kind == "projection-2d":  # a cloud against a noisy low-dimensional image of it
        return p, p @ rng.normal(size=(8, 2)) + 0.05 * rng.normal(size=(n, 2))
    if kind == "wide-to-narrow":
        wide = rng.normal(size=(n, 200))
        return wide, wide @ rng.normal(size=(200, 3))
    if kind == "ties":  # integer grids: many equal distances
        return rng.integers(0, 3, size=(n, 3)).astype(float), rng.integers(0, 3, size=(n, 2))
    if kind == "duplicates":
        q = rng.normal(size=(n, 3))
        p[: n // 3] = p[0]
        q[n // 2 :] = q[-1]
        return p, q
    if kind == "one-hot":  # labels against features
        return np.eye(4)[rng.integers(0, 4, size=n)], p
    raise ValueError(kind)


FAMILIES = [
    "related",
    "unrelated",
    "projection-2d",
    "wide-to-narrow",
    "ties",
    "duplicates",
    "one-hot",
]


def _barcode_total(w: np.ndarray, wt: np.ndarray, engine: str) -> float:
    w2, mu = cross_matrices(w, wt)
    out = get_engine(engine).function(w2, mu, maxdim=1)
    return float(np.sum(out.bars[1][:, 1] - out.bars[1][:, 0]))


@pytest.mark.parametrize("kind", FAMILIES)
@pytest.mark.parametrize("n", [12, 45, 110])
def test_identity_equals_the_barcode_total(kind: str, n: int) -> None:
    p, q = _family(kind, n, seed=n + len(kind))
    w, wt = normalized_distances(p, name="P"), normalized_distances(q, name="Q")
    forward, backward = identity_terms(w, wt)
    assert backward is not None
    for terms, (a, b) in ((forward, (w, wt)), (backward, (wt, w))):
        cone = _barcode_total(a, b, "cone")
        assert terms.total == pytest.approx(cone, rel=RTOL, abs=ATOL)
        if n <= 45:  # the doubled matrix is slow beyond that
            assert terms.total == pytest.approx(
                _barcode_total(a, b, "reference"), rel=RTOL, abs=ATOL
            )


def test_identity_exercises_a_nonzero_image() -> None:
    # The image term is what separates the identity from "MST part + H1(mu)"; make sure the
    # families above really test it.
    p, q = _family("related", 60, seed=3)
    forward, backward = identity_terms(normalized_distances(p), normalized_distances(q))
    assert backward is not None
    assert forward.image > 0.01 and backward.image > 0.01
    assert forward.image <= forward.h1_mu + ATOL


def test_identical_clouds_give_zero_through_a_full_image() -> None:
    p = np.random.default_rng(0).normal(size=(50, 4))
    w = normalized_distances(p)
    forward, _ = identity_terms(w, w, both=False)
    assert forward.h1_mu > 0
    assert forward.image == pytest.approx(forward.h1_mu, rel=1e-12)  # L = K: the image is all
    assert forward.mst_w == pytest.approx(forward.mst_mu, rel=1e-12)
    assert forward.total == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("kind", ["related", "ties", "duplicates", "projection-2d"])
def test_spanning_tree_terms_match_scipy(kind: str) -> None:
    p, q = _family(kind, 70, seed=11)
    w, wt = normalized_distances(p), normalized_distances(q)
    forward, _ = identity_terms(w, wt, both=False)
    w2, mu = cross_matrices(w, wt)
    for total, m in ((forward.mst_w, w2), (forward.mst_mu, mu)):
        # scipy drops zero entries as "no edge"; a constant shift keeps the same tree
        shifted = m.astype(np.float32).astype(np.float64) + 1.0
        np.fill_diagonal(shifted, 0.0)
        expected = minimum_spanning_tree(shifted).sum() - (len(m) - 1)
        assert total == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("kind", ["related", "ties", "projection-2d", "one-hot"])
def test_h1_term_matches_giotto_ph_on_mu(kind: str) -> None:
    p, q = _family(kind, 80, seed=5)
    w, wt = normalized_distances(p), normalized_distances(q)
    forward, _ = identity_terms(w, wt, both=False)
    _, mu = cross_matrices(w, wt)
    dgm = ripser_parallel(mu.astype(np.float32), metric="precomputed", maxdim=1)["dgms"][1]
    dgm = dgm[np.isfinite(dgm[:, 1])]
    assert forward.h1_mu == pytest.approx(float(np.sum(dgm[:, 1] - dgm[:, 0])), rel=1e-6)


def test_critical_edges_reproduce_every_value() -> None:
    p, q = _family("related", 60, seed=8)
    w, wt = normalized_distances(p), normalized_distances(q)
    forward, _ = identity_terms(w, wt, both=False)
    w2, mu = cross_matrices(w, wt)
    w32, mu32 = w2.astype(np.float32), mu.astype(np.float32)
    assert forward.mst_w_edges.shape == (59, 2) and forward.mst_mu_edges.shape == (59, 2)
    assert np.sum(w32[tuple(forward.mst_w_edges.T)], dtype=np.float64) == pytest.approx(
        forward.mst_w, rel=1e-12
    )
    assert np.sum(mu32[tuple(forward.mst_mu_edges.T)], dtype=np.float64) == pytest.approx(
        forward.mst_mu, rel=1e-12
    )
    h1 = mu32[tuple(forward.h1_mu_edges[:, 2:].T)] - mu32[tuple(forward.h1_mu_edges[:, :2].T)]
    assert np.sum(h1, dtype=np.float64) == pytest.approx(forward.h1_mu, rel=1e-6)
    image = mu32[tuple(forward.image_edges[:, 2:].T)] - w32[tuple(forward.image_edges[:, :2].T)]
    assert np.all(image > 0)
    assert np.sum(image, dtype=np.float64) == pytest.approx(forward.image, rel=1e-6)


def test_paper_clouds_give_the_barcode_rtd() -> None:
    # the clusters experiment's pair, and the rings experiment's (tie-heavy: evenly spaced)
    for base, other in ((clusters(1), clusters(5)), (rings(5), rings(2))):
        fast = rtdkit.rtd(base, other, batch=None)
        slow = rtdkit.rtd(base, other, batch=None, method="barcode")
        assert fast.method == "identity" and slow.method == "barcode"
        np.testing.assert_allclose(fast.forward, slow.forward, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(fast.backward, slow.backward, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", ["related", "projection-2d", "ties"])
def test_rtd_identity_equals_barcode_and_reference(kind: str) -> None:
    p, q = _family(kind, 90, seed=2)
    fast = rtdkit.rtd(p, q, batch=40, trials=3, seed=1)
    cone = rtdkit.rtd(p, q, batch=40, trials=3, seed=1, method="barcode")
    ref = rtdkit.rtd(p, q, batch=40, trials=3, seed=1, engine="reference")
    np.testing.assert_allclose(fast.samples, cone.samples, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(fast.samples, ref.samples, rtol=RTOL, atol=ATOL)
    one_way = rtdkit.rtd(p, q, batch=40, trials=3, seed=1, symmetric=False)
    np.testing.assert_allclose(one_way.samples, cone.forward, rtol=RTOL, atol=ATOL)


def test_rtd_identity_on_precomputed_matrices() -> None:
    p, q = _family("unrelated", 70, seed=4)
    dp = pairwise_distances(p, metric="cityblock")
    dq = pairwise_distances(q, metric="cityblock")
    fast = rtdkit.rtd(dp, dq, metric="precomputed", batch=None)
    slow = rtdkit.rtd(dp, dq, metric="precomputed", batch=None, method="barcode")
    np.testing.assert_allclose(fast.samples, slow.samples, rtol=RTOL, atol=ATOL)


def test_method_validation() -> None:
    p, q = _family("related", 20, seed=0)
    with pytest.raises(rtdkit.RTDInputError, match="method"):
        rtdkit.rtd(p, q, method="fast")
    with pytest.raises(rtdkit.RTDInputError, match="dim=2"):
        rtdkit.rtd(p, q, method="identity", dim=2)
    with pytest.raises(rtdkit.RTDInputError, match="engine"):
        rtdkit.rtd(p, q, method="identity", engine="cone")
    assert rtdkit.rtd(p, q, dim=2, batch=None).method == "barcode"
    assert rtdkit.rtd(p, q, engine="cone", batch=None).method == "barcode"


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=4, max_value=14),
    levels=st.integers(min_value=2, max_value=6),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_identity_on_random_tie_heavy_matrices(n: int, levels: int, seed: int) -> None:
    # Arbitrary symmetric matrices with few distinct values (not even metrics): many ties and
    # degenerate orders, where a tie-breaking slip in any of the three terms would show.
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.integers(0, levels, size=(n, n)) + 1.0, 1)  # no duplicates in P
    w = upper + upper.T
    upper_t = np.triu(rng.integers(0, levels, size=(n, n)).astype(float), 1)  # zeros: duplicates
    w_tilde = upper_t + upper_t.T
    forward, backward = identity_terms(w, w_tilde)
    assert backward is not None
    for terms, (a, b) in ((forward, (w, w_tilde)), (backward, (w_tilde, w))):
        assert terms.total == pytest.approx(_barcode_total(a, b, "reference"), rel=RTOL, abs=ATOL)


def test_identity_refuses_distances_beyond_float32() -> None:
    # issue 9's fuzzing case: one point ~1e40 times further away than the rest
    rng = np.random.default_rng(0)
    p = rng.normal(size=(40, 3))
    p[0] *= 1e40
    with pytest.raises(rtdkit.RTDInputError, match="float32"):
        rtdkit.rtd(p, rng.normal(size=(40, 2)), batch=None)


@pytest.mark.parametrize("method", ["identity", "barcode"])
def test_rtd_refuses_a_whole_cloud_that_cannot_fit_in_memory(method: str) -> None:
    huge = np.zeros((300_000, 2))  # N² entries alone would take ~700 GB
    with pytest.raises(rtdkit.RTDInputError, match=r"batch="):
        rtdkit.rtd(huge, huge, batch=None, method=method)


def test_ctrl_c_interrupts_a_long_identity_within_a_second() -> None:
    """An N = 3000 pair takes several seconds in the score engine; Ctrl-C stops it."""
    rng = np.random.default_rng(0)
    p = rng.normal(size=(3000, 32))
    w, wt = normalized_distances(p), normalized_distances(p + 0.5 * rng.normal(size=p.shape))
    assert_stops_on_ctrl_c(lambda: identity_terms(w, wt))


def test_identity_refuses_more_points_than_its_indices_hold() -> None:
    # broadcast views: N x N without the memory; refused before anything is copied
    huge = np.broadcast_to(np.zeros(1), (MAX_POINTS + 1, MAX_POINTS + 1))
    with pytest.raises(rtdkit.RTDInputError, match=f"at most {MAX_POINTS} points"):
        identity_terms(huge, huge)


@pytest.mark.parametrize(
    ("defect", "message"), [("asymmetric", "symmetric w"), ("diagonal", "zero diagonal")]
)
def test_native_input_errors_are_rtd_input_errors(defect: str, message: str) -> None:
    w = normalized_distances(np.random.default_rng(0).normal(size=(12, 3)))
    bad = w.copy()
    if defect == "asymmetric":
        bad[2, 5] += 0.5
    else:
        bad[3, 3] = 0.25
    with pytest.raises(rtdkit.RTDInputError, match=message):
        identity_terms(bad, w)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_threaded_input_errors_name_the_first_bad_matrix(threads: int) -> None:
    """On any number of threads the error is the first bad w's, as serially, and reaches
    Python as an RTDInputError."""
    w = normalized_distances(np.random.default_rng(0).normal(size=(60, 3)))
    asymmetric, diagonal = w.copy(), w.copy()
    asymmetric[2, 5] += 0.5
    diagonal[3, 3] = 0.25
    with pytest.raises(rtdkit.RTDInputError, match="symmetric w"):
        _compute(w, [w, asymmetric, diagonal], None, threads)
    with pytest.raises(rtdkit.RTDInputError, match="zero diagonal in w"):
        _compute(w, [diagonal, asymmetric], None, threads)
    with pytest.raises(rtdkit.RTDInputError, match="threads must be at least 1"):
        _compute(w, [w], None, 0)


@pytest.mark.parametrize("engine", ["score", "cone"])
def test_a_cancelled_pool_stops_a_native_engine_in_a_worker_thread(engine: str) -> None:
    """An engine runs in a pool thread; another item fails once the engine has reported
    progress, which cancels the map: the engine must stop at its next progress call
    (WorkCancelled) instead of running to the end. Event-driven: no clock is read."""
    rng = np.random.default_rng(0)
    if engine == "score":  # several seconds of work each
        p = rng.normal(size=(3000, 32))
        w, wt = normalized_distances(p), normalized_distances(p + 0.5 * rng.normal(size=p.shape))
    else:  # a hard pair: a cloud against a noisy 2-d image of it
        p = rng.normal(size=(250, 64))
        w, wt = normalized_distances(p), normalized_distances(p @ rng.normal(size=(64, 2)))
    w2, mu = cross_matrices(w, wt)

    def long_call(report: Callable[[int, int], None]) -> None:
        if engine == "score":
            identity_terms(w, wt, progress=report)
        else:
            get_engine("cone").function(w2, mu, maxdim=1, progress=report)

    running, cancelled = threading.Event(), threading.Event()

    def item(kind: str) -> None:
        if kind == "fail":
            running.wait()
            raise ValueError("the other item failed")
        try:
            long_call(lambda done, total: running.set())
        except WorkCancelled:
            cancelled.set()
            raise

    with pytest.raises(ValueError, match="the other item failed"):
        list(imap(item, ["fail", "long"], n_jobs=2))
    assert cancelled.is_set()  # stopped by the cancellation, not finished
