"""The one thread pool: same results as a loop, cancellation that reaches running work, Ctrl-C.

Every check is event-driven: workers wait on events or poll the cancel token, never on a
clock, and a worker that is not cancelled would fail the test by reaching its bounded end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import rtdkit
from conftest import assert_stops_on_ctrl_c
from rtdkit import engines
from rtdkit._parallel import (
    WorkCancelled,
    engine_callback,
    imap,
    map_ordered,
    raise_if_cancelled,
)
from rtdkit.engines import EngineInfo, get_engine
from rtdkit.layers import compare_layers

# A worker polls at most this many times (10 s with the 0.005 s waits) before it reports that
# the cancellation never came; a pass never gets near it.
POLLS = 2000


def poll_until_cancelled(started: threading.Event | None = None) -> str:
    """What a native engine does: report progress (which checks the token) until stopped."""
    callback = engine_callback(None)
    for _ in range(POLLS):
        callback(0, 1)
        if started is not None:
            started.set()
        threading.Event().wait(0.005)
    return "never cancelled"


def test_results_do_not_depend_on_n_jobs_or_order() -> None:
    items = list(range(20))
    assert map_ordered(lambda x: x * x, items, n_jobs=4) == [x * x for x in items]
    assert sorted(imap(lambda x: -x, items, n_jobs=3, ordered=False)) == sorted(-x for x in items)
    assert list(imap(str, items, n_jobs=1)) == [str(x) for x in items]


def test_an_error_cancels_the_running_items_and_joins_the_pool() -> None:
    cancelled = threading.Event()
    running = threading.Event()

    def work(item: int) -> str:
        if item == 0:
            running.wait()  # fail only once the other item is provably running
            raise ValueError("item 0 failed")
        try:
            return poll_until_cancelled(running)
        except WorkCancelled:
            cancelled.set()
            raise

    with pytest.raises(ValueError, match="item 0 failed"):
        map_ordered(work, [0, 1], n_jobs=2)
    assert cancelled.is_set()
    assert not [t for t in threading.enumerate() if t.name.startswith("rtdkit")]


def test_a_later_items_error_stops_an_earlier_running_item() -> None:
    """In order, results wait for item 0; item 1's error must not wait for it too."""
    cancelled = threading.Event()
    running = threading.Event()

    def work(item: int) -> str:
        if item == 1:
            running.wait()  # fail only once item 0 is provably running
            raise ValueError("item 1 failed")
        try:
            return poll_until_cancelled(running)
        except WorkCancelled:
            cancelled.set()
            raise

    with pytest.raises(ValueError, match="item 1 failed"):
        map_ordered(work, [0, 1], n_jobs=2)
    assert cancelled.is_set()


def test_finished_results_are_handed_over_before_the_error() -> None:
    """What lets pairwise() store every pair that finished before another one failed."""
    finished = threading.Event()

    def work(item: int) -> int:
        if item == 1:
            finished.wait()
            raise ValueError("late failure")
        finished.set()
        return item

    got: list[int] = []
    with pytest.raises(ValueError, match="late failure"):
        for value in imap(work, [0, 1], n_jobs=2, ordered=False):
            got.append(value)
    assert got == [0]


def test_engine_callback_reports_progress_until_cancelled() -> None:
    seen: list[tuple[int, int]] = []
    callback = engine_callback(lambda done, total: seen.append((done, total)))
    callback(1, 4)
    assert seen == [(1, 4)]
    raise_if_cancelled()  # no map encloses this code: nothing to cancel


def test_a_nested_map_is_cancelled_with_its_parent() -> None:
    inner_cancelled = threading.Event()
    inner_running = threading.Event()

    def inner(item: int) -> str:
        try:
            return poll_until_cancelled(inner_running)
        except WorkCancelled:
            inner_cancelled.set()
            raise

    def outer(item: int) -> list[str]:
        if item == 0:
            inner_running.wait()
            raise ValueError("outer failed")
        return map_ordered(inner, [0, 1], n_jobs=2)

    with pytest.raises(ValueError, match="outer failed"):
        map_ordered(outer, [0, 1], n_jobs=2)
    assert inner_cancelled.is_set()


def test_ctrl_c_stops_workers_that_poll_like_an_engine() -> None:
    started = threading.Event()
    assert_stops_on_ctrl_c(
        lambda: map_ordered(lambda _: poll_until_cancelled(started), range(4), n_jobs=2),
        started=started,
    )


# --------------------------------------------------------------------------------------------
# End to end: Ctrl-C reaches the cone engine running in pool threads
# --------------------------------------------------------------------------------------------


def hard_pair(n: int = 260) -> tuple[np.ndarray, np.ndarray]:
    """A 64-d cloud against its 2-d projection: a barcode of many seconds on this machine."""
    x = np.random.default_rng(3).normal(size=(n, 64))
    return x, x[:, :2]


@pytest.fixture
def watched_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    """The cone engine under another name, recording when a call has started reporting
    progress and whether a call was stopped by its map's cancellation."""
    cone = get_engine("cone")
    events = {"started": threading.Event(), "cancelled": threading.Event()}

    def watched(w: Any, mu: Any, *, progress: Callable[[int, int], None] | None = None,
                **kwargs: Any) -> Any:  # fmt: skip
        def report(done: int, total: int) -> None:
            events["started"].set()
            if progress is not None:
                progress(done, total)

        try:
            return cone.function(w, mu, progress=report, **kwargs)
        except WorkCancelled:
            events["cancelled"].set()
            raise

    info = EngineInfo("watched", watched, cone.max_supported_dim, cone.supports_edges,
                      "the cone engine, watched", cone.bytes_per_n2, True)  # fmt: skip
    monkeypatch.setitem(engines._REGISTRY, "watched", info)
    yield "watched", events


def test_ctrl_c_stops_rtd_trials_in_pool_threads(watched_engine: tuple[str, Any]) -> None:
    name, events = watched_engine
    p, q = hard_pair()
    assert_stops_on_ctrl_c(
        lambda: rtdkit.rtd(p, q, batch=250, trials=4, n_jobs=2, engine=name),
        started=events["started"],
    )
    assert events["cancelled"].is_set()  # stopped by the token, not run to its end


def test_ctrl_c_stops_pairwise_in_pool_threads(watched_engine: tuple[str, Any]) -> None:
    name, events = watched_engine
    p, q = hard_pair()
    reps = {"x": p, "proj": q, "proj2": p[:, 2:4]}
    assert_stops_on_ctrl_c(
        lambda: rtdkit.pairwise(reps, batch=None, n_jobs=2, engine=name, progress=False),
        started=events["started"],
    )
    assert events["cancelled"].is_set()


def test_ctrl_c_stops_compare_layers_in_pool_threads(watched_engine: tuple[str, Any]) -> None:
    name, events = watched_engine
    p, q = hard_pair()
    layers = {"x": p, "proj": q}
    assert_stops_on_ctrl_c(
        lambda: compare_layers(layers, measures="rtd", batch=None, n_jobs=2, engine=name),
        started=events["started"],
    )
    assert events["cancelled"].is_set()


def test_ctrl_c_stops_cross_barcode(watched_engine: tuple[str, Any]) -> None:
    name, events = watched_engine
    p, q = hard_pair()
    assert_stops_on_ctrl_c(
        lambda: rtdkit.cross_barcode(p, q, engine=name), started=events["started"]
    )


def test_ctrl_c_stops_a_pair_running_on_a_dask_worker(watched_engine: tuple[str, Any]) -> None:
    """Dask cannot interrupt a running task; the driver's Ctrl-C still reaches the pair's
    engine on the worker (through the run's cancel event), which stops instead of finishing.
    The workers run in this process (processes=False) so that they see the watched engine;
    the test's client is not the default one, so that the worker's side finds its own client
    as it must in a worker process."""
    distributed = pytest.importorskip("distributed")
    name, events = watched_engine
    p, q = hard_pair()
    reps = {"x": p, "proj": q}
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        assert_stops_on_ctrl_c(
            lambda: rtdkit.pairwise(reps, batch=None, executor=client, engine=name, progress=False),
            started=events["started"],
        )
        # The worker learns of the cancellation after the driver has returned. The timeout is
        # a guard, not a timing: uncancelled, the pair's engine calls end without setting it.
        assert events["cancelled"].wait(timeout=120)
        for watcher in [t for t in threading.enumerate() if t.name == "pair-cancel-watch"]:
            watcher.join(timeout=60)
            assert not watcher.is_alive()


# --------------------------------------------------------------------------------------------
# The score engine's own threads (one trial on several threads): the calling thread reports
# progress and checks Ctrl-C and the cancel token for all of them
# --------------------------------------------------------------------------------------------


@pytest.fixture
def watched_score(monkeypatch: pytest.MonkeyPatch) -> dict[str, threading.Event]:
    """Events set when a score-engine call first reports progress and when its map's
    cancellation stops it (through :func:`engine_callback`, as every engine call goes)."""
    import rtdkit.engines.score as score

    events = {"started": threading.Event(), "cancelled": threading.Event()}

    def watched_callback(progress: Any) -> Callable[[int, int], None]:
        callback = engine_callback(progress)

        def report(done: int, total: int) -> None:
            events["started"].set()
            try:
                callback(done, total)
            except WorkCancelled:
                events["cancelled"].set()
                raise

        return report

    monkeypatch.setattr(score, "engine_callback", watched_callback)
    return events


def test_ctrl_c_stops_a_whole_cloud_on_several_threads(
    watched_score: dict[str, threading.Event],
) -> None:
    """One whole-cloud trial with n_jobs=2 runs its engine on 2 threads; Ctrl-C stops it."""
    rng = np.random.default_rng(0)
    p = rng.normal(size=(3000, 32))
    finished: list[object] = []
    assert_stops_on_ctrl_c(
        lambda: finished.append(rtdkit.rtd(p, p + rng.normal(size=p.shape), batch=None, n_jobs=2)),
        started=watched_score["started"],
    )
    assert finished == []  # stopped inside the engine, not after it


def test_ctrl_c_stops_threaded_trials_in_pool_threads(
    watched_score: dict[str, threading.Event],
) -> None:
    """Two trials on four threads: each trial's engine runs on two threads inside a pool
    thread, and the map's cancel token stops it."""
    rng = np.random.default_rng(1)
    p = rng.normal(size=(3000, 32))
    q = p + rng.normal(size=p.shape)
    assert_stops_on_ctrl_c(
        lambda: rtdkit.rtd(p, q, batch=2500, trials=2, n_jobs=4), started=watched_score["started"]
    )
    assert watched_score["cancelled"].is_set()
