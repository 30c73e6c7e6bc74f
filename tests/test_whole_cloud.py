"""The whole-cloud identity route: float32 matrices built one float64 matrix at a time.

Every check compares with an independent computation: the float64 route (``cross_matrices``
of ``normalized_distances`` in both directions, rounded to float32, and ``identity_terms`` on
float64), bit for bit, and the cone engine's barcode total, to float32 precision.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

import rtdkit
import rtdkit._whole_cloud as whole_cloud
import rtdkit.distances as distances
import rtdkit.engines.score as score
from rtdkit._whole_cloud import identity_matrices
from rtdkit.distances import cross_matrices, normalized_distances, pairwise_distances, zero_floor
from rtdkit.divergence import rtd_trial
from rtdkit.engines import get_engine
from rtdkit.engines.score import IdentityTerms, _score, identity_terms, identity_terms_f32
from rtdkit.memory_checks import IDENTITY_FLOAT32_TRIAL_BYTES_PER_N2
from test_engines_score import FAMILIES, _family

ROOT = Path(__file__).resolve().parents[1]


def _float64_route(p, q, metric, normalize):  # type: ignore[no-untyped-def]
    w = normalized_distances(p, metric=metric, normalize=normalize, name="P")
    wt = normalized_distances(q, metric=metric, normalize=normalize, name="Q")
    return w, wt


def _assert_matrices_match(p, q, metric, normalize) -> None:  # type: ignore[no-untyped-def]
    w, wt = _float64_route(p, q, metric, normalize)
    expected = [m.astype(np.float32) for m in (*cross_matrices(w, wt), *cross_matrices(wt, w))]
    got = identity_matrices(p, q, metric=metric, normalize=normalize)
    for a, b in zip(expected, (got.w, got.mu, got.w_tilde, got.mu_tilde), strict=True):
        assert b is not None
        assert a.tobytes() == b.tobytes()  # bit for bit, signs of zeros included
    forward = identity_matrices(p, q, metric=metric, normalize=normalize, both=False)
    assert forward.w_tilde is None and forward.mu_tilde is None
    assert forward.mu.tobytes() == expected[1].tobytes()
    old = [t.total for t in identity_terms(w, wt) if t is not None]
    assert [t.total for t in identity_terms_f32(got) if t is not None] == old


def _near_duplicates(rng: np.random.Generator, n: int, d: int, spread: float) -> np.ndarray:
    """A cloud whose first quarter sits within ``spread`` of its second quarter: distances
    near the zero floor (``mean * 1e-6``), on either side of it."""
    x = rng.normal(size=(n, d))
    k = n // 4
    x[:k] = x[k : 2 * k] + spread * rng.uniform(0.1, 10.0, size=(k, 1)) * rng.normal(size=(k, d))
    return x


@pytest.mark.parametrize("kind", FAMILIES)
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("normalize", ["quantile", 0.5, None])
def test_matrices_and_totals_equal_the_float64_route(kind: str, metric: str, normalize) -> None:  # type: ignore[no-untyped-def]
    p, q = _family(kind, 40, seed=len(kind))
    if metric == "cosine":  # cosine is undefined on an all-zero row
        p, q = p + 1.0, q + 1.0
    _assert_matrices_match(p, q, metric, normalize)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("metric", ["euclidean", "precomputed"])
def test_floors_near_duplicates_equal_the_float64_route(seed: int, metric: str) -> None:
    """Distances on both sides of the two clouds' different zero floors: the two mu differ."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(12, 50))
    p = _near_duplicates(rng, n, 3, 1e-6 * rng.choice([0.3, 1.0, 3.0]))
    q = _near_duplicates(rng, n, 2, 1e-6 * rng.choice([0.3, 1.0, 3.0]))
    if metric == "precomputed":
        p, q = pairwise_distances(p), pairwise_distances(q)
    for normalize in ("quantile", None):
        _assert_matrices_match(p, q, metric, normalize)


def _distance_calls(p, q, monkeypatch: pytest.MonkeyPatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Which clouds' float64 matrices one ``identity_matrices`` computes, in order."""
    calls: list[str] = []
    original = whole_cloud.normalized_distances

    def spy(x, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["name"])
        return original(x, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(whole_cloud, "normalized_distances", spy)
        identity_matrices(p, q, metric="precomputed", normalize=None)
    return calls


def _random_matrix(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    return pairwise_distances(scale * rng.normal(size=(n, 3)))


def test_a_tie_with_the_other_floor_recomputes_p(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry of P that rounds to exactly float32(floor of Q): float32 cannot tell on
    which side of the floor it lies, so P's float64 matrix is computed once more."""
    rng = np.random.default_rng(0)
    q = _random_matrix(rng, 20, 10.0)
    p = _random_matrix(rng, 20, 1.0)  # P's floor is ten times lower than Q's
    floor_q = zero_floor(normalized_distances(q, metric="precomputed", normalize=None))
    for value in (floor_q * (1 - 1e-12), floor_q * (1 + 1e-12)):  # both sides of the floor
        p[3, 7] = p[7, 3] = value
        assert np.float32(value) == np.float32(floor_q)
        _assert_matrices_match(p, q, "precomputed", None)
        assert _distance_calls(p, q, monkeypatch) == ["P", "Q", "P"]


def test_p_below_its_own_floor_with_a_lower_floor_of_q_recomputes_p(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(1)
    p = _random_matrix(rng, 20, 10.0)
    q = _random_matrix(rng, 20, 1.0)
    floor_p = zero_floor(p)
    p[2, 5] = p[5, 2] = floor_p / 2  # floored away in P's direction, kept in Q's
    q[2, 5] = q[5, 2] = 5.0
    _assert_matrices_match(p, q, "precomputed", None)
    assert _distance_calls(p, q, monkeypatch) == ["P", "Q", "P"]


@pytest.mark.parametrize("higher", ["P", "Q"])
def test_entries_of_q_between_the_floors_are_decided_in_float32(
    higher: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries of Q between the two floors: the two mu differ, without any recomputation."""
    rng = np.random.default_rng(2)
    big, small = _random_matrix(rng, 20, 10.0), _random_matrix(rng, 20, 1.0)
    p, q = (big, small) if higher == "P" else (small, big)
    low, high = sorted((zero_floor(p), zero_floor(q)))
    q[1, 4] = q[4, 1] = (low + high) / 2
    _assert_matrices_match(p, q, "precomputed", None)
    assert _distance_calls(p, q, monkeypatch) == ["P", "Q"]
    m = identity_matrices(p, q, metric="precomputed", normalize=None)
    assert m.mu_tilde is not m.mu  # the case is real: the two directions' mu differ


@pytest.mark.parametrize("kind", ["related", "ties", "duplicates", "one-hot"])
def test_rtd_trial_equals_the_cone_barcode_total(kind: str) -> None:
    p, q = _family(kind, 60, seed=7)
    forward, backward = rtd_trial(p, q)
    w, wt = _float64_route(p, q, "euclidean", "quantile")
    for total, (a, b) in ((forward, (w, wt)), (backward, (wt, w))):
        w2, mu = cross_matrices(a, b)
        bars = get_engine("cone").function(w2, mu, maxdim=1).bars[1]
        assert total == pytest.approx(float(np.sum(bars[:, 1] - bars[:, 0])), rel=1e-6, abs=1e-6)


def test_rtd_whole_cloud_equals_the_float64_route() -> None:
    p, q = _family("related", 150, seed=3)
    w, wt = _float64_route(p, q, "euclidean", "quantile")
    forward, backward = identity_terms(w, wt)
    assert backward is not None
    result = rtdkit.rtd(p, q, batch=None)
    assert result.forward is not None and result.backward is not None
    assert (result.forward[0], result.backward[0]) == (forward.total, backward.total)


def test_rtd_trials_without_shuffles_equal_those_with_shuffles() -> None:
    """The float32 route (no shuffles) and the float64 one of the chance level (shuffles)
    give the same trials."""
    p, q = _family("ties", 120, seed=4)
    plain = rtdkit.rtd(p, q, batch=50, trials=4, seed=1)
    with_chance = rtdkit.rtd(p, q, batch=50, trials=4, seed=1, shuffles=1)
    assert np.array_equal(plain.samples, with_chance.samples)


def test_engine_reads_float32_in_place_as_it_rounds_float64() -> None:
    p, q = _family("related", 50, seed=5)
    m = identity_matrices(p, q, metric="euclidean", normalize="quantile")
    from_f32 = _score.compute(m.mu, [m.w, m.w_tilde])
    as_f64 = [x.astype(np.float64) for x in (m.mu, m.w, m.w_tilde)]
    from_f64 = _score.compute(as_f64[0], as_f64[1:])
    for a, b in zip(from_f32[0]["h1"], from_f64[0]["h1"], strict=True):
        assert np.array_equal(a, b)
    for side_a, side_b in zip(from_f32[1], from_f64[1], strict=True):
        assert np.array_equal(side_a["image"][0], side_b["image"][0])
        assert np.array_equal(side_a["mst"][0], side_b["mst"][0])


def test_engine_refuses_a_negative_zero_in_a_float32_matrix() -> None:
    m = np.zeros((3, 3), dtype=np.float32)
    m[0, 1] = m[1, 0] = np.float32(-0.0)
    with pytest.raises(ValueError, match="non-negative"):
        _score.compute(m, [m])


def test_guard_refuses_a_whole_cloud_when_memory_is_short(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 400
    needed = IDENTITY_FLOAT32_TRIAL_BYTES_PER_N2 * n * n
    monkeypatch.setattr(distances, "_memory_budget", lambda: (int(needed) - 1, "a test budget"))
    p = np.random.default_rng(0).normal(size=(n, 3))
    with pytest.raises(rtdkit.RTDInputError, match=r"batch=") as info:
        rtdkit.rtd(p, p, batch=None)
    assert f"{IDENTITY_FLOAT32_TRIAL_BYTES_PER_N2:g} bytes per N²" in str(info.value)
    monkeypatch.setattr(distances, "_memory_budget", lambda: (int(needed) + 1, "a test budget"))
    assert rtdkit.rtd(p, p, batch=None).value == 0.0


def test_guard_constant_is_above_the_measured_peak() -> None:
    """benchmarks/results/memory.md (python benchmarks/memory.py): the identity trial's peak
    resident memory per N² at every measured N stays below the guard's constant."""
    text = (ROOT / "benchmarks" / "results" / "memory.md").read_text(encoding="utf-8")
    peaks = [float(v) for v in re.findall(r"rtd\(P, Q, batch=None\)[^|\n]*?\s+([\d.]+)\s", text)]
    assert len(peaks) >= 2
    assert max(peaks) < IDENTITY_FLOAT32_TRIAL_BYTES_PER_N2


def test_one_direction_and_threads_give_the_same_trials() -> None:
    p, q = _family("duplicates", 90, seed=6)
    w, wt = _float64_route(p, q, "euclidean", "quantile")
    forward, _ = identity_terms(w, wt, both=False)
    one_way = rtdkit.rtd(p, q, batch=None, symmetric=False)
    assert one_way.backward is None and one_way.value == forward.total
    serial = rtdkit.rtd(p, q, batch=40, trials=5, seed=2)
    threaded = rtdkit.rtd(p, q, batch=40, trials=5, seed=2, n_jobs=2)
    assert np.array_equal(serial.samples, threaded.samples)


def _assert_same_terms(a: IdentityTerms | None, b: IdentityTerms | None) -> None:
    assert a is not None and b is not None
    for field in fields(IdentityTerms):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), field.name
        else:
            assert x == y, field.name


@pytest.mark.parametrize("kind", FAMILIES)
@pytest.mark.parametrize(
    ("metric", "normalize"), [("euclidean", "quantile"), ("cosine", None), ("euclidean", None)]
)
def test_threads_inside_a_trial_give_the_same_terms_bit_for_bit(
    kind: str, metric: str, normalize: str | None
) -> None:
    """The engine's threads (the apparent pairs of Rips(mu) in chunks) change nothing: every
    term, bar, critical edge and counter equals the serial run's."""
    p, q = _family(kind, 150, seed=7 + len(kind))
    if metric == "cosine":
        p, q = p + 1.0, q + 1.0
    m = identity_matrices(p, q, metric=metric, normalize=normalize)
    serial = identity_terms_f32(m)
    assert serial[0].counters["h1_columns"] > 3 * 4 * 64  # several chunks on every thread
    for threads in (2, 3):
        for a, b in zip(serial, identity_terms_f32(m, threads=threads), strict=True):
            _assert_same_terms(a, b)


@pytest.mark.parametrize("kind", ["related", "ties", "duplicates", "near-duplicates"])
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_threads_give_the_same_matrices_bit_for_bit(kind: str, metric: str) -> None:
    """Euclidean distances in blocks of rows on 2 or 3 threads: the very same float32
    matrices (and the same choice of one mu or two) as on one thread and the float64 route."""
    if kind == "near-duplicates":
        rng = np.random.default_rng(5)
        p, q = _near_duplicates(rng, 101, 3, 1e-6), _near_duplicates(rng, 101, 2, 3e-6)
    else:
        p, q = _family(kind, 101, seed=3)
    if metric == "cosine":
        p, q = p + 1.0, q + 1.0
    _assert_matrices_match(p, q, metric, "quantile")
    serial = identity_matrices(p, q, metric=metric, normalize="quantile")
    for threads in (2, 3):
        threaded = identity_matrices(p, q, metric=metric, normalize="quantile", threads=threads)
        assert (threaded.mu_tilde is threaded.mu) == (serial.mu_tilde is serial.mu)
        for a, b in zip(
            (serial.w, serial.mu, serial.w_tilde, serial.mu_tilde),
            (threaded.w, threaded.mu, threaded.w_tilde, threaded.mu_tilde),
            strict=True,
        ):
            assert a is not None and b is not None and a.tobytes() == b.tobytes()


def test_threads_with_two_rips_complexes_give_the_same_terms() -> None:
    """Near-duplicates on either side of the two floors: the directions have different mu
    (two engine calls), each threaded."""
    rng = np.random.default_rng(4)
    p, q = _near_duplicates(rng, 120, 3, 1e-6), _near_duplicates(rng, 120, 2, 3e-6)
    m = identity_matrices(p, q, metric="euclidean", normalize="quantile")
    assert m.mu_tilde is not m.mu
    serial = identity_terms_f32(m)
    for a, b in zip(serial, identity_terms_f32(m, threads=3), strict=True):
        _assert_same_terms(a, b)


def test_n_jobs_gives_its_spare_threads_to_a_whole_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    p, q = _family("ties", 200, seed=1)
    seen: list[int] = []
    original = score.identity_terms_f32

    def counting(matrices, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs["threads"])
        return original(matrices, **kwargs)

    monkeypatch.setattr(score, "identity_terms_f32", counting)  # identity_trial imports it late
    results = [rtdkit.rtd(p, q, batch=None, n_jobs=n_jobs) for n_jobs in (1, 2, 3)]
    assert seen == [1, 2, 3]
    for r in results[1:]:
        assert r.samples.tobytes() == results[0].samples.tobytes()
    rtdkit.rtd(p, q, batch=50, trials=2, n_jobs=5)  # trials side by side first
    assert seen[-2:] == [2, 2]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_distances_that_overflow_are_refused_on_any_number_of_threads(n_jobs: int) -> None:
    p = np.random.default_rng(0).normal(size=(30, 3))
    p[4] = 1e200  # its distances to the others overflow float64
    with pytest.raises(rtdkit.RTDInputError, match="overflow float64"):
        rtdkit.rtd(p, p[:, :2], batch=None, n_jobs=n_jobs)
