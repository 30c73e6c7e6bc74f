"""Whole-cloud scaling of ``rtd(P, Q, batch=None)``: seconds and peak memory against N.

Each cell runs in a fresh subprocess on the widths pair of benchmarks/workloads.py (64-d
Gaussian cloud against P·A + noise, 32-d): one identity trial on all points, both directions.
It reports wall seconds, the peak resident memory above the baseline taken after building the
clouds (ru_maxrss, so the engine's arrays count), that peak per N², and the growth exponent of
the time between successive N. Where affordable (``--old-max``), the float64 route the trial
took before (both clouds' float64 matrices, ``identity_terms`` on them) runs in the same
invocation, and the two totals must agree bit for bit.

    python benchmarks/whole_cloud.py                         # N = 1000, 2000, 4000, 10000
    python benchmarks/whole_cloud.py --n 1000,2000 --old-max 2000
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

n, route = int(sys.argv[1]), sys.argv[2]
p, q = widths(n)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


baseline = rss_bytes()
start = time.perf_counter()
if route == "new":
    r = rtdkit.rtd(p, q, batch=None, progress=False)
    totals = [float(r.forward[0]), float(r.backward[0])]
else:
    w, wt = normalized_distances(p, name="P"), normalized_distances(q, name="Q")
    totals = [t.total for t in identity_terms(w, wt)]
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
print(json.dumps({"seconds": seconds, "peak": peak, "totals": totals}))
"""

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(n: int, route: str) -> dict[str, float | list[float]]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), route, HERE],
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
    args = parser.parse_args()
    sizes = [int(v) for v in args.n.split(",")]
    load = os.getloadavg()
    print(
        f"Command: `python benchmarks/whole_cloud.py --n {args.n} --old-max {args.old_max}`  \n"
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores; widths pair "
        "(64-d → 32-d), one trial, both directions; wall seconds, peak RSS above baseline.\n"
    )
    print(
        "| N | seconds | peak GB | bytes / N² | exponent | float64 route s | float64 GB "
        "| float64 B/N² | same totals |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    previous: tuple[int, float] | None = None
    for n in sizes:
        new = measure(n, "new")
        seconds, peak = float(new["seconds"]), float(new["peak"])  # type: ignore[arg-type]
        exponent = (
            f"{math.log(seconds / previous[1]) / math.log(n / previous[0]):.2f}"
            if previous
            else "–"
        )
        previous = (n, seconds)
        old_cells = "– | – | – | –"
        if n <= args.old_max:
            old = measure(n, "old")
            same = "yes" if old["totals"] == new["totals"] else "NO"
            old_peak = float(old["peak"])  # type: ignore[arg-type]
            old_cells = (
                f"{float(old['seconds']):.1f} | {old_peak / 1e9:.2f} | "  # type: ignore[arg-type]
                f"{old_peak / n / n:.1f} | {same}"
            )
        print(
            f"| {n} | {seconds:.1f} | {peak / 1e9:.2f} | {peak / n / n:.1f} | {exponent} "
            f"| {old_cells} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
