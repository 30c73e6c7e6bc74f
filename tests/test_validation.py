"""Bad input: every case raises RTDInputError naming the argument and the fix."""

from __future__ import annotations

import numpy as np
import pytest

import rtdkit

RNG = np.random.default_rng(0)
P = RNG.normal(size=(20, 3))
Q = RNG.normal(size=(20, 4))


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((P, Q[:19]), {}, "20 points but Q has 19"),
        ((P[:2], Q[:2]), {}, "at least 3"),
        ((np.where(P > 1, np.nan, P), Q), {}, "NaN or infinite"),
        ((np.where(P > 1, np.inf, P), Q), {}, "NaN or infinite"),
        ((P.ravel(), Q), {}, "must be 2-D"),
        ((P[None], Q), {}, "must be 2-D"),
        ((np.array([["a", "b"]] * 5), Q[:5]), {}, "must hold numbers"),
        ((np.ones((20, 3)), Q), {}, "quantile of P's pairwise distances is 0"),
        ((P, Q), {"batch": 2}, "batch must be >= 3"),
        ((P, Q), {"trials": 0}, "trials must be >= 1"),
        ((P, Q), {"trials": 2.5}, "trials must be an integer"),
        ((P, Q), {"engine": "nope"}, "unknown engine 'nope'"),
        ((P, Q), {"metric": "nope"}, "metric must be one of"),
        ((P, Q), {"normalize": "median"}, "normalize must be"),
        ((P, Q), {"normalize": 1.5}, r"in \(0, 1\]"),
        ((P, Q), {"dim": -1}, "dim must be >= 1"),
        ((P, Q), {"dim": 9}, "above what engine"),
        ((P, Q), {"n_jobs": 0}, "n_jobs must be"),
        ((P, Q), {"symmetric": "yes"}, "symmetric must be"),
        ((P, P), {"metric": "precomputed"}, "square N x N"),
        ((np.zeros((4, 4)) - 1, np.zeros((4, 4))), {"metric": "precomputed"}, "negative"),
        (
            (np.triu(np.ones((4, 4)), 1), np.zeros((4, 4))),
            {"metric": "precomputed"},
            "not symmetric",
        ),
        ((np.ones((4, 4)), np.ones((4, 4))), {"metric": "precomputed"}, "non-zero diagonal"),
    ],
)
def test_bad_input_raises_clear_error(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(rtdkit.RTDInputError, match=match):
        rtdkit.rtd(*args, **kwargs)


def test_errors_are_value_errors_and_type_errors_are_both() -> None:
    assert issubclass(rtdkit.RTDInputError, ValueError)
    assert issubclass(rtdkit.RTDTypeError, TypeError)
    with pytest.raises(TypeError):
        rtdkit.rtd(P, Q, trials="3")


def test_cross_barcode_options_validated() -> None:
    with pytest.raises(rtdkit.RTDInputError, match="maxdim must be >= 0"):
        rtdkit.cross_barcode(P, Q, maxdim=-1)
    with pytest.raises(rtdkit.RTDInputError, match="dim=3 was not computed"):
        rtdkit.cross_barcode(P, Q)[3]


def test_cosine_with_zero_row_is_reported() -> None:
    p = P.copy()
    p[0] = 0.0
    with pytest.raises(rtdkit.RTDInputError, match="cosine"):
        rtdkit.rtd(p, Q, metric="cosine")


def test_inputs_are_not_modified() -> None:
    p, q = P.copy(), Q.copy()
    rtdkit.rtd(p, q, batch=10, trials=2)
    np.testing.assert_array_equal(p, P)
    np.testing.assert_array_equal(q, Q)


def test_n_jobs_follows_scikit_learn() -> None:
    from rtdkit._validation import check_n_jobs

    assert check_n_jobs(None) == 1 and check_n_jobs(3) == 3 and check_n_jobs(-1) >= 1
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(rtdkit.RTDInputError, match="n_jobs must be"):
            check_n_jobs(bad)
