"""The R-Cross-Barcode with, for each bar, the two distances that define it.

A bar is born and dies at entries of the paper's doubled matrix ``[[0, w], [w, mu]]`` with
``mu = min(w, w_tilde)`` (eq. 2). :func:`critical_barcode` translates the engine's critical
edges (vertex pairs of the doubled matrix, see :mod:`rtdkit.engines`) into entries of the two
*input* matrices: ``w[i, j]``, ``w_tilde[i, j]``, or the constant 0. Anything that reads those
entries back from its own copies of ``w`` and ``w_tilde`` (e.g. torch tensors, as
:class:`rtdkit.torch.RTDLoss` does) gets each bar's birth and death, and their gradients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._repr import summary_repr
from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_bool,
    check_n_jobs,
    to_numpy,
)
from rtdkit.barcode import CrossBarcode
from rtdkit.distances import SUBSET_FIX, check_memory, cross_matrices
from rtdkit.divergence import barcode_from_distances
from rtdkit.memory_checks import IDENTITY_TRIAL_BYTES_PER_N2
from rtdkit.options import barcode_engine

if TYPE_CHECKING:
    from rtdkit.engines.score import IdentityTerms

__all__ = [
    "FROM_W",
    "FROM_W_TILDE",
    "ZERO",
    "CriticalTotal",
    "CriticalValues",
    "critical_barcode",
    "critical_identity",
]

#: Codes of :attr:`CriticalValues.source`.
ZERO, FROM_W, FROM_W_TILDE = 0, 1, 2

# Matrices held at once besides the engine's own working set, in bytes per N²: the float64
# copies of w and w_tilde (16), w and mu of the barcode (16) with np.where's temporary (8),
# the resolver's w and mu again (16) and the w < w_tilde mask (1), rounded up.
RESOLVE_BYTES_PER_N2 = 64.0


@dataclass(frozen=True)
class CriticalValues:
    """Where the births and deaths of the bars of one dimension come from.

    Each array has shape ``(k, 2)``: column 0 is the birth, column 1 the death of bar ``b``
    (in the barcode's order). The value is ``w[rows, cols]`` where ``source == FROM_W``,
    ``w_tilde[rows, cols]`` where ``source == FROM_W_TILDE`` and 0 where ``source == ZERO``.
    """

    source: NDArray[np.int8]
    rows: NDArray[np.int64]
    cols: NDArray[np.int64]

    __repr__ = summary_repr  # arrays as size and range: one line at the prompt

    def read(self, w: FloatArray, w_tilde: FloatArray) -> FloatArray:
        """The ``(k, 2)`` births and deaths, read from ``w`` and ``w_tilde``."""
        return _read_entries(self.source, self.rows, self.cols, w, w_tilde)


@dataclass(frozen=True)
class CriticalTotal:
    """RTD_1(P, P̃) as a signed sum of entries of ``w`` and ``w_tilde``.

    ``value == sum(sign * read(w, w_tilde))`` up to float32 rounding: the terms of the identity
    of :mod:`rtdkit.engines.score` (both spanning trees, the H1 bars of Rips(mu), the image
    bars), each entry coded as in :class:`CriticalValues`. Arrays have shape ``(m,)``.
    """

    sign: FloatArray
    source: NDArray[np.int8]
    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    value: float

    __repr__ = summary_repr  # arrays as size and range: one line at the prompt

    def read(self, w: FloatArray, w_tilde: FloatArray) -> FloatArray:
        """The ``(m,)`` entries, read from ``w`` and ``w_tilde``."""
        return _read_entries(self.source, self.rows, self.cols, w, w_tilde)


def _read_entries(
    source: NDArray[np.int8],
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    w: FloatArray,
    w_tilde: FloatArray,
) -> FloatArray:
    values: FloatArray = np.where(
        source == FROM_W,
        w[rows, cols],
        np.where(source == FROM_W_TILDE, w_tilde[rows, cols], 0.0),
    )
    return values


def critical_identity(
    w: Any, w_tilde: Any, *, symmetric: bool = True
) -> tuple[CriticalTotal, CriticalTotal | None]:
    """RTD_1(P, P̃) (and RTD_1(P̃, P)) with the entries that define it, without the bars.

    The fast path of the differentiable loss: the identity of :mod:`rtdkit.engines.score`
    writes RTD_1 as a signed sum of distances picked by critical edges, so its gradient
    reaches exactly those distances. The backward total's entries are coded with the roles
    swapped: read it as ``backward.read(w_tilde, w)``.

    Examples
    --------
    >>> import numpy as np
    >>> from rtdkit.distances import normalized_distances
    >>> rng = np.random.default_rng(0)
    >>> w = normalized_distances(rng.normal(size=(30, 3)))
    >>> wt = normalized_distances(rng.normal(size=(30, 2)))
    >>> forward, backward = critical_identity(w, wt)
    >>> bool(np.isclose(np.sum(forward.sign * forward.read(w, wt)), forward.value))
    True
    """
    from rtdkit.engines.score import identity_terms

    w, w_tilde = _same_shape(
        w, w_tilde, bytes_per_n2=IDENTITY_TRIAL_BYTES_PER_N2 + RESOLVE_BYTES_PER_N2,
        what="critical_identity",
    )  # fmt: skip
    forward, backward = identity_terms(w, w_tilde, both=check_bool(symmetric, "symmetric"))
    fwd = _signed_entries(forward, w, w_tilde)
    return fwd, None if backward is None else _signed_entries(backward, w_tilde, w)


def _signed_entries(terms: IdentityTerms, w: FloatArray, w_tilde: FloatArray) -> CriticalTotal:
    n = w.shape[0]
    as_w = np.array([0, n])  # (u, v) -> the A'-A pair (u, N + v): an entry of w
    as_mu = np.array([n, n])  # (u, v) -> the A-A pair (N + u, N + v): an entry of mu
    pairs, signs = [], []
    for edges, offset, sign in (
        (terms.mst_w_edges, as_w, 1.0),
        (terms.mst_mu_edges, as_mu, -1.0),
        (terms.h1_mu_edges[:, 2:], as_mu, 1.0),
        (terms.h1_mu_edges[:, :2], as_mu, -1.0),
        (terms.image_edges[:, 2:], as_mu, -1.0),
        (terms.image_edges[:, :2], as_w, 1.0),
    ):
        pairs.append(edges.reshape(-1, 2) + offset)
        signs.append(np.full(len(edges), sign))
    doubled = np.concatenate(pairs).astype(np.int64)
    w_used, mu_used = cross_matrices(w, w_tilde)
    source, rows, cols = _Resolver(w < w_tilde, w_used, mu_used).entries(
        doubled[:, 0], doubled[:, 1]
    )
    return CriticalTotal(np.concatenate(signs), source, rows, cols, terms.total)


def critical_barcode(
    w: Any,
    w_tilde: Any,
    *,
    maxdim: int = 1,
    engine: str | None = None,
    n_threads: int = 1,
) -> tuple[CrossBarcode, tuple[CriticalValues, ...]]:
    """R-Cross-Barcode(P, P̃) of two distance matrices, with each bar's critical entries.

    Parameters
    ----------
    w, w_tilde : array-like, shape (N, N)
        Distance matrices of P and P̃ (already normalised if wanted), as
        :func:`rtdkit.distances.normalized_distances` gives them.
    maxdim : int, default 1
        Highest homology dimension computed.
    engine : str, optional
        A barcode engine that reports critical edges; default: rtdkit's default engine.
    n_threads : int, default 1
        Threads the engine may use (-1: every core).

    Returns
    -------
    (CrossBarcode, tuple of CriticalValues)
        The barcode (with the engine's raw edges) and, per dimension, where each bar's birth
        and death come from. ``critical[d].read(w, w_tilde)`` equals ``barcode[d]`` up to the
        engine's rounding (bars of entries below the round-off floor of
        :func:`rtdkit.distances.cross_matrices` read as 0, as the engine saw them).

    Examples
    --------
    >>> import numpy as np
    >>> from rtdkit.distances import normalized_distances
    >>> rng = np.random.default_rng(0)
    >>> w = normalized_distances(rng.normal(size=(30, 3)))
    >>> wt = normalized_distances(rng.normal(size=(30, 2)))
    >>> bc, critical = critical_barcode(w, wt)
    >>> bool(np.allclose(critical[1].read(w, wt), bc[1]))
    True
    """
    info, maxdim = barcode_engine(
        engine, maxdim, edges=True, purpose=", which critical_barcode needs"
    )
    n_threads = check_n_jobs(n_threads, "n_threads")
    w, w_tilde = _same_shape(
        w, w_tilde, bytes_per_n2=RESOLVE_BYTES_PER_N2 + (info.bytes_per_n2 or 16.0),
        what=f"critical_barcode (engine {info.name!r})",
    )  # fmt: skip
    bc = barcode_from_distances(
        w, w_tilde, maxdim=maxdim, engine=info, return_edges=True, n_threads=n_threads
    )
    if bc.edges is None:
        raise RuntimeError(f"engine {info.name!r} returned no critical edges")
    w_used, mu_used = cross_matrices(w, w_tilde)
    resolve = _Resolver(w < w_tilde, w_used, mu_used)
    return bc, tuple(resolve(edges) for edges in bc.edges)


def _same_shape(
    w: Any, w_tilde: Any, *, bytes_per_n2: float, what: str
) -> tuple[FloatArray, FloatArray]:
    """Both matrices, checked; the memory they will need is checked before any copy."""
    w, w_tilde = to_numpy(w, "w"), to_numpy(w_tilde, "w_tilde")
    if w.ndim == 2:
        check_memory(w.shape[0], bytes_per_n2, what=what, fix=SUBSET_FIX)
    w, w_tilde = _square(w, "w"), _square(w_tilde, "w_tilde")
    if w.shape != w_tilde.shape:
        raise RTDInputError(
            f"w has shape {w.shape} but w_tilde {w_tilde.shape}; both describe the same N points"
        )
    return w, w_tilde


def _square(x: Any, name: str) -> FloatArray:
    arr = as_float_matrix(x, name)
    if arr.shape[0] != arr.shape[1]:
        raise RTDInputError(f"{name} must be a square N x N distance matrix, got {arr.shape}")
    return arr


class _Resolver:
    """Maps vertex pairs of the doubled matrix to entries of ``w`` and ``w_tilde``.

    Vertices ``0..N-1`` are the copies A', ``N..2N-1`` the originals A: an A'-A pair is an
    entry of ``w``; an A-A pair an entry of ``mu``, taken from whichever of ``w`` and
    ``w_tilde`` the engine saw as smaller; an A'-A' pair is the constant 0. So is any entry the
    engine saw as 0 (the round-off floor of :func:`cross_matrices`).
    """

    def __init__(
        self, w_smaller: NDArray[np.bool_], w_used: FloatArray, mu_used: FloatArray
    ) -> None:
        self.w_smaller, self.w_used, self.mu_used = w_smaller, w_used, mu_used
        self.n = w_used.shape[0]

    def __call__(self, edges: NDArray[np.int64]) -> CriticalValues:
        b_source, b_rows, b_cols = self.entries(edges[:, 0], edges[:, 1])
        d_source, d_rows, d_cols = self.entries(edges[:, 2], edges[:, 3])
        return CriticalValues(
            np.stack([b_source, d_source], axis=1),
            np.stack([b_rows, d_rows], axis=1),
            np.stack([b_cols, d_cols], axis=1),
        )

    def entries(
        self, a: NDArray[np.int64], b: NDArray[np.int64]
    ) -> tuple[NDArray[np.int8], NDArray[np.int64], NDArray[np.int64]]:
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        i, j = lo % self.n, hi % self.n
        cross = (lo < self.n) & (hi >= self.n)  # A'-A pairs: entries of w
        inner = lo >= self.n  # A-A pairs: entries of mu; A'-A' pairs are the constant 0
        kept = np.where(cross, self.w_used[i, j], self.mu_used[i, j]) > 0
        from_w = kept & (cross | (inner & self.w_smaller[i, j]))
        from_wt = kept & inner & ~self.w_smaller[i, j]
        source = np.where(from_w, FROM_W, np.where(from_wt, FROM_W_TILDE, ZERO)).astype(np.int8)
        return source, i.astype(np.int64), j.astype(np.int64)
