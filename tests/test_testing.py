"""The conformance kit passes on every registered engine and measure, and catches breakage."""

from __future__ import annotations

import numpy as np
import pytest

import rtdkit
from rtdkit.engines import _REGISTRY, EngineOutput, get_engine
from rtdkit.measures import MEASURES, Measure
from rtdkit.testing import check_engine, check_measure


@pytest.mark.parametrize("name", rtdkit.available_engines())
def test_every_engine_keeps_the_contract(name: str) -> None:
    check_engine(name)


@pytest.mark.parametrize("name", list(MEASURES))
def test_every_measure_keeps_the_contract(name: str) -> None:
    check_measure(name)


def _register(monkeypatch: pytest.MonkeyPatch, name: str, function: object) -> None:
    monkeypatch.setitem(
        _REGISTRY,
        name,
        rtdkit.engines.EngineInfo(name, function, 1, True, "broken on purpose"),  # type: ignore[arg-type]
    )


def test_an_engine_with_unsorted_bars_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    reference = get_engine("reference").function

    def reversed_bars(w, mu, *, maxdim, return_edges=False, n_threads=1):  # type: ignore[no-untyped-def]
        out = reference(w, mu, maxdim=maxdim, return_edges=return_edges, n_threads=n_threads)
        edges = None if out.edges is None else [e[::-1] for e in out.edges]
        return EngineOutput([b[::-1] for b in out.bars], edges)

    _register(monkeypatch, "reversed", reversed_bars)
    with pytest.raises(AssertionError, match="sorted by decreasing length"):
        check_engine("reversed")


def test_an_engine_with_wrong_edges_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    reference = get_engine("reference").function

    def shifted_edges(w, mu, *, maxdim, return_edges=False, n_threads=1):  # type: ignore[no-untyped-def]
        out = reference(w, mu, maxdim=maxdim, return_edges=return_edges, n_threads=n_threads)
        edges = None if out.edges is None else [(e + 1) % (2 * len(w)) for e in out.edges]
        return EngineOutput(out.bars, edges)

    _register(monkeypatch, "shifted", shifted_edges)
    with pytest.raises(AssertionError, match="do not read back"):
        check_engine("shifted")


def test_a_measure_that_is_not_symmetric_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def lopsided(x: np.ndarray, y: np.ndarray) -> float:
        rtdkit.baselines.cka(x, y)  # the usual input checks
        return float(np.mean(x) - np.mean(y))

    broken = Measure("lopsided", lopsided, "dissimilarity", True, "representations", "L", "")
    monkeypatch.setitem(MEASURES, "lopsided", broken)
    with pytest.raises(AssertionError, match="symmetric=True"):
        check_measure("lopsided")
