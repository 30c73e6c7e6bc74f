"""The results store: damage reported as one error, and pair claims shared by processes."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rtdkit
from rtdkit import RTDInputError
from rtdkit.allpairs import store
from rtdkit.allpairs.store import ResultRow, ResultStore

PAIRS = [(f"r{i:02d}", f"r{j:02d}") for i in range(8) for j in range(i + 1, 8)]


def _filled_store(path: Path, n_rows: int) -> None:
    with ResultStore(path) as db:
        db.register_measure("rtd", {"batch": 10})
        rows = [ResultRow("a", f"b{k:05d}", "rtd", "forward", 0, k / 7, k) for k in range(n_rows)]
        db.write(rows)


def _damage_the_middle(path: Path) -> None:
    """Overwrite three pages in the middle of the file (result rows; header and schema stay)."""
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 20 * page
    middle = len(data) // 2 // page * page
    data[middle : middle + 3 * page] = b"\xa5" * (3 * page)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "read",
    [
        lambda db: db.completed_trials("rtd", 1),
        lambda db: db.values("rtd"),
        lambda db: db.count(),
        lambda db: db.to_frame(),
    ],
)
def test_a_store_damaged_in_the_middle_gives_one_clear_error(tmp_path: Path, read) -> None:
    path = tmp_path / "study.sqlite"
    _filled_store(path, 5000)
    _damage_the_middle(path)
    with ResultStore(path) as db, pytest.raises(RTDInputError) as caught:
        read(db)
    message = str(caught.value)
    assert "study.sqlite is not a usable rtdkit store: it is damaged" in message
    assert "pass a new store file" in message
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_claims_are_exclusive_until_written_released_or_expired(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with ResultStore() as db:
        db.register_measure("m", {})
        first = db.claim(PAIRS, claimant="w1", lease=60, limit=3)
        assert first == PAIRS[:3]
        second = db.claim(PAIRS, claimant="w2", lease=60, limit=100)
        assert second == PAIRS[3:]
        assert db.claim(PAIRS, claimant="w3", lease=60, limit=100) == []
        assert db.renew("w1", lease=60) == 3
        # storing a pair drops its claim in the same transaction
        db.write([ResultRow(*PAIRS[0], "m", "forward", 0, 1.0, 0)], claimant="w1")
        assert db.claim(PAIRS, claimant="w3", lease=60, limit=100) == [PAIRS[0]]
        db.release("w2", [PAIRS[3]])
        assert db.claim(PAIRS, claimant="w3", lease=60, limit=100) == [PAIRS[0], PAIRS[3]]
        db.release("w2")
        assert {c for c, _ in db.claims().values()} == {"w1", "w3"}
        # a claimant that stopped renewing (killed) loses its pairs once the lease expires
        later = time.time() + 61
        monkeypatch.setattr(store, "_clock", lambda: later)
        assert db.claim(PAIRS, claimant="w4", lease=60, limit=100) == PAIRS
        assert db.renew("w1", lease=60) == 0


def test_a_pair_stored_elsewhere_meanwhile_is_skipped_without_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race of two processes: this one claims a pair that the other stores before this
    one lists the work again. It must claim the next pair at once, not sleep as if every
    pending pair were held elsewhere (that sleep halved the benefit of a second process)."""
    from types import SimpleNamespace

    from rtdkit.allpairs import leases

    first, second = (SimpleNamespace(a=a, b=b) for a, b in PAIRS[:2])
    listings = iter([[first, second], [second], [second], []])

    def waited(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s with a pair free to claim")

    def compute(tasks: list[Any]) -> Any:
        for t in tasks:
            yield [ResultRow(t.a, t.b, "m", "forward", 0, 1.0, 0)]

    monkeypatch.setattr(leases.time, "sleep", waited)
    with ResultStore(tmp_path / "s.sqlite") as db:
        db.register_measure("m", {})
        backend = SimpleNamespace(results=compute)
        run = leases.shared_run(db, backend, lambda: next(listings), width=1)  # type: ignore[arg-type]
        assert len(list(run)) == 2
        assert db.values("m") == {(*PAIRS[1], "forward", 0): 1.0}  # only the free pair computed
        assert db.claims() == {}


# A worker of a shared study: claims one pair at a time, "computes" it, stores it, and logs it.
_WORKER = r"""
import os, sys, time
from rtdkit.allpairs.store import ResultRow, ResultStore

path, me, go = sys.argv[1:4]
pairs = [(f"r{i:02d}", f"r{j:02d}") for i in range(8) for j in range(i + 1, 8)]
while not os.path.exists(go):  # both workers start together
    time.sleep(0.01)
computed = []
with ResultStore(path) as db:
    db.register_measure("m", {})
    while True:
        done = {(a, b) for a, b, _, _ in db.values("m")}
        todo = [p for p in pairs if p not in done]
        if not todo:
            break
        got = db.claim(todo, claimant=me, lease=60)
        if not got:
            time.sleep(0.01)  # the rest is held by the other worker
            continue
        if got[0] in {(a, b) for a, b, _, _ in db.values("m")}:
            db.release(me, got)  # stored by the other worker since we listed the work
            continue
        if not computed:  # hold the first pair until the other worker holds one too
            for _ in range(6000):
                if len({c for c, _ in db.claims().values()}) > 1 or len(done) > 0:
                    break
                time.sleep(0.01)
        computed.append(got[0])
        time.sleep(0.02)  # the work
        db.write([ResultRow(*got[0], "m", "forward", 0, float(os.getpid()), 0)], claimant=me)
print(";".join(f"{a},{b}" for a, b in computed))
"""


def _pairs_of(output: str) -> list[tuple[str, str]]:
    return [tuple(item.split(",")) for item in output.strip().split(";") if item]  # type: ignore[misc]


def test_two_processes_on_one_store_compute_each_pair_once(tmp_path: Path) -> None:
    path, go = tmp_path / "shared.sqlite", tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(path), name, str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("w1", "w2")
    ]
    go.touch()
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0]
    computed = [_pairs_of(out) for out in outputs]
    assert all(computed)  # both took part
    assert sorted(computed[0] + computed[1]) == PAIRS  # every pair exactly once
    with ResultStore(path) as db:
        assert db.count() == len(PAIRS) and db.claims() == {}


_CLAIMER = r"""
import sys, time
from rtdkit.allpairs.store import ResultStore

pairs = [(f"r{i:02d}", f"r{j:02d}") for i in range(8) for j in range(i + 1, 8)]
with ResultStore(sys.argv[1]) as db:
    got = db.claim(pairs, claimant="doomed", lease=60, limit=5)
    print(";".join(f"{a},{b}" for a, b in got), flush=True)
    time.sleep(600)
"""


def test_a_killed_claimants_pairs_are_retaken_after_its_lease(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shared.sqlite"
    claimer = subprocess.Popen(
        [sys.executable, "-c", _CLAIMER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert claimer.stdout is not None
    held = _pairs_of(claimer.stdout.readline())
    claimer.send_signal(signal.SIGKILL)
    claimer.wait()
    assert len(held) == 5
    with ResultStore(path) as db:
        free = db.claim(PAIRS, claimant="survivor", lease=60, limit=len(PAIRS))
        assert free == [p for p in PAIRS if p not in held]  # the lease still runs
        later = time.time() + 61
        monkeypatch.setattr(store, "_clock", lambda: later)
        retaken = db.claim(PAIRS, claimant="survivor", lease=60, limit=len(PAIRS))
        assert retaken == PAIRS
        assert {c for c, _ in db.claims().values()} == {"survivor"}


def test_a_parameter_conflict_names_both_values_as_options() -> None:
    with ResultStore() as db:
        db.register_measure("rtd", {"normalize": "quantile", "batch": 30})
        db.write([ResultRow("a", "b", "rtd", "forward", 0, 1.0, 0)])
        with pytest.raises(RTDInputError) as caught:
            db.register_measure("rtd", {"normalize": None, "batch": 30})
    assert "computed with normalize='quantile', but this run asks for normalize=None; rerun" in str(
        caught.value
    )


# One pairwise() process of a shared study; it prints the pairs it computed itself.
_PAIRWISE_WORKER = r"""
import json, os, sys, time
import numpy as np
import rtdkit
from rtdkit.allpairs import executors, leases
from rtdkit.allpairs.store import ResultStore

files, store, go, mode = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
computed = []
compute = executors.compute_pair


def logged(task, x_a, x_b):
    if mode == "hang":  # claim a pair, say so, and never finish it (until killed)
        print("claimed", flush=True)
        time.sleep(600)
    if not computed:  # hold the first pair until the other process holds one too
        with ResultStore(store) as db:
            for _ in range(6000):
                if len({c for c, _ in db.claims().values()}) > 1 or db.count():
                    break
                time.sleep(0.01)
    computed.append(f"{task.a},{task.b}")
    return compute(task, x_a, x_b)


executors.compute_pair = logged
leases.LEASE_S = 2.0 if mode == "hang" else leases.LEASE_S
while not os.path.exists(go):
    time.sleep(0.01)
m = rtdkit.pairwise(files, store=store, n_jobs=1, progress=False, batch=20, trials=2)["rtd"]
print(json.dumps({"pairs": ";".join(computed), "matrix": m.to_numpy().tolist()}))
"""


def _study_files(tmp_path: Path, n_reps: int) -> dict[str, str]:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 4))
    files = {}
    for i in range(n_reps):
        files[f"r{i:02d}"] = str(tmp_path / f"r{i:02d}.npy")
        np.save(files[f"r{i:02d}"], np.tanh(base * (1 + i)) + 0.01 * rng.normal(size=(40, 4)))
    return files


def _pairwise_worker(files: dict[str, str], store: Path, go: Path, mode: str) -> Any:
    return subprocess.Popen(
        [sys.executable, "-c", _PAIRWISE_WORKER, json.dumps(files), str(store), str(go), mode],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_pairwise_processes_sharing_a_store_split_the_pairs(tmp_path: Path) -> None:
    files = _study_files(tmp_path, 6)
    go, store_path = tmp_path / "go", tmp_path / "study.sqlite"
    workers = [_pairwise_worker(files, store_path, go, "share") for _ in range(2)]
    go.touch()
    results = [json.loads(w.communicate(timeout=300)[0]) for w in workers]
    computed = [_pairs_of(r["pairs"]) for r in results]
    expected = [(a, b) for a in sorted(files) for b in sorted(files) if a < b]
    assert all(computed) and sorted(computed[0] + computed[1]) == expected
    serial = rtdkit.pairwise(files, n_jobs=1, progress=False, batch=20, trials=2)["rtd"]
    for r in results:
        assert np.array_equal(np.array(r["matrix"]), serial.to_numpy())


def test_a_killed_pairwise_process_leaves_its_pairs_to_the_others(tmp_path: Path) -> None:
    files = _study_files(tmp_path, 4)
    go, store_path = tmp_path / "go", tmp_path / "study.sqlite"
    go.touch()
    doomed = _pairwise_worker(files, store_path, go, "hang")
    assert doomed.stdout is not None and doomed.stdout.readline().strip() == "claimed"
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    with ResultStore(store_path) as db:
        assert len(db.claims()) == 1  # its pair is still claimed, for a 2 s lease
    # This process waits for the lease to run out, then computes that pair too.
    m = rtdkit.pairwise(files, store=store_path, n_jobs=1, progress=False, batch=20, trials=2)
    serial = rtdkit.pairwise(files, n_jobs=1, progress=False, batch=20, trials=2)
    assert np.array_equal(m["rtd"].to_numpy(), serial["rtd"].to_numpy())
    with ResultStore(store_path) as db:
        assert db.claims() == {}
