"""RTD_1 on real workloads: the score path against three barcode engines, on the same matrices.

Usage::

    python benchmarks/workloads.py --quick                  # smoke run, 2-3 min on 2 cores
    python benchmarks/workloads.py --budget 20 --scale-workloads widths,proj-2,one-hot,rings
    # ... --out benchmarks/results/workloads.md: the committed run, 35 min on 2 busy cores
    python benchmarks/workloads.py --workloads digits-pca2,proj-2 --e2e-barcode
    python benchmarks/workloads.py --max-n 1000 --score-max-n 4000 --no-e2e

Needs the ``bench`` extra (``pip install -e ".[bench]"``: scikit-learn and the Rust ``tda``).

Every workload is a pair of representations (P, Q) of the same N objects, drawn with fixed
seeds. Each row is one direction: ``P → Q`` (the direction expected to be hard for the barcode,
Q being a low-dimensional or otherwise spread-out image of a concentrated P) and ``Q → P``.
Methods, all given the same two normalised matrices w, w̃ (distances over their 0.9-quantile,
float64) and timed with their own preparation (``cross_matrices``, the doubled matrix):

* score     ``rtdkit.engines.score.identity_terms(w, w_tilde, both=False)``: RTD_1 through the
            identity MST(w) − MST(μ) + TL(H1 Rips μ) − TL(image); ``both`` times the two
            directions in one call (they share Rips(μ)), which is what one ``rtd`` trial
            computes (``rtd`` itself builds float32 matrices from the points instead:
            benchmarks/whole_cloud.py measures that route);
* cone      the native barcode engine, ``get_engine("cone")``, total of the H1 bars;
* giotto-ph ``ripser_parallel`` with ``n_threads=2`` on the paper's 2N × 2N doubled matrix;
* tda       the Rust ``tda`` package, ``persistent_homology(m, distance_matrix=True)`` on the
            same doubled matrix in float32 (it parallelises over all cores by itself);
* ripser    not an RTD: Ripser's own H1 barcode of μ = min(w, w̃) alone (the hardest of the
            identity's three terms), Ripser master's single C++ file vendored in
            ``benchmarks/ripser/`` and compiled there as its Makefile does (``-O3``, one thread),
            run on μ written as a lower-distance-matrix text file in float32 (the time includes
            Ripser reading that file, not writing it); its total is checked against the
            identity's H1(μ) term.

Sizes: N = 100, 200, 300, 500, 1000, 2000 for every method (``--max-n``, default 2000); the
score path's both-directions call continues to N = 4000 and 10,000 (``--score-max-n``, default
10,000) on the workloads of ``--scale-workloads`` (default all), and so does Ripser while its
budget allows; cells above ``--max-n`` show "—". Digits and MLP workloads stop at the 1797
digits.

Each measurement runs in a forked child process that is killed when it exceeds its budget
(``--budget`` seconds; ``--score-budget``, default 600, for the score path); a method over
budget at some N is not run at larger N, nor when a growth of at least N³ from its previous
time predicts more than twice the budget. Fast cells are medians of 3 (under 1 s) or 5 (under
0.2 s) runs; slower ones a single run. Every barcode total is checked against the score total
of the same direction: they agree when ``|x − s| <= 1e-6 * max(|s|, 1)``.

Peak memory, in GB after each time: the child's ``getrusage(RUSAGE_SELF).ru_maxrss`` after the
work minus its resident memory (``/proc/self/statm``) just before it. After a fork ru_maxrss
starts from the RSS at the fork, so this is what the work allocated on top of the inputs (the
two float64 normalised matrices, 16 bytes per N², built before and shared with the parent,
are not counted); threads of giotto-ph and ``tda`` count, being in the same process. Ripser is
a separate process: its cell shows that process's own peak RSS, from GNU time's ``%M`` (no
figure without /usr/bin/time).

Growth exponents are least-squares slopes of log time against log N over the sizes that ran
(at least 3). The scaling table gives, per workload, the score's both-directions call at every
N with its peak memory and two exponents (all sizes, and N ≥ 1000 where the fixed costs no
longer dominate); the per-trial table sums each engine's two directions against that call (the
README's table is a subset of it). Timings on a shared machine are noisy: compare the ratios
within one run.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing as mp
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

import rtdkit
from rtdkit.datasets import clusters, rings
from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.engines import get_engine
from rtdkit.engines.reference import doubled_matrix
from rtdkit.engines.score import identity_terms

Pair = tuple[np.ndarray, np.ndarray]

SIZES = (100, 200, 300, 500, 1000, 2000, 4000, 10000)
QUICK_SIZES = (100, 200)
MAX_N = 2000  # default --max-n: every method up to here; only the score path beyond
METHODS = ("score", "cone", "giotto-ph", "tda")
TOLERANCE = 1e-6
DIGITS_N = 1797


# --------------------------------------------------------------------------- workloads


def _gaussian(n: int, dim: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim))


def _noisy_image(n: int, out_dim: int, noise: float, seed: int) -> Pair:
    """A 64-d Gaussian cloud and a noisy random linear image of it in ``out_dim`` dimensions."""
    rng = np.random.default_rng(seed)
    p = rng.standard_normal((n, 64))
    q = p @ rng.standard_normal((64, out_dim)) / 8 + noise * rng.standard_normal((n, out_dim))
    return p, q


def easy(n: int) -> Pair:
    return _noisy_image(n, 64, 0.1, seed=1)


def widths(n: int) -> Pair:
    # the README tour's pair: Q = P A + noise, A a 64 x 32 Gaussian matrix
    rng = np.random.default_rng(2)
    p = rng.standard_normal((n, 64))
    return p, p @ rng.standard_normal((64, 32)) + rng.standard_normal((n, 32))


def proj8(n: int) -> Pair:
    return _noisy_image(n, 8, 0.1, seed=3)


def proj2(n: int) -> Pair:
    return _noisy_image(n, 2, 0.1, seed=4)


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x = load_digits().data.astype(np.float64)
    return x, _pca2(x)


def _pca2(x: np.ndarray) -> np.ndarray:
    from sklearn.decomposition import PCA

    return PCA(n_components=2, random_state=0).fit_transform(x)


def _rows(n: int, total: int, seed: int) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).choice(total, size=n, replace=False))


def digits_pca2(n: int) -> Pair:
    x, z = _digits()
    idx = _rows(n, len(x), seed=5)
    return x[idx], z[idx]


@functools.cache
def _activations() -> tuple[np.ndarray, np.ndarray]:
    """Hidden layer (64 ReLU units) and logits of an MLP trained on the digits."""
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    data = load_digits()
    x = data.data / 16.0
    net = MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(x, data.target)
    hidden = np.maximum(x @ net.coefs_[0] + net.intercepts_[0], 0.0)
    return hidden, hidden @ net.coefs_[1] + net.intercepts_[1]


def mlp(n: int) -> Pair:
    hidden, logits = _activations()
    idx = _rows(n, len(hidden), seed=6)
    return hidden[idx], logits[idx]


def tie_rings(n: int) -> Pair:
    # five concentric rings of evenly spaced points → the same rings merged into one circle
    return rings(5, points_per_ring=n // 5), rings(1, points_per_ring=n // 5)


def cluster_split(n: int) -> Pair:
    # one Gaussian blob → the same points in five clusters
    return clusters(1, n_groups=n // 5), clusters(5, n_groups=n // 5)


def onehot(n: int) -> Pair:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 10, size=n)
    return np.eye(10)[labels], _gaussian(n, 64, seed=8)


@dataclass(frozen=True)
class Workload:
    make: Callable[[int], Pair]
    description: str
    max_n: int | None = None


WORKLOADS: dict[str, Workload] = {
    "easy": Workload(easy, "64-d Gaussian → P·A/8 + 0.1 noise, 64-d"),
    "widths": Workload(widths, "64-d Gaussian → P·A + noise, 32-d (README tour pair)"),
    "digits-pca2": Workload(digits_pca2, "digits (64-d) → their PCA-2", DIGITS_N),
    "proj-8": Workload(proj8, "64-d Gaussian → noisy random 8-d projection"),
    "proj-2": Workload(proj2, "64-d Gaussian → noisy random 2-d projection"),
    "mlp": Workload(mlp, "MLP on digits: hidden layer (64 ReLU) → logits (10)", DIGITS_N),
    "rings": Workload(tie_rings, "rings(5) → rings(1): ties, 5-fold duplicates"),
    "clusters": Workload(cluster_split, "clusters(1) → clusters(5), 2-d"),
    "one-hot": Workload(onehot, "one-hot labels (10 classes) → 64-d Gaussian"),
}


# --------------------------------------------------------------------------- methods


def _h1_total(bars: np.ndarray) -> float:
    bars = np.asarray(bars, dtype=np.float64).reshape(-1, 2)
    finite = np.isfinite(bars[:, 1])
    return float(np.sum(bars[finite, 1] - bars[finite, 0]))


# Every method starts from the same two normalised matrices and does its own preparation
# (cross matrices, doubled matrix), as identity_terms does inside.


def run_score(w: np.ndarray, w_tilde: np.ndarray) -> tuple[float, float]:
    """RTD_1 and the identity's H1(μ) term (the latter to check Ripser's total)."""
    forward, _ = identity_terms(w, w_tilde, both=False)
    return forward.total, forward.h1_mu


def run_cone(w: np.ndarray, w_tilde: np.ndarray) -> float:
    wc, mu = cross_matrices(w, w_tilde)
    return _h1_total(get_engine("cone").function(wc, mu, maxdim=1).bars[1])


def run_giotto(w: np.ndarray, w_tilde: np.ndarray) -> float:
    from gph import ripser_parallel

    m = doubled_matrix(*cross_matrices(w, w_tilde))
    dgms = ripser_parallel(m, metric="precomputed", maxdim=1, n_threads=2)["dgms"]
    return _h1_total(dgms[1])


def run_tda(w: np.ndarray, w_tilde: np.ndarray) -> float:
    import tda

    m = doubled_matrix(*cross_matrices(w, w_tilde)).astype(np.float32)  # tda takes float32 only
    return _h1_total(tda.persistent_homology(m, max_dim=1, distance_matrix=True)[1])


RUNNERS: dict[str, Callable[[np.ndarray, np.ndarray], object]] = {
    "score": run_score,
    "cone": run_cone,
    "giotto-ph": run_giotto,
    "tda": run_tda,
}

RIPSER_DIR = Path(__file__).resolve().parent / "ripser"


@functools.cache
def ripser_binary() -> str:
    """benchmarks/ripser/build/ripser, compiled from the vendored ripser.cpp when missing or
    older than the source (the flags of Ripser's own Makefile: one thread, -O3)."""
    source, binary = RIPSER_DIR / "ripser.cpp", RIPSER_DIR / "build" / "ripser"
    if not binary.exists() or binary.stat().st_mtime < source.stat().st_mtime:
        binary.parent.mkdir(exist_ok=True)
        command = ["c++", "-std=c++11", "-O3", "-D", "NDEBUG", str(source), "-o", str(binary)]
        subprocess.run(command, check=True)
    return str(binary)


def write_lower_distance(mu: np.ndarray, path: Path) -> None:
    """The strict lower triangle of μ, row by row, in float32 (the engines' values; 9
    significant digits give each float32 back exactly when Ripser parses it)."""
    m32 = mu.astype(np.float32)
    with open(path, "w", encoding="ascii") as fh:
        for i in range(1, len(m32)):
            fh.write(",".join(f"{x:.9g}" for x in m32[i, :i].tolist()) + "\n")


GNU_TIME = Path("/usr/bin/time")


def run_ripser(path: Path) -> tuple[float, float, int | None]:
    """Total length of the finite H1 bars Ripser prints for the matrix in ``path``; the most
    its printing can move that total (Ripser prints 6 significant digits, so each bar end is
    off by up to 5e-6 of its value); Ripser's own peak RSS in bytes, from GNU time's ``%M``
    (None without /usr/bin/time: the rusage of a child started from Python counts Python's
    image before the exec)."""
    command = [ripser_binary(), "--dim", "1", "--format", "lower-distance", str(path)]
    if GNU_TIME.exists():
        command = [str(GNU_TIME), "-f", "%M", *command]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    peak = int(done.stderr.split()[-1]) * 1024 if GNU_TIME.exists() else None
    total, rounding, in_dim1 = 0.0, 0.0, False
    for line in done.stdout.splitlines():
        if line.startswith("persistence intervals in dim"):
            in_dim1 = line.strip().endswith("1:")
        elif in_dim1 and line.strip().startswith("["):
            birth, death = (float(x) if x.strip() else None for x in line.strip()[1:-1].split(","))
            if birth is not None and death is not None:  # " [b, )" is an essential class
                total += death - birth
                rounding += 5e-6 * (abs(birth) + abs(death))
    return total, rounding, peak


# --------------------------------------------------------------------------- timing


@dataclass
class Timing:
    seconds: float | None = None  # median wall time; None when not measured
    total: Any = None  # what the method returned: a total, or (forward, backward) for both
    note: str = ""  # "> budget", "> budget (pred. N s)", "error: ...", "—" (not run)
    peak: int | None = None  # bytes: peak RSS of the child above its baseline (see _child)


def _repeats(first: float) -> int:
    return 5 if first < 0.2 else 3 if first < 1.0 else 1


def _rss_bytes() -> int:
    """Resident memory of this process now (VmRSS)."""
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def _peak_above(baseline: int) -> int:
    """Peak resident memory of this process above ``baseline`` (ru_maxrss is in KiB on Linux;
    after a fork it starts from the RSS at the fork, not from the parent's peak)."""
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline, 0)


def _child(conn: Any, fn: Callable[[], object]) -> None:
    try:
        baseline = _rss_bytes()  # after the fork: the inputs, shared with the parent, included
        times: list[float] = []
        while not times or len(times) < _repeats(times[0]):
            start = time.perf_counter()
            total = fn()
            times.append(time.perf_counter() - start)
            conn.send((times[-1], total, _peak_above(baseline)))
    except BaseException as exc:  # sent to the parent, which prints it in the table
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def measure(fn: Callable[[], object], budget: float) -> Timing:
    """Median time of ``fn`` in a forked child, killed once a run exceeds ``budget`` seconds."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn), daemon=True)
    proc.start()
    child.close()
    times: list[float] = []
    total: Any = None
    peak: int | None = None
    try:
        while not times or len(times) < _repeats(times[0]):
            if not parent.poll(budget + 1.0):
                return Timing(note="> budget")
            try:
                msg = parent.recv()
            except EOFError:
                return Timing(note=f"error: child died (exit code {proc.exitcode})")
            if msg[0] == "error":
                return Timing(note=f"error: {msg[1]}")
            times.append(msg[0])
            total, peak = msg[1], msg[2]  # ru_maxrss never decreases: the last is the peak
            if msg[0] > budget:
                return Timing(note="> budget")
        return Timing(statistics.median(times), total, peak=peak)
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()


@dataclass
class History:
    """Per (workload, direction, method): the sizes timed so far, to skip hopeless ones."""

    points: list[tuple[int, float]] = field(default_factory=list)
    peaks: dict[int, int] = field(default_factory=dict)  # N -> bytes, where measured
    over: bool = False
    stop: tuple[int, str] | None = None  # the first N not timed, and why: "> 600 s"

    def predicted(self, n: int) -> float | None:
        if not self.points:
            return None
        n1, t1 = self.points[-1]
        slope = 3.0
        if len(self.points) >= 2:
            n0, t0 = self.points[-2]
            if t0 > 0 and t1 > 0:
                slope = max(slope, np.log(t1 / t0) / np.log(n1 / n0))
        return t1 * (n / n1) ** slope


# --------------------------------------------------------------------------- table


@dataclass
class Row:
    workload: str
    n: int
    direction: str
    timings: dict[str, Timing]
    both: Timing | None
    ripser: Timing = field(default_factory=Timing)  # Ripser's H1(μ) alone
    h1_mu: float | None = None  # the identity's H1(μ) term, to check Ripser's total


def _fmt_time(t: Timing) -> str:
    if t.seconds is None:
        return t.note
    s = t.seconds
    return f"{s:.4f}" if s < 0.1 else f"{s:.3f}" if s < 10 else f"{s:.1f}"


def _fmt_gb(peak: int) -> str:
    """Bytes as GB with two significant digits (three from 1 GB on)."""
    gb = peak / 1e9
    if gb < 0.001:
        return "< 0.001"
    return f"{gb:.3g}" if gb >= 1 else f"{gb:#.2g}"


def _fmt_cell(t: Timing) -> str:
    """Seconds and, where measured, the peak memory in GB: ``0.659 (0.052)``."""
    if t.seconds is None or t.peak is None:
        return _fmt_time(t)
    return f"{_fmt_time(t)} ({_fmt_gb(t.peak)})"


def _fmt_ratio(t: Timing, score: Timing, budget: float) -> str:
    if score.seconds is None or score.seconds <= 0:
        return "—"
    if t.seconds is not None:
        ratio = t.seconds / score.seconds
        return f"{ratio:,.0f}" if ratio >= 10 else f"{ratio:.2f}"
    if t.note.startswith(">"):
        return f"> {budget / score.seconds:,.0f}"
    return "—"


def agreement(row: Row) -> str:
    """'yes (max rel. dev.)' when every barcode total matches the score total, else details."""
    score = row.timings["score"].total
    if score is None:
        return "no score"
    devs: dict[str, float] = {}
    for name in METHODS[1:]:
        other = row.timings[name].total
        if other is not None:
            devs[name] = abs(other - score) / max(abs(score), 1.0)
    if row.both is not None and row.both.total is not None:
        devs["both"] = abs(row.both.total - score) / max(abs(score), 1.0)
    if row.ripser.total is not None and row.h1_mu is not None:
        # judged against the rounding of Ripser's printed values, not TOLERANCE
        ripser_total, rounding, _ = row.ripser.total
        if abs(ripser_total - row.h1_mu) > rounding + TOLERANCE * max(abs(row.h1_mu), 1.0):
            return f"**NO**: ripser H1(μ) {ripser_total:.6f} vs {row.h1_mu:.6f}"
    if not devs:
        return "— (score only)"
    bad = {k: v for k, v in devs.items() if not v <= TOLERANCE}
    if bad:
        return "**NO**: " + ", ".join(f"{k} {v:.1e}" for k, v in bad.items())
    return verdict(max(devs.values()))


def verdict(deviation: float) -> str:
    if not deviation <= TOLERANCE:
        return f"**NO** ({deviation:.1e})"
    return "yes (identical)" if deviation == 0 else f"yes ({deviation:.0e})"


HEADER = (
    "| workload | N | direction | RTD₁ | score s (GB) | both dirs s (GB) | cone s (GB) "
    "| giotto-ph(2) s (GB) | tda s (GB) | ripser H1(μ) s (GB) "
    "| cone/score | giotto/score | tda/score | ripser/score | totals agree |\n"
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
    "| ---: | --- |"
)


def format_row(row: Row, budget: float) -> str:
    t = row.timings
    score = t["score"]
    rtd_value = f"{score.total:.4f}" if score.total is not None else "—"
    both = _fmt_cell(row.both) if row.both is not None else ""
    cells = [
        row.workload,
        str(row.n),
        row.direction,
        rtd_value,
        _fmt_cell(score),
        both,
        *(_fmt_cell(t[m]) for m in METHODS[1:]),
        _fmt_cell(row.ripser),
        *(_fmt_ratio(t[m], score, budget) for m in METHODS[1:]),
        _fmt_ratio(row.ripser, score, budget),
        agreement(row),
    ]
    return "| " + " | ".join(cells) + " |"


def exponent(points: list[tuple[int, float]]) -> str:
    if len(points) < 3:
        return f"— ({len(points)} pts)"
    return f"{_slope(points):.2f} ({points[0][0]}–{points[-1][0]})"


def _slope(points: list[tuple[int, float]]) -> float:
    n, t = np.log(np.array(points, dtype=np.float64)).T
    return float(np.polyfit(n, t, 1)[0])


# --------------------------------------------------------------------------- the run


class Report:
    """Collects markdown lines; prints them as they come and rewrites ``--out`` each time."""

    def __init__(self, out: str | None) -> None:
        self.lines: list[str] = []
        self.out = out

    def add(self, *lines: str) -> None:
        for line in lines:
            print(line, flush=True)
            self.lines.append(line)
        if self.out:
            with open(self.out, "w", encoding="utf-8") as fh:
                fh.write("\n".join(self.lines) + "\n")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        out = subprocess.run(
            ["git", "-C", here, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"unknown ({type(exc).__name__})"
    return out.stdout.strip()


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({platform.machine()}, {platform.processor() or 'cpu'}), "
        f"load average {load}; Python {platform.python_version()}, numpy {np.__version__}, "
        f"giotto-ph {_version('giotto-ph')}, tda {_version('tda')}, "
        f"scikit-learn {_version('scikit-learn')}; rtdkit {rtdkit.__version__} at {_git_commit()}"
    )


def skip_reason(n: int, h: History, budget: float) -> str | None:
    """Why a method is not timed at ``n``: it already went over budget or is predicted to."""
    if h.over:
        return "> budget"
    pred = h.predicted(n)
    if pred is not None and pred > 2 * budget:
        h.over, h.stop = True, (n, f"predicted {pred:.0f} s > 2 × {budget:g} s")
        return f"> budget (pred. {pred:.0f} s)"
    return None


def timed_or_skipped(fn: Callable[[], object], n: int, h: History, budget: float) -> Timing:
    """Time ``fn`` unless :func:`skip_reason` gives a reason not to."""
    reason = skip_reason(n, h, budget)
    if reason is not None:
        return Timing(note=reason)
    t = measure(fn, budget)
    if t.seconds is not None:
        h.points.append((n, t.seconds))
        if t.peak is not None:
            h.peaks[n] = t.peak
    elif t.note.startswith(">"):
        h.over, h.stop = True, (n, f"> {budget:g} s")
    return t


def _both(w: np.ndarray, wt: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """(RTD_1, H1(μ) term) of both directions from one call, as one ``rtd`` trial computes."""
    forward, backward = identity_terms(w, wt, both=True)
    assert backward is not None
    return (forward.total, forward.h1_mu), (backward.total, backward.h1_mu)


NOT_RUN = "—"  # the note of a method not run: N above --max-n


@dataclass(frozen=True)
class Limits:
    """Per-cell budgets and size limits of a run."""

    budget: float  # seconds, every method but the score path
    max_n: int  # largest N for every method but the score's both-directions call and Ripser
    score_budget: float  # seconds, the score path (both calls)
    scaled: frozenset[str]  # the workloads that continue above max_n


def run_workload(name: str, sizes: list[int], limits: Limits, report: Report) -> list[Row]:
    """All rows of one workload; fills ``HISTORIES`` for the exponents and the scaling table.
    Above ``limits.max_n`` only the score's both-directions call and Ripser run."""
    work = WORKLOADS[name]
    rows: list[Row] = []
    for n in sizes:
        if work.max_n is not None and n > work.max_n:
            continue
        if n > limits.max_n and name not in limits.scaled:
            continue
        p, q = work.make(n)
        w, wt = normalized_distances(p), normalized_distances(q, name="Q")
        del p, q
        both = timed_or_skipped(
            functools.partial(_both, w, wt),
            n,
            HISTORIES.setdefault((name, "both", "score"), History()),
            limits.score_budget,
        )
        both_results = both.total if isinstance(both.total, tuple) else (None, None)
        for k, (label, pair) in enumerate((("P → Q", (w, wt)), ("Q → P", (wt, w)))):
            timings = {
                method: direction_timing(name, label, method, pair, n, limits) for method in METHODS
            }
            score_result = timings["score"].total
            if isinstance(score_result, tuple):  # (RTD_1, H1(μ) term) -> the table's total
                timings["score"].total, h1_mu = score_result
            else:  # above --max-n: both from the both-directions call
                total, h1_mu = both_results[k] or (None, None)
                timings["score"] = Timing(note=NOT_RUN, total=total)
            # the both-directions call is timed once, on the P → Q row; both totals are checked
            row_both = Timing(
                both.seconds if k == 0 else None,
                both_results[k][0] if both_results[k] else None,
                both.note,
                peak=both.peak if k == 0 else None,
            )
            if k == 1 and both.seconds is not None:
                row_both.note = "″"
            h = HISTORIES.setdefault((name, label, "ripser"), History())
            row = Row(name, n, label, timings, row_both, ripser_h1(*pair, n, h, limits.budget))
            row.h1_mu = h1_mu
            rows.append(row)
            report.add(format_row(row, limits.budget))
            stamp = datetime.now(UTC).strftime("%H:%M:%S")
            print(f"  [{stamp}] {name} N={n} {label}: {agreement(row)}", file=sys.stderr)
    return rows


def direction_timing(
    name: str, label: str, method: str, pair: Pair, n: int, limits: Limits
) -> Timing:
    """One method on one direction, or NOT_RUN above ``limits.max_n``."""
    if n > limits.max_n:
        return Timing(note=NOT_RUN)
    budget = limits.score_budget if method == "score" else limits.budget
    h = HISTORIES.setdefault((name, label, method), History())
    return timed_or_skipped(functools.partial(RUNNERS[method], *pair), n, h, budget)


def ripser_h1(w: np.ndarray, w_tilde: np.ndarray, n: int, h: History, budget: float) -> Timing:
    """Ripser's H1(μ) of this direction, timed on its own file (written only when Ripser is
    to run: the file of μ at N = 10,000 takes a minute to write)."""
    reason = skip_reason(n, h, budget)
    if reason is not None:
        return Timing(note=reason)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mu.lower_distance"
        write_lower_distance(cross_matrices(w, w_tilde)[1], path)
        timing = timed_or_skipped(functools.partial(run_ripser, path), n, h, budget)
    if isinstance(timing.total, tuple):  # Ripser's own process, not the Python around it
        timing.peak = timing.total[2]
        if timing.peak is not None:
            h.peaks[n] = timing.peak
    return timing


HISTORIES: dict[tuple[str, str, str], History] = {}


# --------------------------------------------------------------------------- end to end


def _timed_rtd(p: np.ndarray, q: np.ndarray, method: str) -> tuple[float, rtdkit.RTDResult]:
    start = time.perf_counter()
    result = rtdkit.rtd(p, q, method=method)
    return time.perf_counter() - start, result


def _rel_dev(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))


def end_to_end(report: Report, *, digits_barcode: bool, tour_barcode: bool) -> dict[str, float]:
    """Default ``rtdkit.rtd`` (b = 500, 10 trials, both directions) on the two target pairs."""
    rng = np.random.default_rng(0)  # the README tour, verbatim
    tour_p = rng.normal(size=(2000, 64))
    tour_q = tour_p @ rng.normal(size=(64, 32)) + rng.normal(size=(2000, 32))
    x, z = _digits()
    pairs = {
        "digits (1797 × 64) vs their PCA-2": (x, z, digits_barcode, "--e2e-barcode not given"),
        "README tour pair (2000 × 64 vs 2000 × 32)": (tour_p, tour_q, tour_barcode, "--quick"),
    }
    report.add(
        "| `rtdkit.rtd(P, Q)` defaults | method | seconds | RTD | samples agree |",
        "| --- | --- | ---: | ---: | --- |",
    )
    seconds: dict[str, float] = {}
    for label, (p, q, with_barcode, why_not) in pairs.items():
        t_score, r_score = _timed_rtd(p, q, "identity")
        seconds[label] = t_score
        report.add(f"| {label} | identity | {t_score:.2f} | {r_score.value:.6f} | |")
        if not with_barcode:
            report.add(f"| {label} | barcode | not run ({why_not}) | | |")
            continue
        t_bar, r_bar = _timed_rtd(p, q, "barcode")
        fwd = _rel_dev(r_bar.forward, r_score.forward)
        assert r_bar.backward is not None and r_score.backward is not None
        dev = max(fwd, _rel_dev(r_bar.backward, r_score.backward))
        report.add(
            f"| {label} | barcode (cone) | {t_bar:.2f} ({t_bar / t_score:,.0f}× score) "
            f"| {r_bar.value:.6f} | {verdict(dev)} |"
        )
    return seconds


# --------------------------------------------------------------------------- summary


def exponents_table(names: list[str]) -> list[str]:
    lines = [
        "| workload | direction | score | cone | giotto-ph(2) | tda | ripser H1(μ) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in names:
        for label in ("P → Q", "Q → P"):
            methods = (*METHODS, "ripser")
            cells = [exponent(HISTORIES.get((name, label, m), History()).points) for m in methods]
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    return lines


def scaling_table(names: list[str]) -> list[str]:
    """The score path's both-directions call (one ``rtd`` trial) per workload and N: seconds,
    peak GB, bytes per N², and on each workload's last row the growth exponents over all sizes
    that ran and over N ≥ 1000 (where the fixed costs no longer dominate)."""
    lines = [
        "| workload | N | seconds | peak GB | bytes / N² | exponent (sizes) |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name in names:
        h = HISTORIES.get((name, "both", "score"), History())
        for k, (n, seconds) in enumerate(h.points):
            peak = h.peaks.get(n)
            gb, per_n2 = ("—", "—") if peak is None else (_fmt_gb(peak), f"{peak / n**2:.1f}")
            slopes = ""
            if k == len(h.points) - 1:
                large = [(m, t) for m, t in h.points if m >= 1000]
                slopes = exponent(h.points) + ("; " + exponent(large) if len(large) >= 3 else "")
            lines.append(f"| {name} | {n} | {_seconds(seconds)} | {gb} | {per_n2} | {slopes} |")
        if h.stop is not None:
            lines.append(f"| {name} | {h.stop[0]} | {h.stop[1]} | — | — | |")
    return lines


def _sig3(x: float) -> str:
    """Three significant digits, never in exponent notation."""
    if x == 0 or not np.isfinite(x):
        return f"{x:.2f}"
    return f"{x:.{max(0, 2 - int(np.floor(np.log10(abs(x)))))}f}"


def _seconds(t: float) -> str:
    return _fmt_time(Timing(t))


def per_trial_table(rows: list[Row], budget: float) -> list[str]:
    """What one ``rtd`` trial computes, both directions of one pair: the score's one call
    against the sum of each engine's two runs ("> budget" when either ran past it)."""
    lines = [
        "| workload | N | RTD₁ P→Q / Q→P | identity s | cone s | cone / identity "
        "| giotto-ph(2) s | tda s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for forward, backward in zip(rows[::2], rows[1::2], strict=True):
        both = forward.both.seconds if forward.both is not None else None
        if both is None or forward.timings["cone"].note == NOT_RUN:
            continue
        totals = [r.timings["score"].total for r in (forward, backward)]
        rtd_values = " / ".join("—" if v is None else _sig3(v) for v in totals)
        sums = {m: _pair_sum(forward.timings[m], backward.timings[m], budget) for m in METHODS[1:]}
        shown = {m: v if isinstance(v, str) else _seconds(v) for m, v in sums.items()}
        cone = sums["cone"]
        if isinstance(cone, float):
            ratio = _times(cone / both)
        else:
            ratio = f"> {budget / both:,.0f}×" if cone.startswith(">") else "—"
        lines.append(
            f"| {forward.workload} | {forward.n} | {rtd_values} | {_seconds(both)} "
            f"| {shown['cone']} | {ratio} | {shown['giotto-ph']} | {shown['tda']} |"
        )
    return lines


def _pair_sum(forward: Timing, backward: Timing, budget: float) -> float | str:
    """Seconds of both directions together; "> budget" when one ran past it, "error" when one
    failed (the per-direction table says how)."""
    if forward.seconds is not None and backward.seconds is not None:
        return forward.seconds + backward.seconds
    if any(t.note.startswith("error") for t in (forward, backward)):
        return "error"
    return f"> {budget:g}"


def _times(ratio: float) -> str:
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:,.0f}×"


def targets(rows: list[Row], e2e: dict[str, float]) -> list[str]:
    lines = []
    digits500 = [r for r in rows if r.workload == "digits-pca2" and r.n == 500]
    if digits500:
        times = [r.timings["score"].seconds for r in digits500]
        shown = ", ".join("—" if t is None else f"{t:.3f} s" for t in times)
        met = all(t is not None and t < 0.5 for t in times)
        lines.append(
            f"- score of digits → PCA-2 at N = 500 under 0.5 s per direction: {shown} "
            f"(P → Q, Q → P) — {'met' if met else 'NOT met'}"
        )
    digits_label = next((k for k in e2e if k.startswith("digits")), None)
    if digits_label is not None:
        t = e2e[digits_label]
        lines.append(
            f"- default `rtd` of all 1797 digits vs PCA-2 under 10 s: {t:.2f} s — "
            f"{'met' if t < 10 else 'NOT met'}"
        )
    if not rows:
        return lines
    both_ran = [
        (r, score, cone)
        for r in rows
        for score, cone in ((r.timings["score"].seconds, r.timings["cone"].seconds),)
        if score is not None and cone is not None
    ]
    slower = sorted(
        ((r, score, cone) for r, score, cone in both_ran if score > cone),
        key=lambda cell: cell[2] / cell[1],
    )
    worst = "; ".join(
        f"{r.workload} N={r.n} {r.direction} {_fmt_time(r.timings['score'])} s vs "
        f"{_fmt_time(r.timings['cone'])} s"
        for r, _, _ in slower[:6]
    )
    lines.append(
        f"- score path no slower than the cone barcode, per direction: slower in {len(slower)} of "
        f"{len(both_ran)} cells where both ran" + (f" (worst ratios: {worst})" if slower else "")
    )
    lines.extend(per_trial_target(rows))
    lines.extend(ripser_targets(rows))
    steep = [
        f"{name} {label} {exponent(h.points)}"
        for (name, label, method), h in HISTORIES.items()
        if method == "score" and label != "both" and len(h.points) >= 3 and _slope(h.points) > 3
    ]
    lines.append("- score path growing faster than N³: " + ("; ".join(steep) if steep else "none"))
    disagreements = [
        f"{r.workload} N={r.n} {r.direction}: {agreement(r)}"
        for r in rows
        if agreement(r).startswith("**NO")
    ]
    lines.append(
        f"- totals disagreeing with the score path (> {TOLERANCE:g} relative): "
        + ("; ".join(disagreements) if disagreements else "none")
    )
    return lines


def per_trial_target(rows: list[Row]) -> list[str]:
    """A trial computes both directions: the score's one ``both`` call against the cone's two
    barcodes, same workload and N."""
    slower, compared = [], 0
    for forward, backward in zip(rows[::2], rows[1::2], strict=True):
        both = forward.both.seconds if forward.both is not None else None
        cones = [forward.timings["cone"].seconds, backward.timings["cone"].seconds]
        if both is None or cones[0] is None or cones[1] is None:
            continue
        compared += 1
        if both > cones[0] + cones[1]:
            slower.append(
                f"{forward.workload} N={forward.n} {both:.3f} s vs {cones[0] + cones[1]:.3f} s"
            )
    return [
        f"- score path no slower than the cone barcode per trial (both directions): slower in "
        f"{len(slower)} of {compared} (workload, N)" + (f": {'; '.join(slower)}" if slower else "")
    ]


RIPSER_TARGET_WORKLOADS = ("widths", "digits-pca2", "rings")


def ripser_targets(rows: list[Row]) -> list[str]:
    """Score at least 2x faster than Ripser's H1(μ) alone at N = 1000 on three workloads."""
    cells = [r for r in rows if r.n == 1000 and r.workload in RIPSER_TARGET_WORKLOADS]
    if not cells:
        return []
    shown, met = [], True
    for r in cells:
        score, ripser = r.timings["score"].seconds, r.ripser.seconds
        if score is None or ripser is None:
            shown.append(f"{r.workload} {r.direction} not measured")
            met = False
            continue
        shown.append(f"{r.workload} {r.direction} {ripser / score:.2f}x")
        met = met and ripser >= 2 * score
    return [
        "- score at least 2x faster than Ripser's H1(μ) alone at N = 1000 (Ripser time / score "
        f"time): {'; '.join(shown)} — {'met' if met else 'NOT met'}"
    ]


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 100, 200; budget 2 s")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per cell")
    parser.add_argument(
        "--max-n", type=int, default=MAX_N, help=f"largest N for every method (default {MAX_N})"
    )
    parser.add_argument(
        "--score-max-n",
        type=int,
        default=max(SIZES),
        help="largest N for the score path's both-directions call and Ripser (default "
        f"{max(SIZES)}; at least --max-n)",
    )
    parser.add_argument(
        "--scale-workloads",
        help="comma-separated workloads that continue above --max-n (default: all of them)",
    )
    parser.add_argument(
        "--score-budget",
        type=float,
        default=600.0,
        help="seconds per score-path cell (default 600)",
    )
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help="comma-separated subset of names ('' for the end-to-end rows only)",
    )
    parser.add_argument(
        "--e2e-barcode",
        action="store_true",
        help="also time the barcode path of rtd on all digits (about 14 minutes on 2 cores)",
    )
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end rtd rows")
    parser.add_argument("--out", help="also write the markdown report to this file")
    args = parser.parse_args(argv)
    names = [s.strip() for s in args.workloads.split(",") if s.strip()]
    unknown = [s for s in names if s not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {', '.join(WORKLOADS)}")
    args.names = names
    scaled = names if args.scale_workloads is None else args.scale_workloads.split(",")
    scaled = [s.strip() for s in scaled if s.strip()]
    if not set(scaled) <= set(names):
        parser.error(f"--scale-workloads {scaled} must be among --workloads {names}")
    if args.quick:
        args.budget = min(args.budget, 2.0)
        args.max_n = min(args.max_n, max(QUICK_SIZES))
        args.score_max_n = min(args.score_max_n, max(QUICK_SIZES))
    if args.score_max_n < args.max_n:
        parser.error(f"--score-max-n ({args.score_max_n}) is below --max-n ({args.max_n})")
    args.sizes = [n for n in (QUICK_SIZES if args.quick else SIZES) if n <= args.score_max_n]
    args.limits = Limits(args.budget, args.max_n, args.score_budget, frozenset(scaled))
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    report = Report(args.out)
    started = time.perf_counter()
    command = shlex.join(
        ["python", "benchmarks/workloads.py", *(sys.argv[1:] if argv is None else argv)]
    )
    report.add(
        "# RTD_1 workloads: score path vs barcode engines",
        "",
        f"Command: `{command}`  ",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  ",
        f"Machine: {machine()}  ",
        "",
    )
    if args.names:
        report.add(
            f"Per-cell budget {args.budget:g} s ({args.score_budget:g} s for the score path); "
            f"sizes {', '.join(map(str, args.sizes))}: every method up to N = {args.max_n}, "
            "above it the score's both-directions call and Ripser only, on "
            + (", ".join(sorted(args.limits.scaled)) or "no workload")
            + ". Cells: seconds (peak "
            "GB above the measuring process's baseline, see the script's docstring).",
            "",
            "Workloads (P → Q): "
            + "; ".join(f"**{k}** {WORKLOADS[k].description}" for k in args.names)
            + ".",
            "",
        )
    e2e: dict[str, float] = {}
    if not args.no_e2e:
        report.add("## End to end", "")
        e2e = end_to_end(report, digits_barcode=args.e2e_barcode, tour_barcode=not args.quick)
        report.add("")
    rows: list[Row] = []
    if args.names:
        ripser_binary()  # compiled here when missing, not inside a timed cell
        report.add(
            "## One RTD_1 per direction (seconds; medians of 3–5 when under 1 s)",
            "",
            "Ratios are method time / score time, same matrices, same run. `both dirs` is one "
            "`identity_terms(..., both=True)` call (″: the same call as the row above).",
            "",
            HEADER,
        )
        for name in args.names:
            rows.extend(run_workload(name, args.sizes, args.limits, report))
        report.add(
            "",
            "## Growth exponents (slope of log time vs log N; sizes that ran, at least 3)",
            "",
            *exponents_table(args.names),
            "",
            "## Scaling of the score path: one `rtd` trial (both directions)",
            "",
            "`identity_terms(w, w̃, both=True)` on the two float64 normalised matrices; "
            "exponents are least-squares slopes of log time vs log N.",
            "",
            *scaling_table(args.names),
            "",
            "## Per trial (both directions): the identity against the engines",
            "",
            "The score's one both-directions call against the sum of each engine's two "
            f"directions (> {args.budget:g}: a direction ran past the budget), N ≤ "
            f"{args.max_n}.",
            "",
            *per_trial_table(rows, args.budget),
            "",
        )
    report.add(
        "## Targets",
        "",
        *targets(rows, e2e),
        "",
        f"Wall time {time.perf_counter() - started:.0f} s; load average at the end "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + ".",
    )


if __name__ == "__main__":
    main()
