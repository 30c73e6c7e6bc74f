"""Conformance checks for barcode engines and comparison measures.

In the spirit of scikit-learn's ``check_estimator``: :func:`check_engine` and
:func:`check_measure` test the written contract of a registered engine (see
:mod:`rtdkit.engines`) or measure (see :mod:`rtdkit.measures`) on small inputs, and raise an
``AssertionError`` naming the first clause that is broken. A third-party engine registered
with :func:`rtdkit.register_engine` can be checked the same way::

    rtdkit.register_engine("mine", my_engine, max_supported_dim=1, supports_edges=True,
                           description="...")
    rtdkit.testing.check_engine("mine")

Examples
--------
>>> check_engine("reference")
>>> check_measure("cka")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import FloatArray, RTDInputError
from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.engines import EngineInfo, get_engine
from rtdkit.measures import MEASURES, Measure

__all__ = ["check_engine", "check_measure"]

# The reference engine computes in float32; bars agree with it to this relative tolerance.
_RTOL = 1e-5


def _clouds(n: int = 24, seed: int = 0) -> tuple[FloatArray, FloatArray]:
    """Two related clouds with a few H1 bars between them."""
    rng = np.random.default_rng(seed)
    p = rng.normal(size=(n, 3))
    q = np.tanh(p @ rng.normal(size=(3, 2))) + 0.3 * rng.normal(size=(n, 2))
    return p, q


def _blocks(seed: int = 0) -> tuple[FloatArray, FloatArray]:
    p, q = _clouds(seed=seed)
    return cross_matrices(normalized_distances(p), normalized_distances(q))


def _fail(where: str, clause: str) -> AssertionError:
    return AssertionError(f"{where}: {clause}")


# --------------------------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------------------------


def check_engine(name: str) -> None:
    """Check that the engine ``name`` keeps the contract of :mod:`rtdkit.engines`.

    Bars: one ``(k, 2)`` float64 array per dimension ``0..maxdim``, finite, ``death > birth``,
    sorted by decreasing length, ``bars[0]`` empty; the same numbers on a second call; an
    empty barcode for identical clouds; the reference engine's bars within float32 rounding.
    With ``supports_edges``: one ``(k, 4)`` int64 array per dimension, vertices of the doubled
    matrix whose entries are each bar's birth and death.
    """
    info = get_engine(name)
    where = f"engine {info.name!r}"
    maxdim = min(info.max_supported_dim, 2)
    w, mu = _blocks()
    out = info.function(w, mu, maxdim=maxdim, return_edges=info.supports_edges, n_threads=1)
    _check_bars(out.bars, maxdim, where)
    again = info.function(w, mu, maxdim=maxdim, return_edges=False, n_threads=1)
    for d in range(maxdim + 1):
        if not np.array_equal(again.bars[d], out.bars[d]):
            raise _fail(where, f"two calls on the same input gave different H{d} bars")
    same = info.function(w, np.array(w), maxdim=maxdim, return_edges=False, n_threads=1)
    if any(len(b) for b in same.bars):
        raise _fail(where, "R-Cross-Barcode(P, P) must be empty (mu == w)")
    if info.supports_edges:
        if out.edges is None:
            raise _fail(where, "supports_edges=True but return_edges=True gave no edges")
        _check_edges(out.bars, out.edges, w, mu, where)
    if info.name != "reference":
        _check_against_reference(info, w, mu, maxdim, out.bars, where)


def _check_bars(bars: list[FloatArray], maxdim: int, where: str) -> None:
    if len(bars) != maxdim + 1:
        raise _fail(where, f"maxdim={maxdim} must give {maxdim + 1} arrays, got {len(bars)}")
    for d, b in enumerate(bars):
        if not isinstance(b, np.ndarray) or b.dtype != np.float64 or b.ndim != 2:
            raise _fail(where, f"bars[{d}] must be a (k, 2) float64 array")
        if b.shape[1] != 2 or not np.all(np.isfinite(b)) or not np.all(b[:, 1] > b[:, 0]):
            raise _fail(where, f"bars[{d}] must hold finite (birth, death) with death > birth")
        lengths = b[:, 1] - b[:, 0]
        if not np.all(np.diff(lengths) <= 0):
            raise _fail(where, f"bars[{d}] must be sorted by decreasing length")
    if len(bars[0]):
        raise _fail(where, "bars[0] must be empty (the infinite H0 bar is omitted)")
    if not any(len(b) for b in bars[1:]):
        raise _fail(where, "two unrelated clouds must give some bars in dimension >= 1")


def _check_edges(
    bars: list[FloatArray], edges: list[Any], w: FloatArray, mu: FloatArray, where: str
) -> None:
    n = len(w)
    doubled = np.block([[np.zeros_like(w), w], [w, mu]])
    for d, (b, e) in enumerate(zip(bars, edges, strict=True)):
        if not isinstance(e, np.ndarray) or e.dtype != np.int64 or e.shape != (len(b), 4):
            raise _fail(where, f"edges[{d}] must be a ({len(b)}, 4) int64 array")
        if len(e) and (e.min() < 0 or e.max() >= 2 * n):
            raise _fail(where, f"edges[{d}] must index the 2N = {2 * n} doubled vertices")
        values = np.stack([doubled[e[:, 0], e[:, 1]], doubled[e[:, 2], e[:, 3]]], axis=1)
        if not np.allclose(values, b, rtol=_RTOL, atol=_RTOL):
            raise _fail(where, f"edges[{d}] do not read back the bars' births and deaths")


def _check_against_reference(
    info: EngineInfo, w: FloatArray, mu: FloatArray, maxdim: int, bars: list[FloatArray], where: str
) -> None:
    reference = get_engine("reference")
    depth = min(maxdim, reference.max_supported_dim)
    expected = reference.function(w, mu, maxdim=depth, return_edges=False, n_threads=1).bars
    for d in range(1, depth + 1):
        got, want = np.sort(bars[d], axis=0), np.sort(expected[d], axis=0)
        if got.shape != want.shape or not np.allclose(got, want, rtol=_RTOL, atol=_RTOL):
            raise _fail(where, f"H{d} bars differ from the reference engine's")


# --------------------------------------------------------------------------------------------
# Measures
# --------------------------------------------------------------------------------------------


def check_measure(name: str) -> None:
    """Check that the measure ``name`` keeps the contract of :data:`rtdkit.measures.MEASURES`.

    A finite Python float; the same value on a second call; 0 as a dissimilarity for identical
    inputs; ``symmetric`` measures (and those whose call ``averages_directions``) equal both
    ways; :meth:`~rtdkit.measures.Measure.trial` gives one value per direction, which agree
    with the call (their mean for a symmetric measure or one that averages its directions, the
    forward one otherwise); a NaN in a representation (or predictions of
    different lengths) raises :class:`rtdkit.RTDInputError`.
    """
    if name not in MEASURES:
        raise _fail(f"measure {name!r}", "is not registered in rtdkit.measures.MEASURES")
    measure = MEASURES[name]
    where = f"measure {name!r}"
    if measure.kind not in ("similarity", "dissimilarity"):
        raise _fail(where, f"kind must be 'similarity' or 'dissimilarity', got {measure.kind!r}")
    x: NDArray[Any]
    y: NDArray[Any]
    if measure.inputs == "predictions":
        x, y = np.arange(30) % 3, (np.arange(30) // 2) % 3
    else:
        x, y = _clouds(n=40, seed=1)
    value = _finite(measure, x, y, where)
    if _finite(measure, x, y, where) != value:
        raise _fail(where, "two calls on the same input gave different values")
    if not abs(measure.dissimilarity(x, x)) <= 1e-9:
        raise _fail(where, "identical inputs must give dissimilarity 0")
    if _call_is_symmetric(measure) and not np.isclose(
        _finite(measure, y, x, where), value, rtol=1e-9
    ):
        raise _fail(where, "symmetric=True but measure(X, Y) != measure(Y, X)")
    if measure.inputs == "predictions":
        _check_refuses(lambda: measure(x, y[:-1]), where, "predictions of different lengths")
        return
    _check_trial(measure, x, y, where)
    bad = np.where(np.arange(x.size).reshape(x.shape) == 0, np.nan, x)
    _check_refuses(lambda: measure(bad, y), where, "a NaN in a representation")


def _call_is_symmetric(measure: Measure) -> bool:
    """Whether ``measure(X, Y)`` must equal ``measure(Y, X)``: the measure is symmetric, or its
    call averages both directions (RTD's default ``symmetric=True``)."""
    return measure.symmetric or measure.averages_directions


def _finite(measure: Measure, x: Any, y: Any, where: str) -> float:
    value = measure(x, y)
    if not isinstance(value, float) or not np.isfinite(value):
        raise _fail(where, f"must return a finite Python float, got {value!r}")
    return value


def _check_trial(measure: Measure, x: NDArray[Any], y: NDArray[Any], where: str) -> None:
    values = measure.trial(x, y)
    if len(values) != len(measure.directions) or not all(isinstance(v, float) for v in values):
        raise _fail(where, f"trial() must give one float per direction {measure.directions}")
    # A symmetric call's value is the mean of its directions; otherwise the forward one.
    combined = float(np.mean(values)) if _call_is_symmetric(measure) else values[0]
    if not np.isclose(combined, measure(x, y), rtol=1e-12, atol=1e-12):
        raise _fail(where, "trial() on all the (few) points must agree with the measure itself")


def _check_refuses(call: Callable[[], Any], where: str, what: str) -> None:
    try:
        call()
    except RTDInputError:
        return
    raise _fail(where, f"{what} must raise rtdkit.RTDInputError")
