"""Throughput of rtdkit.pairwise: pairs per second on local threads and on Dask, and the
projected time of the paper's 90-architecture study (Section 3.3) on k machines.

Usage::

    python benchmarks/pairwise.py                  # 20 reps of 500 x 64, b=100, 10 trials
    python benchmarks/pairwise.py --engine NAME    # the barcode of any registered engine
    python benchmarks/pairwise.py --trials 3       # quicker; costs are scaled to 10 trials
    python benchmarks/pairwise.py --out benchmarks/results/pairwise.md   # also save the report

Without ``--engine`` every RTD is computed as ``pairwise`` computes it by default (the
identity, ``method="identity"``); naming an engine times its barcode (``method="barcode"``).

Each configuration is timed ``--repeat`` times (default 2) and the fastest run is reported.

Every run computes the same matrix (checked), so the timings compare executors only. The
default b=100, 10 trials is the paper's NAS-Bench-NLP setting (footnote 2: "10 random batches
of 100 word embeddings"); the projection extrapolates for it, and also for the paper's default
b=500 from one timed trial.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import rtdkit
from rtdkit import pairwise

PAPER_ARCHITECTURES = 90
PAPER_PAIRS = PAPER_ARCHITECTURES * (PAPER_ARCHITECTURES - 1) // 2  # 4005
PAPER_TRIALS = 10


@dataclass(frozen=True)
class Timing:
    executor: str
    workers: int
    seconds: float
    pairs: int

    @property
    def pairs_per_second(self) -> float:
        return self.pairs / self.seconds

    @property
    def worker_seconds_per_pair(self) -> float:
        """Cost of one pair on one worker, start-up and scheduling included."""
        return self.seconds * self.workers / self.pairs


def make_reps(count: int, n: int, dim: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Noisy linear images of one cloud: what layers or checkpoints of one model look like."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, dim))
    return {
        f"rep{i:02d}": base @ rng.normal(size=(dim, dim)) + 0.1 * i * rng.normal(size=(n, dim))
        for i in range(count)
    }


def timed(run: Callable[[], dict[str, pd.DataFrame]], repeat: int) -> tuple[float, pd.DataFrame]:
    """Best of ``repeat`` runs: on a shared machine only the floor measures the cost."""
    best, matrix = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        matrix = run()["rtd"]
        best = min(best, time.perf_counter() - start)
    assert matrix is not None
    return best, matrix


def local_run(
    reps: dict[str, np.ndarray], workers: int, opts: dict[str, Any], repeat: int
) -> Timing:
    """n_jobs=1 runs in this thread; more workers run on threads of this process."""
    seconds, matrix = timed(lambda: pairwise(reps, n_jobs=workers, progress=False, **opts), repeat)
    check(matrix, opts)
    name = "local (in-process)" if workers == 1 else "local threads"
    return Timing(name, workers, seconds, len(reps) * (len(reps) - 1) // 2)


def dask_run(
    reps: dict[str, np.ndarray], workers: int, opts: dict[str, Any], repeat: int
) -> Timing:
    """A LocalCluster on 127.0.0.1; its start-up is excluded, the scatter is included."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(lambda: __import__("rtdkit.engines.reference"))  # warm imports, as a pool's
        seconds, matrix = timed(
            lambda: pairwise(reps, executor=client, progress=False, **opts), repeat
        )
    check(matrix, opts)
    return Timing("dask LocalCluster", workers, seconds, len(reps) * (len(reps) - 1) // 2)


_REFERENCE: dict[str, pd.DataFrame] = {}


def check(matrix: pd.DataFrame, opts: dict[str, Any]) -> None:
    """Every executor must give the same matrix bit for bit, or the timings mean nothing."""
    key = repr(sorted(opts.items()))
    reference = _REFERENCE.setdefault(key, matrix)
    if not reference.equals(matrix):
        raise AssertionError("executors disagree: the benchmark would compare different work")


def single_pair_seconds(n: int, dim: int, batch: int, opts: dict[str, Any], repeat: int) -> float:
    """One trial (both directions) of one pair at ``batch`` points: best of ``repeat``."""
    p, q = make_reps(2, n, dim).values()
    rtdkit.rtd(p, q, batch=min(batch, 50), trials=1, **opts)  # warm-up: imports, caches
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        rtdkit.rtd(p, q, batch=batch, trials=1, **opts)
        best = min(best, time.perf_counter() - start)
    return best


def print_table(timings: list[Timing], trials: int) -> None:
    print(f"\n{'executor':<22}{'workers':>8}{'wall s':>9}{'pairs/s':>10}{'worker-s/pair':>15}")
    for t in timings:
        print(
            f"{t.executor:<22}{t.workers:>8}{t.seconds:>9.2f}{t.pairs_per_second:>10.2f}"
            f"{t.worker_seconds_per_pair:>15.4f}"
        )
    print(f"(one pair = {trials} trials x 2 directions)")


def overhead(timings: list[Timing], workers: int) -> float | None:
    by = {(t.executor, t.workers): t.seconds for t in timings}
    dask, local = by.get(("dask LocalCluster", workers)), by.get(("local threads", workers))
    return None if dask is None or local is None else (dask - local) / local


def print_projection(per_pair: float, cores: list[int], machines: list[int], label: str) -> None:
    """Wall time of 4005 pairs x 10 trials x 2 directions on k machines of c workers each,
    if every worker sustains ``per_pair`` (pairs are independent; results are ~100 bytes)."""
    core_seconds = PAPER_PAIRS * per_pair
    print(f"\n{label}: {per_pair:.3f} worker-s per pair -> {core_seconds / 3600:.2f} core-hours")
    print(f"{'machines':>9}" + "".join(f"{f'{c} cores each':>18}" for c in cores))
    for k in machines:
        print(f"{k:>9}" + "".join(f"{human(core_seconds / (k * c)):>18}" for c in cores))


def human(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=20, help="number of representations")
    parser.add_argument("--n", type=int, default=500, help="objects per representation")
    parser.add_argument("--dim", type=int, default=64, help="features per representation")
    parser.add_argument("--batch", type=int, default=100, help="subsample size b")
    parser.add_argument("--trials", type=int, default=PAPER_TRIALS, help="subsamples per pair")
    parser.add_argument(
        "--engine", default=None, help="time this engine's barcode (default: the identity)"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask runs")
    parser.add_argument("--repeat", type=int, default=2, help="report the best of R runs")
    parser.add_argument("--machines", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--cores", type=int, nargs="+", default=[os.cpu_count() or 1, 32])
    parser.add_argument("--out", default=None, help="also write the report to this .md file")
    return parser.parse_args()


def run_executors(
    reps: dict[str, np.ndarray], opts: dict[str, Any], args: argparse.Namespace
) -> list[Timing]:
    timings = [local_run(reps, w, opts, args.repeat) for w in args.workers]
    if not args.no_dask:
        timings += [dask_run(reps, w, opts, args.repeat) for w in args.workers if w > 1]
    return timings


class _Tee(io.TextIOBase):
    """Writes to several streams: the report appears as it is measured and is also kept."""

    def __init__(self, *streams: io.TextIOBase | Any) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def main() -> None:
    args = parse_args()
    if args.out is None:
        run(args)
        return
    kept = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, kept)):
        run(args)
    command = " ".join(["python", "benchmarks/pairwise.py", *sys.argv[1:]])
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(f"# rtdkit.pairwise throughput\n\nCommand: `{command}`\n\n```\n")
        fh.write(kept.getvalue() + "```\n")


def run(args: argparse.Namespace) -> None:
    what = "the identity" if args.engine is None else f"the {args.engine!r} barcode"
    opts: dict[str, Any] = {"batch": args.batch, "trials": args.trials, "seed": 0}
    if args.engine is not None:
        opts["engine"] = args.engine
    rtd_opts = {k: v for k, v in opts.items() if k == "engine"}
    reps = make_reps(args.reps, args.n, args.dim)
    n_pairs = args.reps * (args.reps - 1) // 2
    print(
        f"rtdkit {rtdkit.__version__}, RTD by {what}, {platform.machine()} "
        f"x{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(
        f"{args.reps} representations of {args.n} x {args.dim}: {n_pairs} pairs, "
        f"b={args.batch}, {args.trials} trials"
        + ("" if args.trials == PAPER_TRIALS else f" (costs below scaled to {PAPER_TRIALS})")
    )
    timings = run_executors(reps, opts, args)
    print_table(timings, args.trials)
    print(
        "(local threads start with every pairwise() call; the Dask cluster was started "
        "beforehand, as a long-lived cluster would be)"
    )
    for w in args.workers:
        if (ratio := overhead(timings, w)) is not None:
            print(f"Dask vs local threads, {w} workers: {ratio:+.1%} wall time")
    tiny = run_executors(reps, {**opts, "batch": 8, "trials": 1}, args)
    print("\nFramework overhead: the same pairs at b=8, 1 trial (almost no computing)")
    print_table(tiny, 1)
    scale = PAPER_TRIALS / args.trials
    serial = min(t.worker_seconds_per_pair for t in timings if t.workers == 1) * scale
    study = f"{PAPER_PAIRS} pairs x {PAPER_TRIALS} trials x 2 directions"
    print_projection(
        serial, args.cores, args.machines, f"Paper's study ({study}) at b={args.batch}"
    )
    b500 = single_pair_seconds(args.n, args.dim, 500, rtd_opts, max(args.repeat, 3)) * PAPER_TRIALS
    print_projection(b500, args.cores, args.machines, "Same study at b=500")
    widest = max(timings, key=lambda t: (t.workers, t.pairs_per_second))
    efficiency = widest.pairs_per_second * serial / scale / widest.workers
    print(
        f"\nMeasured here: {widest.workers} workers ({widest.executor}) reach {efficiency:.0%} of "
        f"{widest.workers}x the 1-worker throughput, load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores; on machines that busy, divide the times above by that."
    )
    print(
        "The tables assume every worker sustains the 1-worker per-pair cost. That cost depends "
        "on the feature dimension only through the b x b distances, so the paper's 400-dim "
        "embeddings cost about the same at the same b."
    )


if __name__ == "__main__":
    main()
