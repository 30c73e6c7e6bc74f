"""All-pairs comparison of many representations, on local threads or a Dask cluster.

:func:`pairwise` computes a labelled matrix per measure for every pair of representations. The
unit of work is one pair (all its trials, all measures), so a run scales from a laptop's cores
to a Dask cluster without changing a number:

* each pair's subsamples come from a seed derived from ``seed`` and the two names
  (:func:`pair_seed`), never from the order in which pairs are scheduled;
* each representation is validated and converted to float64 once per process (files are read
  there, not in the driver), and only the per-pair work is shipped;
* the driver writes each finished pair to a :class:`~rtdkit.allpairs.store.ResultStore` at
  once, so a rerun with the same ``store`` computes only what is missing and gives the same
  matrix.

The package is laid out by concern: :mod:`~rtdkit.allpairs.plan` (options, seeds, pairs to
do), :mod:`~rtdkit.allpairs.compute` (the work of one pair),
:mod:`~rtdkit.allpairs.executors` (threads, Dask) and :mod:`~rtdkit.allpairs.store` (SQLite).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping, Sequence
from contextlib import closing
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np

from rtdkit._progress import Progress, check_progress, progress_iter
from rtdkit._trials import average_trials
from rtdkit._validation import FloatArray, RTDInputError, check_n_jobs
from rtdkit.allpairs.compute import FileRep, rep_info, shuffle_name, split_shuffle
from rtdkit.allpairs.executors import Backend, open_backend
from rtdkit.allpairs.leases import shared_run
from rtdkit.allpairs.plan import PairTask, Plan, effective_trials, make_plan, pair_seed, pending
from rtdkit.allpairs.store import ResultStore
from rtdkit.divergence import DEFAULT_BATCH, DEFAULT_TRIALS, check_trial_memory
from rtdkit.io import stored_rows
from rtdkit.measures import MEASURES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["dissimilarity", "pair_seed", "pairwise"]


def pairwise(
    reps: Mapping[str, Any],
    measures: str | Sequence[str] = ("rtd",),
    *,
    store: str | os.PathLike[str] | None = None,
    executor: Any = None,
    n_jobs: int | None = -1,
    progress: Progress = "auto",
    batch: int | None = DEFAULT_BATCH,
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    symmetric: bool = True,
    dim: int = 1,
    normalize: str | float | None = "quantile",
    metric: str = "euclidean",
    engine: str | None = None,
    method: str | None = None,
    measure_options: Mapping[str, Mapping[str, Any]] | None = None,
    shuffles: int = 0,
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
        Names in :data:`rtdkit.measures.MEASURES` that compare representations.
    store : path, optional
        SQLite file that receives every finished pair at once. Rerunning with the same file
        computes only what is missing. Parameters that change stored numbers must match
        (``trials`` may grow or shrink: trial t is the same subset for any ``trials``).
        Several processes may run the same call on the same file at once (on one machine,
        or several sharing a local disk): they split the pairs by claiming them, a killed
        process's pairs are taken over after a minute, and each returns the whole matrix
        (:mod:`rtdkit.allpairs.leases`).
    executor : None, dask.distributed.Client or str, optional
        None: ``n_jobs`` threads in this process (the default engine releases the GIL, the
        'reference' one does not; a script needs no ``__main__`` guard). A Client or a
        scheduler address (``"tcp://host:8786"``) runs the pairs on that Dask cluster (start a
        process-based ``LocalCluster`` under ``if __name__ == "__main__":``, as Dask
        requires).
    n_jobs : int or None, default -1
        Local threads: -1 every available core, None or 1 this thread only. Ignored with Dask.
    progress : bool or 'auto', default 'auto'
        A progress bar of pairs done / to do, with ETA, on stderr: True always, False never, 'auto'
        once the call has run for 2 s and stderr is a terminal (never in a pipe, a log file or CI).
    batch, trials, seed, symmetric, dim, normalize, metric, engine, method
        As in :func:`rtdkit.rtd`. ``seed`` must be an int (it derives each pair's seed).
        A study needs at least two representations. ``symmetric=False`` gives the
        directional matrix ``M[P, Q] = measure(P, Q)`` (rows P, columns Q) for RTD and other
        asymmetric measures; both directions are always computed and stored.
    measure_options : mapping, optional
        Keyword options per measure other than rtd, e.g. ``{"cka": {"kernel": "rbf"}}``.
    shuffles : int >= 0, default 0
        Also give each measure (but IMD, blind to the pairing) relative to its chance level:
        on every trial, ``shuffles`` random re-pairings of one representation's rows, exactly
        those of ``rtdkit.rtd(P_a, P_b, seed=pair_seed(seed, a, b), shuffles=k)`` with
        ``a < b`` the two names in sorted order. They are
        stored with the pair (as measures ``"<measure>~shuffle<j>"``), so a study can add
        shuffles later. Costs about ``shuffles + 1`` times as much.
    allow_pickle : bool, default False
        Let file-backed representations contain pickles (only for files you trust).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``result[measure]`` is an ``n x n`` matrix indexed by the names in the order of
        ``reps``; with ``shuffles``, ``result["relative " + measure]`` holds ``d / d_chance``
        (``d`` the dissimilarity, ``1 - s`` for a similarity; 1 = no more related than
        chance, 0 on the diagonal). The diagonal holds each measure's value for identical
        inputs: 0 for dissimilarities (RTD(P, P) = 0 exactly, the barcode being empty), 1
        for similarities (CKA, SVCCA, PWCCA). ``df.attrs`` records the measure's parameters.

    Examples
    --------
    >>> import numpy as np, rtdkit
    >>> rng = np.random.default_rng(0)
    >>> reps = {f"r{i}": rng.normal(size=(60, 4)) for i in range(3)}
    >>> m = pairwise(reps, batch=30, trials=2, n_jobs=1, progress=False)["rtd"]
    >>> m.shape, bool((m.values == m.values.T).all())
    ((3, 3), True)
    """
    n_jobs = check_n_jobs(n_jobs)
    progress = check_progress(progress)
    plan = make_plan(
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
        method=method,
        measure_options=measure_options,
        allow_pickle=allow_pickle,
        shuffles=shuffles,
    )
    n_pairs = len(plan.names) * (len(plan.names) - 1) // 2
    workers = min(n_jobs, n_pairs) if executor is None else 1
    # Refused before any file is read (from the headers) and again before any pair allocates
    # its N x N matrices, once every representation was read.
    for n_rows in _rows_known_up_front(plan):
        _check_memory(n_rows, plan, workers)
    with ResultStore(store) as db:
        for name in plan.stored:
            db.register_measure(name, plan.params(name))
        backend = open_backend(executor, n_jobs, plan.sources, plan.config.metric, n_pairs)
        try:
            n_rows = _register_reps(db, backend, plan)
            _check_memory(n_rows, plan, workers)
            n_trials = effective_trials(plan.config, n_rows)
            tasks = pending(db, plan, n_trials)
            if db.path is None:
                stored = _stored(db, backend, tasks)
            else:  # other processes may share the file: split the pairs with them
                stored = shared_run(
                    db, backend, lambda: pending(db, plan, n_trials), width=backend.width
                )
            _run(db, stored, len(tasks), progress, resumed=n_pairs - len(tasks))
        finally:
            backend.close()
        matrices = {m: _matrix(db, plan, m, n_trials) for m in plan.measures}
        if plan.config.shuffles:
            for m in plan.measures:
                if MEASURES[m].pairing:
                    matrices[f"relative {m}"] = _relative_matrix(db, plan, m, n_trials)
        return matrices


def _rows_known_up_front(plan: Plan) -> set[int]:
    """The numbers of rows of the representations, those of files from their headers (files
    without one, or that only the workers can open, are checked once they are read)."""
    rows = set()
    for source in plan.sources.values():
        n_rows = (
            stored_rows(source.path, key=source.key) if isinstance(source, FileRep) else len(source)
        )
        if n_rows is not None:
            rows.add(n_rows)
    return rows


def _check_memory(n_rows: int, plan: Plan, workers: int) -> None:
    """``workers`` pairs at once, each on at most ``batch`` of the ``n_rows`` points, must fit
    in memory (the error names ``batch=``)."""
    batch = n_rows if plan.config.batch is None else min(plan.config.batch, n_rows)
    check_trial_memory(batch, plan.config.rtd, n_jobs=workers, caller="pairwise")


def _register_reps(db: ResultStore, backend: Backend, plan: Plan) -> int:
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


def _stored(
    db: ResultStore, backend: Backend, tasks: list[PairTask]
) -> Generator[None, None, None]:
    """Compute ``tasks`` and store each pair as it finishes; yield once per pair."""
    # closing: Ctrl-C here in the driver must reach (and stop) the backend's workers at once
    with closing(backend.results(tasks)) as results:
        for result in results:
            db.write(result)
            yield


def _run(
    db: ResultStore,
    stored: Generator[None, None, None],
    n_tasks: int,
    progress: Progress,
    *,
    resumed: int,
) -> None:
    """Drive ``stored`` (one step per pair stored) under a progress bar."""
    if not n_tasks:
        return
    label = f"pairs ({resumed} already stored)" if resumed else "pairs"
    written = 0
    try:
        with closing(stored):  # ends the backend's map, or releases this process's claims
            for _ in progress_iter(stored, total=n_tasks, description=label, enabled=progress):
                written += 1
    except (Exception, KeyboardInterrupt) as exc:
        exc.add_note(_resume_hint(db.path, written, n_tasks))
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


def _matrix(
    db: ResultStore,
    plan: Plan,
    measure: str,
    n_trials: int,
    *,
    kind: str | None = None,
    per_trial: bool = False,
) -> Any:
    """Average the stored trials exactly as rtd() does, into a labelled matrix (``measure``
    may be a stored shuffle; ``kind`` is then its measure's). With ``per_trial``, an
    ``n x n x trials`` array of the per-trial values instead."""
    base = split_shuffle(measure)[0]
    values = db.values(measure)
    index = {name: i for i, name in enumerate(plan.names)}
    kind = kind or MEASURES[base].kind
    identical = 0.0 if kind == "dissimilarity" else 1.0
    m = np.full((len(index), len(index), n_trials), identical)
    two_way = len(MEASURES[base].directions) == 2
    for a, b in combinations(sorted(plan.names), 2):
        forward = [values[(a, b, "forward", t)] for t in range(n_trials)]
        backward = [values[(a, b, "backward", t)] for t in range(n_trials)] if two_way else None
        if backward is None or plan.symmetric:
            samples = average_trials(forward, backward, symmetric=True)
            m[index[a], index[b]] = m[index[b], index[a]] = samples
        else:
            m[index[a], index[b]], m[index[b], index[a]] = forward, backward
    if per_trial:
        return m
    return _frame(m.mean(axis=2), plan, measure, n_trials, kind=kind)


def _frame(m: FloatArray, plan: Plan, measure: str, n_trials: int, *, kind: str) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(m, index=plan.names, columns=plan.names)
    frame.attrs.update(
        measure=measure,
        kind=kind,
        symmetric=plan.symmetric,
        trials=n_trials,
        params=plan.params(measure),
    )
    return frame


def _relative_matrix(db: ResultStore, plan: Plan, measure: str, n_trials: int) -> pd.DataFrame:
    """Each entry's score relative to its chance level, from the stored trials and shuffles:
    ``d(value) / d(chance)`` as :attr:`rtdkit.RTDResult.relative` computes it."""
    from rtdkit.null import ChanceLevel

    kind = MEASURES[measure].kind
    names = [shuffle_name(measure, j) for j in range(1, plan.config.shuffles + 1)]
    shuffled = [_matrix(db, plan, name, n_trials, kind=kind, per_trial=True) for name in names]
    observed = _matrix(db, plan, measure, n_trials, per_trial=True)
    m = np.zeros((len(plan.names), len(plan.names)))
    for i, j in np.ndindex(m.shape):
        if i != j:
            chance = np.stack([s[i, j] for s in shuffled], axis=1)  # (trials, shuffles)
            m[i, j] = ChanceLevel(observed[i, j], chance, kind).relative
    frame = _frame(m, plan, measure, n_trials, kind="dissimilarity")
    frame.attrs.update(relative=True, shuffles=plan.config.shuffles)
    return frame


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
