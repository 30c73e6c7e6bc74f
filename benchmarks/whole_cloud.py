"""Whole-cloud scaling of ``rtd(P, Q, batch=None)``: seconds and peak memory against N.

Each cell runs in a fresh subprocess on the widths pair of benchmarks/workloads.py (64-d
Gaussian cloud against P·A + noise, 32-d): one identity trial on all points, both directions,
once per thread count of ``--threads`` (``n_jobs``: one trial, so every thread goes inside
it). It reports wall seconds, the process's CPU seconds (all threads), the speed-up over the
first thread count, the peak resident memory above the baseline taken after building the
clouds (ru_maxrss, so the engine's arrays count), that peak per N², and the growth exponent of
the time between successive N (first thread count). The totals must agree bit for bit across
thread counts. Where affordable (``--old-max``), the float64 route the trial took before (both
clouds' float64 matrices, ``identity_terms`` on them) runs in the same invocation, and its
totals must agree bit for bit too.

    python benchmarks/whole_cloud.py                         # N = 1000, 2000, 4000, 10000
    python benchmarks/whole_cloud.py --n 1000,2000 --old-max 2000 --threads 1,2,4
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, sys.argv[3])
from workloads import widths
import rtdkit
import rtdkit.engines.score
import scipy.spatial.distance  # loaded by both routes: not part of the N² cost
from rtdkit.distances import normalized_distances
from rtdkit.engines.score import identity_terms

n, route, threads = int(sys.argv[1]), sys.argv[2], int(sys.argv[4])
p, q = widths(n)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


baseline = rss_bytes()
cpu_start = cpu_seconds()
start = time.perf_counter()
if route == "new":
    r = rtdkit.rtd(p, q, batch=None, n_jobs=threads, progress=False)
    totals = [float(r.forward[0]), float(r.backward[0])]
else:
    w, wt = normalized_distances(p, name="P"), normalized_distances(q, name="Q")
    totals = [t.total for t in identity_terms(w, wt)]
seconds = time.perf_counter() - start
cpu = cpu_seconds() - cpu_start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "totals": totals}))
"""

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(n: int, route: str, threads: int = 1) -> dict[str, float | list[float]]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), route, HERE, str(threads)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float | list[float]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="1000,2000,4000,10000", help="comma-separated sizes")
    parser.add_argument(
        "--old-max", type=int, default=4000, help="largest N for the float64 route (default 4000)"
    )
    parser.add_argument(
        "--threads", default="1,2", help="comma-separated n_jobs of the one trial (default 1,2)"
    )
    args = parser.parse_args()
    sizes = [int(v) for v in args.n.split(",")]
    thread_counts = [int(v) for v in args.threads.split(",")]
    load = os.getloadavg()
    print(
        f"Command: `python benchmarks/whole_cloud.py --n {args.n} --old-max {args.old_max} "
        f"--threads {args.threads}`  \n"
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; widths pair "
        "(64-d → 32-d), one trial, both directions; wall and CPU seconds (all threads), peak "
        "RSS above baseline.\n"
    )
    print(
        "| N | threads | seconds | CPU s | speed-up | peak GB | bytes / N² | exponent "
        "| float64 route s | float64 GB | float64 B/N² | same totals |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    previous: tuple[int, float] | None = None
    for n in sizes:
        first: dict[str, float | list[float]] | None = None
        for threads in thread_counts:
            new = measure(n, "new", threads)
            seconds, peak = float(new["seconds"]), float(new["peak"])  # type: ignore[arg-type]
            exponent, speedup, old_cells = "", "", " | | "
            if first is None:
                first = new
                exponent = (
                    f"{math.log(seconds / previous[1]) / math.log(n / previous[0]):.2f}"
                    if previous
                    else "–"
                )
                previous = (n, seconds)
                same = "yes"
                old_cells = "– | – | –"
                if n <= args.old_max:
                    old = measure(n, "old")
                    same = "yes" if old["totals"] == new["totals"] else "NO"
                    old_peak = float(old["peak"])  # type: ignore[arg-type]
                    old_cells = (
                        f"{float(old['seconds']):.1f} | {old_peak / 1e9:.2f} | "  # type: ignore[arg-type]
                        f"{old_peak / n / n:.1f}"
                    )
            else:
                same = "yes" if first["totals"] == new["totals"] else "NO"
                speedup = f"{float(first['seconds']) / seconds:.2f}x"  # type: ignore[arg-type]
            print(
                f"| {n} | {threads} | {seconds:.1f} | {float(new['cpu']):.1f} | "  # type: ignore[arg-type]
                f"{speedup} | {peak / 1e9:.2f} | {peak / n / n:.1f} | {exponent} "
                f"| {old_cells} | {same} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
