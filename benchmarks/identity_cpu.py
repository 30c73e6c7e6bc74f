"""CPU seconds, not wall time, of the score path against the cone barcode and Ripser's H1(μ).

Usage::

    python benchmarks/identity_cpu.py --n 1000 --workloads widths,digits-pca2,rings,mlp

On a shared machine wall times swing with the other processes' load; the CPU time of a
single-threaded computation does much less. Each figure is the least of ``--repeats`` runs:
``time.process_time`` for the score path and the cone engine (both single-threaded, in this
process), the children's user + system time for Ripser (``benchmarks/workloads.py`` builds and
runs it on μ written as a lower-distance file; its time includes reading that file). A trial
computes both directions: the score's one ``identity_terms(..., both=True)`` call against the
cone's two barcodes.
"""

from __future__ import annotations

import argparse
import functools
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from workloads import WORKLOADS, run_cone, run_ripser, write_lower_distance

from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.engines.score import identity_terms


def least_cpu(fn: Callable[[], object], repeats: int) -> float:
    """Least CPU time of ``fn`` over ``repeats`` runs, its own and its children's."""
    best = float("inf")
    for _ in range(repeats):
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.process_time()
        fn()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent = time.process_time() - start
        spent += (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
        best = min(best, spent)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--workloads", default="widths,digits-pca2,rings,mlp,easy")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(
        "| workload | N | score P→Q | score both | cone P→Q + Q→P | both / cone "
        "| Ripser H1(μ) | Ripser / score P→Q |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in args.workloads.split(","):
        print(row(name, args.n, args.repeats), flush=True)


def row(name: str, n: int, repeats: int) -> str:
    p, q = WORKLOADS[name].make(n)
    w, wt = normalized_distances(p), normalized_distances(q, name="Q")
    one = least_cpu(functools.partial(identity_terms, w, wt, both=False), repeats)
    both = least_cpu(functools.partial(identity_terms, w, wt, both=True), repeats)
    cone = least_cpu(functools.partial(run_cone, w, wt), repeats)
    cone += least_cpu(functools.partial(run_cone, wt, w), repeats)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mu.lower_distance"
        write_lower_distance(cross_matrices(w, wt)[1], path)
        ripser = least_cpu(functools.partial(run_ripser, path), repeats)
    return (
        f"| {name} | {n} | {one:.3f} | {both:.3f} | {cone:.3f} | {both / cone:.2f} "
        f"| {ripser:.3f} | {ripser / one:.2f} |"
    )


if __name__ == "__main__":
    main()
