"""progress="auto": a bar only for long calls watched on a terminal, never nested (event-driven)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import rtdkit
from rtdkit import _progress
from rtdkit._progress import check_progress, progress_callback, progress_iter


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The descriptions of the bars drawn, with stderr taken for a terminal."""
    drawn: list[str] = []
    real_bar = _progress._bar

    def recording_bar(*, with_eta: bool) -> Any:
        bar = real_bar(with_eta=with_eta)
        real_add = bar.add_task

        def add_task(description: str, **kwargs: Any) -> Any:
            drawn.append(description)
            return real_add(description, **kwargs)

        bar.add_task = add_task
        return bar

    monkeypatch.setattr(_progress, "_bar", recording_bar)
    monkeypatch.setattr(_progress, "_stderr_is_terminal", lambda: True)
    yield drawn


def test_check_progress_takes_true_false_or_auto() -> None:
    assert [check_progress(v) for v in (True, False, np.bool_(True), "auto")] == [
        True, False, True, "auto",
    ]  # fmt: skip
    for bad in ("yes", 1, None):
        with pytest.raises(rtdkit.RTDTypeError, match="progress must be True, False or 'auto'"):
            check_progress(bad)
    x = np.zeros((10, 2))
    with pytest.raises(rtdkit.RTDTypeError, match="progress"):
        rtdkit.rtd(x, x, progress="on")


def test_auto_draws_nothing_for_work_shorter_than_the_delay(
    bars: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_progress, "AUTO_DELAY_S", 1e6)
    assert list(progress_iter(range(5), total=5, description="short", enabled="auto")) == [
        0, 1, 2, 3, 4,
    ]  # fmt: skip
    with progress_callback("short callback", enabled="auto") as report:
        assert report is not None
        report(1, 2)
    assert bars == []


def test_auto_draws_nothing_when_stderr_is_not_a_terminal(
    bars: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_progress, "AUTO_DELAY_S", 0.0)
    monkeypatch.setattr(_progress, "_stderr_is_terminal", lambda: False)
    list(progress_iter(range(3), total=3, description="piped", enabled="auto"))
    list(progress_iter(range(3), total=3, description="asked for", enabled=True))
    assert bars == ["asked for"]


def test_auto_bar_appears_during_one_long_step(
    bars: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # One item that runs until the bar is on screen: the timer draws it, not an update.
    monkeypatch.setattr(_progress, "AUTO_DELAY_S", 0.01)
    drawn = threading.Event()
    real_bar = _progress._bar

    def signalling_bar(*, with_eta: bool) -> Any:
        drawn.set()
        return real_bar(with_eta=with_eta)

    monkeypatch.setattr(_progress, "_bar", signalling_bar)

    def one_long_step() -> Iterator[int]:
        assert drawn.wait(timeout=60), "the bar never appeared"
        yield 1

    assert list(progress_iter(one_long_step(), total=1, description="long", enabled="auto")) == [1]


def test_auto_bar_is_not_drawn_inside_another_bar_or_off_the_main_thread(
    bars: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_progress, "AUTO_DELAY_S", 0.0)
    for _ in progress_iter(range(2), total=2, description="outer", enabled="auto"):
        list(progress_iter(range(2), total=2, description="inner", enabled="auto"))
    worker = threading.Thread(
        target=lambda: list(progress_iter(range(2), total=2, description="pool", enabled="auto"))
    )
    worker.start()
    worker.join()
    assert bars == ["outer"]


def test_rtd_draws_its_bar_by_default_on_a_terminal(
    bars: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_progress, "AUTO_DELAY_S", 0.0)
    x = np.random.default_rng(0).normal(size=(30, 3))
    rtdkit.rtd(x, x[:, :2], batch=10, trials=2)
    rtdkit.rtd(x, x[:, :2], batch=10, trials=2, progress=False)
    assert bars == ["RTD trials"]


def test_no_auto_bar_inside_work_asked_to_show_none(
    bars: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_progress, "AUTO_DELAY_S", 0.0)
    for _ in progress_iter(range(2), total=2, description="quiet loop", enabled=False):
        list(progress_iter(range(2), total=2, description="inner", enabled="auto"))
    with progress_callback("quiet engine", enabled=False):
        list(progress_iter(range(2), total=2, description="inner", enabled="auto"))
    assert bars == []
    list(progress_iter(range(2), total=2, description="after", enabled="auto"))
    assert bars == ["after"]  # the silence ended with the loop
