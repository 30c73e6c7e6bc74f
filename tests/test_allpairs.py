"""All-pairs comparison: executors agree, the store resumes killed runs, writers can share it.

Everything runs the real engine; the Dask tests start a real two-process LocalCluster on
127.0.0.1. Sizes are small so the file runs in well under two minutes on two cores.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

import rtdkit
from rtdkit import RTDInputError
from rtdkit.allpairs import pair_seed, pairwise
from rtdkit.allpairs.plan import make_plan, pending
from rtdkit.allpairs.store import ResultStore
from rtdkit.divergence import subsample_indices
from rtdkit.io import find_representations
from rtdkit.measures import MEASURES, Measure
from rtdkit.study import pairwise_files as matrix_command

if TYPE_CHECKING:
    from distributed import Client

psutil = pytest.importorskip("psutil")
distributed = pytest.importorskip("distributed")

SMALL: dict[str, Any] = {
    "batch": 30,
    "trials": 3,
    "seed": 5,
}  # 8 reps of 60 x 4: 28 pairs, ~1 s serial
BIG: dict[str, Any] = {
    "batch": 100,
    "trials": 4,
    "seed": 1,
}  # 12 reps of 150 x 6: 66 pairs, ~2 s serial
N_BIG = 12


def make_reps(n_reps: int, n: int, d: int, seed: int) -> dict[str, np.ndarray]:
    """Noisy linear images of one cloud at growing noise, so the matrix has structure."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, d))
    return {
        f"rep{i:02d}": base @ rng.normal(size=(d, d)) + 0.2 * i * rng.normal(size=(n, d))
        for i in range(n_reps)
    }


def serial_loop(reps: dict[str, np.ndarray], measure: str, **opts: int) -> pd.DataFrame:
    """The oracle: every pair by hand, rtd() or the registry on the pair's own subsets."""
    names = list(reps)
    out = pd.DataFrame(np.eye(len(names)) * (measure == "cka"), index=names, columns=names)
    for a, b in combinations(names, 2):
        seed = pair_seed(opts["seed"], a, b)
        p, q = (reps[a], reps[b]) if a < b else (reps[b], reps[a])
        if measure == "rtd":
            value = rtdkit.rtd(p, q, batch=opts["batch"], trials=opts["trials"], seed=seed).value
        else:
            subsets = subsample_indices(len(p), opts["batch"], opts["trials"], seed)
            value = float(np.mean([MEASURES[measure](p[i], q[i]) for i in subsets]))
        out.loc[a, b] = out.loc[b, a] = value
    return out


@pytest.fixture(scope="module")
def small() -> dict[str, np.ndarray]:
    return make_reps(8, 60, 4, seed=0)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """File-backed representations, read lazily by whichever process needs them."""
    folder = tmp_path_factory.mktemp("reps")
    for name, x in make_reps(N_BIG, 150, 6, seed=1).items():
        np.save(folder / f"{name}.npy", x)
    return find_representations(str(folder))


@pytest.fixture(scope="module")
def big_reference(big: dict[str, str]) -> pd.DataFrame:
    """An uninterrupted run, in this process, without a store."""
    return pairwise(big, n_jobs=1, progress=False, **BIG)["rtd"]


@pytest.fixture(scope="module")
def small_serial(small: dict[str, np.ndarray]) -> dict[str, pd.DataFrame]:
    return pairwise(small, ("rtd", "cka"), n_jobs=1, progress=False, **SMALL)


def local_cluster(n_workers: int) -> Any:
    """A Dask cluster of ``n_workers`` worker processes on 127.0.0.1, one thread each."""
    return distributed.LocalCluster(
        n_workers=n_workers,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    with local_cluster(2) as lc, distributed.Client(lc) as client:
        yield client


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Bit-for-bit equal values with the same labels."""
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_like=False, check_flags=False)


def stored_rows(store: Path) -> int:
    with sqlite3.connect(store) as con:
        dup = con.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM results "
            "GROUP BY a, b, measure, direction, trial HAVING COUNT(*) > 1)"
        ).fetchone()[0]
        assert dup == 0
        return int(con.execute("SELECT COUNT(*) FROM results").fetchone()[0])


def expected_rows(n_reps: int, trials: int, directions: int = 2) -> int:
    return n_reps * (n_reps - 1) // 2 * trials * directions


def read_count(store: Path) -> int:
    """Rows committed so far, read without ever creating or locking the file."""
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as con:
            return int(con.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


class KillAfter(threading.Thread):
    """Call ``kill`` once ``rows`` results are committed (from a thread, while a run goes on);
    ``rows_at_kill`` tells afterwards whether the run was really cut part-way.

    Event-driven, no clock: it waits for the rows or for the run to end (``running()``
    false), whichever comes first; a run that ended first was not cut, which the tests'
    ``rows_at_kill`` assertions then report."""

    def __init__(
        self, store: Path, rows: int, kill: Callable[[], None], running: Callable[[], bool]
    ) -> None:
        super().__init__(daemon=True)
        self.store, self.rows, self.kill, self.running = store, rows, kill, running
        self.rows_at_kill = -1
        self.start()

    def run(self) -> None:
        while read_count(self.store) < self.rows and self.running():
            threading.Event().wait(0.01)
        if self.running():
            self.kill()
        self.rows_at_kill = read_count(self.store)


# --------------------------------------------------------------------------------------------
# Same numbers everywhere
# --------------------------------------------------------------------------------------------


def test_matrix_equals_a_serial_loop_over_rtd_and_cka(
    small: dict[str, np.ndarray], small_serial: dict[str, pd.DataFrame]
) -> None:
    for measure in ("rtd", "cka"):
        assert_same(small_serial[measure], serial_loop(small, measure, **SMALL))
    m = small_serial["rtd"]
    assert list(m.index) == list(small) and (np.diag(m) == 0).all()
    assert (m.values > 0)[~np.eye(len(m), dtype=bool)].all()
    assert small_serial["cka"].attrs["kind"] == "similarity"


def test_local_pool_and_dask_cluster_match_serial(
    small: dict[str, np.ndarray],
    small_serial: dict[str, pd.DataFrame],
    big: dict[str, str],
    big_reference: pd.DataFrame,
    cluster: Client,
) -> None:
    pool = pairwise(small, ("rtd", "cka"), n_jobs=2, progress=False, **SMALL)
    dask = pairwise(small, ("rtd", "cka"), executor=cluster, progress=False, **SMALL)
    for measure in ("rtd", "cka"):
        assert_same(pool[measure], small_serial[measure])
        assert_same(dask[measure], small_serial[measure])
    # Files read on the Dask workers, and a scheduler address instead of a Client.
    address = cluster.scheduler_info()["address"]
    assert_same(pairwise(big, executor=address, progress=False, **BIG)["rtd"], big_reference)


def test_order_of_reps_and_directional_matrix(small: dict[str, np.ndarray]) -> None:
    names = list(small)[:4]
    forward = pairwise({n: small[n] for n in names}, n_jobs=1, progress=False, **SMALL)["rtd"]
    backward = {n: small[n] for n in reversed(names)}
    assert_same(
        pairwise(backward, n_jobs=1, progress=False, **SMALL)["rtd"].loc[names, names], forward
    )
    directed = pairwise(
        {n: small[n] for n in names}, symmetric=False, n_jobs=1, progress=False, **SMALL
    )["rtd"]
    a, b = names[2], names[0]
    seed = pair_seed(SMALL["seed"], a, b)
    one_way = rtdkit.rtd(small[a], small[b], batch=30, trials=3, seed=seed, symmetric=False)
    assert directed.loc[a, b] == one_way.value
    assert directed.loc[a, b] != directed.loc[b, a]
    assert np.allclose((directed + directed.T) / 2, forward, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------------------------
# The store: resume, conflicts, concurrent writers
# --------------------------------------------------------------------------------------------


def test_store_skips_what_is_done_and_trials_can_grow(
    small: dict[str, np.ndarray], small_serial: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    store = tmp_path / "grow.sqlite"
    opts = {**SMALL, "trials": 2}
    pairwise(small, ("rtd", "cka"), store=store, n_jobs=1, progress=False, **opts)
    plan = make_plan(
        small,
        ("rtd", "cka"),
        batch=30,
        trials=3,
        seed=5,
        symmetric=True,
        dim=1,
        normalize="quantile",
        metric="euclidean",
        engine=None,
        method=None,
        measure_options=None,
        allow_pickle=False,
    )
    with ResultStore(store) as db:
        todo = pending(db, plan, 3)
        assert len(todo) == 28 and {t.todo for t in todo} == {(("rtd", (2,)), ("cka", (2,)))}
    grown = pairwise(small, ("rtd", "cka"), store=store, n_jobs=1, progress=False, **SMALL)
    for measure in ("rtd", "cka"):
        assert_same(grown[measure], small_serial[measure])
    assert stored_rows(store) == expected_rows(8, 3) + expected_rows(8, 3, directions=1)
    with ResultStore(store) as db:
        assert pending(db, plan, 3) == []
        assert set(db.to_frame()["version"]) == {rtdkit.__version__}


def test_conflicting_parameters_and_changed_data_are_refused(
    small: dict[str, np.ndarray], tmp_path: Path
) -> None:
    store = tmp_path / "conflict.sqlite"
    few = {n: small[n] for n in list(small)[:3]}
    pairwise(few, store=store, n_jobs=1, progress=False, **SMALL)
    rows = stored_rows(store)
    with pytest.raises(
        RTDInputError, match=r"computed with batch=30, but this run asks for batch=40;"
    ):
        pairwise(few, store=store, n_jobs=1, progress=False, **{**SMALL, "batch": 40})
    with pytest.raises(RTDInputError, match="normalize"):
        pairwise(few, store=store, n_jobs=1, progress=False, normalize=0.5, **SMALL)
    changed = {**few, "rep00": few["rep00"] + 1e-9}
    with pytest.raises(RTDInputError, match=r"'rep00'.*data changed"):
        pairwise(changed, store=store, n_jobs=1, progress=False, **SMALL)
    assert stored_rows(store) == rows
    # A run that failed before storing anything does not lock its parameters in.
    empty = tmp_path / "empty.sqlite"
    with pytest.raises(RTDInputError, match="executor"):
        pairwise(few, store=empty, executor=3, progress=False, **SMALL)
    pairwise(few, store=empty, n_jobs=1, progress=False, **{**SMALL, "batch": 40})


def test_a_failing_pair_keeps_every_finished_pair(
    big: dict[str, str],
    big_reference: pd.DataFrame,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On threads, one pair's error stops the run, and what finished before is stored."""
    store = tmp_path / "threads.sqlite"
    calls = iter(range(10**6))
    lock = threading.Lock()

    def cka_failing_late(x: np.ndarray, y: np.ndarray) -> float:
        with lock:
            n = next(calls)
        if n >= 20 * BIG["trials"]:
            raise RuntimeError("injected failure")
        return MEASURES["cka"](x, y)

    flaky = Measure(
        name="flaky",
        function=cka_failing_late,
        kind="similarity",
        symmetric=True,
        inputs="representations",
        label="flaky",
        description="CKA that fails after 20 pairs",
    )
    monkeypatch.setitem(MEASURES, "flaky", flaky)
    with pytest.raises(RuntimeError, match="injected failure") as failure:
        pairwise(big, ("rtd", "flaky"), store=store, n_jobs=2, progress=False, **BIG)
    partial = stored_rows(store)
    assert f"of {N_BIG * (N_BIG - 1) // 2} pairs" in " ".join(failure.value.__notes__)
    # 3 rows per trial of a pair (RTD forward and backward, flaky). The failing call is the
    # 81st of flaky; the other thread may have been part-way through a pair, so >= 18 pairs.
    assert 18 * 3 * BIG["trials"] <= partial < expected_rows(N_BIG, BIG["trials"]) * 3 // 2
    assert_same(pairwise(big, store=store, n_jobs=2, progress=False, **BIG)["rtd"], big_reference)


def test_dask_run_survives_a_killed_worker(
    big: dict[str, str], big_reference: pd.DataFrame, cluster: Client, tmp_path: Path
) -> None:
    store = tmp_path / "dask.sqlite"
    victim = psutil.Process(next(iter(cluster.run(os.getpid).values())))
    finished = threading.Event()
    watcher = KillAfter(store, 12, victim.kill, lambda: not finished.is_set())
    result = pairwise(big, store=store, executor=cluster, progress=False, **BIG)["rtd"]
    finished.set()
    watcher.join()
    assert not victim.is_running() and watcher.rows_at_kill < expected_rows(N_BIG, BIG["trials"])
    assert_same(result, big_reference)
    assert stored_rows(store) == expected_rows(N_BIG, BIG["trials"])


DRIVER = """
import json, sys
from rtdkit import pairwise
from rtdkit.io import find_representations
folder, store, n_jobs, options = sys.argv[1:]
reps = find_representations(folder)
pairwise(reps, store=store, n_jobs=int(n_jobs), progress=False, **json.loads(options))
"""


def start_driver(folder: str, store: Path, n_jobs: int) -> subprocess.Popen[bytes]:
    # A new session, so that SIGKILL reaches the driver and every process it started.
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, folder, str(store), str(n_jobs), json.dumps(BIG)],
        start_new_session=True,
    )


def test_resume_after_the_driver_is_killed(
    big: dict[str, str], big_reference: pd.DataFrame, tmp_path: Path
) -> None:
    store = tmp_path / "driver.sqlite"
    driver = start_driver(str(Path(next(iter(big.values()))).parent), store, n_jobs=2)
    KillAfter(
        store, 12, lambda: os.killpg(driver.pid, signal.SIGKILL), lambda: driver.poll() is None
    ).join()
    assert driver.wait(timeout=60) == -signal.SIGKILL
    with ResultStore(store) as db:
        before = db.to_frame()
    assert 12 <= len(before) < expected_rows(N_BIG, BIG["trials"])
    assert_same(pairwise(big, store=store, n_jobs=1, progress=False, **BIG)["rtd"], big_reference)
    with ResultStore(store) as db:
        after = db.to_frame()
    assert len(after) == expected_rows(N_BIG, BIG["trials"]) == stored_rows(store)
    # Nothing committed before the kill was lost or rewritten.
    kept = before.merge(after, on=list(before.columns), how="inner")
    assert len(kept) == len(before)


def test_two_drivers_writing_one_store_concurrently(
    big: dict[str, str], big_reference: pd.DataFrame, tmp_path: Path
) -> None:
    store = tmp_path / "shared.sqlite"
    folder = str(Path(next(iter(big.values()))).parent)
    drivers = [start_driver(folder, store, n_jobs=1) for _ in range(2)]
    assert [d.wait(timeout=120) for d in drivers] == [0, 0]
    with sqlite3.connect(store) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stored_rows(store) == expected_rows(N_BIG, BIG["trials"])
    assert_same(pairwise(big, store=store, n_jobs=1, progress=False, **BIG)["rtd"], big_reference)


# --------------------------------------------------------------------------------------------
# Command-line helper and input errors
# --------------------------------------------------------------------------------------------


def test_matrix_command_writes_heatmap_and_mds(
    small: dict[str, np.ndarray], tmp_path: Path
) -> None:
    for sub in ("run1", "run2"):
        (tmp_path / sub).mkdir()
        for name in list(small)[:2]:
            np.save(tmp_path / sub / f"{name}.npy", small[name])
    out = matrix_command(
        str(tmp_path / "**" / "*.npy"),
        ("rtd", "cka"),
        plot=tmp_path / "heat.png",
        mds=tmp_path / "mds.png",
        n_jobs=1,
        progress=False,
        **SMALL,
    )
    assert list(out["rtd"].index) == ["run1/rep00", "run1/rep01", "run2/rep00", "run2/rep01"]
    # Identical data in two runs: RTD 0 and CKA 1 between the copies.
    assert out["rtd"].loc["run1/rep00", "run2/rep00"] == 0.0
    assert out["cka"].loc["run1/rep01", "run2/rep01"] == pytest.approx(1.0)
    assert (tmp_path / "heat.png").stat().st_size > 0 and (tmp_path / "mds.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"measures": ("nope",)}, "unknown measure 'nope'"),
        ({"measures": ("disagreement",)}, "compares predictions"),
        (
            {"measures": ("cka",), "metric": "precomputed"},
            "applies to 'rtd', 'rtd_lite', 'nts' only",
        ),
        ({"metric": "manhattan"}, "metric must be one of"),
        ({"normalize": 2.0}, r"normalize as a quantile must lie in \(0, 1\]"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"measure_options": {"rtd": {"dim": 0}}}, "pairwise\\(\\)'s own arguments"),
        ({"executor": 3}, "executor must be None"),
        ({"executor": "localhost:8786"}, "tcp://host:8786"),
    ],
)
def test_bad_options_are_refused_before_any_work(
    small: dict[str, np.ndarray], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(RTDInputError, match=message):
        pairwise(small, progress=False, **kwargs)


def test_representations_must_share_their_objects(small: dict[str, np.ndarray]) -> None:
    reps = {"a": small["rep00"], "b": small["rep01"][:50]}
    with pytest.raises(RTDInputError, match=r"numbers of rows differ \(a: 60, b: 50\)"):
        pairwise(reps, progress=False)


def readme_pairwise_example() -> str:
    """The README's first Python block under "Many representations at once", verbatim."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Many representations at once", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_pairwise_example_runs_as_a_plain_script(tmp_path: Path) -> None:
    """No ``if __name__ == "__main__":`` guard: pairs run on threads, nothing is spawned."""
    script = tmp_path / "study.py"
    script.write_text(readme_pairwise_example())
    assert "__main__" not in script.read_text()
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "seed0" in done.stdout and "ckpt" in done.stdout
    with ResultStore(tmp_path / "study.sqlite") as db:
        assert len(db.to_frame()) == 3 * 3 * (2 + 1)  # 3 pairs x 3 trials x (RTD both ways, CKA)


# The cone engine under another name, defined by source so that it can be installed in a Dask
# worker process (a test module's function cannot be unpickled there). Its first progress
# report and its stop by cancellation set Dask events, which the driver's process can see.
WATCHED_ENGINE = """
from distributed import Event
from rtdkit._parallel import WorkCancelled
from rtdkit.engines import EngineInfo, get_engine

cone = get_engine("cone")


def watched(w, mu, *, progress=None, **kwargs):
    def report(done, total):
        Event(STARTED).set()
        if progress is not None:
            progress(done, total)

    try:
        return cone.function(w, mu, progress=report, **kwargs)
    except WorkCancelled:
        Event(CANCELLED).set()
        raise


INFO = EngineInfo("watched", watched, cone.max_supported_dim, cone.supports_edges,
                  "the cone engine, watched", cone.bytes_per_n2, True)
"""
INSTALL = "from rtdkit.engines import _REGISTRY\n_REGISTRY['watched'] = INFO\n"


class _DaskEventStarted:
    """``wait(timeout)`` as a threading.Event's, on a Dask event another process sets."""

    def __init__(self, event: Any) -> None:
        self.event = event

    def wait(self, timeout: float | None = None) -> bool:
        return bool(self.event.wait(timeout=timeout))


def test_ctrl_c_stops_a_pair_running_in_a_dask_worker_process(
    small: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real worker process: its matrix is the serial one, and the driver's Ctrl-C stops the
    pair its engine is computing (the engine reports WorkCancelled instead of finishing)."""
    from conftest import assert_stops_on_ctrl_c
    from rtdkit import engines

    names = {"STARTED": "rtdkit-test-started", "CANCELLED": "rtdkit-test-cancelled"}
    x = np.random.default_rng(3).normal(size=(260, 64))  # a barcode of many seconds
    with local_cluster(1) as lc, distributed.Client(lc, set_as_default=False) as client:
        three = {name: small[name] for name in list(small)[:3]}
        serial = pairwise(three, n_jobs=1, progress=False, **SMALL)["rtd"]
        assert_same(pairwise(three, executor=client, progress=False, **SMALL)["rtd"], serial)

        namespace: dict[str, Any] = dict(names)
        exec(WATCHED_ENGINE, namespace)
        monkeypatch.setitem(engines._REGISTRY, "watched", namespace["INFO"])
        client.run(exec, WATCHED_ENGINE + INSTALL, dict(names))
        started = _DaskEventStarted(distributed.Event(names["STARTED"], client=client))
        assert_stops_on_ctrl_c(
            lambda: pairwise(
                {"x": x, "proj": x[:, :2]},
                batch=None,
                executor=client,
                engine="watched",
                progress=False,
            ),
            started=started,  # type: ignore[arg-type]
        )
        # The worker learns of the cancellation after the driver has returned. The timeout is
        # a guard, not a timing: uncancelled, the engine finishes without setting the event.
        assert distributed.Event(names["CANCELLED"], client=client).wait(timeout=120)
