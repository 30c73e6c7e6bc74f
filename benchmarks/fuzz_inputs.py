"""Hostile inputs through every CLI command and public function: damaged files, bad options,
sizes beyond the memory, and Ctrl-C.

Every case must end in one of these ways, and is otherwise counted as a failure and listed:

* success;
* a clean refusal: the CLI exits 2 with one line ``rtdkit: error: ...`` (or Typer's own usage
  panel for an option of the wrong type), the API raises ``RTDInputError``/``RTDTypeError``;
* an interruption (SIGINT): exit 130 with one line on stderr saying what was kept.

A traceback, another exit status, a ``MemoryError``, a run past its time limit, or an input
file changed by the run is a failure. Files are mutated from valid ones with a seeded RNG
(truncations, flipped bytes, garbage blocks), so a run is reproducible.

    python benchmarks/fuzz_inputs.py            # every case (about 15 minutes on 2 cores)
    python benchmarks/fuzz_inputs.py --quick    # fewer mutants and signals (about 4 minutes)
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import rtdkit
from rtdkit import distances

CLI = "import sys; from rtdkit.__main__ import main; sys.argv[0] = 'rtdkit'; main()"
# The CLI, printing "working" on stdout each time a native engine starts (it asks for its
# progress callback): the moment work has provably started (a progress bar says nothing in a
# pipe until it ends).
WORKING_CLI = (
    "import sys, rtdkit._parallel as parallel\n"
    "real = parallel.engine_callback\n"
    "parallel.engine_callback = lambda progress: print('working', flush=True) or real(progress)\n"
    "from rtdkit.__main__ import main\n"
    "sys.argv[0] = 'rtdkit'\n"
    "main()\n"
)
# Per case: a hostile input must be refused or handled quickly, never hang.
TIME_LIMIT_S = 60


@dataclass
class Outcome:
    category: str
    case: str
    verdict: str  # "ok", "refused", "usage", "interrupted" or "FAIL: why"
    detail: str = ""


class _TimeLimit(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise _TimeLimit(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ----------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------


def _valid_files(folder: Path, a: np.ndarray, b: np.ndarray) -> dict[str, Path]:
    """One valid file per format, holding ``a`` (the npz and pt also hold ``b``)."""
    files = {
        "npy": folder / "v.npy",
        "npz": folder / "a.npz",
        "npzc": folder / "ac.npz",
        "csv": folder / "a.csv",
        "txt": folder / "a.txt",
    }
    np.save(files["npy"], a)
    np.savez(files["npz"], a=a, b=b)
    np.savez_compressed(files["npzc"], a=a)
    np.savetxt(files["csv"], a, delimiter=",", header="x" + ",x" * (a.shape[1] - 1), comments="")
    np.savetxt(files["txt"], a)
    with contextlib.suppress(ImportError):
        from safetensors.numpy import save_file

        files["safetensors"] = folder / "a.safetensors"
        save_file({"a": a}, str(files["safetensors"]))
    with contextlib.suppress(ImportError):
        import torch

        files["pt"] = folder / "a.pt"
        torch.save({"a": torch.as_tensor(a)}, files["pt"])
    return files


def _mutants(data: bytes, rng: np.random.Generator, count: int) -> Iterator[tuple[str, bytes]]:
    """Seeded damage: truncations, flipped bytes, garbage blocks, garbage appended."""
    for k in range(count):
        kind = k % 4
        if kind == 0:
            cut = int(rng.integers(0, len(data)))
            yield f"truncated at {cut}", data[:cut]
        elif kind == 1:
            out = bytearray(data)
            spots = rng.integers(0, len(data), size=int(rng.integers(1, 9)))
            for spot in spots:
                out[spot] ^= int(rng.integers(1, 256))
            yield f"{len(spots)} bytes flipped", bytes(out)
        elif kind == 2:
            start = int(rng.integers(0, max(len(data) - 64, 1)))
            block = rng.integers(0, 256, size=64, dtype=np.uint8).tobytes()
            yield f"garbage at {start}", data[:start] + block + data[start + 64 :]
        else:
            yield "garbage appended", data + rng.integers(0, 256, 200, dtype=np.uint8).tobytes()


def _crafted_files(folder: Path, a: np.ndarray) -> dict[str, Path]:
    """Inputs that are well-formed files but hostile content, and special files."""
    made: dict[str, Path] = {}

    def save(name: str, array: Any, **kwargs: Any) -> None:
        made[name] = folder / f"{name}.npy"
        np.save(made[name], array, **kwargs)

    save("nan", np.where(np.eye(len(a), a.shape[1]) > 0, np.nan, a))
    save("inf", np.where(np.eye(len(a), a.shape[1]) > 0, np.inf, a))
    save("huge-values", a * 1e300)
    save("subnormal", a * 1e-310)
    save("constant", np.ones_like(a))
    save("one-dim", a[:, 0])
    save("three-dim", a.reshape(len(a), 1, -1))
    save("two-rows", a[:2])
    save("other-rows", a[:-7])
    save("transposed", np.ascontiguousarray(a.T))
    save("strings", a.astype(str))
    save("complex", a + 1j)
    save("bools", a > 0)
    save("int8", (a * 10).astype(np.int8))
    save("float16", a.astype(np.float16))
    save("object", np.array([{"x": 1}] * len(a), dtype=object), allow_pickle=True)
    save("empty-rows", np.zeros((0, 3)))
    (folder / "empty.npy").write_bytes(b"")
    made["empty"] = folder / "empty.npy"
    os.mkfifo(folder / "fifo.npy")
    made["fifo"] = folder / "fifo.npy"
    os.symlink(folder / "loop-b.npy", folder / "loop-a.npy")
    os.symlink(folder / "loop-a.npy", folder / "loop-b.npy")
    made["symlink loop"] = folder / "loop-a.npy"
    os.symlink("/dev/zero", folder / "zero.csv")
    made["/dev/zero"] = folder / "zero.csv"
    (folder / "dir.npy").mkdir()
    made["folder"] = folder / "dir.npy"
    made["missing"] = folder / "missing.npy"
    made["bad member"] = Path(f"{folder / 'a.npz'}:a:extra")
    (folder / "a.json").write_text("{}")
    made["unknown suffix"] = folder / "a.json"
    with zipfile.ZipFile(folder / "bomb.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
        )
        archive.writestr("x.npy", header.getvalue() + bytes(10**6))
    made["bomb header"] = folder / "bomb.npz"
    with contextlib.suppress(ImportError):
        import torch

        made["pt os.system"] = folder / "system.pt"
        torch.save(os.system, made["pt os.system"])
    return made


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if p.is_file() and not p.is_symlink() and not p.name.startswith("fifo")
    }


# ----------------------------------------------------------------------------------------------
# Running a case
# ----------------------------------------------------------------------------------------------


def _cli_in_process(args: list[str]) -> tuple[int | str, str, str]:
    """Run ``rtdkit ARGS`` in this process (much faster than a subprocess per case)."""
    from rtdkit.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["rtdkit", *args]
    code: int | str
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            with _time_limit(TIME_LIMIT_S):
                main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except _TimeLimit as exc:
        code = f"hang ({exc})"
    except BaseException:
        code = "exception"
        err.write(traceback.format_exc())
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()


def _cli_verdict(code: int | str, stderr: str) -> tuple[str, str]:
    lines = stderr.strip().splitlines()
    if "Traceback" in stderr or code == "exception":
        return "FAIL: traceback", stderr.strip()[-600:]
    if isinstance(code, str):
        return f"FAIL: {code}", ""
    if code == 0:
        return "ok", ""
    if code == 2 and len(lines) == 1 and lines[0].startswith("rtdkit: error: "):
        return "refused", lines[0]
    if code == 2 and any("Usage:" in line for line in lines):
        return "usage", " ".join(line.strip("│ ") for line in lines[-3:])
    if code == 130 and len(lines) == 1:
        return "interrupted", lines[0]
    return f"FAIL: exit {code}, {len(lines)} stderr lines", stderr.strip()[-600:]


def _api_verdict(call: Callable[[], Any]) -> tuple[str, str]:
    try:
        with _time_limit(TIME_LIMIT_S):
            call()
    except rtdkit.RTDInputError as exc:  # RTDTypeError too
        return "refused", str(exc)[:200]
    except _TimeLimit as exc:
        return "FAIL: hang", str(exc)
    except Exception as exc:
        return f"FAIL: {type(exc).__name__}", "".join(traceback.format_exception(exc))[-600:]
    return "ok", ""


# ----------------------------------------------------------------------------------------------
# The cases
# ----------------------------------------------------------------------------------------------

PAIR_COMMANDS = {
    "compare": ["--batch", "20", "--trials", "2", "--no-progress"],
    "test": ["--batch", "20", "--trials", "1", "--permutations", "3", "--no-progress"],
    "barcode": ["--no-progress"],
}

BAD_OPTIONS = [
    ["--batch", "-1"],
    ["--batch", "2"],
    ["--batch", "x"],
    ["--batch", str(10**30)],
    ["--trials", "0"],
    ["--trials", "-3"],
    ["--seed", "-1"],
    ["--seed", str(2**80)],
    ["--dim", "0"],
    ["--dim", "99"],
    ["--maxdim", "-1"],
    ["--normalize", "foo"],
    ["--normalize", "0"],
    ["--normalize", "nan"],
    ["--normalize", "1.5"],
    ["--metric", "nope"],
    ["--metric", "precomputed"],
    ["--method", "magic"],
    ["--engine", "nope"],
    ["-j", "0"],
    ["-j", str(10**7)],
    ["--permutations", "0"],
    ["--measure", "nope"],
    ["--plot", "/proc/x.png"],
    ["--plot", "/nonexistent/x.png"],
    ["--plot", "out.xyz"],
]


def _pair(folder: Path, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two related clouds of 60 points, saved as a.npy and b.npy."""
    a = rng.normal(size=(60, 5))
    b = np.tanh(a[:, :3]) + 0.1 * rng.normal(size=(60, 3))
    np.save(folder / "a.npy", a)
    np.save(folder / "b.npy", b)
    return a, b


def file_cases(folder: Path, count: int, rng: np.random.Generator) -> Iterator[Outcome]:
    a, b = _pair(folder, rng)
    valid = _valid_files(folder, a, b)
    good = str(folder / "b.npy")
    hostile = {name: str(path) for name, path in _crafted_files(folder, a).items()}
    for fmt, path in valid.items():
        data = path.read_bytes()
        for k, (label, mutant) in enumerate(_mutants(data, rng, count)):
            target = folder / f"m{k}-{path.name}"
            target.write_bytes(mutant)
            key = ":a" if fmt in ("npz", "pt") else ""
            hostile[f"{fmt} {label}"] = str(target) + key
    before = _digest(folder)
    for name, spec in hostile.items():
        for command, options in PAIR_COMMANDS.items():
            code, _, err = _cli_in_process([command, spec, good, *options])
            verdict, detail = _cli_verdict(code, err)
            yield Outcome(f"file/{command}", name, verdict, detail)
        verdict, detail = _api_verdict(lambda spec=spec: rtdkit.rtd(spec, good, batch=20, trials=2))
        yield Outcome("file/api rtd", name, verdict, detail)
    changed = sorted(n for n, h in _digest(folder).items() if before.get(n, h) != h)
    yield Outcome("file/unchanged", "inputs", f"FAIL: modified {changed}" if changed else "ok")


def option_cases(folder: Path) -> Iterator[Outcome]:
    a, b = str(folder / "a.npy"), str(folder / "b.npy")
    for option in BAD_OPTIONS:
        for command, base in [*PAIR_COMMANDS.items(), ("matrix", ["--no-progress"])]:
            code, _, err = _cli_in_process([command, a, b, *base, *option])
            if code == 2 and "No such option" in err:
                continue  # the command has no such option: Typer's own refusal, not a case
            verdict, detail = _cli_verdict(code, err)
            yield Outcome(f"option/{command}", " ".join(option), verdict, detail)
    matrix_cases = [
        ["matrix", a, "--no-progress"],  # one representation
        ["matrix", str(folder / "nothing-*.npy"), "--no-progress"],
        ["matrix", a, b, "--store", "/proc/forbidden.sqlite", "--no-progress"],
        ["matrix", a, b, "--store", str(folder), "--no-progress"],
        ["matrix", a, b, "--scheduler", "nohost", "--no-progress"],
        ["experiment", "nope"],
        ["experiment", "rings", "--quick", "--out", "/proc/forbidden"],
        ["demo", "--plot", "/proc/x.png", "--no-progress"],
    ]
    for args in matrix_cases:
        code, _, err = _cli_in_process(args)
        verdict, detail = _cli_verdict(code, err)
        yield Outcome(f"option/{args[0]}", " ".join(args[1:]), verdict, detail)
    x = np.random.default_rng(1).normal(size=(40, 3))
    api_cases: dict[str, Callable[[], Any]] = {
        "rtd batch=-1": lambda: rtdkit.rtd(x, x, batch=-1),
        "rtd batch=2.5": lambda: rtdkit.rtd(x, x, batch=2.5),
        "rtd batch=True": lambda: rtdkit.rtd(x, x, batch=True),
        "rtd trials=0": lambda: rtdkit.rtd(x, x, trials=0),
        "rtd seed='x'": lambda: rtdkit.rtd(x, x, seed="x"),
        "rtd dim=0": lambda: rtdkit.rtd(x, x, dim=0),
        "rtd n_jobs=0": lambda: rtdkit.rtd(x, x, n_jobs=0),
        "rtd metric=None": lambda: rtdkit.rtd(x, x, metric=None),
        "rtd normalize=nan": lambda: rtdkit.rtd(x, x, normalize=float("nan")),
        "rtd P=None": lambda: rtdkit.rtd(None, x),
        "rtd P=dict": lambda: rtdkit.rtd({"a": 1}, x),
        "rtd P=ragged": lambda: rtdkit.rtd([[1.0], [1.0, 2.0], [3.0]], x),
        "rtd P=empty": lambda: rtdkit.rtd(np.zeros((0, 3)), x),
        "rtd rows differ": lambda: rtdkit.rtd(x, x[:-1]),
        "cross_barcode maxdim=-1": lambda: rtdkit.cross_barcode(x, x, maxdim=-1),
        "cross_barcode engine=1": lambda: rtdkit.cross_barcode(x, x, engine=1),
        "pairwise one rep": lambda: rtdkit.pairwise({"a": x}, progress=False),
        "pairwise empty": lambda: rtdkit.pairwise({}, progress=False),
        "pairwise measure nope": lambda: rtdkit.pairwise({"a": x, "b": x}, "nope"),
        "pairwise store dir": lambda: rtdkit.pairwise(
            {"a": x, "b": 2 * x}, store=folder, progress=False, batch=20, trials=1
        ),
        "load_array allow_pickle=1": lambda: rtdkit.io.load_array(a, allow_pickle=1),
    }
    for name, call in api_cases.items():
        verdict, detail = _api_verdict(call)
        yield Outcome("option/api", name, verdict, detail)


def size_cases(folder: Path) -> Iterator[Outcome]:
    """Work beyond the memory budget (a 64 MiB budget stands in for a small machine)."""
    budget = (64 * 2**20, "a 64 MiB test budget")
    big = np.random.default_rng(2).normal(size=(3000, 2))
    np.save(folder / "big-a.npy", big)
    np.save(folder / "big-b.npy", big[:, ::-1])
    ba, bb = str(folder / "big-a.npy"), str(folder / "big-b.npy")
    real_budget = distances._memory_budget
    distances._memory_budget = lambda: budget  # type: ignore[assignment]
    try:
        api: dict[str, Callable[[], Any]] = {
            "rtd batch=None": lambda: rtdkit.rtd(big, big[:, ::-1], batch=None),
            "rtd files batch=None": lambda: rtdkit.rtd(ba, bb, batch=None),
            "cross_barcode": lambda: rtdkit.cross_barcode(big, big[:, ::-1]),
            "pairwise batch=None": lambda: rtdkit.pairwise(
                {"a": big, "b": big[:, ::-1]}, batch=None, progress=False
            ),
            "precomputed": lambda: rtdkit.rtd(
                np.zeros((3000, 3000)), np.zeros((3000, 3000)), metric="precomputed", batch=None
            ),
        }
        for name, call in api.items():
            verdict, detail = _api_verdict(call)
            # one barcode on every point has no batch= to lower: it names a subset instead
            fix = "random subset" if name == "cross_barcode" else "batch="
            yield Outcome("size/api", name, *_size_verdict(verdict, detail, fix))
        for command in ("compare", "test", "matrix"):
            code, _, err = _cli_in_process([command, ba, bb, "--batch", "0", "--no-progress"])
            verdict, detail = _size_verdict(*_cli_verdict(code, err), "--batch")
            yield Outcome(f"size/{command}", "--batch 0 on 3000 points", verdict, detail)
    finally:
        distances._memory_budget = real_budget  # type: ignore[assignment]


def _size_verdict(verdict: str, detail: str, option: str) -> tuple[str, str]:
    """Every size case exceeds the budget: it must be refused, naming the option."""
    if verdict == "ok":
        return "FAIL: not refused (no memory guard on this path)", ""
    if verdict == "refused" and option not in detail:
        return f"FAIL: the refusal does not name {option}", detail
    return verdict, detail


def signal_cases(folder: Path, quick: bool) -> Iterator[Outcome]:
    """SIGINT once the command is working (its first progress output): exit 130, one line."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1500, 32))
    np.save(folder / "sig-a.npy", x)
    np.save(folder / "sig-b.npy", x[:, :2] + 0.1 * rng.normal(size=(1500, 2)))
    sa, sb = str(folder / "sig-a.npy"), str(folder / "sig-b.npy")
    (folder / "study").mkdir()
    for i in range(4):
        np.save(folder / "study" / f"r{i}.npy", x[:, : 2 + 4 * i])
    commands = {
        "compare": ["compare", sa, sb, "--batch", "0", "--method", "barcode"],
        "barcode": ["barcode", sa, sb],
        "test": ["test", sa, sb, "--batch", "800", "--permutations", "50"],
        "matrix": [
            *("matrix", str(folder / "study"), "--batch", "1200", "--method", "barcode"),
            *("--store", str(folder / "sig.sqlite"), "-j", "2"),
        ],
        "demo": ["demo"],
    }
    # "starting": while Python imports; "working": that long after an engine started
    moments = [("starting", 0.2), ("working", 0.5)] + ([] if quick else [("working", 2.0)])
    for name, args in commands.items():
        for moment, delay in moments:
            cli = WORKING_CLI if moment == "working" else CLI
            verdict, detail = _interrupt([sys.executable, "-c", cli, *args], moment, delay)
            yield Outcome(f"signal/{name}", f"SIGINT {moment} +{delay} s", verdict, detail)


def _interrupt(command: list[str], moment: str, delay: float) -> tuple[str, str]:
    """Run ``command``, send SIGINT at ``moment``, and judge how it ended."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    chunks: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        while chunk := proc.stderr.read(1):
            chunks.append(chunk)

    def watch() -> None:  # "working" on stdout: an engine started; the rest is drained
        assert proc.stdout is not None
        for line in proc.stdout:
            if line == "working\n":
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    threading.Thread(target=watch, daemon=True).start()
    if moment == "working":  # until an engine works, or the command ends first (short work)
        for _ in range(2400):  # at most 120 s
            if started.wait(0.05) or proc.poll() is not None:
                break
    time.sleep(delay)
    if proc.poll() is not None:
        return "ok (finished before the signal)", ""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return "FAIL: not stopped within 10 s of SIGINT", ""
    reader.join(timeout=5)
    # progress bars redraw with carriage returns: keep the last state of each line
    lines = [line.split("\r")[-1] for line in "".join(chunks).splitlines()]
    messages = "\n".join(line for line in lines if line.strip() and "%" not in line)
    return _cli_verdict(proc.returncode, messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer mutants and signals")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=("file", "option", "size", "signal"), default=None)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="rtdkit-fuzz-") as tmp:
        folder = Path(tmp)
        _pair(folder, rng)
        groups = {
            "file": lambda: file_cases(folder / "files", 8 if args.quick else 24, rng),
            "option": lambda: option_cases(folder),
            "size": lambda: size_cases(folder),
            "signal": lambda: signal_cases(folder, args.quick),
        }
        (folder / "files").mkdir()
        for name, run in groups.items():
            if args.only not in (None, name):
                continue
            for outcome in run():
                outcomes.append(outcome)
                if outcome.verdict.startswith("FAIL"):
                    detail = outcome.detail.replace("\n", "\n    ")
                    print(
                        f"{outcome.category:18} {outcome.case:32} {outcome.verdict}\n    {detail}"
                    )
    _report(outcomes)


def _report(outcomes: list[Outcome]) -> None:
    table: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        verdict = "FAIL" if outcome.verdict.startswith("FAIL") else outcome.verdict.split(" (")[0]
        table.setdefault(outcome.category, Counter())[verdict] += 1
    columns = ("ok", "refused", "usage", "interrupted", "FAIL")
    print(f"\n{'category':20}" + "".join(f"{c:>12}" for c in columns) + f"{'total':>8}")
    for category, counts in table.items():
        row = "".join(f"{counts[c]:>12}" for c in columns)
        print(f"{category:20}{row}{sum(counts.values()):>8}")
    total = Counter[str]()
    for counts in table.values():
        total.update(counts)
    print(f"{'all':20}" + "".join(f"{total[c]:>12}" for c in columns) + f"{sum(total.values()):>8}")


if __name__ == "__main__":
    main()
