"""The identity's float32 matrices for whole clouds, one float64 matrix at a time.

``rtd(P, Q, batch=None)``, ``rtd_trial`` and every ``rtd`` trial without shuffles compute RTD_1
through :func:`identity_matrices` and the score engine, which reads them in place: about 17
bytes per N² at peak instead of the float64 route's 60, with the same totals bit for bit
(``docs/score.md``, "Whole clouds").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from rtdkit.options import RTDOptions

from rtdkit._parallel import map_ordered
from rtdkit._progress import Progress
from rtdkit._trials import take_subset
from rtdkit._validation import FloatArray
from rtdkit.distances import check_float32_range, normalized_distances, zero_floor

__all__ = [
    "IdentityMatrices",
    "identity_matrices",
    "identity_trial",
    "identity_trials",
    "threads_per_trial",
]

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
    threads: int = 1,
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
    ``threads``: euclidean distances in blocks of rows side by side, the same matrices for
    any number.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(30, 3))
    >>> m = identity_matrices(x, x[:, :2], metric="euclidean", normalize="quantile")
    >>> m.w.dtype, m.mu_tilde is m.mu
    (dtype('float32'), True)
    """
    distances = partial(normalized_distances, metric=metric, normalize=normalize, threads=threads)
    w_p = distances(p, name="P")
    check_float32_range(w_p)
    floor_p = zero_floor(w_p)
    lost_p = _flat_band(w_p, np.nextafter(0.0, 1.0), floor_p).size > 0  # floored away
    w = _floored_f32(w_p, floor_p)
    del w_p
    w_q = distances(q, name="Q")
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
        w_p = distances(p, name="P")
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


def identity_trial(
    p: FloatArray,
    q: FloatArray,
    *,
    metric: str,
    normalize: str | float | None,
    symmetric: bool,
    threads: int = 1,
) -> tuple[float, float]:
    """RTD_1(P, Q) and RTD_1(Q, P) (NaN when not ``symmetric``) of two validated clouds (or
    precomputed matrices) through the float32 route, on ``threads`` threads (the same totals
    for any number: ``docs/score.md``, "Threads").

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(30, 3))
    >>> identity_trial(x, 3 * x, metric="euclidean", normalize="quantile", symmetric=True)
    (0.0, 0.0)
    """
    from rtdkit.engines.score import check_points, identity_terms_f32  # native: on first use

    check_points(len(p))  # before any N x N allocation
    matrices = identity_matrices(
        p, q, metric=metric, normalize=normalize, both=symmetric, threads=threads
    )
    forward, backward = identity_terms_f32(matrices, threads=threads)
    return forward.total, backward.total if backward is not None else float("nan")


def identity_trials(
    p: FloatArray,
    q: FloatArray,
    index_sets: Sequence[NDArray[np.intp]],
    *,
    options: RTDOptions,
    symmetric: bool,
    n_jobs: int,
    progress: Progress,
) -> FloatArray:
    """The trials of :func:`rtdkit.rtd` without shuffles, one :func:`identity_trial` on the
    rows of each index set, on ``n_jobs`` threads: a ``(trials, 2)`` array of both directions
    (``(trials, 1)`` when not ``symmetric``). Trials run side by side first; the threads
    left over (fewer trials than ``n_jobs``: a whole cloud is one trial) go inside each."""
    metric = options.metric
    threads = threads_per_trial(n_jobs, len(index_sets))

    def trial(idx: NDArray[np.intp]) -> tuple[float, ...]:
        a, b = take_subset(p, idx, metric), take_subset(q, idx, metric)
        totals = identity_trial(
            a, b, metric=metric, normalize=options.normalize, symmetric=symmetric, threads=threads
        )
        return totals if symmetric else totals[:1]

    observed = map_ordered(
        trial, index_sets, n_jobs=n_jobs, description="RTD trials", progress=progress
    )
    return np.array(observed, dtype=np.float64).reshape(len(index_sets), -1)


def threads_per_trial(n_jobs: int, trials: int) -> int:
    """The threads each of ``trials`` trials gets when ``n_jobs`` threads run them, trials
    side by side first.

    Examples
    --------
    >>> threads_per_trial(4, 1), threads_per_trial(4, 3), threads_per_trial(2, 10)
    (4, 1, 1)
    """
    return max(1, n_jobs // max(trials, 1))
