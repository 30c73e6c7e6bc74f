"""Pairwise distances and their normalisation (Section 2.3 of the paper).

The RTD compares the *shapes* of two clouds, so each distance matrix is divided by its own
0.9-quantile before the two are compared. The quantile is taken over all N² entries, the zero
diagonal included, with numpy's default linear interpolation, as the published code does.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
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
    "IdentityMatrices",
    "available_memory",
    "check_memory",
    "check_metric",
    "cross_matrices",
    "cross_matrices_f32",
    "distance_quantile",
    "euclidean_distances",
    "format_size",
    "identity_matrices",
    "normalization_scale",
    "normalized_distances",
    "pairwise_distances",
    "resolve_quantile",
]

# The engines compute in float32 (as the published code did): no distance may exceed this.
FLOAT32_MAX = float(np.finfo(np.float32).max)

# The quantile and metric checks live on the ground floor; their names stay importable here.
resolve_quantile = check_normalize


def euclidean_distances(x: FloatArray) -> FloatArray:
    """Exact Euclidean distances in float64.

    ``cdist`` sums squared differences coordinate by coordinate, so duplicate points get an
    exact 0 (the Gram-matrix trick would leave round-off there and create spurious bars).
    """
    from scipy.spatial.distance import cdist  # scipy loads on first use, not with rtdkit

    d: FloatArray = cdist(x, x, metric="euclidean")
    return d


def pairwise_distances(x: Any, *, metric: str = "euclidean", name: str = "P") -> FloatArray:
    """N x N distance matrix of the cloud ``x`` (or ``x`` itself if ``metric='precomputed'``)."""
    check_metric(metric)
    arr = as_float_matrix(x, name)
    if metric == "precomputed":
        return check_distance_matrix(arr, name)
    if metric == "euclidean":
        return _check_finite(euclidean_distances(arr), name)
    from scipy.spatial.distance import cdist

    d: FloatArray = cdist(arr, arr, metric=metric)
    if np.any(np.isnan(d)):
        raise RTDInputError(
            f"metric={metric!r} is undefined for some rows of {name} (e.g. an all-zero row with "
            "'cosine'); drop those rows or choose another metric"
        )
    _check_finite(d, name)
    d = np.maximum((d + d.T) / 2.0, 0.0)
    np.fill_diagonal(d, 0.0)
    return d


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


def normalization_scale(d: FloatArray, normalize: str | float | None, *, name: str) -> float:
    """The factor each distance is divided by; 1.0 when ``normalize`` is None."""
    q = resolve_quantile(normalize)
    if q is None:
        return 1.0
    scale = distance_quantile(d, q)
    if not scale > 0.0:
        raise RTDInputError(
            f"the {q}-quantile of {name}'s pairwise distances is 0 (most points coincide), so "
            f"{name} cannot be normalised; remove duplicate points, raise the quantile, or pass "
            "normalize=None"
        )
    return scale


def normalized_distances(
    x: Any,
    *,
    metric: str = "euclidean",
    normalize: str | float | None = "quantile",
    name: str = "P",
) -> FloatArray:
    """Distance matrix of ``x`` divided by its ``normalize`` quantile."""
    d = pairwise_distances(x, metric=metric, name=name)
    d /= normalization_scale(d, normalize, name=name)  # d is ours: scale it in place
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


Float32Matrix = NDArray[np.float32]


@dataclass(frozen=True)
class IdentityMatrices:
    """The float32 matrices the score engine reads for RTD_1(P, Q) and RTD_1(Q, P).

    ``w``/``mu`` are ``cross_matrices(w_P, w_Q)`` rounded to float32, ``w_tilde``/``mu_tilde``
    ``cross_matrices(w_Q, w_P)`` (None for the forward direction alone); ``mu_tilde is mu``
    when the two floors leave the same ``mu``, the usual case (one Rips(mu) for both).
    """

    w: Float32Matrix
    mu: Float32Matrix
    w_tilde: Float32Matrix | None = None
    mu_tilde: Float32Matrix | None = None


# Rows per block of the masks below: a boolean mask of the whole matrix would cost 1 byte per
# N² at the moment the float64 matrix and three float32 ones are alive.
_MASK_BLOCK_ENTRIES = 1 << 22


def _row_blocks(n: int) -> range:
    return range(0, n, max(1, _MASK_BLOCK_ENTRIES // max(n, 1)))


def _floored_f32(d: FloatArray, floor: float) -> Float32Matrix:
    """``where(d < floor, 0, d)`` rounded to float32 (entries beyond float32 become inf: the
    caller either refused them or takes a minimum with a matrix that fits)."""
    with np.errstate(over="ignore"):
        out = d.astype(np.float32)
    step = _row_blocks(len(d)).step
    for start in _row_blocks(len(d)):
        block = out[start : start + step]
        block[d[start : start + step] < floor] = 0.0
    out += np.float32(0.0)  # -0.0 becomes +0.0: the engine reads these bits in place
    return out


def _flat_band(d: FloatArray, low: float, high: float) -> NDArray[np.intp]:
    """Flat indices of the entries of ``d`` in ``[low, high)``, found block by block."""
    n = len(d)
    step = _row_blocks(n).step
    found = [
        start * n + np.flatnonzero((block >= low) & (block < high))
        for start in _row_blocks(n)
        for block in (d[start : start + step],)
    ]
    return np.concatenate(found) if found else np.empty(0, dtype=np.intp)


def identity_matrices(
    p: FloatArray,
    q: FloatArray,
    *,
    metric: str,
    normalize: str | float | None,
    both: bool = True,
) -> IdentityMatrices:
    """The float32 matrices of :func:`cross_matrices` in both directions, bit for bit, at
    about 12 bytes per N² instead of 64.

    Only one float64 distance matrix exists at a time (8 bytes per N², normalised and
    floored exactly as :func:`normalized_distances` and :func:`cross_matrices` do, then
    rounded). Rounding is monotone, so ``float32(min(a, b)) = min(float32(a), float32(b))``
    and a float32 entry below (above) ``float32(f)`` proves its float64 value below (at or
    above) ``f``; that decides, from float32 values, which entries of P the floor of Q
    removes. The one case float32 cannot decide (an entry of P that rounds to exactly
    ``float32(f_Q)``, or near-duplicates of P below its own floor while Q's floor is lower)
    recomputes P's float64 matrix once, which holds 24 bytes per N² for a moment.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(30, 3))
    >>> m = identity_matrices(x, x[:, :2], metric="euclidean", normalize="quantile")
    >>> m.w.dtype, m.mu_tilde is m.mu
    (dtype('float32'), True)
    """
    w_p = normalized_distances(p, metric=metric, normalize=normalize, name="P")
    check_float32_range(w_p)
    floor_p = zero_floor(w_p)
    lost_p = _flat_band(w_p, np.nextafter(0.0, 1.0), floor_p).size > 0  # floored away
    w = _floored_f32(w_p, floor_p)
    del w_p
    w_q = normalized_distances(q, metric=metric, normalize=normalize, name="Q")
    if not both:
        mu = _floored_f32(w_q, floor_p)
        np.minimum(w, mu, out=mu)
        return IdentityMatrices(w, mu)
    check_float32_range(w_q)
    floor_q = zero_floor(w_q)
    # the entries of Q between the two floors: the only ones where Q floored at floor_p
    # differs from w_tilde (Q floored at floor_q), kept with their float32 values
    band_q = _flat_band(w_q, *sorted((floor_p, floor_q)))
    band_values = w_q.flat[band_q].astype(np.float32) + np.float32(0.0)  # no -0.0
    w_tilde = _floored_f32(w_q, floor_q)
    del w_q  # from here on, float32 only: 12 bytes per N²
    mu = w_tilde.copy()
    mu.flat[band_q] = band_values if floor_q > floor_p else np.float32(0.0)
    np.minimum(w, mu, out=mu)
    mu_tilde = _backward_mu(w, mu, w_tilde, band_q, floor_p, floor_q, lost_p)
    if mu_tilde is None:  # float32 cannot decide: P's float64 matrix once more
        w_p = normalized_distances(p, metric=metric, normalize=normalize, name="P")
        mu_tilde = _floored_f32(w_p, floor_q)
        del w_p
        np.minimum(mu_tilde, w_tilde, out=mu_tilde)
    return IdentityMatrices(w, mu, w_tilde, mu_tilde)


def _backward_mu(
    w: Float32Matrix,
    mu: Float32Matrix,
    w_tilde: Float32Matrix,
    band_q: NDArray[np.intp],
    floor_p: float,
    floor_q: float,
    lost_p: bool,
) -> Float32Matrix | None:
    """``mu`` of the backward direction (floor ``floor_q``) from the forward one (floor
    ``floor_p``): they differ only where ``min(w_P, w_Q)`` lies between the two floors.
    Returns ``mu`` itself when nothing differs, None when float32 cannot decide."""
    if floor_q == floor_p:
        return mu
    if floor_q > floor_p:
        # zero the entries of mu in [floor_p, floor_q): Q's are band_q; P's are those whose
        # float32 value lies below float32(floor_q) (a tie with it cannot be decided)
        cut = np.float32(floor_q)
        if bool(np.any((w == cut) & (mu > 0))):
            return None
        drop = (w < cut) & (mu > 0)
        if not band_q.size and not bool(np.any(drop)):
            return mu
        out = mu.copy()
        out[drop] = 0.0
        out.flat[band_q] = 0.0
        return out
    # floor_q < floor_p: entries of Q in [floor_q, floor_p) come back where P is not below
    # floor_p; P's own entries below floor_p are all 0 unless some were lost to the floor
    if lost_p:
        return None
    if not band_q.size:
        return mu
    out = mu.copy()
    out.flat[band_q] = np.where(w.flat[band_q] > 0, w_tilde.flat[band_q], np.float32(0.0))
    return out


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
