"""The memory guard: the tightest of the process limits, the cgroup limit and free memory."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rtdkit
from rtdkit import RTDInputError, distances
from rtdkit.distances import available_memory, check_memory

GiB = 2**30
UNLIMITED = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)


def _fake_proc(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    cgroup: str,
    mounts: list[str],
    mem_available_kb: int = 8 * 2**20,
    vm_size_kb: int = 2**20,
) -> Path:
    """A /proc tree for this process: meminfo, status, cgroup membership and mounts."""
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "meminfo").write_text(
        f"MemTotal:       {4 * mem_available_kb} kB\nMemAvailable:   {mem_available_kb} kB\n"
    )
    (proc / "self" / "status").write_text(
        f"Name:\tpython\nVmPeak:\t{vm_size_kb + 5} kB\nVmSize:\t{vm_size_kb} kB\n"
        f"VmData:\t{vm_size_kb // 2} kB\n"
    )
    (proc / "self" / "cgroup").write_text(cgroup)
    (proc / "self" / "mountinfo").write_text("".join(line + "\n" for line in mounts))
    monkeypatch.setattr(distances, "_PROC", str(proc))
    monkeypatch.setattr(resource, "getrlimit", lambda which: UNLIMITED)
    return tmp_path


def _write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text + "\n")


def test_cgroup_v2_limit_minus_usage_without_reclaimable_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cg2"
    _fake_proc(
        tmp_path,
        monkeypatch,
        cgroup="0::/user.slice/job\n",
        mounts=[f"41 23 0:38 / {root} rw,relatime - cgroup2 cgroup2 rw"],
    )
    _write(root / "user.slice", {"memory.max": "max", "memory.current": str(3 * GiB)})
    _write(
        root / "user.slice" / "job",
        {
            "memory.max": str(2 * GiB),
            "memory.current": str(GiB),
            "memory.stat": f"anon 123\nfile 999\ninactive_file {GiB // 4}\nactive_file 5",
        },
    )
    assert available_memory() == 2 * GiB - (GiB - GiB // 4)
    # a tighter limit on an ancestor wins
    _write(root / "user.slice", {"memory.max": str(GiB), "memory.current": str(GiB // 2)})
    assert available_memory() == GiB // 2


def test_cgroup_v1_inside_a_container(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mount = tmp_path / "memory"
    # A container sees its own cgroup at the mount point: the mount's root is its path.
    _fake_proc(
        tmp_path,
        monkeypatch,
        cgroup="5:cpu:/\n4:memory:/docker/abc\n0::/\n",
        mounts=[
            f"35 31 0:32 /docker/abc {mount} rw,relatime - cgroup cgroup rw,memory",
            f"32 31 0:29 / {tmp_path / 'cpu'} rw,relatime - cgroup cgroup rw,cpu",
        ],
    )
    files = {
        "memory.limit_in_bytes": str(3 * GiB),
        "memory.usage_in_bytes": str(GiB),
        "memory.stat": f"cache 7\ntotal_inactive_file {GiB // 2}",
    }
    _write(mount, files)
    _write(tmp_path / "cpu", {"memory.limit_in_bytes": "1"})  # not the memory controller
    assert available_memory() == 3 * GiB - GiB // 2
    # "no limit" in v1 is the largest page-aligned int64: then MemAvailable decides
    _write(mount, {**files, "memory.limit_in_bytes": "9223372036854771712"})
    assert available_memory() == 8 * GiB


def test_the_process_limits_count_what_is_already_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_proc(tmp_path, monkeypatch, cgroup="0::/\n", mounts=[], vm_size_kb=2**20)
    limits = {resource.RLIMIT_AS: (3 * GiB, resource.RLIM_INFINITY)}
    monkeypatch.setattr(resource, "getrlimit", lambda which: limits.get(which, UNLIMITED))
    assert available_memory() == 2 * GiB  # 3 GiB of address space, 1 GiB mapped (VmSize)
    limits[resource.RLIMIT_DATA] = (GiB, GiB)  # VmData is 0.5 GiB
    assert available_memory() == GiB // 2
    limits[resource.RLIMIT_AS] = (GiB // 2, GiB)  # already over: nothing left, not negative
    assert available_memory() == 0


def test_nothing_known_means_no_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distances, "_PROC", str(tmp_path / "nowhere"))
    monkeypatch.setattr(resource, "getrlimit", lambda which: UNLIMITED)

    def unknown(name: str) -> int:
        raise ValueError(f"unrecognized configuration name {name}")  # as on systems without it

    monkeypatch.setattr(distances.os, "sysconf", unknown)
    assert available_memory() is None
    check_memory(10**6, 76.0, what="rtd")  # nothing to compare with: the work goes ahead


def test_the_refusal_names_batch_the_limit_and_a_batch_that_fits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(distances, "_memory_budget", lambda: (GiB, "the container's limit"))
    check_memory(3000, 76.0, what="rtd")  # 0.64 GiB fits
    with pytest.raises(RTDInputError) as caught:
        check_memory(6000, 76.0, what="rtd (method 'identity')")
    message = str(caught.value)
    assert "on 6000 points needs about 2.5 GiB" in message
    assert "only 1.0 GiB are available (the container's limit)" in message
    batch = int(message.split("pass batch=")[1].split()[0])
    assert batch % 100 == 0 and 76.0 * batch**2 <= 0.9 * GiB < 76.0 * (batch + 100) ** 2
    with pytest.raises(RTDInputError, match=r"; use fewer points$"):
        check_memory(6000, 76.0, what="cross_barcode", fix="use fewer points")


_UNDER_ULIMIT = """
import numpy as np, rtdkit
x = np.random.default_rng(0).normal(size=({n}, 2))
try:
    rtdkit.rtd(x, x[:, ::-1].copy(), batch=None)
except rtdkit.RTDInputError as exc:
    print("refused:", exc)
"""


def test_a_real_ulimit_is_honoured_up_front() -> None:
    probe = "import rtdkit; print(open('/proc/self/status').read().split('VmSize:')[1].split()[0])"
    vm_size_kb = int(subprocess.check_output([sys.executable, "-c", probe], text=True))
    limit_kb = vm_size_kb + 700 * 1024  # room for 0.7 GiB more: far less than 6000² x 76 bytes
    script = _UNDER_ULIMIT.format(n=6000)
    proc = subprocess.run(
        ["bash", "-c", f'ulimit -v {limit_kb} && exec "$0" -c "$1"', sys.executable, script],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("refused: rtd "), proc.stdout + proc.stderr
    assert "ulimit -v" in proc.stdout and "pass batch=" in proc.stdout
    assert "MemoryError" not in proc.stderr


def test_rtd_refuses_what_the_budget_cannot_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distances, "_memory_budget", lambda: (10**6, "a test budget"))
    x = np.random.default_rng(0).normal(size=(300, 2))
    with pytest.raises(RTDInputError, match=r"needs about 2.2 MiB .* batch=186 or less"):
        rtdkit.rtd(x, x[:, ::-1].copy(), batch=None)


def test_a_file_too_large_is_refused_from_its_header_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rtd(batch=None) and cross_barcode on a compressed .npz: the row count in the member's
    header is enough to refuse; the 30 MB array is never inflated."""
    np.savez_compressed(tmp_path / "big.npz", x=np.zeros((2000, 2000)))
    monkeypatch.setattr(distances, "_memory_budget", lambda: (50 * 2**20, "a test budget"))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the array data were read")

    monkeypatch.setattr(np.lib.format, "read_array", never)
    big = str(tmp_path / "big.npz")
    with pytest.raises(RTDInputError, match=r"rtd .* on 2000 points .* pass batch=1300 or less"):
        rtdkit.rtd(big, big, batch=None)
    with pytest.raises(RTDInputError, match=r"pass a random subset of at most \d+ points"):
        rtdkit.cross_barcode(big, big)
    # with a batch that fits, the same file is accepted by the header check and then read
    with pytest.raises(RTDInputError, match="AssertionError: the array data were read"):
        rtdkit.rtd(big, big, batch=100, trials=1)


def _sparse_npy(path: Path, shape: tuple[int, int]) -> str:
    """An .npy file of float64 zeros of ``shape`` that takes no room on disk (a sparse file)."""
    with path.open("wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": shape}
        )
        f.truncate(f.tell() + 8 * shape[0] * shape[1])
    return str(path)


def test_pairwise_refuses_a_study_that_cannot_fit_before_reading_any_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Headers announcing a million rows: pairwise refuses the study from them, naming
    batch=, before any file is read and before its store is created."""

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the array data were read")

    monkeypatch.setattr(np.lib.format, "read_array", never)
    reps = {name: _sparse_npy(tmp_path / f"{name}.npy", (10**6, 3)) for name in "abc"}
    store = tmp_path / "study.sqlite"
    with pytest.raises(RTDInputError, match=r"pairwise .* on 1000000 points .* pass batch=\d+"):
        rtdkit.pairwise(reps, batch=None, store=store, progress=False)
    assert not store.exists()
    # with a batch that fits, the same headers pass and the files are read
    with pytest.raises(RTDInputError, match="AssertionError: the array data were read"):
        rtdkit.pairwise(reps, batch=50, progress=False)


def test_rtdloss_names_the_dataloaders_batch_size(monkeypatch: pytest.MonkeyPatch) -> None:
    torch = pytest.importorskip("torch")
    from rtdkit.torch import RTDLoss

    monkeypatch.setattr(distances, "_memory_budget", lambda: (2**20, "a test budget"))
    x = torch.zeros(400, 3)
    with pytest.raises(RTDInputError) as caught:
        RTDLoss()(x, x)
    message = str(caught.value)
    assert "lower your DataLoader's batch_size to" in message and "batch=" not in message
