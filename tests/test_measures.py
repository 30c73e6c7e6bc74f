"""rtdkit.measures: the registry's metadata is true of its measures, and registration works."""

from __future__ import annotations

import numpy as np
import pytest

from rtdkit import RTDInputError, RTDTypeError, rtd
from rtdkit._validation import as_float_matrix
from rtdkit.measures import MEASURES, Measure, register_measure
from rtdkit.testing import check_measure


def test_rtd_is_registered_as_the_directional_divergence_it_is() -> None:
    rng = np.random.default_rng(4)
    p = rng.normal(size=(40, 3))
    q = np.c_[p[:, :1], rng.normal(size=(40, 1))]
    forward = rtd(p, q, batch=None, symmetric=False).value
    backward = rtd(q, p, batch=None, symmetric=False).value
    entry = MEASURES["rtd"]
    assert forward != pytest.approx(backward)  # so symmetric=True would be false
    assert not entry.symmetric and entry.averages_directions
    # The call averages the two directions, as rtdkit.rtd does by default...
    assert entry(p, q, batch=None) == pytest.approx((forward + backward) / 2)
    # ... and one subsample reports both, in the order of `directions`.
    assert entry.trial(p, q) == pytest.approx((forward, backward))
    assert entry.directions == ("forward", "backward")


@pytest.mark.parametrize("name", ["cka", "svcca", "imd"])
def test_measures_registered_as_symmetric_are(name: str) -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(50, 4)), rng.normal(size=(50, 3))
    assert MEASURES[name].symmetric
    assert MEASURES[name](x, y) == pytest.approx(MEASURES[name](y, x), rel=1e-9)


def test_pwcca_registered_as_asymmetric_is() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(60, 4))
    y = np.c_[x[:, :1], rng.normal(size=(60, 2))]
    assert not MEASURES["pwcca"].symmetric
    assert MEASURES["pwcca"](x, y) != pytest.approx(MEASURES["pwcca"](y, x))


def _mean_gap(X: np.ndarray, Y: np.ndarray) -> float:
    x, y = as_float_matrix(X, "X"), as_float_matrix(Y, "Y")  # refuses NaN, as the contract asks
    return float(abs(np.mean(x) - np.mean(y)))


def test_a_registered_measure_keeps_the_contract_and_can_be_removed() -> None:
    toy = Measure(name="toy_mean_gap", function=_mean_gap, kind="dissimilarity",
                  symmetric=True, inputs="representations", label="|Δ mean|",
                  description="difference of the overall means")  # fmt: skip
    register_measure(toy)
    try:
        check_measure("toy_mean_gap")
        assert MEASURES["toy_mean_gap"](np.zeros((3, 2)), np.full((3, 2), 2.0)) == 2.0
        with pytest.raises(RTDInputError, match="already registered; pass replace=True"):
            register_measure(toy)
        register_measure(toy, replace=True)
    finally:
        del MEASURES["toy_mean_gap"]


def test_register_measure_refuses_what_is_not_a_measure() -> None:
    with pytest.raises(RTDTypeError, match=r"must be a rtdkit\.measures\.Measure"):
        register_measure(_mean_gap)  # type: ignore[arg-type]
    bad = Measure(name="bad", function=_mean_gap, kind="distance",  # type: ignore[arg-type]
                  symmetric=True, inputs="representations", label="x", description="x")  # fmt: skip
    with pytest.raises(RTDInputError, match="'similarity' or 'dissimilarity'"):
        register_measure(bad)
    assert "bad" not in MEASURES
