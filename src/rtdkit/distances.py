"""Pairwise distances and their normalisation (Section 2.3 of the paper).

The RTD compares the *shapes* of two clouds, so each distance matrix is divided by its own
0.9-quantile before the two are compared. The quantile is taken over all N² entries, the zero
diagonal included, with numpy's default linear interpolation, as the published code does.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import (
    DEFAULT_QUANTILE,
    METRICS,
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_distance_matrix,
    check_metric,
    check_normalize,
)

__all__ = [
    "BATCH_FIX",
    "DEFAULT_QUANTILE",
    "METRICS",
    "SUBSET_FIX",
    "available_memory",
    "check_memory",
    "check_metric",
    "cross_matrices",
    "cross_matrices_f32",
    "distance_quantile",
    "euclidean_distances",
    "format_size",
    "normalization_scale",
    "normalized_distances",
    "pairwise_distances",
    "resolve_quantile",
]

# The engines compute in float32 (as the published code did): no distance may exceed this.
FLOAT32_MAX = float(np.finfo(np.float32).max)

# The quantile and metric checks live on the ground floor; their names stay importable here.
resolve_quantile = check_normalize


def euclidean_distances(x: FloatArray, threads: int = 1) -> FloatArray:
    """Exact Euclidean distances in float64.

    ``cdist`` sums squared differences coordinate by coordinate, so duplicate points get an
    exact 0 (the Gram-matrix trick would leave round-off there and create spurious bars).
    With ``threads`` > 1 it fills blocks of rows side by side (it releases the GIL, and each
    entry is the same sum of squares whichever block computes it: the same floats).
    """
    from scipy.spatial.distance import cdist  # scipy loads on first use, not with rtdkit

    if threads <= 1:
        whole: FloatArray = cdist(x, x, metric="euclidean")
        return whole
    from rtdkit._parallel import map_ordered

    n = len(x)
    d: FloatArray = np.empty((n, n))
    step = -(-n // (4 * threads))  # a few blocks per thread: they finish close together

    def fill(start: int) -> None:
        cdist(x[start : start + step], x, metric="euclidean", out=d[start : start + step])

    map_ordered(fill, range(0, n, step), n_jobs=threads)
    return d


def pairwise_distances(
    x: Any, *, metric: str = "euclidean", name: str = "P", threads: int = 1
) -> FloatArray:
    """N x N distance matrix of the cloud ``x`` (or ``x`` itself if ``metric='precomputed'``);
    ``threads`` for the euclidean metric (the same floats for any number)."""
    check_metric(metric)
    arr = as_float_matrix(x, name)
    if metric == "precomputed":
        return check_distance_matrix(arr, name)
    if metric == "euclidean":
        return _check_finite(euclidean_distances(arr, threads), name)
    from scipy.spatial.distance import cdist

    d: FloatArray = cdist(arr, arr, metric=metric)
    if np.any(np.isnan(d)):
        raise RTDInputError(
            f"metric={metric!r} is undefined for some rows of {name} (e.g. an all-zero row with "
            "'cosine'); drop those rows or choose another metric"
        )
    _check_finite(d, name)
    _symmetrize_in_place(d)
    np.fill_diagonal(d, 0.0)
    return d


def _symmetrize_in_place(d: FloatArray, block: int = 1024) -> None:
    """``d = max((d + d.T) / 2, 0)`` without the whole-matrix temporaries (24 bytes per N²
    in float64; the memory guard of a whole-cloud trial counts on their absence), block by
    block: each pair of mirrored blocks is read before either is written, and the sum is
    commutative, so the result equals the whole-matrix formula bit for bit."""
    n = len(d)
    for i in range(0, n, block):
        for j in range(i, n, block):
            upper, lower = d[i : i + block, j : j + block], d[j : j + block, i : i + block]
            mean = np.maximum((upper + lower.T) / 2.0, 0.0)
            upper[...] = mean
            lower[...] = mean.T


def _check_finite(d: FloatArray, name: str) -> FloatArray:
    """Distances that overflow float64 (coordinates near 1e154 and beyond) are refused."""
    if not np.all(np.isfinite(d)):
        raise RTDInputError(
            f"some pairwise distances of {name} overflow float64 (they exceed 1.8e308); divide "
            f"{name} by a large constant first (the RTD does not depend on the scale)"
        )
    return d


def distance_quantile(d: FloatArray, q: float) -> float:
    """``np.quantile(d, q)`` over all N² entries, bit for bit, at a quarter of its memory.

    ``np.quantile`` copies the whole matrix to partition it (8 bytes per N²). The sorted N²
    entries are the N diagonal zeros followed by each upper-triangle entry twice, so the two
    order statistics around the quantile come from a partition of the upper triangle alone
    (4 bytes per N²); numpy's own linear interpolation between them, at the same fraction,
    gives the same float.
    """
    n = len(d)
    total = n * n
    position = (total - 1) * q  # numpy's virtual index for method='linear'
    if n < 2 or position >= total - 1:
        return float(np.max(d, initial=0.0))
    below = int(np.floor(position))
    fraction = position - below
    upper = np.empty(n * (n - 1) // 2)
    start = 0
    for i in range(n - 1):
        upper[start : start + n - 1 - i] = d[i, i + 1 :]
        start += n - 1 - i
    ranks = sorted({(k - n) // 2 for k in (below, below + 1) if k >= n})
    if ranks:
        upper.partition(ranks)
    a, b = (0.0 if k < n else float(upper[(k - n) // 2]) for k in (below, below + 1))
    return float(np.quantile(np.array([a, b]), fraction))


def normalization_scale(
    d: FloatArray, normalize: str | float | None, *, name: str, points: Any = None
) -> float:
    """The factor each distance is divided by; 1.0 when ``normalize`` is None.

    A quantile of 0 is refused: the points coincide, or their distances underflow float64
    (told apart with ``points``, the cloud ``d`` was computed from, when given); so is a
    subnormal quantile, which has lost digits.

    Examples
    --------
    >>> normalization_scale(np.array([[0.0, 2.0], [2.0, 0.0]]), 1.0, name="P")
    2.0
    """
    q = resolve_quantile(normalize)
    if q is None:
        return 1.0
    scale = distance_quantile(d, q)
    if not scale > 0.0 and not _distances_underflow(d, q, points):
        raise RTDInputError(
            f"the {q}-quantile of {name}'s pairwise distances is 0 (most points coincide), so "
            f"{name} cannot be normalised; remove duplicate points, raise the quantile, or pass "
            "normalize=None"
        )
    if not scale >= _SMALLEST_NORMAL:  # 0 or subnormal: digits lost to underflow
        raise RTDInputError(
            f"{name}'s pairwise distances underflow float64 (the {q}-quantile is {scale:.3g}, "
            f"below its smallest normal number {_SMALLEST_NORMAL:.3g}: tiny or subnormal "
            f"coordinates); rescale the data, e.g. multiply {name} by 1e200 (the RTD does not "
            "depend on the scale)"
        )
    return scale


_SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)
# Below this every squared coordinate difference, hence every Euclidean distance, underflows.
_UNDERFLOW_EXTENT = math.sqrt(_SMALLEST_NORMAL)


def _distances_underflow(d: FloatArray, q: float, points: Any) -> bool:
    """Whether a 0 quantile comes from float64 underflow rather than from coinciding points.

    A distance matrix tells it by subnormal entries; a cloud, by points that differ only by
    amounts whose squares underflow, more of them than its coinciding points leave room for.
    """
    if points is None:
        return 0.0 < float(np.max(d, initial=0.0)) < _SMALLEST_NORMAL
    cloud = np.asarray(points, dtype=np.float64)
    if not float(np.max(np.ptp(cloud, axis=0), initial=0.0)) < _UNDERFLOW_EXTENT:
        return False
    _, counts = np.unique(cloud, axis=0, return_counts=True)
    # Coinciding points alone give sum(count²) zeros among the N² distances (the diagonal
    # included); numpy's linearly interpolated q-quantile is 0 iff q(N² - 1) <= zeros - 1.
    zeros = int(np.sum(counts.astype(np.int64) ** 2))
    return q * (len(cloud) ** 2 - 1) > zeros - 1


def normalized_distances(
    x: Any,
    *,
    metric: str = "euclidean",
    normalize: str | float | None = "quantile",
    name: str = "P",
    threads: int = 1,
) -> FloatArray:
    """Distance matrix of ``x`` divided by its ``normalize`` quantile (``threads``: see
    :func:`pairwise_distances`)."""
    d = pairwise_distances(x, metric=metric, name=name, threads=threads)
    scale = normalization_scale(
        d, normalize, name=name, points=None if metric == "precomputed" else x
    )
    d /= scale  # d is ours: scale it in place
    return d


def check_float32_range(w: FloatArray) -> None:
    """``w`` must fit in float32, the precision every engine computes in.

    ``mu = min(w, w_tilde) <= w``, so ``w`` is the only block that can overflow. A single
    outlier about 1e38 times further away than the typical distance does it even after the
    quantile normalisation.
    """
    top = float(np.max(w, initial=0.0))
    if top > FLOAT32_MAX:
        raise RTDInputError(
            "the distances do not fit in float32, in which rtdkit's engines compute: the "
            f"largest normalised distance within the first representation of the pair is "
            f"{top:.3g}, above {FLOAT32_MAX:.3g}. A point lies extremely far from the others "
            "(remove it) or the data are not normalised (rescale them, or use "
            "normalize='quantile')"
        )


def cross_matrices(w: FloatArray, w_tilde: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The two blocks of the paper's doubled matrix (eq. 2): ``w`` and ``mu = min(w, w_tilde)``.

    Entries below ``mean(w) * 1e-6`` are set to 0 in both, as the published code does: it
    removes round-off on near-duplicate points that would otherwise create bars of length 1e-9.
    Raises :class:`RTDInputError` when ``w`` does not fit in float32.
    """
    check_float32_range(w)
    mu = np.minimum(w, w_tilde)
    floor = zero_floor(w)
    w = np.where(w < floor, 0.0, w)
    mu = np.where(mu < floor, 0.0, mu)
    return w, mu


def zero_floor(w: FloatArray) -> float:
    """Entries below this are round-off, set to 0 (``mean(w) * 1e-6``, as published)."""
    return float(np.mean(w)) * 1e-6


def cross_matrices_f32(
    p: FloatArray, q: FloatArray, *, metric: str, normalize: str | float | None
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """``cross_matrices`` of the normalised distances of two clouds, rounded to float32.

    Equal bit for bit to ``cross_matrices(normalized_distances(p), normalized_distances(q))``
    rounded to float32 (the engines' precision), but it never holds more than 16 bytes per N²:
    one float64 matrix at a time, rounded to float32 as soon as its entries are final. The
    floor is applied in float64 before rounding, and ``float32(min(a, b)) = min(float32(a),
    float32(b))`` because rounding is monotone.
    """
    w = normalized_distances(p, metric=metric, normalize=normalize, name="P")
    check_float32_range(w)
    floor = zero_floor(w)
    w[w < floor] = 0.0
    w32 = w.astype(np.float32)
    del w
    w_tilde = normalized_distances(q, metric=metric, normalize=normalize, name="Q")
    w_tilde[w_tilde < floor] = 0.0  # then min(w, w~) < floor exactly where a zero is taken
    with np.errstate(over="ignore"):  # w~ may exceed float32: min(w, w~) <= w still fits
        mu32 = w_tilde.astype(np.float32)
    del w_tilde
    np.minimum(w32, mu32, out=mu32)
    return w32, mu32


# Where the kernel reports memory (a fake tree in the tests).
_PROC = "/proc"
# cgroup v1 writes "no limit" as the largest page-aligned int64; anything this large is none.
_NO_LIMIT = 2**60
# The files of a cgroup's memory controller, per cgroup version: limit, usage, and the page
# cache the kernel can drop under pressure (not counted as used, as container runtimes do).
_CGROUP_FILES = {
    "cgroup2": ("memory.max", "memory.current", "inactive_file"),
    "cgroup": ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"),
}


def available_memory() -> int | None:
    """Bytes this process can still allocate, or None if nothing is known.

    The smallest of the process's limits (``ulimit -v`` / ``-d``: ``RLIMIT_AS`` and
    ``RLIMIT_DATA`` minus the address space and data already used), its cgroup's memory
    limit (what a container is given) minus the cgroup's usage, and the system's
    ``MemAvailable``.

    Examples
    --------
    >>> available_memory() is None or available_memory() >= 0
    True
    """
    budget = _memory_budget()
    return None if budget is None else budget[0]


def _memory_budget() -> tuple[int, str] | None:
    """The tightest memory bound and what sets it."""
    bounds = [
        (_rlimit_headroom(), "the process's memory limit, ulimit -v/-d"),
        (_cgroup_headroom(), "the container's (cgroup) memory limit"),
        (_system_available(), "free memory of the system"),
    ]
    known = [(max(left, 0), source) for left, source in bounds if left is not None]
    return min(known) if known else None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _fields(text: str | None, unit: int = 1) -> dict[str, int]:
    """``Key: 12 kB`` (/proc) or ``key 12`` (memory.stat) lines as ``{key: 12 * unit}``."""
    out: dict[str, int] = {}
    for line in (text or "").splitlines():
        parts = line.replace(":", " ").split()
        if len(parts) >= 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1]) * unit
    return out


def _system_available() -> int | None:
    meminfo = _fields(_read(f"{_PROC}/meminfo"), 1024)
    if "MemAvailable" in meminfo:
        return meminfo["MemAvailable"]
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _rlimit_headroom() -> int | None:
    """The soft ``RLIMIT_AS``/``RLIMIT_DATA`` limits minus what the process already maps."""
    try:
        import resource
    except ImportError:  # Windows has no rlimits
        return None
    used = _fields(_read(f"{_PROC}/self/status"), 1024)
    headrooms = [
        soft - used.get(usage, 0)
        for limit, usage in ((resource.RLIMIT_AS, "VmSize"), (resource.RLIMIT_DATA, "VmData"))
        if (soft := resource.getrlimit(limit)[0]) != resource.RLIM_INFINITY
    ]
    return min(headrooms, default=None)


def _cgroup_headroom() -> int | None:
    """The tightest memory limit of this process's cgroup or its ancestors, minus usage."""
    headrooms = []
    for folder, fstype in _cgroup_folders():
        limit_name, usage_name, cache_name = _CGROUP_FILES[fstype]
        limit = (_read(f"{folder}/{limit_name}") or "").strip()
        if not limit.isdigit() or int(limit) >= _NO_LIMIT:
            continue  # "max", unreadable or absent: no limit here
        usage = (_read(f"{folder}/{usage_name}") or "0").strip()
        cache = _fields(_read(f"{folder}/memory.stat")).get(cache_name, 0)
        used = max(int(usage) - cache, 0) if usage.isdigit() else 0
        headrooms.append(int(limit) - used)
    return min(headrooms, default=None)


def _cgroup_folders() -> list[tuple[str, str]]:
    """Every folder from this process's memory cgroup up to its mount point, v2 and v1."""
    memberships = {}
    for line in (_read(f"{_PROC}/self/cgroup") or "").splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and not controllers:
            memberships["cgroup2"] = path
        elif "memory" in controllers.split(","):
            memberships["cgroup"] = path
    folders = []
    for line in (_read(f"{_PROC}/self/mountinfo") or "").splitlines():
        mount_fields, _, fs_fields = line.partition(" - ")
        mount, fs = mount_fields.split(), fs_fields.split()
        if len(mount) < 5 or len(fs) < 3 or fs[0] not in memberships:
            continue
        if fs[0] == "cgroup" and "memory" not in fs[2].split(","):
            continue
        # The mount shows the hierarchy from its root down (a container sees its own cgroup
        # as "/"); membership paths are absolute in the hierarchy.
        root, top = mount[3], mount[4]
        inside = memberships[fs[0]]
        inside = inside[len(root) :] if inside.startswith(root) and root != "/" else inside
        folder = os.path.normpath(top + "/" + inside.strip("/"))
        while True:
            folders.append((folder, fs[0]))
            if folder == os.path.normpath(top) or len(folder) <= 1:
                break
            folder = os.path.dirname(folder)
    return folders


# How to need less memory, by default: the RTD on random subsets that fit ({fitting} points).
BATCH_FIX = (
    "pass batch={fitting} or less (the RTD is then averaged over random subsets of that many "
    "points), or free memory"
)
# ... and where there is no batch= (one barcode on every point given).
SUBSET_FIX = "pass a random subset of at most {fitting} points, or free memory"


def check_memory(n: int, bytes_per_n2: float, *, what: str, fix: str = BATCH_FIX) -> None:
    """Refuse up front work on N points that needs more memory than this process may use.

    ``fix`` says how to need less; ``{fitting}`` in it becomes the number of points that fit.

    Examples
    --------
    >>> check_memory(100, 16.0, what="rtd")  # 160 kB: fits anywhere
    """
    budget = _memory_budget()
    needed = bytes_per_n2 * float(n) * float(n)
    if budget is None or needed <= budget[0]:
        return
    available, source = budget
    # a round number with a tenth to spare: the rest of the process needs memory too
    fitting = int(math.sqrt(0.9 * available / bytes_per_n2))
    fitting = fitting // 100 * 100 if fitting >= 1000 else fitting
    raise RTDInputError(
        f"{what} on {n} points needs about {format_size(needed)} ({bytes_per_n2:g} bytes per "
        f"N²) but only {format_size(available)} are available ({source}); "
        + fix.format(fitting=fitting)
    )


def format_size(n_bytes: float) -> str:
    """``2.5 GiB``, ``12.3 MiB``: memory sizes as messages give them.

    Examples
    --------
    >>> format_size(2.5 * 2**30), format_size(3 * 2**20)
    ('2.5 GiB', '3.0 MiB')
    """
    if n_bytes >= 2**30:
        return f"{n_bytes / 2**30:.1f} GiB"
    return f"{n_bytes / 2**20:.1f} MiB"
