"""All-pairs comparison of many representations, on a local process pool or a Dask cluster.

:func:`pairwise` computes a labelled matrix per measure for every pair of representations. The
unit of work is one pair (all its trials, all measures), so a run scales from a laptop's cores
to a Dask cluster without changing a number:

* each pair's subsamples come from a seed derived from ``seed`` and the two names
  (:func:`pair_seed`), never from the order in which pairs are scheduled;
* each representation is validated and converted to float64 once per worker process (files
  are read there, not in the driver), and only the per-pair work is shipped;
* the driver writes each finished pair to a :class:`~rtdkit.store.ResultStore` at once, so a
  rerun with the same ``store`` computes only what is missing and gives the same matrix.
"""

from __future__ import annotations

import glob
import hashlib
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as futures_completed
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from rtdkit._progress import progress_iter
from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    RTDTypeError,
    as_float_matrix,
    check_choice,
    check_int,
    check_optional_int,
    check_same_rows,
)
from rtdkit.distances import METRICS, normalization_scale, pairwise_distances
from rtdkit.divergence import DEFAULT_BATCH, DEFAULT_TRIALS, rtd, subsample_indices
from rtdkit.engines import get_engine
from rtdkit.store import RepInfo, ResultRow, ResultStore, canonical_json

if TYPE_CHECKING:
    import pandas as pd

# Bumped if the derivation of per-pair seeds ever changes, so old stores refuse new runs.
SEED_SCHEME = 1


# --------------------------------------------------------------------------------------------
# Seeds and representations
# --------------------------------------------------------------------------------------------


def pair_seed(seed: int, a: str, b: str) -> int:
    """The subsampling seed of the pair (a, b): the same for (b, a), on any machine.

    A SHA-256 of the study seed and the sorted names (Python's ``hash`` is salted per process),
    cut to 63 bits so it fits a SQLite integer. ``rtdkit.rtd(P_a, P_b, seed=pair_seed(...))``
    reproduces a matrix entry of :func:`pairwise` exactly.

    Examples
    --------
    >>> pair_seed(0, "layer1", "layer2") == pair_seed(0, "layer2", "layer1")
    True
    """
    text = json.dumps([SEED_SCHEME, seed, sorted((a, b))])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


@dataclass(frozen=True)
class FileRep:
    """A representation stored in a file, read by whichever process needs it."""

    path: str
    key: str | None = None
    allow_pickle: bool = False

    def load(self) -> NDArray[Any]:
        from rtdkit.io import load_array

        return load_array(self.path, key=self.key, allow_pickle=self.allow_pickle)


def prepare(x: Any, name: str, metric: str) -> FloatArray:
    """Validate a representation once: finite float64 rows (a checked matrix if precomputed)."""
    arr = as_float_matrix(x, f"reps[{name!r}]")
    if metric == "precomputed":
        arr = pairwise_distances(arr, metric="precomputed", name=f"reps[{name!r}]")
    return arr


def rep_info(x: FloatArray) -> RepInfo:
    """Content digest and shape; the store uses it to notice data changed under a name."""
    h = hashlib.sha256(f"{x.shape}|{x.dtype.str}|".encode())
    h.update(np.ascontiguousarray(x).data)
    return RepInfo(h.hexdigest(), int(x.shape[0]), int(x.shape[1]))


class _RepCache:
    """The representations one process has prepared, loading files on first use."""

    def __init__(self, sources: Mapping[str, FloatArray | FileRep], metric: str):
        self._sources = sources
        self._metric = metric
        self._ready: dict[str, FloatArray] = {}

    def get(self, name: str) -> FloatArray:
        if name not in self._ready:
            source = self._sources[name]
            raw = source.load() if isinstance(source, FileRep) else source
            self._ready[name] = prepare(raw, name, self._metric)
        return self._ready[name]

    def info(self, name: str) -> RepInfo:
        return rep_info(self.get(name))


def load_prepared(source: FileRep, name: str, metric: str) -> FloatArray:
    """Read and prepare one file-backed representation (a Dask task)."""
    return prepare(source.load(), name, metric)


# --------------------------------------------------------------------------------------------
# The work of one pair
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The options every pair task needs; small and picklable."""

    batch: int | None
    trials: int
    dim: int
    normalize: str | float | None
    metric: str
    engine: str
    options: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class PairTask:
    """Compute the listed trials of the listed measures for representations ``a < b``."""

    a: str
    b: str
    seed: int
    todo: tuple[tuple[str, tuple[int, ...]], ...]
    config: Config


def compute_pair(task: PairTask, x_a: FloatArray, x_b: FloatArray) -> list[ResultRow]:
    """Every requested (measure, trial) of one pair, on the pair's own subsamples."""
    check_same_rows(x_a, x_b, f"reps[{task.a!r}]", f"reps[{task.b!r}]")
    cfg = task.config
    # The index sets rtd(x_a, x_b, seed=task.seed) would draw; trial t is always the t-th.
    subsets = subsample_indices(len(x_a), cfg.batch, cfg.trials, task.seed)
    rows: list[ResultRow] = []
    for measure, trials in task.todo:
        for t in trials:
            p, q = _take(x_a, subsets[t], cfg.metric), _take(x_b, subsets[t], cfg.metric)
            for direction, value in _measure_trial(measure, p, q, cfg):
                rows.append(ResultRow(task.a, task.b, measure, direction, t, value, task.seed))
    return rows


def _take(x: FloatArray, idx: NDArray[np.intp], metric: str) -> FloatArray:
    return x[np.ix_(idx, idx)] if metric == "precomputed" else x[idx]


def _measure_trial(
    measure: str, p: FloatArray, q: FloatArray, cfg: Config
) -> list[tuple[str, float]]:
    """(direction, value) of one measure on one subsample."""
    if measure == "rtd":
        # batch=None: the subsample *is* the cloud, so this is exactly one trial of rtd().
        r = rtd(
            p,
            q,
            batch=None,
            symmetric=True,
            dim=cfg.dim,
            normalize=cfg.normalize,
            metric=cfg.metric,
            engine=cfg.engine,
        )
        assert r.backward is not None  # symmetric=True always returns both directions
        return [("forward", float(r.forward[0])), ("backward", float(r.backward[0]))]
    info = _registry()[measure]
    options = cfg.options.get(measure, {})
    out = [("forward", info(p, q, **options))]
    if not info.symmetric:
        out.append(("backward", info(q, p, **options)))
    return out


def _registry() -> Mapping[str, Any]:
    """The measure registry, looked up at call time so new measures need no change here."""
    from rtdkit.baselines import MEASURES

    return MEASURES


def _directions(measure: str) -> int:
    return 2 if measure == "rtd" or not _registry()[measure].symmetric else 1


# --------------------------------------------------------------------------------------------
# Executors: in-process, local process pool, Dask
# --------------------------------------------------------------------------------------------


class _Backend(Protocol):
    def describe(self, names: list[str]) -> dict[str, RepInfo]: ...

    def results(self, tasks: list[PairTask]) -> Iterator[list[ResultRow]]: ...

    def close(self) -> None: ...


class _SerialBackend:
    """Everything in this process (``n_jobs=1``): easiest to debug, no start-up cost."""

    def __init__(self, sources: Mapping[str, FloatArray | FileRep], metric: str):
        self._cache = _RepCache(sources, metric)

    def describe(self, names: list[str]) -> dict[str, RepInfo]:
        return {name: self._cache.info(name) for name in names}

    def results(self, tasks: list[PairTask]) -> Iterator[list[ResultRow]]:
        for task in tasks:
            yield compute_pair(task, self._cache.get(task.a), self._cache.get(task.b))

    def close(self) -> None:
        """Nothing to release."""


# The representations of a pool worker, set once per process by the pool's initializer.
_WORKER_CACHE: _RepCache | None = None


def _init_worker(sources: Mapping[str, FloatArray | FileRep], metric: str) -> None:
    global _WORKER_CACHE
    _WORKER_CACHE = _RepCache(sources, metric)


def _worker_cache() -> _RepCache:
    if _WORKER_CACHE is None:
        raise RuntimeError("rtdkit pool worker used without its initializer")
    return _WORKER_CACHE


def _pool_context(engine: str) -> Any:
    """forkserver where available: forking a driver that already runs threads (progress bar,
    Dask client) is unsafe, and spawn would re-import numpy, scipy and the engine in every
    worker of every call. The server imports them once and forks ready workers."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # Takes effect when this process first starts its forkserver; it only adds imports.
    context.set_forkserver_preload(
        ["rtdkit.parallel", "rtdkit.baselines", get_engine(engine).function.__module__]
    )
    return context


def _worker_pair(task: PairTask) -> list[ResultRow]:
    cache = _worker_cache()
    return compute_pair(task, cache.get(task.a), cache.get(task.b))


def _worker_info(name: str) -> RepInfo:
    return _worker_cache().info(name)


class _PoolBackend:
    """A local process pool; in-memory arrays reach each worker once, via its initializer."""

    def __init__(
        self, sources: Mapping[str, FloatArray | FileRep], config: Config, workers: int
    ) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_pool_context(config.engine),
            initializer=_init_worker,
            initargs=(sources, config.metric),
        )

    def describe(self, names: list[str]) -> dict[str, RepInfo]:
        return dict(zip(names, self._pool.map(_worker_info, names), strict=True))

    def results(self, tasks: list[PairTask]) -> Iterator[list[ResultRow]]:
        futures = [self._pool.submit(_worker_pair, task) for task in tasks]
        return _as_completed(futures, futures_completed)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class _DaskBackend:
    """Pair tasks on a Dask cluster; arrays are scattered to every worker once, files are
    read by a task on the cluster and shared between workers by Dask."""

    def __init__(
        self, client: Any, owns: bool, sources: Mapping[str, FloatArray | FileRep], metric: str
    ) -> None:
        self._client, self._owns = client, owns
        arrays = {n: s for n, s in sources.items() if not isinstance(s, FileRep)}
        # hash=False: keys of our own, so close() can release them without touching the
        # user's data on a shared cluster.
        self._data: dict[str, Any] = (
            dict(client.scatter(arrays, broadcast=True, hash=False)) if arrays else {}
        )
        for name, source in sources.items():
            if isinstance(source, FileRep):
                self._data[name] = client.submit(load_prepared, source, name, metric, pure=False)
        self._futures: list[Any] = []

    def describe(self, names: list[str]) -> dict[str, RepInfo]:
        futures = [self._client.submit(rep_info, self._data[n], pure=False) for n in names]
        return dict(zip(names, self._client.gather(futures), strict=True))

    def results(self, tasks: list[PairTask]) -> Iterator[list[ResultRow]]:
        from distributed import as_completed

        submit = self._client.submit
        self._futures = [
            submit(compute_pair, t, self._data[t.a], self._data[t.b], pure=False) for t in tasks
        ]
        # The client's own loop: a client we opened from an address is not the default one.
        return _as_completed(self._futures, lambda fs: as_completed(fs, loop=self._client.loop))

    def close(self) -> None:
        self._client.cancel([*self._futures, *self._data.values()])
        if self._owns:
            self._client.close()


def _as_completed(
    futures: list[Any], completed: Callable[[list[Any]], Iterable[Any]]
) -> Iterator[list[ResultRow]]:
    """Results in completion order. If one fails (or Ctrl-C), first hand over every other
    result that is already finished, so that the store keeps all completed work."""
    pending = set(futures)
    try:
        for future in completed(futures):
            pending.discard(future)
            yield future.result()
    except GeneratorExit:
        raise
    except BaseException:
        for future in [f for f in futures if f in pending and _succeeded(f)]:
            yield future.result()
        raise


def _succeeded(future: Any) -> bool:
    return bool(future.done() and not future.cancelled() and future.exception() is None)


def _open_backend(
    executor: Any,
    n_jobs: int | None,
    sources: Mapping[str, FloatArray | FileRep],
    config: Config,
    n_tasks: int,
) -> _Backend:
    """The executor the user asked for (see :func:`pairwise`)."""
    if executor is None:
        workers = min(_resolve_workers(n_jobs), max(n_tasks, 1))
        if workers == 1:
            return _SerialBackend(sources, config.metric)
        return _PoolBackend(sources, config, workers)
    if isinstance(executor, str):
        return _DaskBackend(_connect(executor), True, sources, config.metric)
    if all(hasattr(executor, a) for a in ("scatter", "submit", "gather", "cancel")):
        return _DaskBackend(executor, False, sources, config.metric)
    raise RTDTypeError(
        "executor must be None (a local process pool), a dask.distributed.Client, or a "
        f"scheduler address such as 'tcp://host:8786'; got {type(executor).__name__}"
    )


def _resolve_workers(n_jobs: int | None) -> int:
    """``n_jobs``: None or -1 for every core this process may use, else a positive count."""
    if n_jobs is None or n_jobs == -1:
        return (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else (os.cpu_count() or 1)
        )
    return check_int(n_jobs, "n_jobs", minimum=1)


def _connect(address: str) -> Any:
    if "://" not in address:
        raise RTDInputError(
            f"executor={address!r} is not a scheduler address; write it as 'tcp://host:8786'"
        )
    try:
        from distributed import Client
    except ImportError as exc:
        raise RTDInputError(
            "running on a Dask cluster needs dask.distributed: pip install 'rtdkit[dask]'"
        ) from exc
    try:
        return Client(address, timeout="30s", set_as_default=False)
    except OSError as exc:
        raise RTDInputError(
            f"could not reach the Dask scheduler at {address} ({exc}); check that it runs "
            "and that the address and port are right"
        ) from exc


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    names: list[str]
    measures: list[str]
    sources: dict[str, FloatArray | FileRep]
    config: Config
    seed: int
    symmetric: bool

    def params(self, measure: str) -> dict[str, Any]:
        """What the stored numbers of ``measure`` depend on (``trials`` only extends them)."""
        common = {"batch": self.config.batch, "seed": self.seed, "seed_scheme": SEED_SCHEME}
        if measure == "rtd":
            cfg = self.config
            return {
                **common,
                "dim": cfg.dim,
                "normalize": cfg.normalize,
                "metric": cfg.metric,
                "engine": cfg.engine,
            }
        return {**common, "options": self.config.options.get(measure, {})}


def pairwise(
    reps: Mapping[str, Any],
    measures: str | Sequence[str] = ("rtd",),
    *,
    store: str | os.PathLike[str] | None = None,
    executor: Any = None,
    n_jobs: int | None = None,
    progress: bool = True,
    batch: int | None = DEFAULT_BATCH,
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    symmetric: bool = True,
    dim: int = 1,
    normalize: str | float | None = "quantile",
    metric: str = "euclidean",
    engine: str | None = None,
    measure_options: Mapping[str, Mapping[str, Any]] | None = None,
    allow_pickle: bool = False,
) -> dict[str, pd.DataFrame]:
    """Compare every pair of representations; one labelled matrix per measure.

    Every measure is averaged over the same ``trials`` random subsets of ``batch`` objects per
    pair (Algorithm 2; the paper's protocol for its baselines too). The subsets of a pair come
    from :func:`pair_seed` ``(seed, a, b)``, so the matrix does not depend on the executor, the
    number of workers, the order of ``reps``, or on whether the run was interrupted and resumed.

    Parameters
    ----------
    reps : mapping of str to array-like or path
        Names to ``(N, D)`` arrays (D may differ; N must not), or to files (``.npy``, ``.npz``,
        ``FILE.npz:KEY``, ``.csv``, ``.pt``, ``.safetensors``) read lazily by the workers.
    measures : str or sequence of str, default ("rtd",)
        Names in :data:`rtdkit.baselines.MEASURES` that compare representations.
    store : path, optional
        SQLite file that receives every finished pair at once. Rerunning with the same file
        computes only what is missing. Parameters that change stored numbers must match
        (``trials`` may grow or shrink: trial t is the same subset for any ``trials``).
    executor : None, dask.distributed.Client or str, optional
        None: a local process pool of ``n_jobs`` workers (``n_jobs=1``: this process). A Client
        or a scheduler address (``"tcp://host:8786"``) runs the pairs on that Dask cluster.
    n_jobs : int, optional
        Local workers; None or -1 uses every available core. Ignored with Dask.
    progress : bool, default True
        Progress bar of pairs done / to do, with ETA, on stderr.
    batch, trials, seed, symmetric, dim, normalize, metric, engine
        As in :func:`rtdkit.rtd`. ``seed`` must be an int. ``symmetric=False`` gives the
        directional matrix ``M[P, Q] = measure(P, Q)`` (rows P, columns Q) for RTD and other
        asymmetric measures; both directions are always computed and stored.
    measure_options : mapping, optional
        Keyword options per measure other than rtd, e.g. ``{"cka": {"kernel": "rbf"}}``.
    allow_pickle : bool, default False
        Let file-backed representations contain pickles (only for files you trust).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``result[measure]`` is an ``n x n`` matrix indexed by the names in the order of
        ``reps``. The diagonal holds each measure's value for identical inputs: 0 for
        dissimilarities (RTD(P, P) = 0 exactly, the barcode being empty), 1 for similarities
        (CKA, SVCCA, PWCCA). ``df.attrs`` records the measure's parameters.

    Examples
    --------
    >>> import numpy as np, rtdkit
    >>> rng = np.random.default_rng(0)
    >>> reps = {f"r{i}": rng.normal(size=(60, 4)) for i in range(3)}
    >>> m = pairwise(reps, batch=30, trials=2, n_jobs=1, progress=False)["rtd"]
    >>> m.shape, bool((m.values == m.values.T).all())
    ((3, 3), True)
    """
    plan = _make_plan(
        reps,
        measures,
        batch=batch,
        trials=trials,
        seed=seed,
        symmetric=symmetric,
        dim=dim,
        normalize=normalize,
        metric=metric,
        engine=engine,
        measure_options=measure_options,
        allow_pickle=allow_pickle,
    )
    with ResultStore(store) as db:
        for measure in plan.measures:
            db.register_measure(measure, plan.params(measure))
        n_pairs = len(plan.names) * (len(plan.names) - 1) // 2
        backend = _open_backend(executor, n_jobs, plan.sources, plan.config, n_pairs)
        try:
            n_trials = _effective_trials(plan.config, _register_reps(db, backend, plan))
            tasks = _pending(db, plan, n_trials)
            _run(db, backend, tasks, progress, resumed=n_pairs - len(tasks))
        finally:
            backend.close()
        return {m: _matrix(db, plan, m, n_trials) for m in plan.measures}


def _make_plan(
    reps: Mapping[str, Any],
    measures: str | Sequence[str],
    *,
    batch: int | None,
    trials: int,
    seed: int,
    symmetric: bool,
    dim: int,
    normalize: str | float | None,
    metric: str,
    engine: str | None,
    measure_options: Mapping[str, Mapping[str, Any]] | None,
    allow_pickle: bool,
) -> _Plan:
    """Validate every option before anything is computed or written."""
    info = get_engine(engine)
    dim = check_int(dim, "dim", minimum=0)
    if dim > info.max_supported_dim:
        raise RTDInputError(f"dim={dim} is above what engine {info.name!r} computes")
    for flag, value in (("symmetric", symmetric), ("allow_pickle", allow_pickle)):
        if not isinstance(value, bool):
            raise RTDInputError(f"{flag} must be True or False, got {value!r}")
    _check_distance_options(metric, normalize)
    wanted = _check_measures(measures, metric)
    config = Config(
        batch=check_optional_int(batch, "batch", minimum=3),
        trials=check_int(trials, "trials", minimum=1),
        dim=dim,
        normalize=normalize,
        metric=metric,
        engine=info.name,
        options=_check_options(measure_options, wanted),
    )
    sources = _sources(reps, metric, allow_pickle)
    seed = check_int(seed, "seed", minimum=0)
    return _Plan(list(sources), wanted, sources, config, seed, symmetric)


def _check_distance_options(metric: Any, normalize: Any) -> None:
    """Refuse a bad ``metric`` or ``normalize`` now rather than in the first worker task."""
    check_choice(metric, "metric", METRICS)
    # The workers' own check, applied to a dummy one-distance matrix: same rules, same message.
    normalization_scale(np.ones(1), normalize, name="normalize")


def _check_measures(measures: str | Sequence[str], metric: str) -> list[str]:
    wanted = [measures] if isinstance(measures, str) else list(measures)
    if not wanted or len(set(wanted)) != len(wanted):
        raise RTDInputError(f"measures must list distinct measure names, got {measures!r}")
    registry = _registry()
    for name in wanted:
        if name not in registry:
            raise RTDInputError(f"unknown measure {name!r}; choose from {', '.join(registry)}")
        if registry[name].inputs != "representations":
            raise RTDInputError(
                f"measure {name!r} compares predictions, not representations; call "
                f"rtdkit.baselines.{name} on the predictions directly"
            )
        if name != "rtd" and metric == "precomputed":
            raise RTDInputError(
                f"metric='precomputed' applies to 'rtd' only; {name!r} needs feature arrays"
            )
    return wanted


def _check_options(
    measure_options: Mapping[str, Mapping[str, Any]] | None, wanted: list[str]
) -> dict[str, dict[str, Any]]:
    options = {m: dict(o) for m, o in (measure_options or {}).items()}
    for name in options:
        if name == "rtd":
            raise RTDInputError(
                "options of 'rtd' are pairwise()'s own arguments (batch=, dim=, metric=, ...); "
                "remove 'rtd' from measure_options"
            )
        if name not in wanted:
            raise RTDInputError(f"measure_options names {name!r}, which is not in measures")
        canonical_json(options[name], f"measure_options[{name!r}]")
    return options


def _sources(
    reps: Mapping[str, Any], metric: str, allow_pickle: bool
) -> dict[str, FloatArray | FileRep]:
    """In-memory arrays are prepared here, once; files are left for the workers to read."""
    if not isinstance(reps, Mapping) or not reps:
        raise RTDInputError("reps must be a non-empty mapping of names to arrays or files")
    out: dict[str, FloatArray | FileRep] = {}
    for name, value in reps.items():
        if not isinstance(name, str) or not name:
            raise RTDTypeError(f"representation names must be non-empty strings, got {name!r}")
        if isinstance(value, (str, os.PathLike)):
            path, key = _split(os.fspath(value))
            out[name] = FileRep(str(path), key, allow_pickle)
        else:
            out[name] = prepare(value, name, metric)
    return out


def _register_reps(db: ResultStore, backend: _Backend, plan: _Plan) -> int:
    """Digest every representation (files on the workers), check them against the store,
    and return the common number of objects."""
    infos = {n: rep_info(s) for n, s in plan.sources.items() if not isinstance(s, FileRep)}
    files = [n for n, s in plan.sources.items() if isinstance(s, FileRep)]
    infos.update(backend.describe(files) if files else {})
    rows = {info.n_rows for info in infos.values()}
    if len(rows) > 1:
        sizes = ", ".join(f"{n}: {infos[n].n_rows}" for n in plan.names)
        raise RTDInputError(
            f"all representations must describe the same objects, but their numbers of rows "
            f"differ ({sizes})"
        )
    db.register_representations(infos)
    return rows.pop()


def _effective_trials(cfg: Config, n_rows: int) -> int:
    # subsample_indices() returns one whole-cloud trial when batch is None or >= N.
    return 1 if cfg.batch is None or cfg.batch >= n_rows else cfg.trials


def _pending(db: ResultStore, plan: _Plan, n_trials: int) -> list[PairTask]:
    """One task per pair that still misses a (measure, trial); stored ones are skipped."""
    done = {m: db.completed_trials(m, _directions(m)) for m in plan.measures}
    tasks = []
    for a, b in combinations(sorted(plan.names), 2):
        todo = tuple(
            (m, missing)
            for m in plan.measures
            if (missing := tuple(t for t in range(n_trials) if t not in done[m].get((a, b), ())))
        )
        if todo:
            tasks.append(PairTask(a, b, pair_seed(plan.seed, a, b), todo, plan.config))
    return tasks


def _run(
    db: ResultStore, backend: _Backend, tasks: list[PairTask], progress: bool, *, resumed: int
) -> None:
    """Store each pair as it finishes (the driver is the only writer of its results)."""
    if not tasks:
        return
    label = f"pairs ({resumed} already stored)" if resumed else "pairs"
    written = 0
    try:
        for result in progress_iter(
            backend.results(tasks), total=len(tasks), description=label, enabled=progress
        ):
            db.write(result)
            written += 1
    except (Exception, KeyboardInterrupt) as exc:
        exc.add_note(_resume_hint(db.path, written, len(tasks)))
        raise


def _resume_hint(path: str | None, written: int, total: int) -> str:
    if path is None:
        return (
            f"rtdkit: {written} of {total} pairs had finished; pass store='study.sqlite' to "
            "keep finished pairs when a run is interrupted"
        )
    return (
        f"rtdkit: {written} of {total} pairs of this run finished and are stored in {path}; "
        "rerun with the same store= to compute only the rest"
    )


def _matrix(db: ResultStore, plan: _Plan, measure: str, n_trials: int) -> pd.DataFrame:
    """Average the stored trials exactly as rtd() does, into a labelled matrix."""
    import pandas as pd

    values = db.values(measure)
    index = {name: i for i, name in enumerate(plan.names)}
    kind = _registry()[measure].kind
    m = np.full((len(index), len(index)), 0.0 if kind == "dissimilarity" else 1.0)
    for a, b in combinations(sorted(plan.names), 2):
        forward = np.array([values[(a, b, "forward", t)] for t in range(n_trials)])
        if _directions(measure) == 1:
            m[index[a], index[b]] = m[index[b], index[a]] = float(np.mean(forward))
            continue
        backward = np.array([values[(a, b, "backward", t)] for t in range(n_trials)])
        if plan.symmetric:
            m[index[a], index[b]] = m[index[b], index[a]] = float(
                np.mean((forward + backward) / 2.0)
            )
        else:
            m[index[a], index[b]], m[index[b], index[a]] = np.mean(forward), np.mean(backward)
    frame = pd.DataFrame(m, index=plan.names, columns=plan.names)
    frame.attrs.update(
        measure=measure,
        kind=kind,
        symmetric=plan.symmetric,
        trials=n_trials,
        params=plan.params(measure),
    )
    return frame


# --------------------------------------------------------------------------------------------
# Command-line helper
# --------------------------------------------------------------------------------------------


def find_representations(specs: str | Sequence[str]) -> dict[str, str]:
    """Name -> file for directories, glob patterns or files; names are the file stems.

    A directory contributes its files with a supported suffix (not recursively); ``**`` in a
    pattern recurses; ``FILE.npz:KEY`` picks one array and is named ``STEM:KEY``. When stems
    collide (``run1/layer3.npy``, ``run2/layer3.npy``) the names are the paths relative to
    the common folder, without suffix (``run1/layer3``).

    Examples
    --------
    >>> import tempfile, numpy as np, os
    >>> d = tempfile.mkdtemp(); np.save(os.path.join(d, "a.npy"), np.eye(3))
    >>> list(find_representations(d))
    ['a']
    """
    files: list[str] = []
    for spec in [specs] if isinstance(specs, str) else specs:
        found = _expand(spec)
        if not found:
            raise RTDInputError(f"{spec!r} matches no representation file (.npy, .npz, ...)")
        files.extend(found)
    if len(set(files)) != len(files):
        raise RTDInputError("a file is listed twice; list each representation once")
    names = [_name(spec, None) for spec in files]
    if len(set(names)) != len(names):
        root = os.path.commonpath([_split(spec)[0].resolve().parent for spec in files])
        names = [_name(spec, Path(root)) for spec in files]
    return dict(zip(names, files, strict=True))


def _split(spec: str) -> tuple[Path, str | None]:
    from rtdkit.io import split_path_key

    return split_path_key(spec)


def _expand(spec: str) -> list[str]:
    from rtdkit.io import SUFFIXES

    path = Path(spec)
    if path.is_dir():
        return [str(p) for p in sorted(path.iterdir()) if p.suffix.lower() in SUFFIXES]
    if path.exists() or _split(spec)[1] is not None:
        return [spec]
    matches = sorted(glob.glob(spec, recursive=True))
    return [p for p in matches if Path(p).suffix.lower() in SUFFIXES]


def _name(spec: str, root: Path | None) -> str:
    """The file stem, or with ``root`` the path below ``root`` without suffix."""
    path, key = _split(spec)
    stem = (
        path.stem if root is None else path.resolve().relative_to(root).with_suffix("").as_posix()
    )
    return stem if key is None else f"{stem}:{key}"


def matrix_command(
    specs: str | Sequence[str],
    measures: Sequence[str] = ("rtd",),
    *,
    store: str | os.PathLike[str] | None = None,
    scheduler: str | None = None,
    plot: str | os.PathLike[str] | None = None,
    mds: str | os.PathLike[str] | None = None,
    **options: Any,
) -> dict[str, pd.DataFrame]:
    """``rtdkit matrix``: all-pairs matrices of the files in ``specs``, optionally plotted.

    Parameters
    ----------
    specs : str or sequence of str
        Directories, glob patterns or files (see :func:`find_representations`).
    measures : sequence of str, default ("rtd",)
        Measures to compute, as in :func:`pairwise`.
    store : path, optional
        SQLite results store; rerunning with it resumes the study.
    scheduler : str, optional
        Dask scheduler address (``"tcp://host:8786"``); default: the local process pool.
    plot, mds : path, optional
        Save one heatmap per measure, or one 2-D classical MDS per measure of the
        dissimilarity (``1 - s`` for similarities, as in the paper's Fig. 7).
    **options
        Passed to :func:`pairwise` (``batch``, ``trials``, ``seed``, ``n_jobs``, ...).

    Returns
    -------
    dict of str to pandas.DataFrame
        The matrices, as :func:`pairwise` returns them.

    Examples
    --------
    >>> import tempfile, numpy as np, os
    >>> d = tempfile.mkdtemp(); rng = np.random.default_rng(0)
    >>> for i in range(3): np.save(os.path.join(d, f"r{i}.npy"), rng.normal(size=(40, 3)))
    >>> out = matrix_command(d, batch=20, trials=1, n_jobs=1, progress=False)
    >>> out["rtd"].index.tolist()
    ['r0', 'r1', 'r2']
    """
    matrices = pairwise(
        find_representations(specs), measures, store=store, executor=scheduler, **options
    )
    if plot is not None:
        _save_panels(matrices, plot, heatmap=True)
    if mds is not None:
        _save_panels(matrices, mds, heatmap=False)
    return matrices


def _save_panels(
    matrices: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], *, heatmap: bool
) -> None:
    import matplotlib.pyplot as plt

    from rtdkit.plot import plot_heatmap, plot_mds, save_figure

    fig, axes = plt.subplots(1, len(matrices), figsize=(6.0 * len(matrices), 5.0), squeeze=False)
    for ax, (measure, frame) in zip(axes[0], matrices.items(), strict=True):
        label = _registry()[measure].label
        if heatmap:
            plot_heatmap(frame, ax=ax, title=measure, colorbar_label=measure)
        else:
            plot_mds(dissimilarity(frame), ax=ax, title=f"MDS of {label}")
    save_figure(fig, path)
    plt.close(fig)


def dissimilarity(frame: pd.DataFrame) -> pd.DataFrame:
    """A :func:`pairwise` matrix as a dissimilarity: ``1 - s`` for similarity measures.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame([[1.0, 0.8], [0.8, 1.0]], index=["a", "b"], columns=["a", "b"])
    >>> m.attrs["kind"] = "similarity"
    >>> dissimilarity(m).round(2).values.tolist()
    [[0.0, 0.2], [0.2, 0.0]]
    """
    if frame.attrs.get("kind") == "similarity":
        out: pd.DataFrame = 1.0 - frame
        out.attrs.update(frame.attrs, kind="dissimilarity")
        return out
    return frame
