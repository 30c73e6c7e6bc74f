"""rtdkit.null: shuffles of one trial's pairing, the chance level and the permutation p-value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import related_pair
from rtdkit import RTDInputError
from rtdkit._trials import subsample_indices
from rtdkit.distances import normalized_distances
from rtdkit.divergence import rtd_trial
from rtdkit.null import (
    ChanceLevel,
    Scope,
    distance_sides,
    draw_shuffles,
    permute_matrix,
    rtd_statistic,
    run_null,
    subsample_null,
)


def _assert_calibrated(pvalues: np.ndarray, cuts: tuple[float, ...] = (0.05, 0.5)) -> None:
    """The fraction of p <= cut is Binomial(n, cut) / n under the null: accept 3 sd."""
    for cut in cuts:
        sd = math.sqrt(cut * (1.0 - cut) / len(pvalues))
        assert abs(float(np.mean(pvalues <= cut)) - cut) <= 3.0 * sd, cut


def _rtd_chance(
    p: np.ndarray,
    q: np.ndarray,
    *,
    batch: int | None,
    trials: int,
    shuffles: int,
    seed: int,
    n_jobs: int = 1,
    scope: Scope = "trial",
) -> ChanceLevel:
    run = subsample_null(
        p,
        q,
        rtd_statistic(),
        subsample_indices(len(p), batch, trials, seed),
        shuffles=shuffles,
        seed=seed,
        scope=scope,
        n_jobs=n_jobs,
    )
    return ChanceLevel.from_run(run, scope=scope)


# --------------------------------------------------------------------------------------------
# The shuffle mechanism
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "cityblock"])
@pytest.mark.parametrize("normalize", ["quantile", 0.5, None])
def test_normalised_distances_of_shuffled_rows_are_the_permuted_matrix(
    metric: str, normalize: str | float | None
) -> None:
    # The premise of the mechanism: no distance needs recomputing, bit for bit.
    rng = np.random.default_rng(0)
    q = rng.normal(size=(57, 6))
    perm = rng.permutation(57)
    whole = normalized_distances(q, metric=metric, normalize=normalize)
    shuffled = normalized_distances(q[perm], metric=metric, normalize=normalize)
    assert np.array_equal(shuffled, permute_matrix(whole, perm))


@pytest.mark.parametrize("scope", ["trial", "all"])
def test_each_shuffled_value_is_the_rtd_of_the_shuffled_pair(scope: Scope) -> None:
    p, q = related_pair(80, seed=1)
    index_sets = subsample_indices(80, 30, 3, 5)
    shuffles = draw_shuffles(index_sets, 4, 5, scope=scope, n=80)
    run = run_null(rtd_statistic(), *distance_sides(p, q), index_sets, shuffles)
    assert run.shuffled.shape == (3, 4, 2)
    for t, idx in enumerate(index_sets):
        assert tuple(run.observed[t]) == rtd_trial(p[idx], q[idx])
        for j, rows in enumerate(shuffles[t]):
            # computed from scratch: P's rows of the trial against the re-paired rows of Q
            assert tuple(run.shuffled[t, j]) == rtd_trial(p[idx], q[rows])
            if scope == "trial":
                assert sorted(rows) == list(idx)


def test_scope_all_relabels_every_trial_with_one_permutation() -> None:
    index_sets = subsample_indices(50, 20, 4, 1)
    shuffles = draw_shuffles(index_sets, 3, 2, scope="all", n=50)
    for j in range(3):
        sigma = np.full(50, -1)
        for idx, trial in zip(index_sets, shuffles, strict=True):
            assert np.all((sigma[idx] == -1) | (sigma[idx] == trial[j]))  # one σ per shuffle
            sigma[idx] = trial[j]
    # one trial over all points: both scopes pair row i with the same rows
    everything = [np.arange(30)]
    assert all(
        sorted(rows) == list(range(30))
        for rows in draw_shuffles(everything, 5, 3, scope="all", n=30)[0]
    )


def test_scope_all_is_the_permutation_test_null() -> None:
    # The same draws and the same scores as rtdkit.permutation_test's global permutations.
    import rtdkit

    p, q = related_pair(60, seed=3)
    test = rtdkit.permutation_test(p, q, n_permutations=6, seed=4, batch=25, trials=3)
    chance = _rtd_chance(p, q, batch=25, trials=3, shuffles=6, seed=4, scope="all")
    assert chance.value == test.statistic
    assert np.allclose(chance.null, test.null, rtol=1e-12, atol=0)
    assert chance.pvalue() == test.pvalue


@pytest.mark.parametrize(("batch", "trials", "shuffles"), [(25, 5, 3), (None, 1, 12)])
def test_serial_and_threaded_runs_are_bit_identical(
    batch: int | None, trials: int, shuffles: int
) -> None:
    # (None, 1, 12): one trial, so the threads go to its shuffles instead of to trials.
    p, q = related_pair(60, seed=2)
    serial = _rtd_chance(p, q, batch=batch, trials=trials, shuffles=shuffles, seed=9)
    threaded = _rtd_chance(p, q, batch=batch, trials=trials, shuffles=shuffles, seed=9, n_jobs=4)
    assert np.array_equal(serial.observed, threaded.observed)
    assert np.array_equal(serial.shuffled, threaded.shuffled)
    again = _rtd_chance(p, q, batch=batch, trials=trials, shuffles=shuffles, seed=9)
    assert np.array_equal(serial.shuffled, again.shuffled)


def test_the_observed_score_is_rtd() -> None:
    import rtdkit

    p, q = related_pair(90, seed=3)
    chance = _rtd_chance(p, q, batch=40, trials=4, shuffles=2, seed=6)
    assert chance.value == rtdkit.rtd(p, q, batch=40, trials=4, seed=6).value


# --------------------------------------------------------------------------------------------
# Chance level and relative score
# --------------------------------------------------------------------------------------------


def test_unrelated_clouds_sit_at_chance_and_related_ones_below() -> None:
    rng = np.random.default_rng(4)
    p = rng.normal(size=(300, 8))
    unrelated = _rtd_chance(p, rng.normal(size=(300, 8)), batch=100, trials=6, shuffles=4, seed=0)
    # the spread of relative over trials is a few percent; 6 trials pin the mean to about 0.03
    assert abs(unrelated.relative - 1.0) < 0.05
    # (its interval covers the subsampling only, not which pairing these data happen to have,
    # so it need not contain 1)
    related = _rtd_chance(p, p[:, :3], batch=100, trials=6, shuffles=4, seed=0)
    assert related.relative < 0.9
    assert related.relative_ci()[1] < 1.0
    with pytest.raises(RTDInputError, match="scope='all'"):
        related.pvalue()  # within-subsample shuffles of 6 trials: no valid p-value


def test_chance_level_statistics_by_hand() -> None:
    observed = np.array([1.0, 2.0, 3.0])
    shuffled = np.array([[4.0, 6.0], [5.0, 5.0], [6.0, 8.0]])
    c = ChanceLevel(observed, shuffled, scope="all")
    assert (c.trials, c.shuffles) == (3, 2)
    assert c.chance == pytest.approx(34 / 6)
    assert c.null.tolist() == pytest.approx([5.0, 19 / 3])
    assert c.chance_std == pytest.approx(np.std([5.0, 19 / 3]))
    assert c.chance_samples.tolist() == [5.0, 5.0, 7.0]
    assert c.relative == pytest.approx(2.0 / (34 / 6))
    assert c.relative_samples.tolist() == pytest.approx([0.2, 0.4, 3 / 7])
    assert c.pvalue() == pytest.approx(1 / 3)  # value 2 is below both shuffled scores


def test_relative_of_a_similarity_uses_one_minus() -> None:
    # CKA-like: 1 = identical. d = 1 - s, so relative = (1 - 0.6) / (1 - 0.2).
    c = ChanceLevel(np.array([0.6, 0.6]), np.array([[0.1, 0.3], [0.2, 0.2]]), "similarity", "all")
    assert c.relative == pytest.approx(0.4 / 0.8)
    assert c.pvalue() == pytest.approx(1 / 3)
    assert ChanceLevel(np.array([0.1]), np.array([[0.1, 0.9]]), "similarity").pvalue() == 1.0


def test_relative_interval_is_exact_for_a_constant_ratio_and_needs_two_trials() -> None:
    c = ChanceLevel(np.array([1.0, 2.0, 4.0]), np.array([[2.0, 2.0], [4.0, 4.0], [8.0, 8.0]]))
    assert c.relative == 0.5
    assert c.relative_ci() == pytest.approx((0.5, 0.5))
    one = ChanceLevel(np.array([1.0]), np.array([[2.0, 3.0]]))
    with pytest.raises(RTDInputError, match="at least 2 subsampling trials"):
        one.relative_ci()
    with pytest.raises(RTDInputError, match="at least 2 subsampling trials"):
        one.chance_ci()


def test_relative_interval_covers_the_ratio_of_expectations() -> None:
    # Coverage by simulation: d_t = 2 + noise, c_t = 4 + noise, so E d / E c = 0.5.
    rng = np.random.default_rng(8)
    hits = 0
    for _ in range(400):
        d = 2.0 + 0.3 * rng.normal(size=10)
        c = 4.0 + 0.3 * rng.normal(size=(10, 1))
        low, high = ChanceLevel(d, c).relative_ci(0.9)
        hits += low <= 0.5 <= high
    assert abs(hits / 400 - 0.9) <= 3 * math.sqrt(0.9 * 0.1 / 400)


def test_relative_is_nan_when_every_shuffle_scores_zero() -> None:
    assert math.isnan(ChanceLevel(np.zeros(2), np.zeros((2, 3))).relative)


# --------------------------------------------------------------------------------------------
# Calibration of the p-value under the null (pairs of independent clouds)
# --------------------------------------------------------------------------------------------


def test_single_trial_pvalues_are_uniform_on_independent_pairs() -> None:
    # 400 pairs of N = 20 on all points, 19 shuffles: P(p <= k/20) = k/20 exactly.
    rng = np.random.default_rng(2)
    pvalues = np.array(
        [
            _rtd_chance(
                rng.normal(size=(20, 4)),
                rng.normal(size=(20, 3)),
                batch=None,
                trials=1,
                shuffles=19,
                seed=s,
            ).pvalue()
            for s in range(400)
        ]
    )
    _assert_calibrated(pvalues)


def test_relabelled_pvalues_are_uniform_with_overlapping_subsamples() -> None:
    # 200 pairs of N = 30, 3 trials of 20 points (they overlap), 19 relabellings each: exact.
    # (Shuffling within each subsample instead gives 8.5% of p <= 0.05 at 40 / 20 / 5 trials.)
    rng = np.random.default_rng(3)
    pvalues = np.array(
        [
            _rtd_chance(
                rng.normal(size=(30, 4)),
                rng.normal(size=(30, 3)),
                batch=20,
                trials=3,
                shuffles=19,
                seed=s,
                scope="all",
            ).pvalue()
            for s in range(200)
        ]
    )
    _assert_calibrated(pvalues)


def test_precomputed_inputs_are_shuffled_as_blocks() -> None:
    from scipy.spatial.distance import pdist, squareform

    p, q = related_pair(50, seed=6)
    on_features = _rtd_chance(p, q, batch=20, trials=2, shuffles=3, seed=1)
    run = subsample_null(
        squareform(pdist(p)),
        squareform(pdist(q)),
        rtd_statistic(),
        subsample_indices(50, 20, 2, 1),
        shuffles=3,
        seed=1,
        metric="precomputed",
    )
    assert np.allclose(run.shuffled.mean(axis=-1), on_features.shuffled, rtol=1e-6)


# --------------------------------------------------------------------------------------------
# rtd(..., shuffles=k): the chance level in the core result
# --------------------------------------------------------------------------------------------


def test_rtd_without_shuffles_has_no_chance_level() -> None:
    import rtdkit

    p, q = related_pair(60, seed=7)
    r = rtdkit.rtd(p, q, batch=30, trials=3)
    assert (r.shuffles, r.shuffled, r.chance, r.relative, r.chance_level) == (
        0,
        None,
        None,
        None,
        None,
    )
    assert r.to_dict()["shuffles"] == 0
    with pytest.raises(RTDInputError, match="shuffles >= 1"):
        r.relative_ci()


def test_rtd_with_shuffles_keeps_the_score_and_adds_its_chance_level() -> None:
    import rtdkit

    p, q = related_pair(90, seed=8)
    plain = rtdkit.rtd(p, q, batch=40, trials=4, seed=3)
    r = rtdkit.rtd(p, q, batch=40, trials=4, seed=3, shuffles=3)
    assert np.array_equal(r.samples, plain.samples)  # the score is untouched, bit for bit
    by_hand = _rtd_chance(p, q, batch=40, trials=4, shuffles=3, seed=3)
    assert np.array_equal(r.shuffled, by_hand.shuffled)
    assert r.chance == by_hand.chance and r.relative == r.value / r.chance
    assert r.chance_std == by_hand.chance_std
    assert r.relative_samples.tolist() == (r.samples / r.chance_samples).tolist()
    low, high = r.relative_ci()
    assert low <= r.relative <= high < 1.0
    d = r.to_dict()
    assert (d["shuffles"], d["chance"], d["relative"]) == (3, r.chance, r.relative)
    assert len(d["shuffled"]) == 4 and len(d["shuffled"][0]) == 3
    assert "relative=" in repr(r)


def test_rtd_chance_level_is_the_same_serial_or_threaded() -> None:
    import rtdkit

    p, q = related_pair(80, seed=9)
    serial = rtdkit.rtd(p, q, batch=30, trials=3, shuffles=4)
    threaded = rtdkit.rtd(p, q, batch=30, trials=3, shuffles=4, n_jobs=4)
    assert np.array_equal(serial.shuffled, threaded.shuffled)
    one_trial = rtdkit.rtd(p, q, batch=None, shuffles=5)  # threads go to the shuffles
    assert np.array_equal(
        one_trial.shuffled, rtdkit.rtd(p, q, batch=None, shuffles=5, n_jobs=3).shuffled
    )


def test_rtd_chance_level_through_the_barcode_engine_agrees() -> None:
    import rtdkit

    p, q = related_pair(40, seed=10)
    identity = rtdkit.rtd(p, q, batch=20, trials=2, shuffles=2)
    barcode = rtdkit.rtd(p, q, batch=20, trials=2, shuffles=2, method="barcode")
    assert np.allclose(barcode.shuffled, identity.shuffled, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_rtd_refuses_a_bad_number_of_shuffles(bad: object) -> None:
    import rtdkit

    p, q = related_pair(20, seed=1)
    with pytest.raises(RTDInputError, match="shuffles"):
        rtdkit.rtd(p, q, shuffles=bad)  # type: ignore[arg-type]


def test_a_trials_shuffles_do_not_depend_on_how_many_are_drawn() -> None:
    sets = [np.arange(20), np.arange(5, 25), np.arange(10, 30)]
    few = draw_shuffles(sets[:2], 2, 7)
    many = draw_shuffles(sets, 5, 7)
    for t in range(2):
        for j in range(2):
            assert np.array_equal(few[t][j], many[t][j])


def test_permutation_test_names_an_unknown_rtd_option() -> None:
    import rtdkit

    p, q = related_pair(20, seed=2)
    with pytest.raises(rtdkit.RTDTypeError, match=r"unknown RTD option.*bach"):
        rtdkit.permutation_test(p, q, n_permutations=3, bach=10)
