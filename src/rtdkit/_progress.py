"""One progress-bar helper so every long loop in rtdkit looks the same (rich, on stderr)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


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
def _vanishing_on_error(bar: Any) -> Iterator[None]:
    """An error (or Ctrl-C) removes the bar, so that its message is all the user reads."""
    try:
        yield
    except BaseException:
        bar.live.transient = True
        raise


@contextmanager
def progress_callback(
    description: str, *, enabled: bool
) -> Iterator[Callable[[int, int], None] | None]:
    """A ``callback(done, total)`` that draws a progress bar on stderr, or None if disabled.

    For work that reports its own progress (the native engine calls back every ~0.2 s). No
    ETA: the engine's expensive columns come last, so a linear estimate would mislead.
    """
    if not enabled:
        yield None
        return
    with _bar(with_eta=False) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with _vanishing_on_error(bar):
            yield update


def progress_iter(
    items: Iterable[T], *, total: int, description: str, enabled: bool
) -> Iterator[T]:
    """Yield ``items``, drawing a rich progress bar with ETA on stderr when ``enabled``."""
    if not enabled:
        yield from items
        return
    with _bar(with_eta=True) as bar, _vanishing_on_error(bar):
        task = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(task)
