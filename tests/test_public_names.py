"""Public names the review found untested: each checked against an independent computation.

``register_engine`` (with the ``Engine`` protocol and ``EngineOutput``), ``rtd_trial``,
``critical_identity``, ``plot_barcode`` and ``io.read_if_path``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import rtdkit
from rtdkit import engines
from rtdkit.critical import critical_identity
from rtdkit.distances import normalized_distances
from rtdkit.divergence import rtd_trial
from rtdkit.engines import EngineMatrix, EngineOutput
from rtdkit.engines.reference import doubled_matrix
from rtdkit.io import read_if_path
from rtdkit.plot import plot_barcode
from rtdkit.testing import check_engine


def _pair(n: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.normal(size=(n, 3))
    return p, np.c_[p[:, :1], rng.normal(size=(n, 2))]


# --------------------------------------------------------------------------- register_engine


def _doubled_matrix_engine(
    w: EngineMatrix,
    mu: EngineMatrix,
    *,
    maxdim: int,
    return_edges: bool = False,
    n_threads: int = 1,
) -> EngineOutput:
    """A toy third-party engine: Rips persistence of eq. (2)'s doubled matrix with ripser,
    another library than the reference engine's giotto-ph; no critical edges."""
    from ripser import ripser

    diagrams = ripser(doubled_matrix(w, mu), maxdim=maxdim, distance_matrix=True)["dgms"]
    bars = []
    for diagram in diagrams:
        finite = np.asarray(diagram, dtype=np.float64)
        finite = finite[np.isfinite(finite[:, 1])]
        bars.append(engines.sort_bars(finite, None)[0])
    return EngineOutput(bars=bars)


@pytest.fixture
def toy_engine(monkeypatch: pytest.MonkeyPatch) -> str:
    # A private copy of the registry, so the toy engine leaves with the test.
    monkeypatch.setattr(engines, "_REGISTRY", dict(engines._REGISTRY))
    rtdkit.register_engine(
        "toy",
        _doubled_matrix_engine,
        max_supported_dim=1,
        supports_edges=False,
        description="the doubled matrix with ripser (a test engine)",
    )
    return "toy"


def test_a_registered_engine_is_listed_checked_and_used(toy_engine: str) -> None:
    assert toy_engine in rtdkit.available_engines()
    check_engine(toy_engine)
    p, q = _pair()
    mine = rtdkit.cross_barcode(p, q, engine=toy_engine)
    reference = rtdkit.cross_barcode(p, q, engine="reference")
    assert mine[1] == pytest.approx(reference[1], rel=1e-5)
    assert rtdkit.rtd(p, q, batch=None, engine=toy_engine).value == pytest.approx(
        rtdkit.rtd(p, q, batch=None, engine="reference").value, rel=1e-5
    )


def test_a_registered_engine_without_edges_refuses_return_edges(toy_engine: str) -> None:
    p, q = _pair()
    with pytest.raises(rtdkit.RTDInputError, match="toy"):
        rtdkit.cross_barcode(p, q, engine=toy_engine, return_edges=True)


# --------------------------------------------------------------------------------- rtd_trial


def test_rtd_trial_is_both_directions_of_the_barcode_total() -> None:
    p, q = _pair(seed=1)
    forward, backward = rtd_trial(p, q, method="barcode", engine="reference")
    assert forward == pytest.approx(rtdkit.cross_barcode(p, q, engine="reference").total_length(1))
    assert backward == pytest.approx(rtdkit.cross_barcode(q, p, engine="reference").total_length(1))
    assert forward != pytest.approx(backward)  # a pair where the direction matters
    identity = rtd_trial(p, q)  # the default: the exact identity, no bars
    assert identity == pytest.approx((forward, backward), rel=1e-5)


def test_rtd_trial_one_direction_and_rtd_agree() -> None:
    p, q = _pair(seed=2)
    forward, backward = rtd_trial(p, q, symmetric=False)
    assert np.isnan(backward)
    assert rtdkit.rtd(p, q, batch=None, symmetric=False).value == pytest.approx(forward)
    assert rtdkit.rtd(p, q, batch=None).value == pytest.approx(np.mean(rtd_trial(p, q)))


# ------------------------------------------------------------------------- critical_identity


def test_critical_identity_reads_back_rtd_in_both_directions() -> None:
    p, q = _pair(seed=3)
    w, wt = normalized_distances(p), normalized_distances(q)
    forward, backward = critical_identity(w, wt)
    assert backward is not None
    want = rtd_trial(p, q, method="barcode", engine="reference")
    assert (forward.value, backward.value) == pytest.approx(want, rel=1e-5)
    # The signed entries it names add up to the value (backward: roles swapped).
    assert np.sum(forward.sign * forward.read(w, wt)) == pytest.approx(forward.value, rel=1e-5)
    assert np.sum(backward.sign * backward.read(wt, w)) == pytest.approx(backward.value, rel=1e-5)
    only, none = critical_identity(w, wt, symmetric=False)
    assert none is None and only.value == forward.value


def test_critical_identity_refuses_mismatched_matrices() -> None:
    w = normalized_distances(_pair()[0])
    with pytest.raises(rtdkit.RTDInputError):
        critical_identity(w, w[:-1, :-1])


# ------------------------------------------------------------------------------ plot_barcode


def _segments(ax: Any) -> np.ndarray:
    return np.concatenate([np.asarray(c.get_segments()) for c in ax.collections])


def test_plot_barcode_draws_each_bar_once_from_birth_to_death() -> None:
    import matplotlib.pyplot as plt

    p, q = _pair(seed=4)
    barcode = rtdkit.cross_barcode(p, q)
    ax = plot_barcode(barcode)
    segments = _segments(ax)
    want = np.sort(barcode[1], axis=0)
    assert len(segments) == len(barcode[1]) > 0
    assert np.allclose(np.sort(segments[:, 0, 0]), want[:, 0])
    assert np.allclose(np.sort(segments[:, 1, 0]), want[:, 1])
    assert f"RTD1 = {barcode.total_length(1):.3f}" in ax.get_title()
    plt.close(ax.figure)


def test_plot_barcode_says_when_empty() -> None:
    import matplotlib.pyplot as plt

    p = _pair()[0]
    ax = plot_barcode(rtdkit.cross_barcode(p, 2 * p))
    assert not ax.collections
    assert [t.get_text() for t in ax.texts] == ["empty barcode"]
    plt.close(ax.figure)


# ------------------------------------------------------------------------------ read_if_path


def test_read_if_path_reads_paths_and_passes_anything_else(tmp_path: Path) -> None:
    p, q = _pair(seed=5)
    np.save(tmp_path / "p.npy", p)
    np.savez(tmp_path / "both.npz", q=q)
    assert np.array_equal(read_if_path(str(tmp_path / "p.npy")), p)
    assert np.array_equal(read_if_path(tmp_path / "p.npy"), p)  # os.PathLike
    assert np.array_equal(read_if_path(f"{tmp_path / 'both.npz'}:q"), q)
    assert read_if_path(p) is p
    listed = [[1.0, 2.0]]
    assert read_if_path(listed) is listed
    # rtd takes file names through it: the same value as on the arrays.
    by_name = rtdkit.rtd(str(tmp_path / "p.npy"), f"{tmp_path / 'both.npz'}:q", batch=None)
    assert by_name.value == rtdkit.rtd(p, q, batch=None).value


def test_read_if_path_never_loads_a_pickle(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(rtdkit.RTDInputError, match="pickle"):
        read_if_path(str(tmp_path / "obj.npy"))
