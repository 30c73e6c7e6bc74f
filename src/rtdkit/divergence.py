"""R-Cross-Barcode (Algorithm 1) and the RTD score (Algorithm 2) of the paper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from rtdkit._loader import load_representation
from rtdkit._parallel import engine_callback, map_ordered
from rtdkit._progress import progress_callback
from rtdkit._trials import average_trials, subsample_indices, take_subset
from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    check_bool,
    check_int,
    check_metric,
    check_n_jobs,
    check_normalize,
    check_optional_int,
    check_same_rows,
    check_seed,
)
from rtdkit.barcode import CrossBarcode
from rtdkit.distances import (
    SUBSET_FIX,
    check_memory,
    cross_matrices,
    cross_matrices_f32,
    normalized_distances,
)
from rtdkit.engines import EngineInfo, EngineMatrix
from rtdkit.options import RTDOptions, barcode_engine

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_TRIALS",
    "RTDResult",
    "barcode_from_distances",
    "cross_barcode",
    "rtd",
    "rtd_trial",
    "subsample_indices",
    "take_subset",
]

DEFAULT_BATCH = 500
DEFAULT_TRIALS = 10


@dataclass(frozen=True)
class RTDResult:
    """The RTD score with its spread over random subsamples.

    ``value`` is the mean of ``samples`` (one number per trial); ``std`` their standard
    deviation (0 for one trial). With ``symmetric=True`` each sample is the half-sum of
    ``forward`` (RTD_dim(P, Q)) and ``backward`` (RTD_dim(Q, P)); otherwise it is ``forward``.
    ``float(result)`` gives ``value``. ``engine`` names the barcode engine with
    ``method='barcode'`` and is None with the identity, which uses none.
    """

    value: float
    std: float
    samples: FloatArray
    forward: FloatArray
    backward: FloatArray | None
    dim: int
    batch: int
    symmetric: bool
    engine: str | None
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


def _as_pair(
    P: Any, Q: Any, metric: str, *, check_rows: Callable[[int], None] | None = None
) -> tuple[FloatArray, FloatArray]:
    """Both representations (arrays, tensors or file paths) as checked float64 matrices;
    ``check_rows`` sees a file's number of rows before it is read."""
    p = load_representation(P, "P", metric=metric, check_rows=check_rows)
    q = load_representation(Q, "Q", metric=metric, check_rows=check_rows)
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
        if engine.supports_progress:
            # Also when no bar is drawn: the callback is how Ctrl-C reaches a pool thread.
            options["progress"] = engine_callback(report)
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
    info, maxdim = barcode_engine(engine, maxdim, edges=return_edges)
    n_threads = check_n_jobs(n_threads, "n_threads")
    progress = check_bool(progress, "progress")
    check_metric(metric)
    check_normalize(normalize)
    # refused before any N x N allocation (a file's rows from its header, before reading it);
    # float32 matrices: 16 bytes per N² at most
    fits = partial(
        check_memory,
        bytes_per_n2=info.bytes_per_n2 or 16.0,
        what=f"cross_barcode (engine {info.name!r})",
        fix=SUBSET_FIX,
    )
    p, q = _as_pair(P, Q, metric, check_rows=fits)
    fits(len(p))
    w, mu = cross_matrices_f32(p, q, metric=metric, normalize=normalize)
    return _engine_barcode(w, mu, maxdim, info, return_edges, n_threads, progress)


def rtd_trial(
    P: FloatArray,
    Q: FloatArray,
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
    options = RTDOptions.check(
        dim=dim, normalize=normalize, metric=metric, engine=engine, method=method
    )
    return _trial(P, Q, options, check_bool(symmetric, "symmetric"))


def _trial(
    p: FloatArray, q: FloatArray, options: RTDOptions, symmetric: bool
) -> tuple[float, float]:
    """:func:`rtd_trial` with the options already checked (once per call of :func:`rtd`)."""
    w = normalized_distances(p, metric=options.metric, normalize=options.normalize, name="P")
    wt = normalized_distances(q, metric=options.metric, normalize=options.normalize, name="Q")
    if options.method == "identity":
        from rtdkit.engines.score import identity_terms

        forward, backward = identity_terms(w, wt, both=symmetric)
        return forward.total, backward.total if backward is not None else float("nan")
    info, dim = options.info, options.dim
    fwd = barcode_from_distances(w, wt, maxdim=dim, engine=info).total_length(dim)
    if not symmetric:
        return fwd, float("nan")
    bwd = barcode_from_distances(wt, w, maxdim=dim, engine=info).total_length(dim)
    return fwd, bwd


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
    options = RTDOptions.check(
        dim=dim, normalize=normalize, metric=metric, engine=engine, method=method
    )
    symmetric = check_bool(symmetric, "symmetric")
    batch = check_optional_int(batch, "batch", minimum=3)
    trials = check_int(trials, "trials", minimum=1)
    seed = check_seed(seed)
    n_jobs = check_n_jobs(n_jobs)
    progress = check_bool(progress, "progress")
    fits = partial(_check_rtd_memory, batch=batch, trials=trials, n_jobs=n_jobs, options=options)
    p, q = _as_pair(P, Q, options.metric, check_rows=fits)
    fits(len(p))
    index_sets = subsample_indices(len(p), batch, trials, seed)
    metric = options.metric
    subsets = [(take_subset(p, idx, metric), take_subset(q, idx, metric)) for idx in index_sets]
    pairs = map_ordered(
        partial(_trial_of_subset, options=options, symmetric=symmetric),
        subsets,
        n_jobs=n_jobs,
        description="RTD trials",
        progress=progress,
    )
    forward = np.array([f for f, _ in pairs], dtype=np.float64)
    backward = np.array([b for _, b in pairs], dtype=np.float64) if symmetric else None
    samples = average_trials(forward, backward, symmetric=symmetric)
    return RTDResult(
        value=float(np.mean(samples)),
        std=float(np.std(samples)),
        samples=samples,
        forward=forward,
        backward=backward,
        dim=options.dim,
        batch=len(index_sets[0]),
        symmetric=symmetric,
        engine=options.engine,
        seed=seed if isinstance(seed, (int, type(None))) else None,
        method=options.method,
    )


def _trial_of_subset(
    pair: tuple[FloatArray, FloatArray], *, options: RTDOptions, symmetric: bool
) -> tuple[float, float]:
    return _trial(pair[0], pair[1], options, symmetric)


# Peak bytes per N² of one trial on N points (python benchmarks/memory.py: 69.8 at N = 3000, 72.5
# at N = 6000): the float64 distance matrices of both clouds, the floored copies of each
# direction, and the engine's float32 working set.
IDENTITY_TRIAL_BYTES_PER_N2 = 76.0
FLOAT64_ROUTE_BYTES_PER_N2 = 48.0


def _check_rtd_memory(
    n_rows: int, *, batch: int | None, trials: int, n_jobs: int, options: RTDOptions
) -> None:
    """The trials rtd() runs at once on ``n_rows`` points fit in memory (one trial on all
    points when ``batch`` is None or covers them)."""
    if batch is None or batch >= n_rows:
        check_trial_memory(n_rows, options, n_jobs=1)
    else:
        check_trial_memory(batch, options, n_jobs=min(n_jobs, trials))


def check_trial_memory(n: int, options: RTDOptions, *, n_jobs: int, caller: str = "rtd") -> None:
    """Refuse ``n_jobs`` trials on ``n`` points at once that cannot fit in memory, before
    any N x N allocation (the error names ``batch=``)."""
    if options.method == "identity":
        per_trial = IDENTITY_TRIAL_BYTES_PER_N2
    else:
        per_trial = FLOAT64_ROUTE_BYTES_PER_N2 + (options.info.bytes_per_n2 or 16.0)
    what = f"{caller} (method {options.method!r}, {n_jobs} trial(s) at once)"
    check_memory(n, per_trial * n_jobs, what=what)
