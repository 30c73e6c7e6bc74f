"""Several processes on one store split a study: each claims pairs for a lease.

Start the same :func:`rtdkit.pairwise` (or ``rtdkit matrix``) with the same ``store`` in as
many processes as you like, on one machine or several sharing a local disk: each claims a few
pending pairs at a time (:meth:`~rtdkit.allpairs.store.ResultStore.claim`), computes them,
and stores each with its claim dropped in the same transaction. A background thread renews
the claims every :data:`RENEW_S` seconds while the process works; a process that is killed
stops renewing, and :data:`LEASE_S` seconds later its pairs are claimed by the others. When
nothing is left to claim but pairs are still held, a process waits for them (they are
finished, or their lease expires), so every process returns the whole matrix.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Generator
from contextlib import closing

from rtdkit._validation import RTDInputError
from rtdkit.allpairs.executors import Backend
from rtdkit.allpairs.plan import PairTask
from rtdkit.allpairs.store import ResultStore

__all__ = ["LEASE_S", "RENEW_S", "shared_run"]

# A killed process's pairs are taken by the others this long after its last renewal.
LEASE_S = 60.0
# Renewed well within the lease, so that a slow disk or a busy store never loses one.
RENEW_S = 10.0
# How often a process with nothing to claim looks whether held pairs were finished.
_WAIT_S = 0.5


def shared_run(
    db: ResultStore,
    backend: Backend,
    pending: Callable[[], list[PairTask]],
    *,
    width: int,
) -> Generator[None, None, None]:
    """Compute this process's share of the ``pending()`` pairs, ``width`` claimed at a time.

    Yields once per pair stored (by this process or another) until no pair is pending.
    Claims are released if the run stops early (an error, Ctrl-C), so that the other
    processes take those pairs at once.
    """
    assert db.path is not None, "claims need a store file shared between processes"
    claimant = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    todo = pending()
    total, counted = len(todo), 0
    with _Renewal(db.path, claimant):
        try:
            while todo:
                pairs = [(t.a, t.b) for t in todo]
                mine = set(db.claim(pairs, claimant=claimant, lease=LEASE_S, limit=width))
                # Listed after claiming: a pair stored by another process since the last
                # listing is not computed twice, and the next claims come from this list.
                todo = pending()
                claimed = [t for t in todo if (t.a, t.b) in mine]
                db.release(claimant, mine - {(t.a, t.b) for t in claimed})
                if todo and not mine:
                    time.sleep(_WAIT_S)  # the rest is held by other processes
                # (a claim on a pair that another process stored meanwhile leaves `claimed`
                # empty: the next claim comes from the fresh list at once, without waiting)
                # closing: Ctrl-C must reach (and stop) the backend's workers at once
                with closing(backend.results(claimed)) as results:
                    for result in results:
                        db.write(result, claimant=claimant)
                todo = [t for t in todo if t not in claimed]
                for _ in range(total - len(todo) - counted):
                    yield
                counted = max(counted, total - len(todo))
        finally:
            db.release(claimant)


class _Renewal:
    """A thread that renews ``claimant``'s claims every :data:`RENEW_S` seconds, on its own
    connection (a SQLite connection belongs to the thread that opened it)."""

    def __init__(self, path: str, claimant: str) -> None:
        self._path, self._claimant = path, claimant
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="rtdkit-lease", daemon=True)

    def __enter__(self) -> _Renewal:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _renew(self) -> None:
        try:
            with ResultStore(self._path) as db:
                while not self._stop.wait(RENEW_S):
                    db.renew(self._claimant, lease=LEASE_S)
        except RTDInputError:
            return  # a damaged store: the main thread meets the same error and reports it
