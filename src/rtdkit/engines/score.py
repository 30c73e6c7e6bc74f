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

Both directions of a symmetric score share ``mu``, so ``K``'s barcode is computed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import FloatArray
from rtdkit.distances import cross_matrices
from rtdkit.engines._api import import_native

_score = import_native("_score", meanwhile="method='barcode'")

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
    w: FloatArray, w_tilde: FloatArray, *, both: bool = True
) -> tuple[IdentityTerms, IdentityTerms | None]:
    """The identity's terms for RTD_1(P, P̃) and, with ``both``, for RTD_1(P̃, P).

    ``w`` and ``w_tilde`` are the normalised distance matrices of P and P̃ (as for the barcode
    engines); the zero floor of :func:`rtdkit.distances.cross_matrices` is applied per
    direction, exactly as the barcode path does.
    """
    w_fwd, mu_fwd = cross_matrices(w, w_tilde)
    if not both:
        mu_out, (w_out,) = _score.compute(_c(mu_fwd), [_c(w_fwd)])
        return _terms(mu_out, w_out), None
    w_bwd, mu_bwd = cross_matrices(w_tilde, w)
    if np.array_equal(mu_fwd, mu_bwd):  # the usual case: one Rips(mu) for both directions
        mu_out, (fwd, bwd) = _score.compute(_c(mu_fwd), [_c(w_fwd), _c(w_bwd)])
        return _terms(mu_out, fwd), _terms(mu_out, bwd)
    mu_out, (fwd,) = _score.compute(_c(mu_fwd), [_c(w_fwd)])
    mu_out_b, (bwd,) = _score.compute(_c(mu_bwd), [_c(w_bwd)])
    return _terms(mu_out, fwd), _terms(mu_out_b, bwd)


def _c(x: FloatArray) -> FloatArray:
    return np.ascontiguousarray(x, dtype=np.float64)
