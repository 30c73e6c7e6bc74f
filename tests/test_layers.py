"""Layer x layer matrices without torch: the same subsamples for every measure and cell."""

from __future__ import annotations

import numpy as np
import pytest

import rtdkit
from rtdkit import RTDInputError
from rtdkit.baselines import cka
from rtdkit.divergence import subsample_indices
from rtdkit.layers import compare_layers

RNG = np.random.default_rng(11)
X = RNG.normal(size=(150, 6))
REPS = {"in": X, "mid": np.tanh(X @ RNG.normal(size=(6, 4))), "out": X[:, :2] ** 2}


def test_cells_equal_rtd_and_cka_on_the_same_subsets() -> None:
    scores = compare_layers(REPS, batch=60, trials=3, seed=4)
    cell = rtdkit.rtd(REPS["in"], REPS["out"], batch=60, trials=3, seed=4).value
    assert scores["rtd"].loc["in", "out"] == cell
    sets = subsample_indices(150, 60, 3, 4)
    expected = float(np.mean([cka(REPS["mid"][s], REPS["out"][s]) for s in sets]))
    assert scores["cka"].loc["mid", "out"] == expected
    np.testing.assert_array_equal(scores["rtd"].to_numpy(), scores["rtd"].to_numpy().T)


def test_asymmetric_rtd_is_not_mirrored() -> None:
    scores = compare_layers(REPS, measures="rtd", batch=None, symmetric=False)["rtd"]
    forward = rtdkit.rtd(REPS["in"], REPS["out"], batch=None, symmetric=False).value
    backward = rtdkit.rtd(REPS["out"], REPS["in"], batch=None, symmetric=False).value
    assert (scores.loc["in", "out"], scores.loc["out", "in"]) == (forward, backward)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"measure_options": {"rtd": {"dim": 2}}}, "compare_layers\\(\\)'s own arguments"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"n_jobs": 0}, "n_jobs must be a positive integer"),
        ({"dim": 9}, "above what engine"),
        ({"metric": "precomputed"}, "compares feature arrays"),
        ({"batch": 2}, "batch must be >= 3"),
        ({"symmetric": "yes"}, "symmetric must be True or False"),
    ],
)
def test_options_are_checked_before_any_cell(kwargs: dict, match: str) -> None:
    with pytest.raises(RTDInputError, match=match):
        compare_layers(REPS, **kwargs)


def test_two_models_with_the_same_layer_names_and_different_sizes() -> None:
    shorter = {name: x[:100] for name, x in REPS.items()}
    with pytest.raises(RTDInputError, match=r"reps_b\['in'\]: 100.*max_samples"):
        compare_layers(REPS, shorter, measures="cka", batch=None)


def test_cross_model_heatmaps_name_their_rows_and_columns() -> None:
    import matplotlib

    matplotlib.use("Agg")
    from rtdkit.layers import plot_layers

    scores = compare_layers(REPS, {"a": X, "b": X**2}, measures="cka", batch=None)
    ax = plot_layers(scores, names=("ResNet", "VGG")).axes[0]
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("ResNet layer", "VGG layer")
    assert ax.get_title() == "1 − CKA"
    assert [t.get_text() for t in ax.get_yticklabels()] == list(REPS)
