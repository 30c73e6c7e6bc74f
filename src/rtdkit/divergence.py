"""R-Cross-Barcode (Algorithm 1) and the RTD score (Algorithm 2) of the paper."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._progress import progress_iter
from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_int,
    check_optional_int,
    check_same_rows,
)
from rtdkit.barcode import CrossBarcode
from rtdkit.distances import (
    check_memory,
    check_metric,
    cross_matrices,
    cross_matrices_f32,
    normalized_distances,
    pairwise_distances,
    resolve_quantile,
)
from rtdkit.engines import EngineInfo, EngineMatrix, get_engine

DEFAULT_BATCH = 500
DEFAULT_TRIALS = 10


@dataclass(frozen=True)
class RTDResult:
    """The RTD score with its spread over random subsamples.

    ``value`` is the mean of ``samples`` (one number per trial); ``std`` their standard
    deviation (0 for one trial). With ``symmetric=True`` each sample is the half-sum of
    ``forward`` (RTD_dim(P, Q)) and ``backward`` (RTD_dim(Q, P)); otherwise it is ``forward``.
    ``float(result)`` gives ``value``.
    """

    value: float
    std: float
    samples: FloatArray
    forward: FloatArray
    backward: FloatArray | None
    dim: int
    batch: int
    symmetric: bool
    engine: str
    seed: int | None = field(default=None)

    def __float__(self) -> float:
        return self.value

    @property
    def trials(self) -> int:
        return len(self.samples)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary, ready for ``json.dumps``."""
        return {
            "rtd": self.value,
            "std": self.std,
            "samples": self.samples.tolist(),
            "forward": self.forward.tolist(),
            "backward": None if self.backward is None else self.backward.tolist(),
            "dim": self.dim,
            "batch": self.batch,
            "trials": self.trials,
            "symmetric": self.symmetric,
            "engine": self.engine,
            "seed": self.seed,
        }

    def __repr__(self) -> str:
        return (
            f"RTDResult(value={self.value:.6g}, std={self.std:.3g}, trials={self.trials}, "
            f"batch={self.batch}, dim={self.dim}, symmetric={self.symmetric})"
        )


def _check_maxdim(maxdim: Any, info: EngineInfo, name: str = "maxdim") -> int:
    maxdim = check_int(maxdim, name, minimum=0)
    if maxdim > info.max_supported_dim:
        raise RTDInputError(
            f"{name}={maxdim} is above what engine {info.name!r} computes "
            f"({info.max_supported_dim}); lower it or choose engine='reference'"
        )
    return int(maxdim)


def barcode_from_distances(
    w: FloatArray,
    w_tilde: FloatArray,
    *,
    maxdim: int,
    engine: EngineInfo,
    return_edges: bool = False,
    n_threads: int = 1,
) -> CrossBarcode:
    """R-Cross-Barcode(P, P̃) from two already normalised N x N distance matrices."""
    w, mu = cross_matrices(w, w_tilde)
    return _engine_barcode(w, mu, maxdim, engine, return_edges, n_threads)


def _engine_barcode(
    w: EngineMatrix,
    mu: EngineMatrix,
    maxdim: int,
    engine: EngineInfo,
    return_edges: bool,
    n_threads: int,
) -> CrossBarcode:
    out = engine.function(w, mu, maxdim=maxdim, return_edges=return_edges, n_threads=n_threads)
    edges = tuple(out.edges) if out.edges is not None else None
    return CrossBarcode(bars=tuple(out.bars), engine=engine.name, edges=edges)


def cross_barcode(
    P: Any,
    Q: Any,
    *,
    maxdim: int = 1,
    normalize: str | float | None = "quantile",
    metric: str = "euclidean",
    engine: str | None = None,
    return_edges: bool = False,
    n_jobs: int = 1,
) -> CrossBarcode:
    """R-Cross-Barcode(P, Q): where the multi-scale topology of Q departs from that of P.

    Builds the paper's doubled graph (eq. 1–2) with ``w`` the distances within ``P`` and
    ``min(w, w̃)`` those of the union, and returns its Vietoris–Rips barcode (Algorithm 1).

    Parameters
    ----------
    P, Q : array-like or torch.Tensor, shape (N, D) and (N, D')
        Two representations of the same N objects, row ``i`` of each describing object ``i``.
        With ``metric='precomputed'`` they are N x N distance matrices.
    maxdim : int, default 1
        Highest homology dimension computed.
    normalize : {'quantile', None} or float, default 'quantile'
        Divide each distance matrix by its 0.9-quantile ('quantile'), by the given quantile
        (float in (0, 1]), or not at all (None).
    metric : str, default 'euclidean'
        Any scipy ``cdist`` metric (e.g. 'cosine'), or 'precomputed'.
    engine : str, optional
        Barcode engine; see :func:`rtdkit.available_engines`. Default: the fastest built-in.
    return_edges : bool, default False
        Also report each bar's critical edges (used by the differentiable loss).
    n_jobs : int, default 1
        Threads the engine may use.

    Returns
    -------
    CrossBarcode
        ``bc[1]`` is the (k, 2) array of H1 bars; ``bc.total_length(1)`` is RTD_1(P, Q).

    Examples
    --------
    >>> import numpy as np, rtdkit
    >>> P = np.random.default_rng(0).normal(size=(50, 4))
    >>> rtdkit.cross_barcode(P, P).total_length(1)
    0.0
    """
    info = get_engine(engine)
    maxdim = _check_maxdim(maxdim, info)
    n_jobs = _resolve_jobs(n_jobs)
    if not isinstance(return_edges, bool):
        raise RTDInputError(f"return_edges must be True or False, got {return_edges!r}")
    if return_edges and not info.supports_edges:
        raise RTDInputError(f"engine {info.name!r} cannot report critical edges; use another")
    p = as_float_matrix(P, "P")
    q = as_float_matrix(Q, "Q")
    check_same_rows(p, q, "P", "Q")
    # refused before any N x N allocation; float32 matrices: 16 bytes per N² at most
    check_memory(len(p), info.bytes_per_n2 or 16.0, what=f"cross_barcode (engine {info.name!r})")
    w, mu = cross_matrices_f32(p, q, metric=metric, normalize=normalize)
    return _engine_barcode(w, mu, maxdim, info, return_edges, n_jobs)


def _resolve_jobs(n_jobs: Any) -> int:
    """``n_jobs`` as in scikit-learn: a positive count, or -1 for every core."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)):
        raise RTDInputError(f"n_jobs must be a positive integer or -1, got {n_jobs!r}")
    if n_jobs == -1:
        return os.cpu_count() or 1
    if n_jobs < 1:
        raise RTDInputError(f"n_jobs must be a positive integer or -1, got {n_jobs}")
    return int(n_jobs)


@dataclass(frozen=True)
class _TrialSpec:
    """Everything one trial needs; small and picklable so trials can run in processes."""

    p: FloatArray
    q: FloatArray
    metric: str
    normalize: str | float | None
    dim: int
    symmetric: bool
    engine: str


def _rtd_trial(spec: _TrialSpec) -> tuple[float, float]:
    """RTD_dim(P, Q) and RTD_dim(Q, P) (NaN when not symmetric) for one subsample."""
    info = get_engine(spec.engine)
    w = normalized_distances(spec.p, metric=spec.metric, normalize=spec.normalize, name="P")
    wt = normalized_distances(spec.q, metric=spec.metric, normalize=spec.normalize, name="Q")
    fwd = barcode_from_distances(w, wt, maxdim=spec.dim, engine=info).total_length(spec.dim)
    if not spec.symmetric:
        return fwd, float("nan")
    bwd = barcode_from_distances(wt, w, maxdim=spec.dim, engine=info).total_length(spec.dim)
    return fwd, bwd


def subsample_indices(
    n: int, batch: int | None, trials: int, seed: int | np.random.Generator | None
) -> list[NDArray[np.intp]]:
    """One index set per trial (Algorithm 2), drawn up front so that parallel = serial.

    When ``batch`` is None or >= ``n`` every subset would be the whole cloud, so a single
    trial over all points is returned.
    """
    if batch is None or batch >= n:
        return [np.arange(n)]
    rng = np.random.default_rng(seed)
    return [np.sort(rng.choice(n, size=batch, replace=False)) for _ in range(trials)]


def _subset(x: FloatArray, idx: NDArray[np.intp], metric: str) -> FloatArray:
    return x[np.ix_(idx, idx)] if metric == "precomputed" else x[idx]


def rtd(
    P: Any,
    Q: Any,
    *,
    batch: int | None = DEFAULT_BATCH,
    trials: int = DEFAULT_TRIALS,
    seed: int | np.random.Generator | None = 0,
    symmetric: bool = True,
    dim: int = 1,
    normalize: str | float | None = "quantile",
    metric: str = "euclidean",
    engine: str | None = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> RTDResult:
    """Representation Topology Divergence between two representations (Algorithm 2).

    For each of ``trials`` random subsets of ``batch`` objects (the same objects in both
    clouds), compute RTD_dim(P, Q), the total length of R-Cross-Barcode_dim(P, Q), and with
    ``symmetric=True`` its half-sum with RTD_dim(Q, P). The score is the mean over trials.

    Parameters
    ----------
    P, Q : array-like or torch.Tensor, shape (N, D) and (N, D')
        Two representations of the same N objects (or N x N distance matrices with
        ``metric='precomputed'``). D and D' may differ.
    batch : int or None, default 500
        Subsample size b. None, or a value >= N, uses all points in a single trial.
    trials : int, default 10
        Number of random subsamples n.
    seed : int, numpy Generator or None, default 0
        Seed of the subsampling; the same seed gives the same result, serial or parallel.
    symmetric : bool, default True
        Average both directions (the paper's "RTD score"); False gives RTD_dim(P, Q) only.
    dim : int, default 1
        Homology dimension whose bar lengths are summed.
    normalize, metric, engine
        As in :func:`cross_barcode`.
    n_jobs : int, default 1
        Worker processes for the trials (-1: all cores). Results do not depend on it.
    progress : bool, default False
        Show a progress bar on stderr.

    Returns
    -------
    RTDResult
        ``value`` (mean), ``std``, ``samples`` (per trial); ``float(result)`` is the value.

    Examples
    --------
    >>> import numpy as np, rtdkit
    >>> rng = np.random.default_rng(0)
    >>> P = rng.normal(size=(300, 8))
    >>> r = rtdkit.rtd(P, P @ rng.normal(size=(8, 8)), batch=100, trials=3)
    >>> r.value >= 0, len(r.samples)
    (True, 3)
    """
    info = get_engine(engine)
    dim = _check_maxdim(dim, info, name="dim")
    batch = check_optional_int(batch, "batch", minimum=3)
    trials = check_int(trials, "trials", minimum=1)
    n_jobs = _resolve_jobs(n_jobs)
    if not isinstance(symmetric, bool):
        raise RTDInputError(f"symmetric must be True or False, got {symmetric!r}")
    check_metric(metric)
    resolve_quantile(normalize)
    p = as_float_matrix(P, "P")
    q = as_float_matrix(Q, "Q")
    check_same_rows(p, q, "P", "Q")
    if metric == "precomputed":
        # Validate both matrices once here rather than in every trial.
        p = pairwise_distances(p, metric=metric, name="P")
        q = pairwise_distances(q, metric=metric, name="Q")
    index_sets = subsample_indices(len(p), batch, trials, seed)
    specs = [
        _TrialSpec(
            _subset(p, idx, metric),
            _subset(q, idx, metric),
            metric,
            normalize,
            dim,
            symmetric,
            info.name,
        )
        for idx in index_sets
    ]
    pairs = list(
        progress_iter(
            _run_trials(specs, n_jobs),
            total=len(specs),
            description="RTD trials",
            enabled=progress,
        )
    )
    forward = np.array([f for f, _ in pairs], dtype=np.float64)
    backward = np.array([b for _, b in pairs], dtype=np.float64) if symmetric else None
    samples = (forward + backward) / 2.0 if backward is not None else forward
    return RTDResult(
        value=float(np.mean(samples)),
        std=float(np.std(samples)),
        samples=samples,
        forward=forward,
        backward=backward,
        dim=dim,
        batch=len(index_sets[0]),
        symmetric=symmetric,
        engine=info.name,
        seed=seed if isinstance(seed, (int, type(None))) else None,
    )


def _run_trials(specs: list[_TrialSpec], n_jobs: int) -> Iterator[tuple[float, float]]:
    """Trials in order; in a process pool when ``n_jobs > 1`` (same numbers either way)."""
    if n_jobs == 1 or len(specs) == 1:
        yield from map(_rtd_trial, specs)
        return
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(specs))) as pool:
        yield from pool.map(_rtd_trial, specs)
