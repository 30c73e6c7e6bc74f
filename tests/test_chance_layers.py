"""compare_layers and plot_layers beside the chance level (shuffles > 0)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import rtdkit
from conftest import cloud_view_noise
from rtdkit.layers import compare_layers, plot_layers


@pytest.fixture(scope="module")
def layers() -> dict[str, np.ndarray]:
    return cloud_view_noise(120, 6, ("in", "hidden", "noise"))


def test_relative_matrices_sit_beside_the_raw_ones(layers: dict[str, np.ndarray]) -> None:
    options = {"batch": 60, "trials": 3, "seed": 2}
    plain = compare_layers(layers, measures=("rtd", "cka", "imd"), **options)
    scores = compare_layers(layers, measures=("rtd", "cka", "imd"), shuffles=3, **options)
    assert set(scores) == {"rtd", "cka", "imd", "relative rtd", "relative cka"}  # not IMD
    for name in ("rtd", "cka", "imd"):
        assert np.allclose(scores[name].values, plain[name].values, rtol=1e-12, atol=1e-12)
    relative = scores["relative rtd"]
    assert relative.attrs == {"measure": "rtd", "cross": False, "relative": True, "shuffles": 3}
    assert np.allclose(relative.values, relative.values.T)  # mirrored like the raw matrix
    # each cell is rtd(row, column, shuffles=3).relative on the same subsamples
    expected = rtdkit.rtd(layers["in"], layers["noise"], shuffles=3, **options)
    assert relative.loc["in", "noise"] == pytest.approx(expected.relative, rel=1e-9)
    assert abs(relative.loc["in", "noise"] - 1.0) < 0.1
    assert relative.loc["in", "hidden"] < relative.loc["in", "noise"]
    assert np.all(np.diag(relative.values) == 0.0)


def test_plot_layers_draws_relative_panels(layers: dict[str, np.ndarray]) -> None:
    scores = compare_layers(layers, measures=("rtd", "cka"), batch=None, shuffles=2)
    fig = plot_layers({k: v for k, v in scores.items() if k.startswith("relative")})
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["relative RTD", "relative 1 − CKA"]
