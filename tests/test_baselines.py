"""Baseline measures: closed forms, invariances, second formulations and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm, sqrtm

from rtdkit import RTDInputError, RTDTypeError
from rtdkit import baselines as B
from rtdkit.baselines._cka import _linear_cka_features, _u_center_gram
from rtdkit.measures import MEASURES


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def _orthogonal(rng: np.random.Generator, d: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def _song_unbiased_hsic(k: np.ndarray, l: np.ndarray) -> float:  # noqa: E741
    """Song et al. (2012), eq. (5), written literally: an independent check of U-centring."""
    n = len(k)
    kt, lt = k.copy(), l.copy()
    np.fill_diagonal(kt, 0.0)
    np.fill_diagonal(lt, 0.0)
    ones = np.ones(n)
    term1 = np.trace(kt @ lt)
    term2 = (ones @ kt @ ones) * (ones @ lt @ ones) / ((n - 1) * (n - 2))
    term3 = 2.0 / (n - 2) * (ones @ kt @ lt @ ones)
    return float((term1 + term2 - term3) / (n * (n - 3)))


def _hsic_biased_literal(k: np.ndarray, l: np.ndarray) -> float:  # noqa: E741
    n = len(k)
    h = np.eye(n) - np.ones((n, n)) / n
    return float(np.trace(k @ h @ l @ h))


# ------------------------------------------------------------------------------------ CKA


def test_linear_cka_feature_space_equals_gram_formulation(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(60, 7)), rng.normal(size=(60, 4))
    y[:, 0] += x[:, 0]
    by_features = _linear_cka_features(x, y)
    by_grams = B.cka_from_gram(x @ x.T, y @ y.T)
    literal = _hsic_biased_literal(x @ x.T, y @ y.T) / np.sqrt(
        _hsic_biased_literal(x @ x.T, x @ x.T) * _hsic_biased_literal(y @ y.T, y @ y.T)
    )
    assert by_features == pytest.approx(by_grams, rel=1e-12)
    assert by_grams == pytest.approx(literal, rel=1e-10)
    # More features than points takes the Gram route; both must agree there too.
    wide = rng.normal(size=(20, 50))
    assert B.cka(wide, wide[:, :30]) == pytest.approx(
        _linear_cka_features(wide, wide[:, :30]), rel=1e-12
    )


def test_linear_cka_one_feature_is_squared_correlation(rng: np.random.Generator) -> None:
    x = rng.normal(size=(80, 1))
    y = 0.5 * x + rng.normal(size=(80, 1))
    r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
    assert B.cka(x, y) == pytest.approx(r**2, rel=1e-12)


def test_unbiased_hsic_u_centring_matches_song_formula(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(15, 3)), rng.normal(size=(15, 2))
    k, l = B.gram_rbf(x), x @ x.T + y @ y.T  # noqa: E741
    n = len(k)
    ours = float(np.vdot(_u_center_gram(k), _u_center_gram(l))) / (n * (n - 3))
    assert ours == pytest.approx(_song_unbiased_hsic(k, l), rel=1e-10)
    expected = _song_unbiased_hsic(k, l) / np.sqrt(
        _song_unbiased_hsic(k, k) * _song_unbiased_hsic(l, l)
    )
    assert B.cka_from_gram(k, l, debiased=True) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    ("kernel", "debiased"), [("linear", False), ("linear", True), ("rbf", False), ("rbf", True)]
)
def test_cka_invariant_to_orthogonal_maps_and_isotropic_scaling(
    rng: np.random.Generator, kernel: str, debiased: bool
) -> None:
    x = rng.normal(size=(50, 6))
    y = np.tanh(x @ rng.normal(size=(6, 5)))
    base = B.cka(x, y, kernel=kernel, debiased=debiased)
    moved = B.cka(7.5 * x @ _orthogonal(rng, 6) + 3.0, y, kernel=kernel, debiased=debiased)
    assert moved == pytest.approx(base, rel=1e-9, abs=1e-12)
    assert B.cka(x, x, kernel=kernel, debiased=debiased) == pytest.approx(1.0)


def test_linear_cka_not_invariant_to_general_linear_maps(rng: np.random.Generator) -> None:
    x = rng.normal(size=(100, 4))
    assert B.cka(x, x @ np.diag([10.0, 1.0, 0.1, 0.01])) < 0.9


def test_rbf_bandwidth_uses_median_of_full_squared_distance_matrix() -> None:
    x = np.array([[0.0], [1.0], [3.0]])
    d2 = np.array([[0, 1, 9], [1, 0, 4], [9, 4, 0]], dtype=float)
    s2 = 0.5**2 * np.median(d2)  # = 0.25, the zero diagonal counted
    assert B.gram_rbf(x, 0.5) == pytest.approx(np.exp(-d2 / (2 * s2)))


def test_debiased_cka_unrelated_is_near_zero_and_finite(rng: np.random.Generator) -> None:
    values = [
        B.cka(rng.normal(size=(200, 3)), rng.normal(size=(200, 3)), debiased=True) for _ in range(5)
    ]
    assert np.all(np.isfinite(values))
    assert abs(float(np.mean(values))) < 0.02
    # The biased estimator is inflated for the same unrelated data.
    assert B.cka(rng.normal(size=(200, 3)), rng.normal(size=(200, 3))) > 0.0


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=4, max_value=12), st.integers(min_value=0, max_value=10_000))
def test_debiased_cka_bounded_for_tiny_samples(n: int, seed: int) -> None:
    g = np.random.default_rng(seed)
    value = B.cka(g.normal(size=(n, 2)), g.normal(size=(n, 3)), debiased=True)
    assert -1.0 <= value <= 1.0


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_cka_symmetric_and_in_unit_interval(seed: int) -> None:
    g = np.random.default_rng(seed)
    x, y = g.normal(size=(20, 3)), g.normal(size=(20, 5))
    for kernel in ("linear", "rbf"):
        value = B.cka(x, y, kernel=kernel)
        assert 0.0 <= value <= 1.0
        assert value == pytest.approx(B.cka(y, x, kernel=kernel), rel=1e-12)


# ------------------------------------------------------------------------------------ CCA


def test_cca_invariant_to_invertible_linear_maps(rng: np.random.Generator) -> None:
    x = rng.normal(size=(300, 4))
    y = x[:, :2] @ rng.normal(size=(2, 3)) + 0.5 * rng.normal(size=(300, 3))
    a, b = rng.normal(size=(4, 4)) + 3 * np.eye(4), rng.normal(size=(3, 3)) + 3 * np.eye(3)
    base = B.canonical_correlations(x, y)
    assert B.canonical_correlations(x @ a + 1.0, y @ b - 2.0) == pytest.approx(base, rel=1e-9)
    assert B.svcca(x @ a, y @ b, keep=1.0) == pytest.approx(float(np.mean(base)), rel=1e-9)
    # PWCCA weights come from X's neurons, so only Y may be mixed freely.
    assert B.pwcca(x, y @ b) == pytest.approx(B.pwcca(x, y), rel=1e-9)


def test_cca_closed_forms(rng: np.random.Generator) -> None:
    x = rng.normal(size=(500, 1))
    y = -0.3 * x + rng.normal(size=(500, 1))
    r = abs(np.corrcoef(x[:, 0], y[:, 0])[0, 1])
    assert B.svcca(x, y) == pytest.approx(r, rel=1e-10)
    assert B.pwcca(x, y) == pytest.approx(r, rel=1e-10)
    # Whitened blocks: correlations are the singular values of the cross-covariance.
    z = rng.normal(size=(400, 5))
    xw = z[:, :2] - z[:, :2].mean(0)
    yw = z[:, 2:] - z[:, 2:].mean(0)
    xw = xw @ np.linalg.inv(np.real(sqrtm(xw.T @ xw)))
    yw = yw @ np.linalg.inv(np.real(sqrtm(yw.T @ yw)))
    expected = np.linalg.svd(xw.T @ yw, compute_uv=False)
    assert B.canonical_correlations(xw, yw) == pytest.approx(expected, abs=1e-10)


def test_svcca_keep_drops_low_variance_directions(rng: np.random.Generator) -> None:
    signal = rng.normal(size=(400, 2))
    x = np.column_stack([signal * 10.0, 1e-3 * rng.normal(size=400)])
    y = np.column_stack([signal, rng.normal(size=400)])
    # keep=0.99 drops X's tiny third direction: two perfect correlations remain.
    assert B.svcca(x, y) == pytest.approx(1.0)
    assert B.svcca(x, y, keep=1.0) < 0.7


def test_pwcca_weights_emphasise_dominant_neurons(rng: np.random.Generator) -> None:
    shared, noise = rng.normal(size=(500, 1)), rng.normal(size=(500, 1))
    y = np.column_stack([shared, rng.normal(size=500)])
    loud_shared = np.column_stack([shared * 10.0, rng.normal(size=(500, 1))])
    loud_noise = np.column_stack([shared, noise * 10.0])
    assert B.pwcca(loud_shared, y) > B.svcca(loud_shared, y, keep=1.0) > 0.0
    assert B.pwcca(loud_noise, y) < B.pwcca(loud_shared, y)
    # The weights use centred neurons (unlike Google's compute_pwcca, which adds the neuron
    # means back), so shifting X's features leaves PWCCA unchanged.
    assert B.pwcca(loud_shared + 50.0, y) == pytest.approx(B.pwcca(loud_shared, y), rel=1e-9)


def test_cca_refuses_too_few_points(rng: np.random.Generator) -> None:
    with pytest.raises(RTDInputError, match="more points"):
        B.svcca(rng.normal(size=(10, 6)), rng.normal(size=(10, 6)), keep=1.0)
    with pytest.raises(RTDInputError, match="more points"):
        B.pwcca(rng.normal(size=(10, 6)), rng.normal(size=(10, 6)))


# ------------------------------------------------------------------------------------ IMD


def test_exact_heat_trace_matches_the_matrix_exponential(rng: np.random.Generator) -> None:
    lap = B.knn_laplacian(rng.normal(size=(40, 3)), k=4)
    times = np.array([0.1, 1.0, 10.0])
    expected = [np.trace(expm(-t * lap.toarray())) for t in times]
    assert B.heat_trace_exact(lap, times) == pytest.approx(expected, rel=1e-10)


def test_slq_heat_trace_is_unbiased_with_full_lanczos(rng: np.random.Generator) -> None:
    lap = B.knn_laplacian(rng.normal(size=(40, 3)), k=4)
    times = np.array([0.1, 1.0, 10.0])
    exact = B.heat_trace_exact(lap, times)
    # With n steps, SLQ is exact per probe, so only Hutchinson's error remains. With Gaussian
    # probes its standard error is sqrt(2 ||f(L)||_F^2 / p) (less after the control variate).
    probes = 4000
    eigenvalues = np.linalg.eigvalsh(lap.toarray())
    frobenius2 = np.exp(-2.0 * np.outer(times, eigenvalues)).sum(axis=1)
    estimate = B.heat_trace(lap, times, steps=40, probes=probes, seed=1)
    assert np.all(np.abs(estimate - exact) < 4.0 * np.sqrt(2.0 * frobenius2 / probes))


def test_control_variate_shrinks_the_error_at_small_times(rng: np.random.Generator) -> None:
    lap = B.knn_laplacian(rng.normal(size=(200, 2)), k=5)
    times = np.array([0.1, 0.3])
    exact = B.heat_trace_exact(lap, times)
    errors = np.array([B.heat_trace(lap, times, seed=s) - exact for s in range(20)])
    # Without the control variate, the estimator's spread at t = 0.1 is that of a
    # 100-probe Hutchinson estimate of tr exp(-0.1 L), about sqrt(2/100) * 200 * 0.1 ≈ 3;
    # subtracting the linear term leaves only the quadratic one, about 20 times smaller.
    assert np.abs(errors).max(axis=0)[0] < 0.5
    assert abs(errors.mean(axis=0)[0]) < 0.1


def test_imd_exact_is_on_the_reference_scale_and_slq_scatters_around_it(
    rng: np.random.Generator,
) -> None:
    x, y = rng.normal(size=(300, 2)), rng.uniform(size=(300, 2))
    exact = B.imd(x, y, method="exact")
    assert B.imd(x, y) == exact  # "auto" is exact at this size
    lap_x, lap_y = B.knn_laplacian(x, 5), B.knn_laplacian(y, 5)
    diff = (B.heat_trace_exact(lap_x) - B.heat_trace_exact(lap_y)) / 300
    weight = np.exp(-2.0 * (B.IMD_TIMES + 1.0 / B.IMD_TIMES))
    assert exact == pytest.approx(1e6 * np.max(weight * np.abs(diff)), rel=1e-12)
    estimates = [B.imd(x, y, method="slq", seed=s) for s in range(10)]
    assert np.mean(estimates) == pytest.approx(exact, rel=0.25)
    # Independent probes per cloud (as in the reference code): X against itself is not 0.
    assert B.imd(x, x, method="slq") > 0.0 == B.imd(x, x, method="exact")


def test_knn_laplacian_spectrum_in_zero_two(rng: np.random.Generator) -> None:
    lap = B.knn_laplacian(rng.normal(size=(60, 2)), k=5).toarray()
    eig = np.linalg.eigvalsh(lap)
    assert lap == pytest.approx(lap.T)
    assert eig.min() == pytest.approx(0.0, abs=1e-10)
    assert eig.max() <= 2.0 + 1e-10


def test_imd_zero_for_isometries_and_deterministic(rng: np.random.Generator) -> None:
    x = rng.normal(size=(150, 3))
    assert B.imd(x, 4.0 * x @ _orthogonal(rng, 3) + 1.0) == 0.0
    other = rng.uniform(size=(120, 3))  # IMD needs no correspondence: sizes may differ
    assert B.imd(x, other, method="slq", seed=3) == B.imd(x, other, method="slq", seed=3) > 0.0


# ---------------------------------------------------------------------------- disagreement


def test_disagreement_raw_and_normalised() -> None:
    a, b, y = [0, 1, 2, 3], [0, 1, 1, 0], [0, 1, 2, 0]
    assert B.disagreement(a, b) == 0.5
    # accuracies 0.75 and 0.75: normalised by 1 - 0.75
    assert B.disagreement(a, b, labels=y) == pytest.approx(2.0)
    logits = np.eye(4)[[0, 1, 1, 0]] + 0.1
    assert B.disagreement(a, logits) == 0.5
    assert B.disagreement(y, y, labels=y) == 0.0


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda x: B.cka(x, x[:-1]), RTDInputError, "same objects"),
        (lambda x: B.cka(x, x, kernel="poly"), RTDInputError, "kernel"),
        (lambda x: B.cka(x, x, sigma=0.0), RTDInputError, "sigma"),
        (lambda x: B.cka(x, x, debiased="yes"), RTDTypeError, "debiased"),
        (lambda x: B.cka(x[:3], x[:3], debiased=True), RTDInputError, "at least 4"),
        (lambda x: B.cka(np.ones_like(x), x), RTDInputError, "variance"),
        (lambda x: B.cka(np.ones_like(x), x, kernel="rbf"), RTDInputError, "bandwidth"),
        (lambda x: B.cka(x[:, 0], x), RTDInputError, "2-D"),
        (lambda x: B.cka(np.where(x > 1, np.nan, x), x), RTDInputError, "NaN"),
        (lambda x: B.svcca(x, x, keep=1.5), RTDInputError, "keep"),
        (lambda x: B.svcca(np.zeros_like(x), x), RTDInputError, "zero variance"),
        (lambda x: B.imd(x, x, k=0), RTDInputError, "k"),
        (lambda x: B.imd(x, x, method="lanczos"), RTDInputError, "method"),
        (lambda x: B.disagreement([0, 1], [0, 1, 2]), RTDInputError, "same objects"),
        (lambda x: B.disagreement([[[0]]], [0]), RTDInputError, "1-D"),
    ],
)
def test_bad_input_names_the_argument(call, error, match) -> None:  # type: ignore[no-untyped-def]
    x = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(error, match=match):
        call(x)


# -------------------------------------------------------------------------------- registry


def test_registry_signature_and_direction(rng: np.random.Generator) -> None:
    x = rng.normal(size=(60, 3))
    y = x @ rng.normal(size=(3, 3))
    expected = {"rtd", "cka", "svcca", "pwcca", "imd", "disagreement"}
    assert expected <= set(MEASURES)
    for name in ("cka", "svcca", "pwcca"):
        m = MEASURES[name]
        assert m.kind == "similarity"
        assert m.dissimilarity(x, x) == pytest.approx(0.0, abs=1e-9)
    assert MEASURES["cka"](x, y, kernel="rbf") == B.cka(x, y, kernel="rbf")
    assert MEASURES["rtd"](x, y, batch=None) == pytest.approx(
        MEASURES["rtd"].dissimilarity(x, y, batch=None)
    )
    assert MEASURES["rtd"](x, x, batch=None) == 0.0
    assert MEASURES["disagreement"].inputs == "predictions"
