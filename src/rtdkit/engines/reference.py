"""The reference engine: the paper's 2N x 2N doubled matrix (eq. 2) fed to giotto-ph.

This is Algorithm 1 verbatim and the yardstick every faster engine is tested against.
giotto-ph computes in float32 (as the published RTD code did with ripser++), so bars are
float32 values returned as float64; expect agreement with float64 engines to ~1e-6 relative.
Memory: the dense doubled matrix is 4N² float64 (32 bytes per N²) plus giotto-ph's own copy.
"""

from __future__ import annotations

import numpy as np
from gph import ripser_parallel

from rtdkit._validation import FloatArray
from rtdkit.engines._api import EngineInfo, EngineMatrix, EngineOutput, sort_bars


def doubled_matrix(w: EngineMatrix, mu: EngineMatrix) -> FloatArray:
    """The matrix ``m = [[0, w], [w, mu]]`` of eq. (2); rows ``0..N-1`` are the copies A'."""
    n = w.shape[0]
    m = np.zeros((2 * n, 2 * n), dtype=np.float64)
    m[:n, n:] = w
    m[n:, :n] = w
    m[n:, n:] = mu
    return m


def reference_engine(
    w: EngineMatrix,
    mu: EngineMatrix,
    *,
    maxdim: int,
    return_edges: bool = False,
    n_threads: int = 1,
) -> EngineOutput:
    """Vietoris–Rips persistence of the doubled matrix, dimensions ``0..maxdim``."""
    m = doubled_matrix(w, mu)
    result = ripser_parallel(
        m,
        metric="precomputed",
        maxdim=maxdim,
        n_threads=n_threads,
        return_generators=return_edges,
    )
    bars: list[FloatArray] = []
    edges: list[np.ndarray] | None = [] if return_edges else None
    for dim, diagram in enumerate(result["dgms"]):
        diagram = np.asarray(diagram, dtype=np.float64).reshape(-1, 2)
        finite = np.isfinite(diagram[:, 1])
        dim_edges = None
        if return_edges:
            dim_edges = _critical_edges(result["gens"], dim, diagram[finite])
        dim_bars, dim_edges = sort_bars(diagram[finite], dim_edges)
        bars.append(dim_bars)
        if edges is not None and dim_edges is not None:
            edges.append(dim_edges)
    return EngineOutput(bars=bars, edges=edges)


def _critical_edges(gens: tuple, dim: int, finite_bars: FloatArray) -> np.ndarray:
    """Birth and death edges of each finite bar, as giotto-ph reports them."""
    if dim == 0:
        # finite H0 pairs are (vertex, edge u, edge v); vertices are born at 0 = m[v, v].
        raw = np.asarray(gens[0], dtype=np.int64).reshape(-1, 3)
        out = np.column_stack([raw[:, 0], raw[:, 0], raw[:, 1], raw[:, 2]])
    else:
        out = np.asarray(gens[1][dim - 1], dtype=np.int64).reshape(-1, 4)
    if len(out) != len(finite_bars):
        raise RuntimeError(
            f"giotto-ph returned {len(out)} generators for {len(finite_bars)} bars in H{dim}"
        )
    return out


# Registered by rtdkit.engines when first asked for.
ENGINE = EngineInfo(
    name="reference",
    function=reference_engine,
    max_supported_dim=3,
    supports_edges=True,
    description="doubled 2N x 2N matrix (paper eq. 2) with giotto-ph; float32 inside",
    # the float32 w and mu (8), the float64 doubled matrix (32), giotto-ph's float32 copy (8)
    bytes_per_n2=48.0,
)
