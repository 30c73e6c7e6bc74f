"""Executors of pair tasks: this thread, a pool of threads, or a Dask cluster.

Threads are the local default: the default engine and numpy release the GIL while they
compute, a script needs no ``if __name__ == "__main__":`` guard, and nothing forks while a
progress bar's thread runs. (The 'reference' engine holds the GIL, so on threads its pairs
run one at a time; a Dask cluster of processes runs them in parallel.) A Dask cluster (a
``Client`` or a scheduler address) runs pairs in other processes or on other machines; a
``LocalCluster`` with processes must be started under the ``__main__`` guard, as Dask
documents.

Dask cannot interrupt a task that runs: cancelling its future only drops its result. So each
pair task runs under a cancel token of its own (:func:`rtdkit._parallel.run_with_token`), set
by a watcher thread in the task once the driver sets the run's :class:`distributed.Event`
(Ctrl-C or an early close there); the task's engine calls then stop at their next progress
call, as they do in this process's thread pool.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Generator, Iterable, Mapping
from contextlib import closing
from typing import Any, Protocol

from rtdkit._parallel import imap, run_with_token
from rtdkit._validation import FloatArray, RTDInputError, RTDTypeError
from rtdkit.allpairs.compute import FileRep, RepCache, compute_pair, load_prepared, rep_info
from rtdkit.allpairs.plan import PairTask
from rtdkit.allpairs.store import RepInfo, ResultRow

__all__ = ["Backend", "open_backend"]

# Pair results as they complete; closed by the driver (Ctrl-C there must stop the workers).
Results = Generator[list[ResultRow], None, None]


class Backend(Protocol):
    # How many pairs it computes at once (what a process claims from a shared store).
    width: int

    def describe(self, names: list[str]) -> dict[str, RepInfo]: ...

    def results(self, tasks: list[PairTask]) -> Results: ...

    def close(self) -> None: ...


class _LocalBackend:
    """Pairs in this process: in this thread (``workers=1``: easiest to debug, no start-up
    cost) or on the project's thread pool (:mod:`rtdkit._parallel`, which Ctrl-C stops),
    sharing one cache of prepared representations."""

    def __init__(
        self, sources: Mapping[str, FloatArray | FileRep], metric: str, workers: int
    ) -> None:
        self._cache = RepCache(sources, metric)
        self._workers = self.width = workers

    def describe(self, names: list[str]) -> dict[str, RepInfo]:
        with closing(imap(self._cache.info, names, n_jobs=self._workers)) as infos:
            return dict(zip(names, infos, strict=True))

    def results(self, tasks: list[PairTask]) -> Results:
        # As they complete; on an error or Ctrl-C the pairs already finished come first.
        return imap(self._pair, tasks, n_jobs=self._workers, ordered=False)

    def _pair(self, task: PairTask) -> list[ResultRow]:
        return compute_pair(task, self._cache.get(task.a), self._cache.get(task.b))

    def close(self) -> None:
        """Nothing to release: every map joins its own threads before it returns."""


class _DaskBackend:
    """Pair tasks on a Dask cluster; arrays are scattered to every worker once, files are
    read by a task on the cluster and shared between workers by Dask."""

    def __init__(
        self, client: Any, owns: bool, sources: Mapping[str, FloatArray | FileRep], metric: str
    ) -> None:
        self._client, self._owns = client, owns
        self.width = max(sum(client.nthreads().values()), 1)
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
        # The run's own event on the scheduler (a shared cluster may run other studies).
        self._cancel_event = f"rtdkit-cancel-{uuid.uuid4().hex}"

    def describe(self, names: list[str]) -> dict[str, RepInfo]:
        futures = [self._client.submit(rep_info, self._data[n], pure=False) for n in names]
        return dict(zip(names, self._client.gather(futures), strict=True))

    def results(self, tasks: list[PairTask]) -> Results:
        from distributed import as_completed

        submit = self._client.submit
        event = self._cancel_event
        self._futures = [
            submit(_cancellable_pair, event, t, self._data[t.a], self._data[t.b], pure=False)
            for t in tasks
        ]
        # The client's own loop: a client we opened from an address is not the default one.
        return _as_completed(self._futures, lambda fs: as_completed(fs, loop=self._client.loop))

    def close(self) -> None:
        if not all(future.done() for future in self._futures):
            from distributed import Event

            # stops the pairs already running; cancel() below drops those not started
            Event(self._cancel_event, client=self._client).set()
        self._client.cancel([*self._futures, *self._data.values()])
        if self._owns:
            self._client.close()


# How long one wait of a task's watcher for its run's cancel event lasts on the scheduler (a
# long poll: the wait returns as soon as the event is set); only the watcher's own end, after
# its task, can wait this long.
_CANCEL_POLL_S = 1.0


def _cancellable_pair(
    cancel_event: str, task: PairTask, x_a: FloatArray, x_b: FloatArray
) -> list[ResultRow]:
    """:func:`compute_pair` as a Dask task that stops (:class:`rtdkit._parallel.WorkCancelled`)
    once the driver sets the event named ``cancel_event``."""
    from distributed import Event, get_client

    # The worker's client, found here in the task's thread: the watcher's thread has none.
    cancelled = Event(cancel_event, client=get_client())
    token, finished = threading.Event(), threading.Event()
    threading.Thread(
        target=_watch, args=(cancelled, token, finished), name="pair-cancel-watch", daemon=True
    ).start()
    try:
        return run_with_token(token, compute_pair, task, x_a, x_b)
    finally:
        finished.set()  # the watcher ends after its current wait, which blocks no task


def _watch(cancelled: Any, token: threading.Event, finished: threading.Event) -> None:
    """Set ``token`` when the Dask event ``cancelled`` is set, until ``finished`` is."""
    while not finished.is_set():
        try:
            stop = cancelled.wait(timeout=_CANCEL_POLL_S)
        except OSError:  # distributed's CommClosedError: the worker lost the scheduler
            if finished.is_set():
                return  # after the task ended (e.g. the cluster closing): nothing to stop
            raise
        if stop:
            token.set()
            return


def _as_completed(futures: list[Any], completed: Callable[[list[Any]], Iterable[Any]]) -> Results:
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


def open_backend(
    executor: Any,
    n_jobs: int,
    sources: Mapping[str, FloatArray | FileRep],
    metric: str,
    n_tasks: int,
) -> Backend:
    """The executor the user asked for (see :func:`pairwise`)."""
    if executor is None:
        return _LocalBackend(sources, metric, min(n_jobs, max(n_tasks, 1)))
    if isinstance(executor, str):
        return _DaskBackend(_connect(executor), True, sources, metric)
    if all(hasattr(executor, a) for a in ("scatter", "submit", "gather", "cancel")):
        return _DaskBackend(executor, False, sources, metric)
    raise RTDTypeError(
        "executor must be None (threads in this process), a dask.distributed.Client, or a "
        f"scheduler address such as 'tcp://host:8786'; got {type(executor).__name__}"
    )


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
