"""One progress-bar helper so every long loop in rtdkit looks the same (rich, on stderr).

``progress`` takes True (a bar from the start), False (none) or ``"auto"``, the API's default:
a bar appears only when the work has already run :data:`AUTO_DELAY_S` seconds, stderr is a
terminal, and the call came from the main thread with no other bar open. Short calls, pipes,
log files, CI and the calls rtdkit makes inside its own loops therefore stay silent, and no
estimate of the running time is needed to decide.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

T = TypeVar("T")

Progress = bool | Literal["auto"]

AUTO_DELAY_S = 2.0
"""Seconds of work after which ``progress="auto"`` draws its bar."""

# Bars started (drawn or waiting for their delay) and loops run with progress=False, not yet
# finished: while there is one, an "auto" bar is not drawn.
_active_bars = 0
_active_lock = threading.Lock()


def check_progress(value: Any, name: str = "progress") -> Progress:
    """``True``, ``False`` (numpy booleans too) or ``"auto"``.

    Examples
    --------
    >>> check_progress("auto"), check_progress(False)
    ('auto', False)
    """
    if isinstance(value, str) and value == "auto":
        return "auto"
    import numpy as np

    from rtdkit._validation import RTDTypeError

    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise RTDTypeError(f"{name} must be True, False or 'auto', got {value!r}")


def _delay(enabled: Progress) -> float | None:
    """Seconds before the bar is drawn, or None for no bar."""
    if enabled == "auto":
        wanted = threading.current_thread() is threading.main_thread() and _stderr_is_terminal()
        return AUTO_DELAY_S if wanted else None
    return 0.0 if enabled else None


def _stderr_is_terminal() -> bool:
    """A person is watching stderr (not a pipe, a log file or a dumb CI console)."""
    stream = sys.stderr
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


class _LateBar:
    """A rich bar drawn ``delay`` seconds after the work started (at once for 0).

    A timer thread draws it, so that a single long step (one trial on all points) shows its
    elapsed time too. An ``"auto"`` bar (``only_alone``) inside another bar's work (an ``rtd``
    inside a loop that has its own bar) is never drawn.
    """

    def __init__(self, description: str, *, total: int | None, with_eta: bool) -> None:
        self._description, self._total, self._with_eta = description, total, with_eta
        self._done = 0
        self._bar: Any = None
        self._task: Any = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._active = self._finished = False

    def start(self, delay: float, *, only_alone: bool) -> None:
        global _active_bars
        with _active_lock:
            if only_alone and _active_bars:
                return
            _active_bars += 1
            self._active = True
        if delay == 0:
            self._open()
            return
        self._timer = threading.Timer(delay, self._open)
        self._timer.daemon = True
        self._timer.start()

    def _open(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._bar = _bar(with_eta=self._with_eta)
            self._task = self._bar.add_task(
                self._description, total=self._total, completed=self._done
            )
            self._bar.start()

    def update(self, done: int, total: int | None = None) -> None:
        with self._lock:
            self._done = done
            if total is not None:
                self._total = total
            if self._bar is not None:
                self._bar.update(self._task, completed=done, total=self._total)

    def close(self, *, failed: bool) -> None:
        """Stop the timer and the bar; after a failure the bar vanishes, so that the error
        message is all the user reads."""
        global _active_bars
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._finished = True
            if self._bar is not None:
                if failed:
                    self._bar.live.transient = True
                self._bar.stop()
        with _active_lock:
            _active_bars -= self._active
            self._active = False


def _bar(*, with_eta: bool) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    if with_eta:
        columns += [TextColumn("eta"), TimeRemainingColumn()]
    return Progress(*columns, console=Console(stderr=True), transient=False)


@contextmanager
def progress_callback(
    description: str, *, enabled: Progress
) -> Iterator[Callable[[int, int], None] | None]:
    """A ``callback(done, total)`` that draws a progress bar on stderr, or None if disabled.

    For work that reports its own progress (the native engine calls back every ~0.2 s). No
    ETA: the engine's expensive columns come last, so a linear estimate would mislead.
    """
    delay = _delay(enabled)
    if delay is None:
        with _silencing(enabled is False):
            yield None
        return
    with _late_bar(description, None, with_eta=False, delay=delay, auto=enabled == "auto") as bar:
        yield bar.update


def progress_iter(
    items: Iterable[T], *, total: int, description: str, enabled: Progress
) -> Iterator[T]:
    """Yield ``items``, drawing a rich progress bar with ETA on stderr when ``enabled``."""
    delay = _delay(enabled)
    if delay is None:
        with _silencing(enabled is False):
            yield from items
        return
    with _late_bar(description, total, with_eta=True, delay=delay, auto=enabled == "auto") as bar:
        for done, item in enumerate(items, start=1):
            yield item
            bar.update(done)


@contextmanager
def _silencing(asked: bool) -> Iterator[None]:
    """Work asked to show no progress (``progress=False``) shows none inside either: the
    ``rtd`` calls of a loop keep their default ``"auto"`` and would otherwise draw bars."""
    global _active_bars
    if not asked:
        yield
        return
    with _active_lock:
        _active_bars += 1
    try:
        yield
    finally:
        with _active_lock:
            _active_bars -= 1


@contextmanager
def _late_bar(
    description: str, total: int | None, *, with_eta: bool, delay: float, auto: bool
) -> Iterator[_LateBar]:
    bar = _LateBar(description, total=total, with_eta=with_eta)
    bar.start(delay, only_alone=auto)
    try:
        yield bar
    except BaseException:
        bar.close(failed=True)
        raise
    bar.close(failed=False)
