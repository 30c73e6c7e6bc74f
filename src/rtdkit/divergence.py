"""R-Cross-Barcode (Algorithm 1) and the RTD score (Algorithm 2) of the paper."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._loader import load_representation
from rtdkit._parallel import engine_callback
from rtdkit._progress import Progress, check_progress, progress_callback
from rtdkit._trials import average_trials, subsample_indices, take_subset
from rtdkit._validation import (
    FloatArray,
    RTDTypeError,
    check_bool,
    check_int,
    check_metric,
    check_n_jobs,
    check_normalize,
    check_optional_int,
    check_same_rows,
    check_seed,
)
from rtdkit._whole_cloud import identity_trial, identity_trials
from rtdkit.barcode import CrossBarcode
from rtdkit.distances import cross_matrices, cross_matrices_f32, normalized_distances
from rtdkit.engines import EngineInfo, EngineMatrix
from rtdkit.memory_checks import check_barcode_memory, check_rtd_memory, check_trial_memory
from rtdkit.null import ChanceLevel, NullRun, Scope, rtd_statistic, subsample_null
from rtdkit.options import RTDOptions, barcode_engine
from rtdkit.result import RTDResult

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_TRIALS",
    "RTDResult",
    "barcode_from_distances",
    "cross_barcode",
    "rtd",
    "rtd_null",
    "rtd_trial",
    "subsample_indices",
    "take_subset",
]

DEFAULT_BATCH = 500
DEFAULT_TRIALS = 10


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
    progress: Progress = False,
) -> CrossBarcode:
    options: dict[str, Any] = {"return_edges": return_edges, "n_threads": n_threads}
    with progress_callback(
        f"R-Cross-Barcode ({engine.name}), columns",
        enabled=progress if engine.supports_progress else False,
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
    progress: Progress = "auto",
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
    progress : bool or 'auto', default 'auto'
        Show the engine's progress (columns reduced) on stderr, for engines that report it
        (the default one does): True always, False never, 'auto' once the call has run for
        2 s and stderr is a terminal (never in a pipe, a log file or CI). Ctrl-C stops a long
        barcode within about a second either way.

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
    progress = check_progress(progress)
    check_metric(metric)
    check_normalize(normalize)
    # refused before any N x N allocation (a file's rows from its header, before reading it)
    fits = partial(check_barcode_memory, info=info)
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
    if options.method == "identity":  # float32 route: one float64 matrix at a time
        return identity_trial(
            p, q, metric=options.metric, normalize=options.normalize, symmetric=symmetric
        )
    w = normalized_distances(p, metric=options.metric, normalize=options.normalize, name="P")
    wt = normalized_distances(q, metric=options.metric, normalize=options.normalize, name="Q")
    totals = _pair_totals(w, wt, options=options, symmetric=symmetric)
    return totals[0], totals[1] if symmetric else float("nan")


def _pair_totals(
    w: FloatArray, wt: FloatArray, *, options: RTDOptions, symmetric: bool
) -> tuple[float, ...]:
    """RTD_dim of two normalised distance matrices: ``(forward,)`` or ``(forward, backward)``;
    the :data:`rtdkit.null.Statistic` of every trial and every shuffle."""
    if options.method == "identity":
        return rtd_statistic(symmetric=symmetric)(w, wt)
    info, dim = options.info, options.dim
    fwd = barcode_from_distances(w, wt, maxdim=dim, engine=info).total_length(dim)
    if not symmetric:
        return (fwd,)
    return fwd, barcode_from_distances(wt, w, maxdim=dim, engine=info).total_length(dim)


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
    shuffles: int = 0,
    n_jobs: int = 1,
    progress: Progress = "auto",
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
    shuffles : int >= 0, default 0
        Also compute the chance level: on each trial's subsample, RTD with Q's rows re-paired
        by ``shuffles`` random permutations (seeded from ``seed``; the distance matrices are
        permuted, not recomputed). The result then reports ``chance``, ``chance_std`` and
        ``relative = value / chance`` (1 = no more related than chance), which compare
        across widths, N and batch where the raw value does not (``docs/reading.md``). Costs
        about ``shuffles + 1`` times the plain score; 0 keeps the plain score's cost. For a
        p-value, use :func:`rtdkit.permutation_test`.
    n_jobs : int or None, default 1
        Threads running the trials side by side (None: 1, -1: every core). The default
        engine releases the GIL, so they run in parallel; 'reference' (giotto-ph) holds it,
        so its trials run one at a time. With the identity and no shuffles, threads left
        over (fewer trials than ``n_jobs``, e.g. ``batch=None``) go inside each trial: its
        distances and the score engine's apparent-pair scan (``docs/score.md``, "Threads").
        Results do not depend on it.
    progress : bool or 'auto', default 'auto'
        A progress bar of the trials on stderr: True always, False never, 'auto' once the call has
        run for 2 s and stderr is a terminal (never in a pipe, a log file or CI).

    Returns
    -------
    RTDResult
        ``value`` (mean), ``std``, ``samples`` (per trial); ``float(result)`` is the value;
        with ``shuffles``, ``chance``, ``chance_std`` and ``relative``.

    Examples
    --------
    >>> import numpy as np, rtdkit
    >>> rng = np.random.default_rng(0)
    >>> P = rng.normal(size=(300, 8))
    >>> r = rtdkit.rtd(P, P @ rng.normal(size=(8, 8)), batch=100, trials=3)
    >>> r.value >= 0, len(r.samples)
    (True, 3)
    >>> unrelated = rtdkit.rtd(P, rng.normal(size=(300, 8)), batch=100, trials=3, shuffles=2)
    >>> abs(unrelated.relative - 1) < 0.1
    True
    """
    setup = _setup(P, Q, batch, trials, seed, symmetric, dim, normalize, metric, engine, method)
    shuffles = check_int(shuffles, "shuffles", minimum=0)
    n_jobs = check_n_jobs(n_jobs)
    progress = check_progress(progress)
    run = setup.run(shuffles, scope="trial", n_jobs=n_jobs, progress=progress)
    forward = run.observed[:, 0]
    backward = run.observed[:, 1] if setup.symmetric else None
    samples = average_trials(forward, backward, symmetric=setup.symmetric)
    return RTDResult(
        value=float(np.mean(samples)),
        std=float(np.std(samples)),
        samples=samples,
        forward=forward,
        backward=backward,
        dim=setup.options.dim,
        batch=len(setup.index_sets[0]),
        symmetric=setup.symmetric,
        engine=setup.options.engine,
        seed=setup.seed if isinstance(setup.seed, (int, type(None))) else None,
        method=setup.options.method,
        shuffled=run.shuffled.mean(axis=-1) if shuffles else None,
    )


def rtd_null(
    P: Any,
    Q: Any,
    *,
    shuffles: int,
    scope: Scope = "all",
    n_jobs: int = 1,
    progress: Progress = False,
    **options: Any,
) -> ChanceLevel:
    """The RTD of :func:`rtd` with ``options`` (its keyword arguments: same subsamples)
    beside ``shuffles`` shuffles of ``scope`` (:func:`rtdkit.null.draw_shuffles`);
    ``n_jobs`` and ``progress`` are already checked. With ``scope='all'`` it is the
    permutation test of :func:`rtdkit.permutation_test`."""
    unknown = sorted(set(options) - set(_SETUP_OPTIONS))
    if unknown:
        raise RTDTypeError(
            f"unknown RTD option(s) {', '.join(unknown)}; RTD takes "
            f"{', '.join(_SETUP_OPTIONS)} (as rtdkit.rtd)"
        )
    settings = {**_SETUP_OPTIONS, **options}
    setup = _setup(P, Q, *settings.values())
    run = setup.run(shuffles, scope=scope, n_jobs=n_jobs, progress=progress)
    return ChanceLevel.from_run(run, scope=scope)


@dataclass(frozen=True)
class _Setup:
    """The checked inputs of an RTD and its subsamples: what :func:`rtd` and
    :func:`rtdkit.permutation_test` share before computing."""

    p: FloatArray
    q: FloatArray
    options: RTDOptions
    symmetric: bool
    seed: int | np.random.Generator | None
    index_sets: list[NDArray[np.intp]]

    def run(self, shuffles: int, *, scope: Scope, n_jobs: int, progress: Progress) -> NullRun:
        """Every trial, and ``shuffles`` shuffles of each (:func:`rtdkit.null.subsample_null`)."""
        evaluations = len(self.index_sets) * (shuffles + 1)
        float32 = shuffles == 0 and self.options.method == "identity"
        check_trial_memory(
            len(self.index_sets[0]), self.options, n_jobs=min(n_jobs, evaluations), float32=float32
        )
        if float32:  # no float64 matrix of both clouds at once: a whole cloud fits
            observed = identity_trials(
                self.p,
                self.q,
                self.index_sets,
                options=self.options,
                symmetric=self.symmetric,
                n_jobs=n_jobs,
                progress=progress,
            )
            return NullRun(observed, np.empty((len(observed), 0, observed.shape[1])))
        return subsample_null(
            self.p,
            self.q,
            partial(_pair_totals, options=self.options, symmetric=self.symmetric),
            self.index_sets,
            shuffles=shuffles,
            seed=self.seed,
            scope=scope,
            metric=self.options.metric,
            normalize=self.options.normalize,
            n_jobs=n_jobs,
            description="RTD trials",
            progress=progress,
        )


# rtd()'s options that decide the score, in _setup's order, with rtd()'s defaults.
_SETUP_OPTIONS: dict[str, Any] = {
    "batch": DEFAULT_BATCH,
    "trials": DEFAULT_TRIALS,
    "seed": 0,
    "symmetric": True,
    "dim": 1,
    "normalize": "quantile",
    "metric": "euclidean",
    "engine": None,
    "method": None,
}


def _setup(
    P: Any,
    Q: Any,
    batch: Any,
    trials: Any,
    seed: Any,
    symmetric: Any,
    dim: Any,
    normalize: Any,
    metric: Any,
    engine: Any,
    method: Any,
) -> _Setup:
    options = RTDOptions.check(
        dim=dim, normalize=normalize, metric=metric, engine=engine, method=method
    )
    symmetric = check_bool(symmetric, "symmetric")
    batch = check_optional_int(batch, "batch", minimum=3)
    trials = check_int(trials, "trials", minimum=1)
    seed = check_seed(seed)
    fits = partial(check_rtd_memory, batch=batch, trials=trials, n_jobs=1, options=options)
    p, q = _as_pair(P, Q, options.metric, check_rows=fits)
    fits(len(p))
    index_sets = subsample_indices(len(p), batch, trials, seed)
    return _Setup(p, q, options, symmetric, seed, index_sets)
