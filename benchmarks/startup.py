"""How long a user waits before rtdkit does anything: import, --version, --help, a typo.

Usage::

    python benchmarks/startup.py              # 7 runs of each, median, plus the importtime top
    python benchmarks/startup.py --runs 15

Each case runs in a fresh interpreter (``python -c ...``), so nothing is cached in memory
between runs; the first, cold run of each case is discarded. ``python -c pass`` is timed in
the same run as the baseline every case pays, and the ratio to it is printed. The last table
lists the slowest imports of ``rtdkit --help`` from ``python -X importtime`` (self time and
cumulative time of each module), which says where the remaining time goes.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

HEAVY = ("scipy", "matplotlib", "pandas", "dask", "torch")

_CLI = "import sys; sys.argv = ['rtdkit', *sys.argv[1:]]; from rtdkit.cli import main; main()"
CASES: dict[str, list[str]] = {
    "python -c pass (baseline)": ["-c", "pass"],
    "import rtdkit": ["-c", "import rtdkit"],
    "rtdkit --version": ["-c", _CLI, "--version"],
    "rtdkit --help": ["-c", _CLI, "--help"],
    # The same help drawn by plain click instead of rich: what rich costs.
    "rtdkit --help, TYPER_USE_RICH=0": ["-c", _CLI, "--help"],
    "rtdkit compare --help": ["-c", _CLI, "compare", "--help"],
    "rtdkit compare (missing file)": ["-c", _CLI, "compare", "no-such-a.npy", "no-such-b.npy"],
    "rtdkit compare --batch x (usage error)": ["-c", _CLI, "compare", "a", "b", "--batch", "x"],
}


def _environment(case: str) -> dict[str, str]:
    env = dict(os.environ)
    if "TYPER_USE_RICH=0" in case:
        env["TYPER_USE_RICH"] = "0"
    return env


def _time_once(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], capture_output=True, check=False, env=env)
    return time.perf_counter() - start


def _median_time(case: str, runs: int) -> float:
    args, env = CASES[case], _environment(case)
    _time_once(args, env)  # cold run: file-system caches
    return statistics.median(_time_once(args, env) for _ in range(runs))


def _heavy_modules(args: list[str]) -> list[str]:
    """The heavy libraries a case imports, read from ``-X importtime``'s list of modules."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=False
    )
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines()}
    return sorted(imported & set(HEAVY))


def _importtime_top(args: list[str], count: int) -> list[tuple[int, int, str]]:
    """The ``count`` modules with the largest cumulative import time (µs), top level first."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=False
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        rows.append((int(self_us), int(cumulative_us), name.rstrip()))
    return sorted(rows, key=lambda row: -row[1])[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case (median)")
    parser.add_argument("--top", type=int, default=15, help="modules in the importtime table")
    args = parser.parse_args()

    machine = f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    load = f"load average {os.getloadavg()[0]:.2f}"
    print(f"{machine}; {load}; median of {args.runs} runs per case\n")
    baseline = _median_time("python -c pass (baseline)", args.runs)
    print("| case | median [s] | x `python -c pass` | heavy modules loaded |")
    print("|---|---:|---:|---|")
    for name, case in CASES.items():
        seconds = baseline if "baseline" in name else _median_time(name, args.runs)
        heavy = ", ".join(_heavy_modules(case)) or "none"
        print(f"| {name} | {seconds:.3f} | {seconds / baseline:.1f} | {heavy} |")

    print(
        f"\n`python -X importtime` of `rtdkit --help`, the {args.top} largest cumulative times:\n"
    )
    print("| cumulative [ms] | self [ms] | module |")
    print("|---:|---:|---|")
    for self_us, cumulative_us, module in _importtime_top(CASES["rtdkit --help"], args.top):
        print(f"| {cumulative_us / 1000:.1f} | {self_us / 1000:.1f} | `{module}` |")


if __name__ == "__main__":
    main()
