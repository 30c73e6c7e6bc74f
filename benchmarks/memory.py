"""Peak memory of one R-Cross-Barcode, in bytes per N², end to end.

Each measurement runs in a fresh subprocess: it builds the two clouds, records its resident
memory, computes the barcode, and reports how far the peak resident memory (ru_maxrss) rose above
that baseline, together with tracemalloc's peak of the Python-side (numpy) allocations. The
engine's own arrays are not seen by tracemalloc, only by ru_maxrss.

    python benchmarks/memory.py            # N = 6000
    python benchmarks/memory.py --n 3000

Compared in the same run: ``cross_barcode`` (float32 pipeline), the float64 route that
``rtd``'s barcode trials take (``barcode_from_distances`` on float64 normalised distance
matrices), one ``rtd`` trial on all points through the identity (``rtd(batch=None)``, the
default method: float32 matrices built one float64 matrix at a time, read in place by the score
engine), the same trial on two threads (``n_jobs=2``), and the same trial by the float64 route
it replaced (both clouds' float64 matrices,
``identity_terms`` on them, as the trials with shuffles still run). The ``rtd`` rows use the
widths pair of benchmarks/workloads.py (64-d against a related 32-d cloud); the barcode rows
two independent 64-d Gaussian clouds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy as np
import rtdkit
from rtdkit.distances import normalized_distances
from rtdkit.divergence import barcode_from_distances
from rtdkit.engines import get_engine

n, route, engine = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = np.random.default_rng(0)
p, q = rng.normal(size=(n, 64)), rng.normal(size=(n, 64))
get_engine(engine)  # import the engines before the baseline
import rtdkit.engines.score
import scipy.spatial.distance  # loaded by every route: not part of the N² cost
from rtdkit.engines.score import identity_terms


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


baseline = rss_bytes()
tracemalloc.start()
rng = np.random.default_rng(2)
start = time.perf_counter()
if route == "cross_barcode":
    bars = rtdkit.cross_barcode(p, q, engine=engine)[1]
elif route == "identity":
    p = rng.standard_normal((n, 64))  # the widths pair of benchmarks/workloads.py
    q = p @ rng.standard_normal((64, 32)) + rng.standard_normal((n, 32))
    baseline = rss_bytes()
    bars = [rtdkit.rtd(p, q, batch=None, progress=False).value]
elif route == "identity-threads":  # the same trial on 2 threads (docs/score.md, "Threads")
    p = rng.standard_normal((n, 64))
    q = p @ rng.standard_normal((64, 32)) + rng.standard_normal((n, 32))
    baseline = rss_bytes()
    bars = [rtdkit.rtd(p, q, batch=None, n_jobs=2, progress=False).value]
elif route == "identity-float64":
    p = rng.standard_normal((n, 64))
    q = p @ rng.standard_normal((64, 32)) + rng.standard_normal((n, 32))
    baseline = rss_bytes()
    w, wt = normalized_distances(p), normalized_distances(q)
    bars = [sum(t.total for t in identity_terms(w, wt)) / 2]
else:
    w, wt = normalized_distances(p), normalized_distances(q)
    bars = barcode_from_distances(w, wt, maxdim=1, engine=get_engine(engine))[1]
seconds = time.perf_counter() - start
python_peak = tracemalloc.get_traced_memory()[1]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
print(json.dumps({"extra": peak - baseline, "python": python_peak, "seconds": seconds,
                  "bars": len(bars)}))
"""


def measure(n: int, route: str, engine: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), route, engine],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6000, help="points per cloud (default 6000)")
    parser.add_argument("--engine", default="cone")
    args = parser.parse_args()
    n2 = float(args.n) ** 2
    print(f"N = {args.n}, engine {args.engine!r}, two independent 64-d Gaussian clouds")
    print(f"{'route':<42} {'peak B/N²':>10} {'numpy B/N²':>11} {'seconds':>8} {'bars':>6}")
    routes = (
        ("cross_barcode", "cross_barcode(P, Q)"),
        ("float64", "barcode_from_distances (float64, as rtd)"),
        ("identity", "rtd(P, Q, batch=None): one identity trial"),
        ("identity-threads", "rtd(P, Q, batch=None), n_jobs=2 threads"),
        ("identity-float64", "the same trial, float64 route (before)"),
    )
    results = {}
    for route, label in routes:
        r = measure(args.n, route, args.engine)
        results[route] = r
        print(
            f"{label:<42} {r['extra'] / n2:>10.1f} {r['python'] / n2:>11.1f} "
            f"{r['seconds']:>8.1f} {int(r['bars']):>6}"
        )
    ratio = results["float64"]["extra"] / results["cross_barcode"]["extra"]
    print(f"float64 route / cross_barcode: {ratio:.2f}x the peak memory")
    old, new = results["identity-float64"], results["identity"]
    print(
        f"identity trial, float64 route / float32 route: {old['extra'] / new['extra']:.2f}x the "
        f"peak memory, {old['seconds'] / new['seconds']:.2f}x the time"
    )


if __name__ == "__main__":
    main()
