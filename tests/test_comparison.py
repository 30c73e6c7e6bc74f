"""One comparison protocol: every measure on the same subsamples, averaged as rtd() does."""

from __future__ import annotations

import numpy as np
import pytest

import rtdkit
from rtdkit import RTDInputError
from rtdkit.comparison import compare, representation_measure, trial_values
from rtdkit.divergence import subsample_indices
from rtdkit.measures import MEASURES

RNG = np.random.default_rng(3)
X = RNG.normal(size=(120, 5))
Y = np.tanh(X @ RNG.normal(size=(5, 3))) + 0.1 * RNG.normal(size=(120, 3))


@pytest.mark.parametrize("symmetric", [True, False])
def test_rtd_through_the_comparison_is_rtd_bit_for_bit(symmetric: bool) -> None:
    got = compare(X, Y, ["rtd"], batch=40, trials=4, seed=9, symmetric=symmetric)["rtd"]
    assert got == rtdkit.rtd(X, Y, batch=40, trials=4, seed=9, symmetric=symmetric).value


def test_every_measure_sees_the_same_subsets() -> None:
    sets = subsample_indices(len(X), 40, 3, 2)
    todo = {"cka": range(3), "pwcca": [1]}
    got = list(trial_values(X, Y, sets, todo))
    assert [(m, t) for m, t, _ in got] == [("cka", 0), ("cka", 1), ("cka", 2), ("pwcca", 1)]
    for name, t, values in got:
        x, y = X[sets[t]], Y[sets[t]]
        expected = (MEASURES[name](x, y),)
        if name == "pwcca":  # asymmetric: both directions
            expected = (*expected, MEASURES[name](y, x))
        assert values == expected


def test_similarities_become_dissimilarities_trial_by_trial() -> None:
    sets = subsample_indices(len(X), 40, 3, 0)
    per_trial = [1.0 - MEASURES["cka"](X[s], Y[s]) for s in sets]
    got = compare(X, Y, ["cka"], batch=40, trials=3, seed=0, dissimilarity=True)["cka"]
    assert got == float(np.mean(per_trial))


def test_only_representation_measures_are_accepted() -> None:
    with pytest.raises(RTDInputError, match="compares predictions"):
        representation_measure("disagreement")
    with pytest.raises(RTDInputError, match="measure must be one of"):
        representation_measure("nope")
