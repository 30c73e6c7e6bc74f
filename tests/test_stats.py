"""rtdkit.stats: calibration of the permutation and Mantel tests, Williams' test, intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from scipy.spatial.distance import pdist, squareform

import rtdkit
from conftest import related_pair
from rtdkit.divergence import subsample_indices
from rtdkit.stats import (
    compare_correlations,
    correlate,
    mantel,
    permutation_test,
    t_interval,
    williams_test,
)
from rtdkit.stats._correlation import _bootstrap_rows
from rtdkit.stats._pvalues import draw_permutations


def _assert_calibrated(pvalues: np.ndarray, cuts: tuple[float, ...] = (0.05, 0.5)) -> None:
    """Under the null the fraction of p <= cut is Binomial(n, cut) / n for each cut.

    Accept 3 binomial standard deviations around the cut (a false alarm about 1 in 370).
    """
    for cut in cuts:
        sd = math.sqrt(cut * (1.0 - cut) / len(pvalues))
        fraction = float(np.mean(pvalues <= cut))
        assert abs(fraction - cut) <= 3.0 * sd, (cut, fraction)


def _upper(d: np.ndarray) -> np.ndarray:
    return d[np.triu_indices(len(d), k=1)]


# --------------------------------------------------------------------------------------------
# permutation_test
# --------------------------------------------------------------------------------------------


def test_cka_pvalues_are_uniform_on_independent_pairs() -> None:
    # 1000 independent pairs, 99 permutations each: under the null P(p <= k/100) = k/100
    # exactly, so the fraction of p <= 0.05 is Binomial(1000, 0.05) / 1000 (sd 0.0069).
    rng = np.random.default_rng(1)
    n_pairs = 1000
    pvalues = np.array(
        [
            permutation_test(
                rng.normal(size=(30, 5)), rng.normal(size=(30, 3)), measure="cka", seed=s
            ).pvalue
            for s in range(n_pairs)
        ]
    )
    _assert_calibrated(pvalues)


def test_rtd_pvalues_are_uniform_on_independent_pairs() -> None:
    # Smaller RTD check: 400 pairs of N = 20, 19 permutations; p <= 0.05 means the observed
    # RTD is the smallest of 20 values, probability 1/20 (sd of the fraction 0.011).
    rng = np.random.default_rng(2)
    n_pairs = 400
    pvalues = np.array(
        [
            permutation_test(
                rng.normal(size=(20, 4)),
                rng.normal(size=(20, 3)),
                n_permutations=19,
                seed=s,
                batch=None,
            ).pvalue
            for s in range(n_pairs)
        ]
    )
    _assert_calibrated(pvalues)


@pytest.mark.parametrize("measure", ["rtd", "cka", "svcca", "pwcca"])
def test_clearly_related_pair_gets_the_smallest_pvalue(measure: str) -> None:
    p, q = related_pair(40, seed=3)
    result = permutation_test(p, q, measure=measure, n_permutations=49)
    assert result.pvalue == pytest.approx(1 / 50)
    expected_direction = "greater" if measure in {"cka", "svcca", "pwcca"} else "less"
    assert result.alternative == expected_direction
    assert result.statistic == pytest.approx(rtdkit.measures.MEASURES[measure](p, q))


def test_disagreement_permutes_predictions() -> None:
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, size=60)
    flipped = labels.copy()
    flipped[:5] = (flipped[:5] + 1) % 3
    result = permutation_test(labels, flipped, measure="disagreement", n_permutations=19)
    assert result.statistic == pytest.approx(5 / 60)
    assert result.pvalue == pytest.approx(1 / 20)


def test_rtd_null_uses_the_observed_subsamples() -> None:
    # Recompute the null by hand: the same index sets for the observed statistic and for
    # every permutation of Q, each trial on all points of its subset.
    p, q = related_pair(60, seed=5)
    options = {"batch": 25, "trials": 3}
    result = permutation_test(p, q, n_permutations=4, seed=7, **options)
    assert result.statistic == rtdkit.rtd(p, q, seed=7, **options).value
    index_sets = subsample_indices(60, 25, 3, 7)
    for perm, value in zip(draw_permutations(60, 4, 7), result.null, strict=True):
        by_hand = np.mean([rtdkit.rtd(p[i], q[perm][i], batch=None).value for i in index_sets])
        assert value == pytest.approx(by_hand, rel=1e-12)


def test_precomputed_rtd_permutes_rows_and_columns_together() -> None:
    p, q = related_pair(30, seed=6)
    on_features = permutation_test(p, q, n_permutations=9, batch=None)
    on_distances = permutation_test(
        squareform(pdist(p)),
        squareform(pdist(q)),
        n_permutations=9,
        batch=None,
        metric="precomputed",
    )
    np.testing.assert_allclose(on_distances.null, on_features.null, rtol=1e-9)


@pytest.mark.parametrize("measure", ["cka", "rtd"])
def test_serial_and_parallel_give_identical_results(measure: str) -> None:
    p, q = related_pair(40, seed=8)
    options = {"batch": 20, "trials": 2} if measure == "rtd" else {}
    serial = permutation_test(p, q, measure=measure, n_permutations=12, seed=3, **options)
    threads = permutation_test(
        p, q, measure=measure, n_permutations=12, seed=3, n_jobs=2, **options
    )
    again = permutation_test(
        p, q, measure=measure, n_permutations=12, seed=3, n_jobs=None, **options
    )
    other = permutation_test(p, q, measure=measure, n_permutations=12, seed=4, **options)
    np.testing.assert_array_equal(serial.null, threads.null)
    np.testing.assert_array_equal(serial.null, again.null)
    assert not np.array_equal(serial.null, other.null)


def test_seed_none_is_recorded_and_repeatable() -> None:
    p, q = related_pair(30, seed=9)
    first = permutation_test(p, q, measure="cka", n_permutations=5, seed=None)
    repeat = permutation_test(p, q, measure="cka", n_permutations=5, seed=first.seed)
    np.testing.assert_array_equal(first.null, repeat.null)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((np.ones((5, 2)), np.ones((6, 2))), {}, "P has 5 points but Q has 6"),
        ((np.eye(5), np.eye(5)), {"measure": "nope"}, "measure must be one of"),
        ((np.eye(5), np.eye(5)), {"n_permutations": 0}, "n_permutations must be >= 1"),
        ((np.eye(5), np.eye(5)), {"seed": -1}, "seed must be an integer >= 0"),
        ((np.eye(5), np.eye(5)), {"n_jobs": 0}, "n_jobs must be a positive integer"),
        ((np.ones((4, 2)), np.ones(4)), {"measure": "disagreement"}, "1-D arrays"),
        ((np.eye(5), np.eye(5)), {"measure": "imd"}, "without using the row correspondence"),
    ],
)
def test_permutation_test_rejects_bad_input(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(rtdkit.RTDInputError, match=match):
        permutation_test(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# mantel
# --------------------------------------------------------------------------------------------


def _distances(n: int, seed: int) -> np.ndarray:
    return squareform(pdist(np.random.default_rng(seed).normal(size=(n, 3))))


def test_mantel_monotone_transform_has_spearman_one() -> None:
    d = _distances(15, 0)
    result = mantel(d, np.sqrt(d) + 3.0, permutations=199)
    assert result.statistic == pytest.approx(1.0)
    assert result.pvalue == pytest.approx(1 / 200)
    pearson = mantel(d, d**3, method="pearson", permutations=199)
    assert pearson.statistic == pytest.approx(np.corrcoef(_upper(d), _upper(d**3))[0, 1])
    assert pearson.statistic < 1.0 and pearson.pvalue == pytest.approx(1 / 200)


@pytest.mark.parametrize("method", ["spearman", "pearson"])
def test_mantel_null_matches_a_direct_computation(method: str) -> None:
    d1, d2 = _distances(10, 1), _distances(10, 2)
    result = mantel(d1, d2, permutations=20, method=method, seed=5)
    corr = sps.spearmanr if method == "spearman" else sps.pearsonr
    assert result.statistic == pytest.approx(corr(_upper(d1), _upper(d2)).statistic)
    for perm, value in zip(draw_permutations(10, 20, 5), result.null, strict=True):
        direct = corr(_upper(d1), _upper(d2[np.ix_(perm, perm)])).statistic
        assert value == pytest.approx(direct, abs=1e-12)


def test_mantel_pvalues_are_uniform_on_independent_matrices() -> None:
    # 4000 pairs of independent 10 x 10 distance matrices, 19 relabellings each: p <= 0.05
    # means the observed correlation is the largest of 20, probability 1/20 (sd 0.0034).
    rng = np.random.default_rng(14)
    n_pairs = 4000
    pvalues = np.array(
        [
            mantel(
                squareform(pdist(rng.normal(size=(10, 3)))),
                squareform(pdist(rng.normal(size=(10, 3)))),
                permutations=19,
                seed=s,
            ).pvalue
            for s in range(n_pairs)
        ]
    )
    _assert_calibrated(pvalues)


def test_mantel_alternatives() -> None:
    d = _distances(12, 3)
    reversed_ = d.max() - d
    np.fill_diagonal(reversed_, 0.0)
    assert mantel(d, reversed_, permutations=99).pvalue == 1.0
    assert mantel(d, reversed_, permutations=99, alternative="less").pvalue == 0.01
    assert mantel(d, reversed_, permutations=99, alternative="two-sided").pvalue == 0.01


@pytest.mark.parametrize(
    ("d1", "d2", "match"),
    [
        (np.ones((4, 3)), np.ones((4, 4)), "D1 must be a square"),
        (_distances(5, 0), np.triu(_distances(5, 1)), "D2 is not symmetric"),
        (_distances(5, 0), _distances(6, 1), "D1 is 5 x 5 but D2 is 6 x 6"),
        (_distances(5, 0), 1.0 - np.eye(5), "D2 has the same value for every pair"),
        (_distances(5, 0), np.full((5, 5), np.nan), "D2 contains 25 NaN"),
    ],
)
def test_mantel_rejects_bad_matrices(d1: np.ndarray, d2: np.ndarray, match: str) -> None:
    with pytest.raises(rtdkit.RTDInputError, match=match):
        mantel(d1, d2)


# --------------------------------------------------------------------------------------------
# Correlations and their paired comparison
# --------------------------------------------------------------------------------------------


def test_williams_test_reproduces_howells_worked_example() -> None:
    # Howell, Statistical Methods for Psychology (6th ed., p. 262): r12 = .80, r13 = .72,
    # r23 = .89, n = 26 gives t(23) = 1.361, two-sided p = .187.
    t, p = williams_test(0.80, 0.72, 0.89, 26)
    assert round(t, 3) == 1.361 and round(p, 3) == 0.187
    assert williams_test(0.72, 0.80, 0.89, 26) == pytest.approx((-t, p))


def test_williams_test_is_calibrated_by_simulation() -> None:
    # Trivariate normal with rho12 = rho13 = 0.5, rho23 = 0.3 (H0 true), n = 40, 2000 draws:
    # the fraction of p < 0.05 must be Binomial(2000, 0.05) / 2000 (sd 0.0049).
    rng = np.random.default_rng(10)
    cov = np.array([[1.0, 0.5, 0.5], [0.5, 1.0, 0.3], [0.5, 0.3, 1.0]])
    pvalues = []
    for _ in range(2000):
        r = np.corrcoef(rng.multivariate_normal(np.zeros(3), cov, size=40), rowvar=False)
        pvalues.append(williams_test(r[0, 1], r[0, 2], r[1, 2], 40)[1])
    _assert_calibrated(np.array(pvalues), cuts=(0.05,))


def test_correlate_matches_scipy_and_a_looped_bootstrap() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(size=30)
    y = x + rng.normal(size=30)
    res = correlate(x, y, n_boot=300, seed=2)
    assert res.pearson == pytest.approx(sps.pearsonr(x, y).statistic)
    assert res.spearman == pytest.approx(sps.spearmanr(x, y).statistic)
    idx = _bootstrap_rows(30, 300, 2)
    looped = [sps.spearmanr(x[i], y[i]).statistic for i in idx]
    assert res.spearman_ci == pytest.approx(tuple(np.percentile(looped, [2.5, 97.5])))
    assert res.pearson_ci[0] < res.pearson < res.pearson_ci[1]
    wider = correlate(x, y, n_boot=300, seed=2, level=0.99)
    assert wider.pearson_ci[0] < res.pearson_ci[0] and wider.pearson_ci[1] > res.pearson_ci[1]


def test_compare_correlations_detects_the_better_measure() -> None:
    rng = np.random.default_rng(12)
    shared = rng.normal(size=50)
    good = shared + 0.3 * rng.normal(size=50)
    poor = shared + 2.0 * rng.normal(size=50)
    res = compare_correlations(shared, good, poor, method="pearson", n_boot=500)
    assert res.r_a == pytest.approx(sps.pearsonr(shared, good).statistic)
    assert res.t == pytest.approx(williams_test(res.r_a, res.r_b, res.r_ab, 50)[0])
    assert res.difference > 0 and res.pvalue < 0.01 and res.ci[0] > 0
    idx = _bootstrap_rows(50, 500, 0)
    looped = [
        sps.pearsonr(shared[i], good[i]).statistic - sps.pearsonr(shared[i], poor[i]).statistic
        for i in idx
    ]
    assert res.ci == pytest.approx(tuple(np.percentile(looped, [2.5, 97.5])))
    swapped = compare_correlations(shared, poor, good, n_boot=500)
    assert swapped.difference < 0 and swapped.ci[1] < 0


def test_compare_correlations_rejects_bad_input() -> None:
    x = np.arange(10.0)
    with pytest.raises(rtdkit.RTDInputError, match="degenerate"):
        compare_correlations(x, x**2, x**2)
    with pytest.raises(rtdkit.RTDInputError, match="but b has 9"):
        compare_correlations(x, x, x[:9])
    with pytest.raises(rtdkit.RTDInputError, match="a must be 1-D"):
        compare_correlations(x, np.ones((10, 2)), x)
    with pytest.raises(rtdkit.RTDInputError, match="constant"):
        correlate(x, np.ones(10))


# --------------------------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------------------------


def test_t_interval_matches_scipy() -> None:
    samples = np.array([2.0, 2.5, 1.5, 3.0, 2.2])
    expected = sps.t.interval(0.9, 4, loc=samples.mean(), scale=sps.sem(samples))
    assert t_interval(samples, 0.9) == pytest.approx(expected)


def test_rtd_result_ci_brackets_the_score_and_refuses_one_trial() -> None:
    p, q = related_pair(80, seed=13)
    result = rtdkit.rtd(p, q, batch=30, trials=6)
    low, high = result.ci()
    assert (low, high) == pytest.approx(t_interval(result.samples))
    narrow = result.ci(0.5)
    assert low < narrow[0] < result.value < narrow[1] < high
    with pytest.raises(rtdkit.RTDInputError, match="at least 2 subsampling trials"):
        rtdkit.rtd(p, q, batch=None).ci()
    with pytest.raises(rtdkit.RTDInputError, match="level must lie strictly between"):
        result.ci(95)
