"""R-Cross-Barcode (Algorithm 1) and the RTD score (Algorithm 2) of the paper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._progress import progress_callback, progress_iter
from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_bool,
    check_dim,
    check_engine,
    check_int,
    check_method,
    check_metric,
    check_n_jobs,
    check_normalize,
    check_optional_int,
    check_same_rows,
    check_score_dim,
    check_seed,
)
from rtdkit.barcode import CrossBarcode
from rtdkit.distances import (
    check_memory,
    cross_matrices,
    cross_matrices_f32,
    normalized_distances,
    pairwise_distances,
)
from rtdkit.engines import EngineInfo, EngineMatrix, get_engine

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_TRIALS",
    "RTDResult",
    "barcode_from_distances",
    "cross_barcode",
    "rtd",
    "rtd_trial",
    "subsample_indices",
]

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
    method: str = "barcode"

    def __float__(self) -> float:
        return self.value

    @property
    def trials(self) -> int:
        return len(self.samples)

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        """Student-t confidence interval ``(low, high)`` of the score over subsamples.

        The trials draw their subsets independently, so ``samples`` are i.i.d. given the
        data and ``value ± t · std(ddof=1) / sqrt(trials)`` covers, with probability
        ``level``, the mean RTD over *all* subsets of ``batch`` points of these N objects.
        The t interval is exact for normal samples and stays honest for the ~10 trials
        usual here, where a percentile bootstrap would be too narrow.

        It covers the randomness of subsampling only. It does not cover which N objects
        were measured (the finite dataset itself), training seeds, or the systematic
        dependence of RTD on ``batch``; resample or retrain for those.

        Raises
        ------
        RTDInputError
            With a single trial (``trials=1``, or ``batch=None``/``batch >= N``, which
            computes RTD once on all points): there is no spread to estimate an interval from.

        Examples
        --------
        >>> import numpy as np, rtdkit
        >>> P = np.random.default_rng(0).normal(size=(200, 4))
        >>> r = rtdkit.rtd(P, P[:, :2], batch=50, trials=5)
        >>> low, high = r.ci()
        >>> bool(low <= r.value <= high)
        True
        """
        from rtdkit._intervals import t_interval

        if self.trials < 2:
            raise RTDInputError(
                "a confidence interval needs at least 2 subsampling trials, this result has 1; "
                "rerun rtd() with trials >= 2 and a batch smaller than the number of points"
            )
        return t_interval(self.samples, level)

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
            "method": self.method,
            "seed": self.seed,
        }

    def __repr__(self) -> str:
        return (
            f"RTDResult(value={self.value:.6g}, std={self.std:.3g}, trials={self.trials}, "
            f"batch={self.batch}, dim={self.dim}, symmetric={self.symmetric})"
        )


def _as_pair(P: Any, Q: Any) -> tuple[FloatArray, FloatArray]:
    """Both representations (arrays, tensors or file paths) as checked float64 matrices."""
    from rtdkit.io import read_if_path

    p = as_float_matrix(read_if_path(P), "P")
    q = as_float_matrix(read_if_path(Q), "Q")
    check_same_rows(p, q, "P", "Q")
    return p, q


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
    progress: bool = False,
) -> CrossBarcode:
    options: dict[str, Any] = {"return_edges": return_edges, "n_threads": n_threads}
    with progress_callback(
        f"R-Cross-Barcode ({engine.name}), columns", enabled=progress and engine.supports_progress
    ) as report:
        if report is not None:
            options["progress"] = report
        out = engine.function(w, mu, maxdim=maxdim, **options)
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
    n_threads: int = 1,
    progress: bool = False,
) -> CrossBarcode:
    """R-Cross-Barcode(P, Q): where the multi-scale topology of Q departs from that of P.

    Builds the paper's doubled graph (eq. 1–2) with ``w`` the distances within ``P`` and
    ``min(w, w̃)`` those of the union, and returns its Vietoris–Rips barcode (Algorithm 1).

    Parameters
    ----------
    P, Q : array-like, torch.Tensor or path, shape (N, D) and (N, D')
        Two representations of the same N objects, row ``i`` of each describing object ``i``.
        With ``metric='precomputed'`` they are N x N distance matrices. A file name
        (``"acts.npy"``, ``"acts.npz:layer3"``) is read as :func:`rtdkit.pairwise` reads it
        (:func:`rtdkit.io.read_if_path`; never a pickle).
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
    n_threads : int, default 1
        Threads the engine may use inside this one barcode (-1: every core).
    progress : bool, default False
        Show the engine's progress (columns reduced) on stderr, for engines that report it
        (the default one does). Ctrl-C stops a long barcode within about a second either way.

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
    return_edges = check_bool(return_edges, "return_edges")
    info = check_engine(engine, edges=return_edges)
    maxdim = check_dim(maxdim, info, "maxdim")
    n_threads = check_n_jobs(n_threads, "n_threads")
    progress = check_bool(progress, "progress")
    p, q = _as_pair(P, Q)
    # refused before any N x N allocation; float32 matrices: 16 bytes per N² at most
    check_memory(len(p), info.bytes_per_n2 or 16.0, what=f"cross_barcode (engine {info.name!r})")
    w, mu = cross_matrices_f32(p, q, metric=metric, normalize=normalize)
    return _engine_barcode(w, mu, maxdim, info, return_edges, n_threads, progress)


def rtd_trial(
    p: FloatArray,
    q: FloatArray,
    *,
    dim: int = 1,
    symmetric: bool = True,
    normalize: str | float | None = "quantile",
    metric: str = "euclidean",
    engine: str | EngineInfo | None = None,
    method: str | None = None,
) -> tuple[float, float]:
    """RTD_dim(P, Q) and RTD_dim(Q, P) (NaN when not ``symmetric``) on one whole subsample.

    The per-trial step of :func:`rtd` (Algorithm 2) and of every all-pairs comparison; its
    inputs are already validated float64 arrays (distance matrices if 'precomputed').
    ``method`` as in :func:`rtd`: 'identity' (the default for ``dim=1`` without a named
    engine) or 'barcode'.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(30, 3))
    >>> rtd_trial(x, 2 * x)
    (0.0, 0.0)
    """
    method = check_method(method, dim=dim, engine=engine)
    w = normalized_distances(p, metric=metric, normalize=normalize, name="P")
    wt = normalized_distances(q, metric=metric, normalize=normalize, name="Q")
    if method == "identity":
        from rtdkit.engines.score import identity_terms

        forward, backward = identity_terms(w, wt, both=symmetric)
        return forward.total, backward.total if backward is not None else float("nan")
    info = engine if isinstance(engine, EngineInfo) else get_engine(engine)
    fwd = barcode_from_distances(w, wt, maxdim=dim, engine=info).total_length(dim)
    if not symmetric:
        return fwd, float("nan")
    bwd = barcode_from_distances(wt, w, maxdim=dim, engine=info).total_length(dim)
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


def take_subset(x: FloatArray, idx: NDArray[np.intp], metric: str) -> FloatArray:
    """Rows ``idx`` of a cloud, or the ``idx`` x ``idx`` block of a precomputed matrix."""
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
    method: str | None = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> RTDResult:
    """Representation Topology Divergence between two representations (Algorithm 2).

    For each of ``trials`` random subsets of ``batch`` objects (the same objects in both
    clouds), compute RTD_dim(P, Q), the total length of R-Cross-Barcode_dim(P, Q), and with
    ``symmetric=True`` its half-sum with RTD_dim(Q, P). The score is the mean over trials.

    Parameters
    ----------
    P, Q : array-like, torch.Tensor or path, shape (N, D) and (N, D')
        Two representations of the same N objects (or N x N distance matrices with
        ``metric='precomputed'``). D and D' may differ. File names are read as in
        :func:`cross_barcode`.
    batch : int or None, default 500
        Subsample size b. None, or a value >= N, uses all points in a single trial.
    trials : int, default 10
        Number of random subsamples n.
    seed : int >= 0, numpy Generator or None, default 0
        Seed of the subsampling; the same seed gives the same result, serial or parallel.
    symmetric : bool, default True
        Average both directions (the paper's "RTD score"); False gives RTD_dim(P, Q) only.
    dim : int, default 1
        Homology dimension whose bar lengths are summed, >= 1 (RTD_0 is 0 for any input:
        the R-Cross-Barcode has no finite H0 bar).
    normalize, metric, engine
        As in :func:`cross_barcode`.
    method : {'identity', 'barcode'}, optional
        How each RTD_1 is obtained. 'identity' computes the total bar length without the
        bars, exactly, from RTD_1 = [MST(w) − MST(mu)] + TL(H1 Rips(mu)) − TL(image of
        H1 Rips(w) → H1 Rips(mu)) (``docs/score.md``): milliseconds even on pairs where the
        barcode takes minutes (a cloud against a low-dimensional image of it), and equal to
        the barcode's total to float32 precision. 'barcode' sums the bars of
        :func:`cross_barcode` computed by ``engine``. Default: 'identity' when ``dim=1`` and
        no engine is named, else 'barcode' (the identity exists for dimension 1 only).
    n_jobs : int or None, default 1
        Threads running the trials side by side (None: 1, -1: every core). The default
        engine releases the GIL, so they run in parallel; 'reference' (giotto-ph) holds it,
        so its trials run one at a time. Results do not depend on it.
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
    info = check_engine(engine)
    check_normalize(normalize)
    dim = check_score_dim(dim, info)
    method = check_method(method, dim=dim, engine=engine)
    symmetric = check_bool(symmetric, "symmetric")
    trial = partial(
        rtd_trial,
        dim=dim,
        symmetric=symmetric,
        normalize=normalize,
        metric=check_metric(metric),
        engine=info if method == "barcode" else None,
        method=method,
    )
    batch = check_optional_int(batch, "batch", minimum=3)
    trials = check_int(trials, "trials", minimum=1)
    seed = check_seed(seed)
    n_jobs = check_n_jobs(n_jobs)
    p, q = _as_pair(P, Q)
    if metric == "precomputed":
        # Validate both matrices once here rather than in every trial.
        p = pairwise_distances(p, metric=metric, name="P")
        q = pairwise_distances(q, metric=metric, name="Q")
    index_sets = subsample_indices(len(p), batch, trials, seed)
    _check_trial_memory(len(index_sets[0]), method, info, n_jobs=min(n_jobs, len(index_sets)))
    subsets = [(take_subset(p, idx, metric), take_subset(q, idx, metric)) for idx in index_sets]
    pairs = list(
        progress_iter(
            _run_trials(trial, subsets, n_jobs),
            total=len(subsets),
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
        engine=info.name if method == "barcode" else "score",
        seed=seed if isinstance(seed, (int, type(None))) else None,
        method=method,
    )


# Peak bytes per N² of one trial on N points (python benchmarks/memory.py: 69.8 at N = 3000, 72.5
# at N = 6000): the float64 distance matrices of both clouds, the floored copies of each
# direction, and the engine's float32 working set.
IDENTITY_TRIAL_BYTES_PER_N2 = 76.0
FLOAT64_ROUTE_BYTES_PER_N2 = 48.0


def _check_trial_memory(n: int, method: str, info: EngineInfo, *, n_jobs: int) -> None:
    """Refuse trials that cannot fit in memory before any N x N allocation."""
    if method == "identity":
        per_trial = IDENTITY_TRIAL_BYTES_PER_N2
    else:
        per_trial = FLOAT64_ROUTE_BYTES_PER_N2 + (info.bytes_per_n2 or 16.0)
    check_memory(n, per_trial * n_jobs, what=f"rtd (method {method!r}, {n_jobs} trial(s) at once)")


def _run_trials(
    trial: Callable[[FloatArray, FloatArray], tuple[float, float]],
    subsets: list[tuple[FloatArray, FloatArray]],
    n_jobs: int,
) -> Iterator[tuple[float, float]]:
    """Trials in order; on ``n_jobs`` threads when asked (same numbers either way).

    Threads, not processes: the default engine releases the GIL, a script needs no
    ``__main__`` guard, and nothing forks while a progress bar's thread runs.
    """
    if n_jobs == 1 or len(subsets) == 1:
        yield from (trial(p, q) for p, q in subsets)
        return
    pool = ThreadPoolExecutor(max_workers=min(n_jobs, len(subsets)), thread_name_prefix="rtdkit")
    try:
        yield from pool.map(trial, *zip(*subsets, strict=True))
    finally:
        # On Ctrl-C or an error, drop the trials not yet started rather than wait for them all.
        pool.shutdown(wait=True, cancel_futures=True)
