"""The one thread pool of rtdkit, and how Ctrl-C reaches work that runs in it.

Threads, not processes: the native engines and numpy release the GIL, a script needs no
``__main__`` guard, and nothing forks while a progress bar's thread runs.

Python delivers SIGINT to the main thread only, and a native engine running in a pool thread
never sees it (``PyErr_CheckSignals`` acts in the main thread alone). So every map here carries
a *cancel token*: when the main thread is interrupted (or any item fails), the token is set,
the items not yet started are dropped, and the items already running stop at their engine's
next progress call (about every 0.2 s), because every engine call goes through
:func:`engine_callback`, which raises :class:`WorkCancelled` once the token is set. The pool is
then joined, so nothing keeps computing after the call has returned.

Tokens travel in a context variable, copied into each pool thread, so that a map started inside
a pool thread (a pair of ``pairwise`` running ``rtd``'s trials) is cancelled with its parent.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import closing
from typing import Any, TypeVar

from rtdkit._progress import Progress, progress_iter

T = TypeVar("T")
R = TypeVar("R")

__all__ = [
    "WorkCancelled",
    "engine_callback",
    "imap",
    "map_ordered",
    "raise_if_cancelled",
    "run_with_token",
]

# The cancel tokens of every map that encloses the running code (outermost first).
_TOKENS: contextvars.ContextVar[tuple[threading.Event, ...]] = contextvars.ContextVar(
    "rtdkit_cancel_tokens", default=()
)


# Numbers the pools, so that each can find its own threads by name.
_POOL_NUMBERS = itertools.count()


class WorkCancelled(Exception):
    """Raised in a pool thread whose map was cancelled; never reaches the user, who sees the
    ``KeyboardInterrupt`` (or the first error) that caused the cancellation."""


def raise_if_cancelled() -> None:
    """Raise :class:`WorkCancelled` if any map enclosing this code has been cancelled."""
    if any(token.is_set() for token in _TOKENS.get()):
        raise WorkCancelled("cancelled")


def engine_callback(
    progress: Callable[[int, int], object] | None,
) -> Callable[[int, int], None]:
    """The ``callback(done, total)`` to hand to a native engine (it calls it about every
    0.2 s, holding the GIL): stops the engine if its map was cancelled, then reports progress.

    The context is captured here, in the thread that starts the engine, so the check sees that
    thread's tokens whichever thread the engine calls back from.
    """
    context = contextvars.copy_context()

    def callback(done: int, total: int) -> None:
        context.run(raise_if_cancelled)
        if progress is not None:
            progress(done, total)

    return callback


def run_with_token(token: threading.Event, fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)`` in this thread, cancelled when ``token`` is set (from any thread): its
    engine calls then stop at their next progress call with :class:`WorkCancelled`, as an
    item of a cancelled map does.

    For work this module's maps do not start, e.g. a pair task on a Dask worker, whose
    cancellation arrives from another process.

    Examples
    --------
    >>> token = threading.Event()
    >>> run_with_token(token, sum, [1, 2])
    3
    >>> token.set(); run_with_token(token, sum, [1, 2])
    Traceback (most recent call last):
    ...
    rtdkit._parallel.WorkCancelled: cancelled
    """
    tokens = (*_TOKENS.get(), token)
    return contextvars.copy_context().run(_run_with_token, tokens, lambda a: fn(*a), args)


def _run_with_token(tokens: tuple[threading.Event, ...], fn: Callable[[T], R], item: T) -> R:
    _TOKENS.set(tokens)
    raise_if_cancelled()  # an item queued before the cancellation does not start
    return fn(item)


def imap(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    n_jobs: int = 1,
    ordered: bool = True,
) -> Generator[R, None, None]:
    """``fn(item)`` for each item, on ``n_jobs`` threads (already validated by
    ``check_n_jobs``; 1: in this thread, lazily).

    Results come in the order of ``items`` (``ordered=True``) or as they complete. The first
    error, a ``KeyboardInterrupt`` in the consumer, or closing the iterator early cancels the
    rest (see the module's docstring) and joins the pool before the exception propagates.
    A consumer that may stop early must close the iterator (``contextlib.closing``): an
    exception raised in the consumer's own frame does not reach a suspended generator, which
    a traceback can keep alive, pool and all.
    """
    work = list(items)
    workers = min(n_jobs, len(work))
    if workers <= 1:
        for item in work:
            raise_if_cancelled()
            yield fn(item)
        return
    token = threading.Event()
    tokens = (*_TOKENS.get(), token)
    prefix = f"rtdkit-{next(_POOL_NUMBERS)}"
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=prefix)
    try:
        futures = [
            pool.submit(contextvars.copy_context().run, _run_with_token, tokens, fn, item)
            for item in work
        ]
        yield from (_in_order(futures) if ordered else _as_completed(futures))
    finally:
        # Normal end: nothing left. Error, Ctrl-C or an early close: stop the rest promptly.
        token.set()
        pool.shutdown(wait=True, cancel_futures=True)
        _join_threads(prefix)


def _join_threads(prefix: str) -> None:
    """Join the pool's threads by name: one whose ``start()`` Ctrl-C interrupted (inside
    ``submit``) runs, but the pool never recorded it, so ``shutdown`` does not wait for it."""
    for thread in threading.enumerate():
        if thread.name.startswith(f"{prefix}_"):
            thread.join()


def _in_order(futures: list[Future[R]]) -> Iterator[R]:
    """Results in order; a later item's error is raised as soon as it happens, not once the
    items before it have finished, so that the cancellation it causes stops them at once."""
    for position, future in enumerate(futures):
        while not future.done():
            # A timeout keeps the main thread responsive to Ctrl-C on every platform.
            wait(futures[position:], timeout=0.25, return_when=FIRST_EXCEPTION)
            failed = next((f for f in futures[position + 1 :] if f.done() and _failed(f)), None)
            if failed is not None:
                failed.result()  # raises the item's error (or CancelledError)
        yield future.result()


def _as_completed(futures: list[Future[R]]) -> Iterator[R]:
    """Results as they complete. On a failed item or Ctrl-C, every result that had already
    finished is handed over before the exception propagates, so that a caller who stores
    results (``pairwise``) keeps all completed work."""
    pending = set(futures)
    try:
        while pending:
            # A timeout keeps the main thread responsive to Ctrl-C on every platform.
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=_failed):  # the successes of this round first
                yield _result(future)
    except GeneratorExit:
        raise
    except BaseException:
        yield from (f.result() for f in futures if f in pending and _succeeded(f))
        raise


def _failed(future: Future[R]) -> bool:
    return future.cancelled() or future.exception() is not None


def _succeeded(future: Future[R]) -> bool:
    return future.done() and not _failed(future)


def _result(future: Future[R]) -> R:
    while True:
        try:
            return future.result(timeout=0.25)
        except TimeoutError:
            continue


def map_ordered(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    n_jobs: int = 1,
    description: str = "",
    progress: Progress = False,
) -> list[R]:
    """``[fn(x) for x in items]`` on ``n_jobs`` threads, in order, with an optional progress
    bar; results never depend on ``n_jobs``."""
    work = list(items)
    with closing(imap(fn, work, n_jobs=n_jobs)) as results:
        return list(
            progress_iter(results, total=len(work), description=description, enabled=progress)
        )
