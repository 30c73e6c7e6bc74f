"""RTD_1 without the barcode: the exact identity through spanning trees, H1 and an image.

The RTD score needs only the *total* length of R-Cross-Barcode_1(P, P̃). With L the
Vietoris–Rips filtration of ``w`` and K that of ``mu = min(w, w̃)`` (``mu <= w``, so
``L_t ⊆ K_t`` at every scale), the long exact sequence of the pair gives at every t

    dim H1(K_t, L_t) = dim ker(H0 L_t → H0 K_t) + dim coker(H1 L_t → H1 K_t),

and integrating over t (``docs/score.md``):

    RTD_1(P, P̃) = [MST(w) − MST(mu)] + TL(H1 Rips(mu)) − TL(image of H1 Rips(w) → H1 Rips(mu))

where TL is the total bar length and MST the weight of a minimum spanning tree. The native
module computes the three terms exactly on the same float32 filtration as the barcode engines
(the image by evaluating the representative cocycles of H1 Rips(mu) on the fundamental cycles
of the minimum spanning tree of ``w``), so the identity reproduces the barcode engines' total to
float32 precision. It gives the score, not the bars: the exact sequence of persistence modules
need not split, so the bars of H1(K, L) are not the union of the two sides' bars.

Both directions of a symmetric score share ``mu``, so ``K``'s barcode is computed once. The H1
reduction of Rips(mu) is the cone engine's own (``native/rips_core.cpp``), specialised to the
faces of Rips(mu).

Progress and Ctrl-C: as for the cone engine, the native code calls back about every 0.2 s
(:func:`rtdkit._parallel.engine_callback`): Ctrl-C, or the cancellation of the pool map running
it, stops it promptly, and ``progress(done, total)`` is called if given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._parallel import engine_callback
from rtdkit._validation import FloatArray, RTDInputError
from rtdkit.distances import cross_matrices
from rtdkit.engines._api import import_native

if TYPE_CHECKING:  # the route that builds them calls this engine
    from rtdkit._whole_cloud import IdentityMatrices

_score = import_native("_score", meanwhile="method='barcode'")

MAX_POINTS: int = _score.MAX_POINTS

ProgressCallback = Callable[[int, int], None]

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class IdentityTerms:
    """The terms of RTD_1(P, P̃) for one direction, with their critical edges.

    ``total == (mst_w - mst_mu) + (h1_mu - image)``. Edges index the points ``0..N-1``:
    ``mst_w_edges``/``mst_mu_edges`` are ``(N-1, 2)`` vertex pairs of the two spanning trees
    (values in ``w`` and in ``mu``); ``h1_mu_edges`` is ``(k, 4)``: each H1(Rips(mu)) bar's
    birth and death edge in ``mu``; ``image_edges`` is ``(m, 4)``: each image bar's birth edge
    in ``w`` and death edge in ``mu``.
    """

    mst_w: float
    mst_mu: float
    h1_mu: float
    image: float
    mst_w_edges: IntArray
    mst_mu_edges: IntArray
    h1_mu_edges: IntArray
    image_edges: IntArray
    counters: dict[str, int]

    @property
    def total(self) -> float:
        """RTD_1(P, P̃): the total length of R-Cross-Barcode_1."""
        return (self.mst_w - self.mst_mu) + (self.h1_mu - self.image)


def _bar_total(bars: FloatArray) -> float:
    return float(np.sum(bars[:, 1] - bars[:, 0]))


def _terms(mu_out: dict[str, Any], w_out: dict[str, Any]) -> IdentityTerms:
    mst_mu_values, mst_mu_edges = mu_out["mst"]
    h1_bars, h1_edges = mu_out["h1"]
    mst_w_values, mst_w_edges = w_out["mst"]
    image_bars, image_edges = w_out["image"]
    return IdentityTerms(
        mst_w=float(np.sum(mst_w_values)),
        mst_mu=float(np.sum(mst_mu_values)),
        h1_mu=_bar_total(h1_bars),
        image=_bar_total(image_bars),
        mst_w_edges=mst_w_edges,
        mst_mu_edges=mst_mu_edges,
        h1_mu_edges=h1_edges,
        image_edges=image_edges,
        counters={**mu_out["counters"], **{k: v for k, v in w_out["counters"].items() if v}},
    )


def identity_terms(
    w: FloatArray,
    w_tilde: FloatArray,
    *,
    both: bool = True,
    progress: ProgressCallback | None = None,
) -> tuple[IdentityTerms, IdentityTerms | None]:
    """The identity's terms for RTD_1(P, P̃) and, with ``both``, for RTD_1(P̃, P).

    ``w`` and ``w_tilde`` are the normalised distance matrices of P and P̃ (as for the barcode
    engines); the zero floor of :func:`rtdkit.distances.cross_matrices` is applied per
    direction, exactly as the barcode path does. ``progress(done, total)``, if given, is called
    about every 0.2 s; an exception it raises stops the computation and propagates.
    """
    check_points(len(w))  # refused before anything is copied or allocated
    w_fwd, mu_fwd = cross_matrices(w, w_tilde)
    if not both:
        return _directions(w_fwd, mu_fwd, None, None, progress)
    w_bwd, mu_bwd = cross_matrices(w_tilde, w)
    shared = np.array_equal(mu_fwd, mu_bwd)  # the usual case: one Rips(mu) for both directions
    return _directions(w_fwd, mu_fwd, w_bwd, mu_fwd if shared else mu_bwd, progress)


def identity_terms_f32(
    matrices: IdentityMatrices,
    *,
    progress: ProgressCallback | None = None,
    threads: int = 1,
) -> tuple[IdentityTerms, IdentityTerms | None]:
    """:func:`identity_terms` of the float32 matrices of
    :func:`rtdkit._whole_cloud.identity_matrices`, which the engine reads in place (the
    whole-cloud route: no float64 N x N matrix, no copy).

    ``threads``: the engine's threads for this one trial (the apparent pairs of Rips(mu) in
    chunks); the terms are the same for any number.

    Examples
    --------
    >>> from rtdkit._whole_cloud import identity_matrices
    >>> x = np.random.default_rng(0).normal(size=(40, 3))
    >>> m = identity_matrices(x, 2 * x, metric="euclidean", normalize="quantile")
    >>> [t.total for t in identity_terms_f32(m)]
    [0.0, 0.0]
    """
    m = matrices
    check_points(len(m.w))
    return _directions(m.w, m.mu, m.w_tilde, m.mu_tilde, progress, threads)


def check_points(n: int) -> None:
    """Refuse more points than the engine's 32-bit edge indices allow, before any work."""
    if n > MAX_POINTS:
        raise RTDInputError(
            f"the score engine takes at most {MAX_POINTS} points (32-bit edge indices), got "
            f"{n}; subsample with rtdkit.rtd(..., batch=...)"
        )


EngineInput = FloatArray | NDArray[np.float32]


def _directions(
    w: EngineInput,
    mu: EngineInput,
    w_tilde: EngineInput | None,
    mu_tilde: EngineInput | None,
    progress: ProgressCallback | None,
    threads: int = 1,
) -> tuple[IdentityTerms, IdentityTerms | None]:
    """The forward terms and, when ``w_tilde`` is given, the backward ones; one Rips(mu) for
    both when ``mu_tilde is mu``."""
    if w_tilde is None or mu_tilde is None:
        mu_out, (fwd,) = _compute(mu, [w], progress, threads)
        return _terms(mu_out, fwd), None
    if mu_tilde is mu:
        mu_out, (fwd, bwd) = _compute(mu, [w, w_tilde], progress, threads)
        return _terms(mu_out, fwd), _terms(mu_out, bwd)
    mu_out, (fwd,) = _compute(mu, [w], progress, threads)
    mu_out_b, (bwd,) = _compute(mu_tilde, [w_tilde], progress, threads)
    return _terms(mu_out, fwd), _terms(mu_out_b, bwd)


def _compute(
    mu: EngineInput, ws: list[EngineInput], progress: ProgressCallback | None, threads: int = 1
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The native terms; its input checks (size, symmetry, zero diagonal, ``w >= mu``,
    float32 range) become :class:`rtdkit.RTDInputError`. float32 matrices are read in place,
    anything else as float64 (rounded to float32 by the engine). With ``threads`` > 1 the
    engine's worker threads never call Python: the calling thread reports progress and
    checks Ctrl-C and the cancel token every 0.2 s, and stops them all."""
    # always a callable: a cancelled pool map stops an engine running in a worker thread
    callback = engine_callback(progress)
    dtype = np.float32 if all(m.dtype == np.float32 for m in (mu, *ws)) else np.float64
    as_c = [np.ascontiguousarray(m, dtype=dtype) for m in (mu, *ws)]
    try:
        mu_out, w_outs = _score.compute(as_c[0], as_c[1:], callback, threads)
    except ValueError as exc:
        raise RTDInputError(str(exc)) from None
    return mu_out, list(w_outs)
