"""Time one R-Cross-Barcode_1 per engine, side by side, and the full default ``rtdkit.rtd``.

Usage::

    python benchmarks/engines.py                 # the full table (a few minutes on 2 cores)
    python benchmarks/engines.py --sizes 100 200 --no-rtd

Pairs (64-d Gaussian cloud P, N points):

* related:   Q = P A / 8 + 0.1 noise, A a 64 x 64 Gaussian matrix (a noisy linear image);
* unrelated: Q an independent 64-d Gaussian cloud.

Engines, all on the same normalised ``w`` and ``mu = min(w, w_tilde)``:

* cone      rtdkit's native engine (the mapping cone, C++);
* giotto-ph the reference engine: the 2N x 2N doubled matrix, ``n_threads=2``;
* ripser.py ``ripser(m, distance_matrix=True, maxdim=1)`` on the doubled matrix;
* gudhi     ``RipsComplex(distance_matrix=m, max_edge_length=alpha*)`` + ``SimplexTree``
  persistence on the doubled matrix (given the enclosing radius, or it would build the whole
  complex).

Each time is the median of a few repeats (fewer for slow runs). An engine is skipped at a size
where a cubic extrapolation from its previous size predicts more than ``--limit`` seconds. The
bar counts are printed as a sanity check: every engine must find the same number of bars.
Timings on a shared machine are noisy; compare ratios within one run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import rtdkit
from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.engines import get_engine
from rtdkit.engines.reference import doubled_matrix

Runner = Callable[[np.ndarray, np.ndarray], int]


def make_pair(n: int, related: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.standard_normal((n, 64))
    if related:
        q = p @ rng.standard_normal((64, 64)) / 8 + 0.1 * rng.standard_normal((n, 64))
    else:
        q = rng.standard_normal((n, 64))
    return p, q


def _count(bars: np.ndarray) -> int:
    bars = np.asarray(bars).reshape(-1, 2)
    return int(np.sum(np.isfinite(bars[:, 1]) & (bars[:, 1] > bars[:, 0])))


def run_cone(w: np.ndarray, mu: np.ndarray) -> int:
    return _count(get_engine("cone").function(w, mu, maxdim=1).bars[1])


def run_giotto(w: np.ndarray, mu: np.ndarray) -> int:
    return _count(get_engine("reference").function(w, mu, maxdim=1, n_threads=2).bars[1])


def run_ripser(w: np.ndarray, mu: np.ndarray) -> int:
    from ripser import ripser

    return _count(ripser(doubled_matrix(w, mu), distance_matrix=True, maxdim=1)["dgms"][1])


def run_gudhi(w: np.ndarray, mu: np.ndarray) -> int:
    import gudhi

    alpha = float(np.min(np.max(w, axis=1)))
    rips = gudhi.RipsComplex(distance_matrix=doubled_matrix(w, mu), max_edge_length=alpha)
    tree = rips.create_simplex_tree(max_dimension=2)
    tree.compute_persistence(homology_coeff_field=2)
    return _count(tree.persistence_intervals_in_dimension(1))


ENGINES: dict[str, Runner] = {
    "cone": run_cone,
    "giotto-ph(2)": run_giotto,
    "ripser.py": run_ripser,
    "gudhi": run_gudhi,
}


def timed(fn: Runner, w: np.ndarray, mu: np.ndarray) -> tuple[float, int]:
    """Median wall time over a few repeats (5 if fast, 3 if moderate, 1 if slow)."""
    times: list[float] = []
    count = 0
    while True:
        start = time.perf_counter()
        count = fn(w, mu)
        times.append(time.perf_counter() - start)
        budget = 5 if times[0] < 0.5 else 3 if times[0] < 5 else 1
        if len(times) >= budget:
            return statistics.median(times), count


def bench_engines(sizes: list[int], cone_only: list[int], limit: float) -> None:
    print(f"{'N':>5} {'pair':<10} {'engine':<13} {'median s':>10} {'bars':>6} {'giotto/x':>9}")
    last: dict[tuple[str, bool], tuple[int, float]] = {}
    for n in sorted(set(sizes) | set(cone_only)):
        for related in (True, False):
            p, q = make_pair(n, related)
            w, mu = cross_matrices(normalized_distances(p), normalized_distances(q, name="Q"))
            results: dict[str, tuple[float, int] | str] = {}
            for name, fn in ENGINES.items():
                if n not in sizes and name != "cone":
                    continue
                prev = last.get((name, related))
                if prev is not None and prev[1] * (n / prev[0]) ** 3 > limit:
                    results[name] = f"skipped (> {limit:.0f} s predicted)"
                    continue
                timing = timed(fn, w, mu)
                results[name] = timing
                last[(name, related)] = (n, timing[0])
            base = results.get("giotto-ph(2)")
            pair = "related" if related else "unrelated"
            for name, res in results.items():
                if isinstance(res, str):
                    print(f"{n:>5} {pair:<10} {name:<13} {res}")
                    continue
                ratio = f"{base[0] / res[0]:9.1f}" if isinstance(base, tuple) else f"{'-':>9}"
                print(f"{n:>5} {pair:<10} {name:<13} {res[0]:10.4f} {res[1]:>6} {ratio}")


def bench_rtd(n: int = 2000) -> None:
    if not hasattr(rtdkit, "rtd"):
        print("rtdkit.rtd not available: skipped")
        return
    for related in (True, False):
        p, q = make_pair(n, related, seed=1)
        start = time.perf_counter()
        res = rtdkit.rtd(p, q)
        dt = time.perf_counter() - start
        pair = "related" if related else "unrelated"
        print(
            f"rtdkit.rtd(P, Q) defaults (batch 500, 10 trials x 2 directions, engine "
            f"{rtdkit.engines.DEFAULT_ENGINE}), {n}x64 {pair}: {dt:.2f} s, RTD = {float(res):.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 500, 1000])
    parser.add_argument("--cone-only", type=int, nargs="*", default=[2000])
    parser.add_argument("--limit", type=float, default=60.0, help="skip runs predicted longer")
    parser.add_argument("--no-rtd", action="store_true")
    args = parser.parse_args()
    bench_engines(args.sizes, args.cone_only, args.limit)
    if not args.no_rtd:
        bench_rtd()


if __name__ == "__main__":
    main()
