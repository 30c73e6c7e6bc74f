"""Peak memory of one R-Cross-Barcode, in bytes per N², end to end.

Each measurement runs in a fresh subprocess: it builds the two clouds, records its resident
memory, computes the barcode, and reports how far the peak resident memory (ru_maxrss) rose above
that baseline, together with tracemalloc's peak of the Python-side (numpy) allocations. The
engine's own arrays are not seen by tracemalloc, only by ru_maxrss.

    python benchmarks/memory.py            # N = 6000
    python benchmarks/memory.py --n 3000

Compared in the same run: ``cross_barcode`` (float32 pipeline), the float64 route that
``rtd``'s barcode trials take (``barcode_from_distances`` on float64 normalised distance
matrices), and one ``rtd`` trial on all points through the identity (``rtd(batch=None)``, the
default method: both directions, both clouds' float64 matrices and the score engine).
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


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


baseline = rss_bytes()
tracemalloc.start()
start = time.perf_counter()
if route == "cross_barcode":
    bars = rtdkit.cross_barcode(p, q, engine=engine)[1]
elif route == "identity":
    bars = [rtdkit.rtd(p, q, batch=None).value]
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


if __name__ == "__main__":
    main()
