"""What an engine is: the types every engine module shares, below the registry.

The built-in engines (:mod:`rtdkit.engines.cone`, :mod:`rtdkit.engines.reference`) and the
score module import from here, and the registry (:mod:`rtdkit.engines`) imports them: so the
import graph has no circle.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import FloatArray

__all__ = [
    "Engine",
    "EngineInfo",
    "EngineMatrix",
    "EngineOutput",
    "NativeEngineMissingError",
    "import_native",
    "sort_bars",
]

# w and mu as engines receive them: float64, or float32 already rounded (see above).
EngineMatrix = NDArray[np.floating[Any]]


@dataclass(frozen=True)
class EngineOutput:
    """What an engine returns: bars (and optionally critical edges) for dimensions
    ``0..maxdim``, following the conventions of :mod:`rtdkit.engines`."""

    bars: list[FloatArray]
    edges: list[NDArray[np.int64]] | None = None


class Engine(Protocol):
    """The call signature of an engine: ``engine(w, mu, *, maxdim, return_edges, n_threads)``
    returns an :class:`EngineOutput` (an engine that reports progress also takes
    ``progress=callback(done, total)``)."""

    def __call__(
        self,
        w: EngineMatrix,
        mu: EngineMatrix,
        *,
        maxdim: int,
        return_edges: bool = False,
        n_threads: int = 1,
    ) -> EngineOutput: ...


@dataclass(frozen=True)
class EngineInfo:
    """An engine and what it supports, as the registry keeps it."""

    name: str
    function: Engine
    max_supported_dim: int
    supports_edges: bool
    description: str
    # Peak memory of cross_barcode with this engine, in bytes per N², for the up-front check;
    # None: unknown (only the float32 matrices, 8 bytes per N², are checked).
    bytes_per_n2: float | None = None
    # The engine function takes ``progress=callback(done, total)`` (long barcodes report).
    supports_progress: bool = False


class NativeEngineMissingError(ImportError):
    """A compiled module of rtdkit (``rtdkit.engines._cone``, ``_score``) cannot be loaded."""


def import_native(module: str, *, meanwhile: str) -> ModuleType:
    """Import the compiled module ``rtdkit.engines.<module>``, or say how to build it."""
    try:
        return importlib.import_module(f"rtdkit.engines.{module}")
    except ImportError as exc:
        raise NativeEngineMissingError(
            f"the native module rtdkit.engines.{module} could not be imported: {exc}. It is "
            "built when rtdkit is installed: run `pip install -e .` (or `pip install .`) in the "
            "rtdkit checkout, which needs a C++17 compiler; cmake, ninja, nanobind and "
            f"scikit-build-core come from PyPI. Meanwhile use {meanwhile}."
        ) from exc


def sort_bars(
    bars: FloatArray, edges: NDArray[np.int64] | None
) -> tuple[FloatArray, NDArray[np.int64] | None]:
    """Drop zero-length bars and order by decreasing length (then birth, then death)."""
    keep = bars[:, 1] > bars[:, 0]
    bars = bars[keep]
    order = np.lexsort((bars[:, 1], bars[:, 0], -(bars[:, 1] - bars[:, 0])))
    bars = np.ascontiguousarray(bars[order], dtype=np.float64)
    if edges is not None:
        edges = np.ascontiguousarray(edges[keep][order], dtype=np.int64)
    return bars, edges
