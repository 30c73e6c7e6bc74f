"""pairwise(..., shuffles=k): a relative matrix beside each raw one, stored with the pair."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

import rtdkit
from conftest import cloud_view_noise
from rtdkit.allpairs import pair_seed


@pytest.fixture(scope="module")
def reps() -> dict[str, np.ndarray]:
    return cloud_view_noise(100, 5, ("x", "view", "noise"))


OPTIONS = {"batch": 40, "trials": 3, "n_jobs": 1}


def test_relative_matrices_match_rtd_with_shuffles(reps: dict[str, np.ndarray]) -> None:
    m = rtdkit.pairwise(reps, ["rtd", "cka", "imd"], shuffles=2, **OPTIONS)
    assert list(m) == ["rtd", "cka", "imd", "relative rtd", "relative cka"]
    relative = m["relative rtd"]
    assert relative.attrs["relative"] and relative.attrs["shuffles"] == 2
    assert np.all(np.diag(relative.values) == 0.0)
    assert np.array_equal(relative.values, relative.values.T)
    for a, b in [("noise", "x"), ("view", "x"), ("noise", "view")]:  # a < b: the stored order
        r = rtdkit.rtd(reps[a], reps[b], batch=40, trials=3, seed=pair_seed(0, a, b), shuffles=2)
        assert relative.loc[a, b] == r.relative
        assert m["rtd"].loc[a, b] == r.value
    assert relative.loc["view", "x"] < relative.loc["noise", "x"]
    assert abs(m["relative cka"].loc["noise", "x"] - 1.0) < 0.1


def test_shuffles_are_stored_and_extended_on_a_rerun(
    reps: dict[str, np.ndarray], tmp_path: Path
) -> None:
    store = tmp_path / "study.sqlite"
    first = rtdkit.pairwise(reps, ["rtd"], store=store, shuffles=1, **OPTIONS)
    more = rtdkit.pairwise(reps, ["rtd"], store=store, shuffles=3, **OPTIONS)
    fresh = rtdkit.pairwise(reps, ["rtd"], shuffles=3, **OPTIONS)
    assert np.array_equal(more["relative rtd"].values, fresh["relative rtd"].values)
    assert np.array_equal(first["rtd"].values, more["rtd"].values)
    with sqlite3.connect(store) as con:
        names = {row[0] for row in con.execute("SELECT DISTINCT measure FROM results")}
    assert names == {"rtd", "rtd~shuffle1", "rtd~shuffle2", "rtd~shuffle3"}


def test_directional_relative_matrix(reps: dict[str, np.ndarray]) -> None:
    m = rtdkit.pairwise(reps, ["rtd"], shuffles=2, symmetric=False, **OPTIONS)
    relative = m["relative rtd"]
    assert relative.loc["noise", "x"] != relative.loc["x", "noise"]


def test_negative_shuffles_are_refused(reps: dict[str, np.ndarray]) -> None:
    with pytest.raises(rtdkit.RTDInputError, match="shuffles"):
        rtdkit.pairwise(reps, ["rtd"], shuffles=-1, **OPTIONS)
