"""Pluggable engines that compute an R-Cross-Barcode from the two distance blocks.

An engine is a function ``engine(w, mu, *, maxdim, return_edges, n_threads) -> EngineOutput``
where ``w`` is the normalised N x N distance matrix of P and ``mu = min(w, w_tilde)``
(see :func:`rtdkit.distances.cross_matrices`), both float64, or both float32 already rounded
as the engines round them (:func:`rtdkit.distances.cross_matrices_f32`, which
:func:`rtdkit.cross_barcode` uses to save memory). Every engine must return exactly the barcode of
the Vietoris–Rips filtration of the paper's doubled matrix ``[[0, w], [w, mu]]`` (eq. 2).

Conventions shared by all engines
---------------------------------
* ``bars[d]`` is a ``(k, 2)`` float64 array of finite ``(birth, death)`` pairs with
  ``death > birth``, sorted by decreasing length (ties: by birth, then death).
  Zero-length pairs are dropped. The single infinite H0 bar (the whole complex is connected at
  0, because every ``A'`` is joined to ``A`` and to every ``B'`` at 0) is omitted, so ``bars[0]``
  is always empty: the R-Cross-Barcode lives in dimension >= 1.
* ``edges[d]`` (only with ``return_edges=True``) is a ``(k, 4)`` int64 array: the vertex pair of
  the edge whose value is the bar's birth and the pair whose value is its death, in the indexing
  of the doubled matrix: ``0..N-1`` are the copies ``A'`` and ``N..2N-1`` the originals ``A``.
  So a pair ``(i, N + j)`` means the entry ``w[i, j]`` and ``(N + i, N + j)`` means ``mu[i, j]``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import FloatArray, RTDInputError

# w and mu as engines receive them: float64, or float32 already rounded (see above).
EngineMatrix = NDArray[np.floating[Any]]


@dataclass(frozen=True)
class EngineOutput:
    """Bars (and optionally critical edges) for dimensions ``0..maxdim``."""

    bars: list[FloatArray]
    edges: list[NDArray[np.int64]] | None = None


class Engine(Protocol):
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


_REGISTRY: dict[str, EngineInfo] = {}


def register_engine(
    name: str,
    function: Engine,
    *,
    max_supported_dim: int,
    supports_edges: bool,
    description: str,
    bytes_per_n2: float | None = None,
    supports_progress: bool = False,
) -> None:
    """Add an engine to the registry (third-party engines may call this too)."""
    _REGISTRY[name] = EngineInfo(
        name,
        function,
        max_supported_dim,
        supports_edges,
        description,
        bytes_per_n2,
        supports_progress,
    )


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


def _load_builtin(name: str) -> None:
    # Engines import their heavy dependencies lazily so ``import rtdkit`` stays fast.
    if name == "reference":
        from rtdkit.engines import reference  # noqa: F401
    elif name == "cone":
        # raises NativeEngineMissingError (an ImportError) if the C++ module was not built
        from rtdkit.engines import cone  # noqa: F401


BUILTIN_ENGINES = ("reference", "cone")
DEFAULT_ENGINE = "cone"


def available_engines() -> list[str]:
    """Names accepted by the ``engine=`` option."""
    return sorted(set(BUILTIN_ENGINES) | set(_REGISTRY))


def get_engine(name: str | None) -> EngineInfo:
    """Look an engine up by name; ``None`` means the default engine."""
    name = DEFAULT_ENGINE if name is None else name
    if not isinstance(name, str):
        raise RTDInputError(f"engine must be a string, got {name!r}")
    if name not in _REGISTRY and name in BUILTIN_ENGINES:
        _load_builtin(name)
    if name not in _REGISTRY:
        raise RTDInputError(
            f"unknown engine {name!r}; choose one of {', '.join(available_engines())}"
        )
    return _REGISTRY[name]


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
