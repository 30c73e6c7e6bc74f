"""Executors of pair tasks: this thread, a pool of threads, or a Dask cluster.

Threads are the local default: the default engine and numpy release the GIL while they
compute, a script needs no ``if __name__ == "__main__":`` guard, and nothing forks while a
progress bar's thread runs. (The 'reference' engine holds the GIL, so on threads its pairs
run one at a time; a Dask cluster of processes runs them in parallel.) A Dask cluster (a
``Client`` or a scheduler address) runs pairs in other processes or on other machines; a
``LocalCluster`` with processes must be started under the ``__main__`` guard, as Dask
documents.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping
from contextlib import closing
from typing import Any, Protocol

from rtdkit._parallel import imap
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

    def describe(self, names: list[str]) -> dict[str, RepInfo]:
        futures = [self._client.submit(rep_info, self._data[n], pure=False) for n in names]
        return dict(zip(names, self._client.gather(futures), strict=True))

    def results(self, tasks: list[PairTask]) -> Results:
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
