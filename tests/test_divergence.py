"""cross_barcode and rtd: the paper's properties (Theorem 1, Proposition 1), Algorithm 2,
invariances, and the MST bound of docs/engine.md."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.stats import special_ortho_group

import rtdkit
from conftest import related_pair, sort_diagram, unrelated_pair
from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.divergence import rtd_trial, subsample_indices


def _rtd_full(p: np.ndarray, q: np.ndarray, **kw: object) -> float:
    return rtdkit.rtd(p, q, batch=None, **kw).value  # type: ignore[arg-type]


# --- Theorem 1 ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 20, 60])
def test_identical_clouds_give_empty_barcode(n: int) -> None:
    p, _ = related_pair(n, n)
    bc = rtdkit.cross_barcode(p, p.copy(), maxdim=2)
    assert all(len(bc[d]) == 0 for d in range(3))
    assert rtdkit.rtd(p, p).value == 0.0


def test_collapsed_cloud_gives_the_ordinary_h0_barcode() -> None:
    """Theorem 1: Q all one point ⇒ R-Cross-Barcode_1(P, Q) = the (finite) H0 barcode of P."""
    ripser = pytest.importorskip("ripser")
    p, _ = related_pair(40, 3)
    bc = rtdkit.cross_barcode(p, np.zeros_like(p), maxdim=1, normalize=None)
    h0 = ripser.ripser(p, maxdim=0)["dgms"][0]
    h0 = h0[np.isfinite(h0[:, 1])]
    np.testing.assert_allclose(sort_diagram(bc[1]), sort_diagram(h0), rtol=1e-5)


def test_collapsed_cloud_in_dimension_two_follows_the_cover_complex() -> None:
    """With Q collapsed, R-Cross-Barcode_2(P, Q) is *not* the H1 barcode of the Rips complex
    of P, as Theorem 1 reads: it is that of the complex M of docs/engine.md, where σ
    enters at min_l max_(j in σ) w_lj. Checked here with gudhi on an explicit filtration."""
    gudhi = pytest.importorskip("gudhi")
    from itertools import combinations

    p, _ = related_pair(14, 4)
    w = normalized_distances(p, normalize=None)
    tree = gudhi.SimplexTree()
    for size in (1, 2, 3):
        for simplex in combinations(range(len(p)), size):
            tree.insert(list(simplex), float(np.min(np.max(w[:, list(simplex)], axis=1))))
    tree.compute_persistence(homology_coeff_field=2, min_persistence=0.0)
    h1 = np.asarray(tree.persistence_intervals_in_dimension(1)).reshape(-1, 2)
    h1 = h1[h1[:, 1] > h1[:, 0]]
    bc = rtdkit.cross_barcode(p, np.zeros_like(p), maxdim=2, normalize=None)
    np.testing.assert_allclose(sort_diagram(bc[2]), sort_diagram(h1), rtol=1e-5)


def test_collapsed_cloud_cannot_be_quantile_normalised() -> None:
    p, _ = related_pair(20, 1)
    with pytest.raises(rtdkit.RTDInputError, match="normalize=None"):
        rtdkit.cross_barcode(p, np.ones_like(p))


@pytest.mark.parametrize("seed", range(4))
def test_rtd1_bounded_below_by_mst_difference(seed: int) -> None:
    """RTD_1(P, Q) >= MST(w) - MST(min(w, w~)) (exact sequence, see docs/engine.md)."""
    p, q = related_pair(60, seed) if seed % 2 else unrelated_pair(60, seed)
    w, mu = cross_matrices(normalized_distances(p), normalized_distances(q))
    gap = minimum_spanning_tree(w).sum() - minimum_spanning_tree(mu).sum()
    assert gap > 0
    assert rtdkit.cross_barcode(p, q).total_length(1) >= gap * (1 - 1e-6)


def test_proposition1_different_barcodes_imply_nonzero_rtd() -> None:
    """Contrapositive of Proposition 1: if the Rips barcodes of P and Q differ, some RTD_i > 0."""
    ripser = pytest.importorskip("ripser")
    p, q = unrelated_pair(30, 9)
    wp, wq = normalized_distances(p), normalized_distances(q)
    dp = ripser.ripser(wp, distance_matrix=True)["dgms"]
    dq = ripser.ripser(wq, distance_matrix=True)["dgms"]
    assert not np.allclose(sort_diagram(dp[0]), sort_diagram(dq[0]))
    total = sum(
        rtdkit.cross_barcode(a, b, maxdim=2).total_length(d)
        for a, b in ((p, q), (q, p))
        for d in range(3)
    )
    assert total > 0


# --- invariances ----------------------------------------------------------------------


def test_rtd_invariant_to_rotation_translation_and_scaling() -> None:
    p, q = related_pair(80, 21)
    base = _rtd_full(p, q)
    rot = special_ortho_group.rvs(p.shape[1], random_state=0)
    assert _rtd_full(p @ rot + 5.0, q) == pytest.approx(base, rel=1e-5)
    assert _rtd_full(p, 7.5 * q - 3.0) == pytest.approx(base, rel=1e-5)


def test_rtd_invariant_to_a_common_permutation_but_not_to_one_sided() -> None:
    rng = np.random.default_rng(22)
    p = rng.normal(size=(80, 5))
    q = p @ special_ortho_group.rvs(5, random_state=1) + 0.05 * rng.normal(size=(80, 5))
    perm = rng.permutation(80)
    base = _rtd_full(p, q)
    assert _rtd_full(p[perm], q[perm]) == pytest.approx(base, rel=1e-5)
    assert _rtd_full(p[perm], q) > 3 * base


def test_rtd_grows_with_the_number_of_clusters() -> None:
    from rtdkit.datasets import clusters

    values = [_rtd_full(clusters(1), clusters(k)) for k in (2, 4, 10)]
    assert values[0] < values[1] < values[2]


# --- Algorithm 2 ----------------------------------------------------------------------


def test_rtd_is_the_mean_over_subsamples_of_both_directions() -> None:
    p, q = related_pair(120, 5)
    result = rtdkit.rtd(p, q, batch=40, trials=4, seed=3)
    manual = [
        (
            rtdkit.cross_barcode(p[idx], q[idx]).total_length(1)
            + rtdkit.cross_barcode(q[idx], p[idx]).total_length(1)
        )
        / 2
        for idx in subsample_indices(120, 40, 4, 3)
    ]
    np.testing.assert_allclose(result.samples, manual, rtol=1e-12)
    assert result.value == pytest.approx(np.mean(manual))
    assert result.std == pytest.approx(np.std(manual))
    assert float(result) == result.value
    assert result.trials == 4 and result.batch == 40


def test_subsamples_are_without_replacement_and_shared() -> None:
    sets = subsample_indices(50, 20, 5, 0)
    assert len(sets) == 5
    assert all(len(np.unique(s)) == 20 for s in sets)


def test_asymmetric_rtd_is_the_forward_direction() -> None:
    p, q = related_pair(60, 8)
    fwd = rtdkit.rtd(p, q, batch=None, symmetric=False)
    assert fwd.value == pytest.approx(rtdkit.cross_barcode(p, q).total_length(1))
    assert fwd.backward is None


def test_seed_determinism_and_parallel_equals_serial() -> None:
    p, q = related_pair(150, 6)
    a = rtdkit.rtd(p, q, batch=50, trials=4, seed=11)
    b = rtdkit.rtd(p, q, batch=50, trials=4, seed=11, n_jobs=2)
    c = rtdkit.rtd(p, q, batch=50, trials=4, seed=12)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)
    # Threads with a progress bar (its own thread) and every core: still the same numbers.
    d = rtdkit.rtd(p, q, batch=50, trials=4, seed=11, n_jobs=-1, progress=True)
    np.testing.assert_array_equal(a.samples, d.samples)


def test_full_batch_runs_one_trial() -> None:
    p, q = related_pair(30, 1)
    r = rtdkit.rtd(p, q, batch=500, trials=10)
    assert r.trials == 1 and r.batch == 30 and r.std == 0.0


def test_precomputed_metric_equals_euclidean() -> None:
    from scipy.spatial.distance import cdist

    p, q = related_pair(90, 2)
    direct = rtdkit.rtd(p, q, batch=40, trials=3)
    pre = rtdkit.rtd(cdist(p, p), cdist(q, q), batch=40, trials=3, metric="precomputed")
    np.testing.assert_allclose(pre.samples, direct.samples, rtol=1e-6)


def test_cosine_metric_and_torch_tensors() -> None:
    torch = pytest.importorskip("torch")
    p, q = related_pair(50, 4)
    expected = rtdkit.rtd(p, q, batch=None, metric="cosine").value
    got = rtdkit.rtd(
        torch.tensor(p, requires_grad=True), torch.tensor(q), batch=None, metric="cosine"
    ).value
    assert got == pytest.approx(expected)


# --- property-based ---------------------------------------------------------------------

clouds = st.integers(3, 12).flatmap(
    lambda n: st.tuples(
        hnp.arrays(np.float64, (n, 3), elements=st.floats(-10, 10, width=32)),
        hnp.arrays(np.float32, (n, 2), elements=st.floats(-10, 10, width=32)),
    )
)


@settings(max_examples=40, deadline=None)
@given(clouds)
def test_rtd_is_finite_nonnegative_and_symmetric(pair: tuple[np.ndarray, np.ndarray]) -> None:
    p, q = pair
    try:
        ab = rtdkit.rtd(p, q, batch=None)
    except rtdkit.RTDInputError as exc:  # degenerate draw: most points coincide
        assert "quantile" in str(exc)
        return
    ba = rtdkit.rtd(q, p, batch=None)
    assert np.isfinite(ab.value) and ab.value >= 0
    assert ab.value == ba.value


@settings(max_examples=20, deadline=None)
@given(st.integers(3, 4), st.sampled_from([np.int64, np.float32, np.float64, np.bool_]))
def test_small_clouds_and_dtypes(n: int, dtype: type) -> None:
    rng = np.random.default_rng(n)
    p = (rng.normal(size=(n, 3)) * 10).astype(dtype)
    q = (rng.normal(size=(n, 2)) * 10).astype(dtype)
    try:
        bc = rtdkit.cross_barcode(p, q, maxdim=2)
    except rtdkit.RTDInputError as exc:  # booleans can make every distance equal
        assert "quantile" in str(exc)
        return
    for dim in range(3):
        assert bc[dim].dtype == np.float64 and bc[dim].shape[1] == 2
        assert np.all(bc[dim][:, 1] > bc[dim][:, 0])


@pytest.mark.parametrize(
    ("seed", "error"),
    [(-1, rtdkit.RTDInputError), ("abc", rtdkit.RTDTypeError), (1.5, rtdkit.RTDTypeError)],
)
def test_rtd_checks_the_seed(seed: object, error: type) -> None:
    p, q = related_pair(30, 0)
    with pytest.raises(error, match="seed must be an integer >= 0"):
        rtdkit.rtd(p, q, batch=10, seed=seed)  # type: ignore[arg-type]


def test_dim_0_is_refused_with_the_reason() -> None:
    p, q = related_pair(30, 0)
    # The reason: the R-Cross-Barcode has no finite H0 bar, whatever the clouds.
    h0 = rtdkit.cross_barcode(p, q, maxdim=0).lengths(0)
    assert not np.isfinite(h0).any()
    with pytest.raises(rtdkit.RTDInputError, match="no finite H0 bar"):
        rtdkit.rtd(p, q, dim=0)
    with pytest.raises(rtdkit.RTDInputError, match="no finite H0 bar"):
        rtdkit.pairwise({"p": p, "q": q}, dim=0, progress=False)


def test_paths_are_read_as_pairwise_reads_them(tmp_path) -> None:
    p, q = related_pair(40, 0)
    np.save(tmp_path / "p.npy", p)
    np.savez(tmp_path / "q.npz", acts=q)
    from_files = rtdkit.rtd(
        str(tmp_path / "p.npy"), f"{tmp_path / 'q.npz'}:acts", batch=20, trials=2
    )
    assert from_files.value == rtdkit.rtd(p, q, batch=20, trials=2).value
    from_paths = rtdkit.cross_barcode(tmp_path / "p.npy", p[::-1])
    assert from_paths.total_length(1) == rtdkit.cross_barcode(p, p[::-1]).total_length(1)
    matrix = rtdkit.pairwise({"p": str(tmp_path / "p.npy"), "q": f"{tmp_path / 'q.npz'}:acts"},
                             batch=None, progress=False)["rtd"]  # fmt: skip
    assert matrix.loc["p", "q"] == rtdkit.rtd(p, q, batch=None).value
    with pytest.raises(rtdkit.RTDInputError, match="no such file"):
        rtdkit.rtd("missing.npy", p)


def test_rtd_trial_is_one_whole_trial_of_rtd_by_either_method() -> None:
    p, q = related_pair(60, seed=8)
    forward, backward = rtd_trial(p, q)
    whole = rtdkit.rtd(p, q, batch=None)
    assert (forward, backward) == (whole.forward[0], whole.backward[0])
    # The barcode is an independent computation of the identity's number.
    bars = rtd_trial(p, q, method="barcode")
    np.testing.assert_allclose(bars, (forward, backward), rtol=1e-5)
    one_way = rtd_trial(p, q, symmetric=False)
    assert one_way[0] == forward and np.isnan(one_way[1])
    with pytest.raises(rtdkit.RTDInputError, match="dim=0"):
        rtd_trial(p, q, dim=0)
