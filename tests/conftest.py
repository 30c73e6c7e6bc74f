"""Shared helpers for the test suite: random clouds and an independent barcode computation."""

from __future__ import annotations

import _thread
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.engines.reference import doubled_matrix


def related_pair(n: int, seed: int, d: int = 6, d2: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """P Gaussian, Q a noisy linear image of P (a 'similar representation')."""
    rng = np.random.default_rng(seed)
    p = rng.normal(size=(n, d))
    q = p @ rng.normal(size=(d, d2)) + 0.3 * rng.normal(size=(n, d2))
    return p, q


def unrelated_pair(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5)), rng.uniform(size=(n, 3))


def gudhi_doubled_barcode(p: np.ndarray, q: np.ndarray, maxdim: int) -> list[np.ndarray]:
    """R-Cross-Barcode computed independently: gudhi's Rips complex on the doubled matrix.

    The matrix is rounded to float32 first, as giotto-ph does internally, so that both
    libraries see the same filtration values and must return the same diagrams exactly.
    """
    gudhi = pytest.importorskip("gudhi")
    w, mu = cross_matrices(normalized_distances(p, name="P"), normalized_distances(q, name="Q"))
    m = doubled_matrix(w, mu).astype(np.float32).astype(np.float64)
    tree = gudhi.RipsComplex(distance_matrix=m).create_simplex_tree(max_dimension=maxdim + 1)
    tree.compute_persistence(homology_coeff_field=2, min_persistence=0.0)
    out = []
    for dim in range(maxdim + 1):
        bars = np.asarray(tree.persistence_intervals_in_dimension(dim)).reshape(-1, 2)
        bars = bars[np.isfinite(bars[:, 1]) & (bars[:, 1] > bars[:, 0])]
        out.append(sort_diagram(bars))
    return out


def sort_diagram(bars: np.ndarray) -> np.ndarray:
    """Canonical order for comparing diagrams as multisets."""
    bars = np.asarray(bars, dtype=np.float64).reshape(-1, 2)
    return bars[np.lexsort((bars[:, 1], bars[:, 0]))]


def assert_stops_on_ctrl_c(
    long_call: Callable[[], Any], *, started: threading.Event | None = None
) -> None:
    """Ctrl-C (simulated with _thread.interrupt_main) once ``long_call`` has provably started
    must raise KeyboardInterrupt, and leave no rtdkit worker thread running.

    Started means: ``started`` is set (e.g. by an engine's first progress report in a pool
    thread) or, without it, the main thread is inside ``long_call`` (its frame is on the
    stack). Event-driven, no clock: a call that ignored Ctrl-C would finish its many seconds
    of work and fail the ``pytest.raises``; a pool that ignored it would leave its threads.

    Python's own SIGINT handler is installed for the duration: a shell starts background jobs
    with SIGINT ignored, and Python then leaves it so (interrupt_main would do nothing)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    done = threading.Event()
    ready = started or _Entered(long_call.__code__, done)
    watcher = threading.Thread(target=_interrupt_when, args=(ready, done), daemon=True)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            long_call()
    finally:
        done.set()
        watcher.join()
        signal.signal(signal.SIGINT, previous)
    alive = [t.name for t in threading.enumerate() if t.name.startswith("rtdkit") and t.is_alive()]
    assert alive == [], f"worker threads still running after Ctrl-C: {alive}"


class _Entered:
    """``wait()`` returns True once the main thread runs ``code`` (or False once ``done``)."""

    def __init__(self, code: Any, done: threading.Event) -> None:
        self.code, self.done, self.main = code, done, threading.main_thread().ident

    def wait(self, timeout: float | None = None) -> bool:
        while not self.done.wait(0.005):
            frame = sys._current_frames().get(self.main)
            while frame is not None:
                if frame.f_code is self.code:
                    return True
                frame = frame.f_back
        return False


def _interrupt_when(ready: threading.Event | _Entered, done: threading.Event) -> None:
    while not done.is_set():
        if ready.wait(0.01):
            _thread.interrupt_main()
            return
