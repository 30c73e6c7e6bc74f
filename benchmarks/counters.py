"""Where the cone engine's time goes: its counters on easy and hard pairs.

    python benchmarks/counters.py                 # the table of docs/engine.md
    python benchmarks/counters.py --sizes 100,300 --workloads digits-pca2

One R-Cross-Barcode₁(P, Q) per row, on the pairs of ``benchmarks/workloads.py`` (same
generators, same seeds), single-threaded, through ``rtdkit.engines.cone.cone_diagnostics``:
seconds (one run, wall clock, and the process's CPU time: the development machine is shared)
and the engine's counters — columns (edges of K up to the enclosing radius), trivial (edges of
L), emergent (paired by the apparent-pair shortcut), shortcut (paired by their cut, without a
reduction), reduced (columns that needed a reduction), additions (columns added to them),
materialised (cuts written out for an addition), visited (coboundary entries popped off the
working columns) and removals (edges that an addition took out of a working cochain). The
counters do not depend on the machine; the seconds do.
"""

from __future__ import annotations

import argparse
import time

import workloads

from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.engines.cone import cone_diagnostics

# (workload, reversed: Q → P instead of P → Q, sizes)
DEFAULT_ROWS = (
    ("easy", False, (300, 1000, 2000)),
    ("widths", False, (500, 1000, 2000)),
    ("digits-pca2", False, (100, 300, 500, 1000, 1797)),
    ("digits-pca2", True, (1000,)),
    ("proj-2", False, (100, 200, 300, 500)),
    ("proj-2", True, (300,)),
    ("one-hot", False, (300, 500, 1000)),
)
COUNTERS = (
    "columns",
    "trivial",
    "emergent",
    "shortcut",
    "reduced",
    "additions",
    "materialised",
    "visited",
    "removals",
)


def measure(name: str, reverse: bool, n: int) -> dict[str, float]:
    p, q = workloads.WORKLOADS[name].make(n)
    if reverse:
        p, q = q, p
    w, mu = cross_matrices(normalized_distances(p), normalized_distances(q))
    start, cpu = time.perf_counter(), time.process_time()
    stats = cone_diagnostics(w, mu)
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, **stats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", help="comma-separated names (default: the doc's rows)")
    parser.add_argument("--sizes", help="comma-separated N for every workload given")
    args = parser.parse_args()
    rows: tuple[tuple[str, bool, tuple[int, ...]], ...] = DEFAULT_ROWS
    if args.workloads:
        sizes = tuple(int(s) for s in (args.sizes or "100,300").split(","))
        rows = tuple((name, False, sizes) for name in args.workloads.split(","))
    print("| workload | direction | N | seconds | CPU s | " + " | ".join(COUNTERS) + " |")
    print("| --- | --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in COUNTERS) + " |")
    for name, reverse, sizes in rows:
        for n in sizes:
            m = measure(name, reverse, n)
            cells = " | ".join(f"{int(m[c]):,}".replace(",", " ") for c in COUNTERS)
            direction = "Q → P" if reverse else "P → Q"
            times = f"{m['seconds']:.2f} | {m['cpu']:.2f}"
            print(f"| {name} | {direction} | {n} | {times} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
