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

from rtdkit._validation import RTDInputError
from rtdkit.engines._api import (
    Engine,
    EngineInfo,
    EngineMatrix,
    EngineOutput,
    NativeEngineMissingError,
    import_native,
    sort_bars,
)

__all__ = [
    "BUILTIN_ENGINES",
    "DEFAULT_ENGINE",
    "Engine",
    "EngineInfo",
    "EngineMatrix",
    "EngineOutput",
    "NativeEngineMissingError",
    "available_engines",
    "get_engine",
    "import_native",
    "register_engine",
    "sort_bars",
]

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
    """Add an engine to the registry, under ``name`` (third-party engines call this too).

    Parameters
    ----------
    name : str
        The name users pass as ``engine=``; an existing name is replaced.
    function : Engine
        ``function(w, mu, *, maxdim, return_edges=False, n_threads=1)`` returning an
        :class:`EngineOutput` with ``bars[d]`` for ``d = 0..maxdim`` (and ``edges[d]`` when
        ``return_edges``), following the conventions of this module's docstring; it must
        return exactly the barcode of the paper's doubled matrix.
    max_supported_dim : int
        The highest homology dimension it computes.
    supports_edges : bool
        Whether it can return critical edges (``return_edges=True``).
    description : str
        One line for ``rtdkit engines``.
    bytes_per_n2 : float, optional
        Its peak memory per N² for the up-front memory check (None: unknown).
    supports_progress : bool, default False
        Whether it takes ``progress=callback(done, total)``; such an engine should call it
        about every 0.2 s, which also lets a cancelled map stop it
        (:func:`rtdkit._parallel.engine_callback`).

    Examples
    --------
    >>> import rtdkit
    >>> def my_engine(w, mu, *, maxdim, return_edges=False, n_threads=1):
    ...     ...  # returns EngineOutput(bars=[...one (k, 2) array per dimension...])
    >>> rtdkit.register_engine("mine", my_engine, max_supported_dim=1,
    ...                        supports_edges=False, description="my engine")  # doctest: +SKIP
    >>> rtdkit.rtd(P, Q, engine="mine")  # doctest: +SKIP

    :func:`rtdkit.testing.check_engine` compares a registered engine with the reference.
    """
    _REGISTRY[name] = EngineInfo(
        name,
        function,
        max_supported_dim,
        supports_edges,
        description,
        bytes_per_n2,
        supports_progress,
    )


def _load_builtin(name: str) -> None:
    # Loaded on first use so that ``import rtdkit`` stays fast (giotto-ph, the C++ module).
    if name == "reference":
        from rtdkit.engines import reference

        _REGISTRY[name] = reference.ENGINE
    elif name == "cone":
        # raises NativeEngineMissingError (an ImportError) if the C++ module was not built
        from rtdkit.engines import cone

        _REGISTRY[name] = cone.ENGINE


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
