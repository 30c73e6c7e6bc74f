"""Centred Kernel Alignment (Kornblith et al., 2019) and the Gram matrices it compares.

The RBF bandwidth is ``sigma² · median(squared distances)`` over the full n x n matrix (zero
diagonal included), as in the reference code; debiased CKA uses the unbiased HSIC of Song et
al. (2012), computed as an inner product of U-centred Gram matrices so that the
self-similarities are sums of squares and can never be negative.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.spatial.distance import cdist

from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_bool,
    check_choice,
    check_same_rows,
)
from rtdkit.baselines._inputs import check_real, paired_representations

__all__ = ["cka", "cka_from_gram", "gram_linear", "gram_rbf"]


def gram_linear(x: FloatArray) -> FloatArray:
    """Linear-kernel Gram matrix ``x @ x.T``.

    Examples
    --------
    >>> float(gram_linear(np.eye(3)).trace())
    3.0
    """
    out: FloatArray = x @ x.T
    return out


def gram_rbf(x: FloatArray, sigma: float = 0.5, *, name: str = "X") -> FloatArray:
    """RBF Gram matrix ``exp(-d² / (2 s²))`` with ``s² = sigma² · median(d²)``.

    The median runs over all n² squared distances, the zero diagonal included, as in the
    reference code of Kornblith et al. (2019); the kernel is therefore invariant to rescaling
    ``x``.

    Examples
    --------
    >>> k = gram_rbf(np.arange(6.0).reshape(3, 2))
    >>> float(k[0, 0]), bool(k[0, 1] > k[0, 2])
    (1.0, True)
    """
    d2 = cdist(x, x, metric="sqeuclidean")
    median = float(np.median(d2))
    if median <= 0.0:
        raise RTDInputError(
            f"the RBF bandwidth of {name} is 0: most of its pairwise distances are 0 (many "
            "duplicate points); deduplicate them or use kernel='linear'"
        )
    out: FloatArray = np.exp(-d2 / (2.0 * sigma**2 * median))
    return out


def _center_gram(k: FloatArray) -> FloatArray:
    """``H k H`` with the centring matrix ``H = I - 11ᵀ/n`` (biased HSIC)."""
    row = k.mean(axis=0)
    out: FloatArray = k - row[None, :] - row[:, None] + row.mean()
    return out


def _u_center_gram(k: FloatArray) -> FloatArray:
    """U-centred Gram matrix: ``<U(K), U(L)> / (n (n - 3))`` is Song et al.'s unbiased HSIC.

    Writing the unbiased estimator as an inner product (Székely & Rizzo, 2014) makes the
    self-terms ``<U(K), U(K)>`` sums of squares, hence never negative.
    """
    n = len(k)
    k0 = k.copy()
    np.fill_diagonal(k0, 0.0)
    row = k0.sum(axis=0) / (n - 2)
    total = k0.sum() / ((n - 1) * (n - 2))
    u: FloatArray = k0 - row[None, :] - row[:, None] + total
    np.fill_diagonal(u, 0.0)
    return u


def cka_from_gram(k: Any, l: Any, *, debiased: bool = False) -> float:  # noqa: E741
    """CKA of two precomputed n x n Gram (kernel) matrices.

    ``HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))`` with the biased HSIC, or Song et al.'s
    unbiased HSIC when ``debiased=True`` (n >= 4 then).

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(20, 3))
    >>> round(cka_from_gram(x @ x.T, 2.0 * x @ x.T), 12)
    1.0
    """
    debiased = check_bool(debiased, "debiased")
    km = as_float_matrix(k, "K", min_rows=4 if debiased else 2)
    lm = as_float_matrix(l, "L", min_rows=4 if debiased else 2)
    for m, name in ((km, "K"), (lm, "L")):
        if m.shape[0] != m.shape[1]:
            raise RTDInputError(f"{name} must be a square n x n Gram matrix, got {m.shape}")
    check_same_rows(km, lm, "K", "L")
    center = _u_center_gram if debiased else _center_gram
    kc, lc = center(km), center(lm)
    kk, ll = float(np.vdot(kc, kc)), float(np.vdot(lc, lc))
    for self_hsic, m, name in ((kk, km, "K"), (ll, lm, "L")):
        # Round-off leaves ~eps·|K|² where the exact value is 0: a constant representation.
        if self_hsic <= 1e-12 * float(np.vdot(m, m)):
            raise RTDInputError(
                f"{name} carries no variation after centring (all points identical, or too few "
                "distinct ones), so CKA is undefined; check the representation"
            )
    value = float(np.vdot(kc, lc)) / math.sqrt(kk * ll)
    # Cauchy–Schwarz bounds the exact value; clipping only removes round-off.
    return float(np.clip(value, -1.0 if debiased else 0.0, 1.0))


def _linear_cka_features(x: FloatArray, y: FloatArray) -> float:
    """Linear CKA in feature space: ``|Yᶜᵀ Xᶜ|²_F / (|Xᶜᵀ Xᶜ|_F |Yᶜᵀ Yᶜ|_F)``.

    Costs O(n·dx·dy) instead of O(n²·(dx + dy)), so it wins when features are fewer than points.
    """
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    xx = np.linalg.norm(xc.T @ xc)
    yy = np.linalg.norm(yc.T @ yc)
    if xx <= 1e-12 * float(np.vdot(x, x)) or yy <= 1e-12 * float(np.vdot(y, y)):
        raise RTDInputError(
            "X or Y is the same for every point (zero variance), so CKA is undefined; check "
            "the representation"
        )
    value = float(np.linalg.norm(yc.T @ xc) ** 2 / (xx * yy))
    return float(np.clip(value, 0.0, 1.0))


def cka(
    X: Any,
    Y: Any,
    *,
    kernel: str = "linear",
    sigma: float = 0.5,
    debiased: bool = False,
) -> float:
    """Centred Kernel Alignment (Kornblith et al., 2019), a similarity in [0, 1].

    Parameters
    ----------
    X, Y : array-like or torch.Tensor, shape (n, dx) and (n, dy)
        Two representations of the same n objects (row i of each describes object i).
    kernel : {'linear', 'rbf'}, default 'linear'
        Kernel applied to each representation.
    sigma : float, default 0.5
        RBF bandwidth as a fraction of the median distance: ``s² = sigma² · median(d²)``.
        Ignored for the linear kernel.
    debiased : bool, default False
        Use the unbiased HSIC estimator of Song et al. (2012); needs n >= 4. The result may
        then be slightly negative for unrelated representations.

    Returns
    -------
    float
        CKA; the paper plots the dissimilarity ``1 - CKA``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 5))
    >>> Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    >>> round(cka(X, 3.0 * X @ Q), 10)
    1.0
    """
    kernel = check_choice(kernel, "kernel", ("linear", "rbf"))
    sigma = check_real(sigma, "sigma", low=0.0, high=math.inf, low_open=True)
    debiased = check_bool(debiased, "debiased")
    x, y = paired_representations(X, Y)
    if debiased and len(x) < 4:
        raise RTDInputError(
            f"debiased CKA needs at least 4 points (the unbiased HSIC divides by n(n - 3)); "
            f"X and Y have {len(x)}"
        )
    if kernel == "linear" and not debiased and max(x.shape[1], y.shape[1]) <= len(x):
        return _linear_cka_features(x, y)
    if kernel == "linear":
        k, l = gram_linear(x), gram_linear(y)  # noqa: E741
    else:
        k, l = gram_rbf(x, sigma, name="X"), gram_rbf(y, sigma, name="Y")  # noqa: E741
    return cka_from_gram(k, l, debiased=debiased)
