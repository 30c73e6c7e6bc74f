"""The native "cone" engine: the R-Cross-Barcode on the mapping cone, in C++17.

The paper computes R-Cross-Barcode(P, P̃) as the Vietoris–Rips persistence of the 2N-point
doubled matrix ``[[0, w], [w, mu]]``. This engine computes the same barcode on a smaller
filtered complex (``docs/engine.md``): one apex ``*`` at 0 added to the N points; every simplex
of K (the flag complex of ``mu``) at its ``mu``-diameter; the cone edges ``*v`` at 0; and the
cone ``* ∪ σ`` over the simplices σ of the w-side complex:

* ``maxdim=1`` (the RTD): the cone over L, the flag complex of ``w`` — ``*uv`` enters at
  ``w_uv``. Its reduced homology is H(K, L) and its dimension-0 and dimension-1 barcodes equal
  those of the doubled matrix. Dimension-1 columns are just the edges of K (the cone edges die
  in dimension 0 and are cleared), and the coboundary of an edge uv has the N - 2 triangles uvx
  plus one cone triangle: about a quarter of the doubled matrix's columns and an eighth of its
  triangles.
* ``maxdim>=2``: the cone over M, where ``* ∪ σ`` enters at
  ``max(f_mu(σ), min_l max_{j∈σ} w_lj)``; it is homotopy equivalent to the doubled complex at
  every scale, so all dimensions agree (the cone over L differs in dimension 2). This path
  evaluates cone simplices in O(N) each and keeps its columns in memory like Ripser
  (O(N^3) for dimension 2); it is meant for the small N at which H2 is affordable at all.

Algorithm: persistent cohomology over Z/2 with clearing, as in Ripser: columns in reverse
filtration order, coboundaries enumerated on the fly from the distance rows (triangles are never
stored), and truncation at the enclosing radius ``alpha* = min_i max_j w_ij``: there K and L
(and M) are cones on the vertex i, the mapping cone is acyclic from then on, so no bar reaches
past ``alpha*`` and no simplex above it is ever enumerated (the tests check this against the
untruncated doubled complex). Apparent pairs (τ the earliest cofacet of σ, σ the latest facet
of τ) are found by one scan of two rows and are never stored: an edge of L is paired with its
own cone triangle without even being listed, and a pivot that misses the (small) hash map of
reduced columns is tested for being apparent on the spot. A column that joins two components of
the ``mu`` complex is paired by a cut read off a spanning tree, without a reduction (O(N²) for
all of them; ``docs/engine.md``, "The cuts"). A column that does need a reduction
reads each coboundary lazily and in filtration order — first the cofacets with the column's own
value (a row scan), then a merge of the two endpoints' neighbour lists sorted by ``mu`` — so
only the part of a coboundary up to the pivot is ever touched. Dimension 0 needs no work: the
cone edges at 0 form a spanning tree, so there is no finite H0 bar and ``bars[0]`` is empty, as
for the reference.

Precision: ``w`` and ``mu`` are rounded to float32 exactly like giotto-ph rounds the doubled
matrix, so the returned bars are the same float32 values as the reference engine's, bar for bar
(a diagram does not depend on tie-breaking). With ``return_edges=True`` each bar comes with its
birth and death edge in the doubled-matrix indexing of :mod:`rtdkit.engines`: ``(N+u, N+v)``
for an edge of K (``mu[u, v]``) and ``(u, N+v)`` for a cone triangle ``*uv`` (``w[u, v]``);
a death at a triangle of K reports its edge of largest ``mu`` (ties: the one of smallest colex
index, i.e. the latest in the filtration); a cone simplex of the cone over M reports the
``mu`` edge or the entry ``(l, N+j)`` that realises its value. ``float32(m[edge]) == value``
holds exactly for every reported edge, ``m`` the float64 doubled matrix.

Memory (``maxdim=1``): ``w`` and ``mu`` come as float32 from :func:`rtdkit.cross_barcode`
(8 B/N²; ``mu`` is read in place as full rows) or as float64 (16 B/N², and the engine keeps a
float32 copy of ``mu``, 4 B/N²). The engine's own arrays, all O(N²): the neighbour lists
(4 B/N², sorted on first use), ``w`` in compressed triangular float32 (2 B/N²), the columns —
edges of K below ``alpha*`` that are not in L — as 8-byte records (at most 4 B/N², 2-3
measured), and small change (the hash map and reduction matrix of the reduced columns, the
iterator heap); ``peak_bytes`` in :func:`cone_diagnostics` reports them. ``cross_barcode(P, Q)``
peaks at 16.1 B/N² end to end at N = 6000 (``benchmarks/memory.py``), against 44 for the float64
route. The doubled matrix alone takes 8 B/N² in giotto-ph's float32 triangle.

Progress and Ctrl-C: about every 0.2 s the engine takes the GIL back for a moment, lets Python
handle pending signals (Ctrl-C raises ``KeyboardInterrupt`` within about a second, and the
engine's memory is freed), stops if the :mod:`rtdkit._parallel` map running it was cancelled
(:func:`rtdkit._parallel.engine_callback`) and calls ``progress(done, total)`` if given: the
columns reduced so far and in total, for the dimension being reduced (the counts restart for
each dimension).

Threads: the engine is single-threaded — the reduction is sequential, and on the 2-core target
machine a parallel reduction does not pay; ``n_threads`` is accepted and ignored. The GIL is
released during the computation, so independent barcodes (trials, directions) can run in
parallel threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rtdkit._parallel import engine_callback
from rtdkit._validation import FloatArray, RTDInputError
from rtdkit.engines._api import (
    EngineInfo,
    EngineMatrix,
    EngineOutput,
    import_native,
    sort_bars,
)

__all__ = ["MAX_DIM", "cone_diagnostics", "cone_engine"]

_cone = import_native("_cone", meanwhile="engine='reference'")

MAX_DIM: int = _cone.MAX_DIM
MAX_POINTS: int = _cone.MAX_POINTS

ProgressCallback = Callable[[int, int], None]

# Peak of cross_barcode(P, Q) with this engine, for the up-front memory check: the float32 w and
# mu (8 bytes per N²) plus the engine's arrays (8-10). benchmarks/memory.py measured 16.1 at
# N = 6000 on two Gaussian clouds; the column records can take 2 more where K has many more
# edges than L below the enclosing radius.
BYTES_PER_N2 = 18.0


def cone_diagnostics(w: EngineMatrix, mu: EngineMatrix, *, maxdim: int = 1) -> dict[str, Any]:
    """Run the engine and return its counters.

    ``alpha`` (enclosing radius), ``columns`` (dimension-1 columns: edges of K up to alpha),
    ``trivial`` (edges of L, paired with their cone triangle without any work), ``emergent``
    (columns paired by the apparent/emergent-pair shortcut), ``shortcut`` (columns paired by
    their cut without a reduction), ``reduced`` (columns that needed a reduction), ``additions``
    (column additions in those reductions), ``materialised`` (cuts written out for them),
    ``visited`` (coboundary entries read by the reductions), ``removals`` (edges that an addition
    removed from a working column's cochain), ``higher_columns`` (columns in dimensions >= 2),
    ``peak_bytes`` (the engine's main arrays) and ``essential`` (columns left unpaired at the
    enclosing radius: the theory says 0, and the tests check it). docs/engine.md discusses them.
    """
    return _compute(w, mu, maxdim, 1, None)[2]


def _compute(
    w: EngineMatrix,
    mu: EngineMatrix,
    maxdim: int,
    n_threads: int,
    progress: ProgressCallback | None,
) -> tuple[list[Any], list[Any], dict[str, Any]]:
    if len(w) > MAX_POINTS:  # refused before anything is copied or allocated
        raise RTDInputError(
            f"the cone engine takes at most {MAX_POINTS} points (32-bit edge indices), got "
            f"{len(w)}; subsample with rtdkit.rtd(..., batch=...)"
        )
    w, mu = _as_matrices(w, mu)
    # always a callable: a cancelled pool map stops an engine running in a worker thread
    callback = engine_callback(progress)
    try:
        bars, edges, stats = _cone.compute(w, mu, int(maxdim), int(n_threads), callback)
    except ValueError as exc:  # the engine's input checks and size limits
        raise RTDInputError(str(exc)) from None
    return bars, edges, dict(stats)


def _as_matrices(w: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both float32 (read as they are; mu in place) or both float64."""
    dtype = np.float32 if w.dtype == np.float32 and mu.dtype == np.float32 else np.float64
    return np.ascontiguousarray(w, dtype=dtype), np.ascontiguousarray(mu, dtype=dtype)


def cone_engine(
    w: EngineMatrix,
    mu: EngineMatrix,
    *,
    maxdim: int,
    return_edges: bool = False,
    n_threads: int = 1,
    progress: ProgressCallback | None = None,
) -> EngineOutput:
    """Barcode of the doubled matrix ``[[0, w], [w, mu]]`` in dimensions ``0..maxdim``.

    ``progress(done, total)``, if given, is called about every 0.2 s with the columns reduced
    so far; an exception it raises stops the computation and propagates.
    """
    if maxdim > MAX_DIM:
        raise RTDInputError(f"the cone engine supports maxdim <= {MAX_DIM}, got {maxdim}")
    raw_bars, raw_edges, _ = _compute(w, mu, maxdim, n_threads, progress)
    bars: list[FloatArray] = []
    edges: list[np.ndarray] | None = [] if return_edges else None
    for dim_bars, dim_edges in zip(raw_bars, raw_edges, strict=True):
        b, e = sort_bars(np.asarray(dim_bars), np.asarray(dim_edges) if return_edges else None)
        bars.append(b)
        if edges is not None and e is not None:
            edges.append(e)
    return EngineOutput(bars=bars, edges=edges)


# Registered by rtdkit.engines when first asked for.
ENGINE = EngineInfo(
    name="cone",
    function=cone_engine,
    max_supported_dim=MAX_DIM,
    supports_edges=True,
    description="native C++ mapping-cone engine (N+1 vertices); float32 inside, same bars "
    "as the reference",
    bytes_per_n2=BYTES_PER_N2,
    supports_progress=True,
)
