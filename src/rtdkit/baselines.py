"""The measures the paper compares RTD with: CKA, SVCCA, PWCCA, IMD and prediction disagreement.

Every measure takes two representations of the same ``n`` objects as ``(n, features)`` arrays
(numpy arrays, array-likes or torch tensors), validated exactly like :func:`rtdkit.rtd`, and
returns a Python float computed in float64. :data:`MEASURES` lists them under one calling
convention, ``MEASURES[name](X, Y, **options) -> float``, with the metadata a plot or a
pairwise matrix needs (similarity or dissimilarity, symmetric or not).

Conventions follow the reference implementations so that numbers are comparable:

* CKA (Kornblith et al., 2019): the RBF bandwidth is ``sigma² · median(squared distances)``
  over the full n x n matrix (zero diagonal included); debiased CKA uses the unbiased HSIC of
  Song et al. (2012), computed as an inner product of U-centred Gram matrices so that the
  self-similarities are sums of squares and can never be negative.
* SVCCA (Raghu et al., 2017): keep the leading singular directions explaining ``keep`` of the
  variance, then average the canonical correlations. PWCCA (Morcos et al., 2018): weight each
  canonical correlation by how much of ``X``'s neurons its canonical variate accounts for.
* IMD (Tsitsulin et al., 2020): heat-kernel traces of the normalised Laplacians of the k-NN
  graphs, per point and times 10^6 as in the reference code, compared as
  ``sup_t exp(-2 (t + 1/t)) |h_X(t) - h_Y(t)|``; exact (full spectrum) up to a few thousand
  points, else the reference's Stochastic Lanczos Quadrature with Gaussian probes drawn
  independently per cloud and its control variate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.linalg import eigh, eigh_tridiagonal
from scipy.spatial.distance import cdist

from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    RTDTypeError,
    as_float_matrix,
    check_bool,
    check_choice,
    check_int,
    check_same_rows,
    to_numpy,
)

__all__ = [
    "MEASURES",
    "Measure",
    "canonical_correlations",
    "cka",
    "cka_from_gram",
    "disagreement",
    "gram_linear",
    "gram_rbf",
    "heat_trace",
    "heat_trace_exact",
    "imd",
    "knn_laplacian",
    "pwcca",
    "svcca",
]

# Time grid of the IMD heat-kernel traces, as in Tsitsulin et al. (2020).
IMD_TIMES: FloatArray = np.logspace(-1.0, 1.0, 256)


def _pair(X: Any, Y: Any, *, min_rows: int = 3) -> tuple[FloatArray, FloatArray]:
    x = as_float_matrix(X, "X", min_rows=min_rows)
    y = as_float_matrix(Y, "Y", min_rows=min_rows)
    check_same_rows(x, y, "X", "Y")
    return x, y


def _check_real(value: Any, name: str, *, low: float, high: float, low_open: bool) -> float:
    """A finite real in (low, high] (``low_open``) or [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise RTDTypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    too_low = v <= low if low_open else v < low
    if not math.isfinite(v) or too_low or v > high:
        bracket = "(" if low_open else "["
        raise RTDInputError(f"{name} must lie in {bracket}{low}, {high}], got {value!r}")
    return v


# --------------------------------------------------------------------------------------------
# CKA
# --------------------------------------------------------------------------------------------


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
    sigma = _check_real(sigma, "sigma", low=0.0, high=math.inf, low_open=True)
    debiased = check_bool(debiased, "debiased")
    x, y = _pair(X, Y)
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


# --------------------------------------------------------------------------------------------
# CCA family
# --------------------------------------------------------------------------------------------


def _principal_directions(x: FloatArray, keep: float, name: str) -> FloatArray:
    """Orthonormal n x k basis of the leading directions of centred ``x`` holding ``keep`` of
    its variance (all numerically non-zero directions when ``keep == 1``)."""
    xc = x - x.mean(axis=0)
    u, s, _ = np.linalg.svd(xc, full_matrices=False)
    tol = s[0] * max(xc.shape) * np.finfo(np.float64).eps if s.size else 0.0
    rank = int(np.count_nonzero(s > tol))
    if rank == 0:
        raise RTDInputError(
            f"{name} is the same for every point (zero variance); CCA-based measures are undefined"
        )
    variance = s[:rank] ** 2
    explained = np.cumsum(variance) / variance.sum()
    # Smallest k whose leading directions explain at least `keep` (tolerating round-off).
    k = int(np.searchsorted(explained, keep - 1e-12)) + 1
    out: FloatArray = u[:, : min(k, rank)]
    return out


def _check_cca_room(n: int, kx: int, ky: int) -> None:
    """Two subspaces of the (n-1)-dim centred space of dims kx + ky > n - 1 must intersect, so
    at least kx + ky - n + 1 canonical correlations would be 1 whatever the data."""
    if kx + ky > n - 1:
        raise RTDInputError(
            f"CCA compares {kx} directions of X with {ky} of Y on only {n} points; with "
            f"kx + ky >= n some correlations equal 1 whatever the data. Use more points "
            f"(n > {kx + ky}), fewer features, or a lower keep"
        )


def canonical_correlations(X: Any, Y: Any, *, keep: float = 1.0) -> FloatArray:
    """Canonical correlations between X and Y, in decreasing order.

    With ``keep < 1`` each representation is first reduced to the leading singular directions
    explaining that fraction of its variance (the "SV" step of SVCCA).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> np.round(canonical_correlations(X, X @ rng.normal(size=(3, 3))), 8)
    array([1., 1., 1.])
    """
    keep = _check_real(keep, "keep", low=0.0, high=1.0, low_open=True)
    x, y = _pair(X, Y)
    ux = _principal_directions(x, keep, "X")
    uy = _principal_directions(y, keep, "Y")
    _check_cca_room(len(x), ux.shape[1], uy.shape[1])
    rho = np.linalg.svd(ux.T @ uy, compute_uv=False)
    out: FloatArray = np.clip(rho, 0.0, 1.0)
    return out


def svcca(X: Any, Y: Any, *, keep: float = 0.99) -> float:
    """SVCCA (Raghu et al., 2017): mean canonical correlation after an SVD reduction.

    Parameters
    ----------
    X, Y : array-like or torch.Tensor, shape (n, dx) and (n, dy)
        Two representations of the same n objects.
    keep : float in (0, 1], default 0.99
        Fraction of each representation's variance kept by the SVD step.

    Returns
    -------
    float
        Mean of the ``min(kx, ky)`` canonical correlations, a similarity in [0, 1].

    Raises
    ------
    RTDInputError
        When the kept directions are too many for the number of points (kx + ky >= n), where
        CCA would report spurious perfect correlations.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4))
    >>> round(svcca(X, X @ rng.normal(size=(4, 4)), keep=1.0), 8)
    1.0
    """
    return float(np.mean(canonical_correlations(X, Y, keep=keep)))


def pwcca(X: Any, Y: Any) -> float:
    """Projection-weighted CCA (Morcos et al., 2018).

    Each canonical correlation is weighted by ``sum_j |<h_i, x_j>|``, the projection of its
    canonical variate ``h_i`` (in X's space) onto X's centred neurons ``x_j``; weights sum to 1.
    The weights come from ``X`` only, so ``pwcca(X, Y) != pwcca(Y, X)`` in general.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4))
    >>> round(pwcca(X, X @ rng.normal(size=(4, 4))), 8)
    1.0
    """
    x, y = _pair(X, Y)
    ux = _principal_directions(x, 1.0, "X")
    uy = _principal_directions(y, 1.0, "Y")
    _check_cca_room(len(x), ux.shape[1], uy.shape[1])
    a, rho, _ = np.linalg.svd(ux.T @ uy, full_matrices=False)
    variates = ux @ a[:, : len(rho)]  # unit-norm canonical variates of X, one per column
    weights = np.abs(variates.T @ (x - x.mean(axis=0))).sum(axis=1)
    return float(np.clip(weights @ rho / weights.sum(), 0.0, 1.0))


# --------------------------------------------------------------------------------------------
# IMD
# --------------------------------------------------------------------------------------------


def knn_laplacian(x: FloatArray, k: int) -> sparse.csr_matrix:
    """Normalised Laplacian ``I - D^-1/2 A D^-1/2`` of the symmetrised, unweighted k-NN graph.

    Neighbours exclude the point itself but not its duplicates. Rows are processed in blocks so
    memory stays O(block · n).

    Examples
    --------
    >>> lap = knn_laplacian(np.arange(10.0)[:, None], k=2)
    >>> lap.shape, bool(np.allclose(lap.diagonal(), 1.0))
    ((10, 10), True)
    """
    n = len(x)
    cols = np.empty((n, k), dtype=np.intp)
    for start in range(0, n, 1024):
        d = cdist(x[start : start + 1024], x, metric="sqeuclidean")
        rows = np.arange(len(d))
        d[rows, start + rows] = np.inf  # a point is not its own neighbour
        cols[start : start + len(d)] = np.argpartition(d, k - 1, axis=1)[:, :k]
    adj = sparse.csr_matrix(
        (np.ones(n * k), (np.repeat(np.arange(n), k), cols.ravel())), shape=(n, n)
    )
    adj = ((adj + adj.T) > 0).astype(np.float64)
    inv_sqrt_deg = sparse.diags(1.0 / np.sqrt(np.asarray(adj.sum(axis=1)).ravel()))
    lap: sparse.csr_matrix = sparse.identity(n, format="csr") - inv_sqrt_deg @ adj @ inv_sqrt_deg
    return lap.tocsr()


def _lanczos(
    op: sparse.csr_matrix, probes: FloatArray, steps: int
) -> tuple[FloatArray, FloatArray]:
    """Run ``steps`` Lanczos iterations from every column of ``probes`` at once.

    Returns the diagonals ``alpha`` (steps x p) and off-diagonals ``beta`` (steps-1 x p) of the
    tridiagonal matrices. Full reorthogonalisation keeps them exact in floating point; a column
    whose Krylov space is exhausted (beta ~ 0) gets zeros afterwards, which :func:`_slq` cuts.
    """
    n, p = probes.shape
    basis = np.zeros((steps, n, p))
    alpha = np.zeros((steps, p))
    beta = np.zeros((max(steps - 1, 0), p))
    q = probes / np.linalg.norm(probes, axis=0)
    for j in range(steps):
        basis[j] = q
        v = op @ q
        alpha[j] = np.einsum("ip,ip->p", q, v)
        # Two passes of Gram–Schmidt against the whole basis ("twice is enough").
        for _ in range(2):
            v -= np.einsum("jp,jip->ip", np.einsum("jip,ip->jp", basis[: j + 1], v), basis[: j + 1])
        if j == steps - 1:
            break
        norm = np.linalg.norm(v, axis=0)
        alive = norm > 1e-10
        beta[j] = np.where(alive, norm, 0.0)
        q = np.where(alive, v / np.where(alive, norm, 1.0), 0.0)
    return alpha, beta


def _slq(alpha: FloatArray, beta: FloatArray, n: int, f: Callable[[FloatArray], FloatArray]) -> Any:
    """Stochastic Lanczos Quadrature: ``tr f(L) ≈ n/p · Σ_probes Σ_k τ_k² f(θ_k)``, where θ_k
    and τ_k are the eigenvalues and first eigenvector components of each tridiagonal."""
    steps, p = alpha.shape
    total: Any = 0.0
    for c in range(p):
        dead = np.flatnonzero(beta[:, c] == 0.0)
        m = int(dead[0]) + 1 if dead.size else steps
        theta, vecs = eigh_tridiagonal(alpha[:m, c], beta[: m - 1, c])
        total = total + (vecs[0] ** 2) @ f(theta)
    return total * n / p


def heat_trace_exact(lap: sparse.csr_matrix, times: FloatArray = IMD_TIMES) -> FloatArray:
    """Heat-kernel trace ``tr exp(-t L) = sum_i exp(-t lambda_i)`` from the full spectrum.

    Dense symmetric eigenvalues: O(n^3) time and O(n^2) memory, which :func:`imd` accepts up
    to :data:`IMD_EXACT_MAX_POINTS` points.

    Examples
    --------
    >>> lap = knn_laplacian(np.random.default_rng(0).normal(size=(50, 2)), k=5)
    >>> float(heat_trace_exact(lap, np.array([0.0]))[0])
    50.0
    """
    # LAPACK's MRRR driver: the divide-and-conquer one (numpy's eigvalsh) spins its threads
    # on a busy machine (measured for n = 300 on 2 shared cores: 1.7 s against 0.01 s).
    eigenvalues = eigh(lap.toarray(), eigvals_only=True, driver="evr")
    out: FloatArray = np.exp(-np.outer(times, eigenvalues)).sum(axis=1)
    return out


def heat_trace(
    lap: sparse.csr_matrix,
    times: FloatArray = IMD_TIMES,
    *,
    steps: int = 10,
    probes: int = 100,
    seed: Any = 0,
) -> FloatArray:
    """Heat-kernel trace ``tr exp(-t L)`` at each ``t``, estimated as the IMD reference code does.

    Stochastic Lanczos Quadrature with standard normal probes, plus its control variate: the
    same quadrature of the linear function ``-t x``, whose exact trace ``-t tr L = -t n`` is
    known for a normalised Laplacian without isolated vertices, is subtracted with weight
    ``exp(-t)``. The correction cancels most of the probes' error at small ``t``, where the
    trace is close to ``n - t n``.

    Examples
    --------
    >>> lap = knn_laplacian(np.random.default_rng(0).normal(size=(50, 2)), k=5)
    >>> h = heat_trace(lap, np.array([0.0]), steps=50, probes=50)
    >>> bool(abs(h[0] - 50) < 1e-8)
    True
    """
    n = lap.shape[0]
    vectors = np.random.default_rng(seed).standard_normal((n, probes))
    alpha, beta = _lanczos(lap, vectors, min(steps, n))
    heat = _slq(alpha, beta, n, lambda theta: np.exp(-np.outer(theta, times)))
    linear = _slq(alpha, beta, n, lambda theta: -np.outer(theta, times))
    out: FloatArray = heat - np.exp(-times) * (linear + times * lap.diagonal().sum())
    return out


# IMD's scale: the reference code multiplies the normalised heat traces by 10^6.
IMD_SCALE = 1e6
# Above this many points ``method="auto"`` estimates the heat traces instead of diagonalising.
IMD_EXACT_MAX_POINTS = 3000
IMD_METHODS = ("auto", "exact", "slq")


def imd(
    X: Any,
    Y: Any,
    *,
    k: int = 5,
    method: str = "auto",
    steps: int = 10,
    probes: int = 100,
    seed: int | None = 0,
) -> float:
    """Intrinsic Multi-scale Distance (Tsitsulin et al., 2020), a dissimilarity >= 0.

    Builds the k-NN graph of each cloud, takes the heat-kernel trace of its normalised
    Laplacian divided by the number of points (the "empty graph" normalisation) and by
    10^-6 (the reference code's scale, :data:`IMD_SCALE`) on the time grid
    :data:`IMD_TIMES`, and returns ``max_t exp(-2 (t + 1/t)) |h_X(t) - h_Y(t)|``. IMD ignores
    which point is which, so X and Y may have different numbers of points.

    Parameters
    ----------
    X, Y : array-like or torch.Tensor, shape (n, dx) and (m, dy)
        The two point clouds.
    k : int, default 5
        Neighbours per point in the k-NN graphs.
    method : {"auto", "exact", "slq"}, default "auto"
        ``"exact"`` diagonalises each Laplacian (deterministic, O(n^3)); ``"slq"`` is the
        reference estimator (:func:`heat_trace`), noisy, which the paper averages over 100
        runs; ``"auto"`` is exact up to :data:`IMD_EXACT_MAX_POINTS` points per cloud.
    steps : int, default 10
        Lanczos steps per probe vector (``"slq"`` only).
    probes : int, default 100
        Gaussian probe vectors per cloud (``"slq"`` only).
    seed : int or None, default 0
        Seed of the probes (``"slq"`` only); as in the reference code, each cloud gets its own
        independent probes, so even ``imd(X, X)`` is a small positive number then.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> imd(X, X), imd(X, rng.uniform(size=(200, 2))) > 0
    (0.0, True)
    """
    k = check_int(k, "k", minimum=1)
    method = check_choice(method, "method", IMD_METHODS)
    steps = check_int(steps, "steps", minimum=1)
    probes = check_int(probes, "probes", minimum=1)
    clouds = [as_float_matrix(data, name, min_rows=k + 1) for data, name in ((X, "X"), (Y, "Y"))]
    probe_seeds = np.random.SeedSequence(seed).spawn(2)
    traces = []
    for x, probe_seed in zip(clouds, probe_seeds, strict=True):
        lap = knn_laplacian(x, k)
        if method == "exact" or (method == "auto" and len(x) <= IMD_EXACT_MAX_POINTS):
            trace = heat_trace_exact(lap)
        else:
            trace = heat_trace(lap, steps=steps, probes=probes, seed=probe_seed)
        traces.append(IMD_SCALE * trace / len(x))
    weight = np.exp(-2.0 * (IMD_TIMES + 1.0 / IMD_TIMES))
    return float(np.max(weight * np.abs(traces[0] - traces[1])))


# --------------------------------------------------------------------------------------------
# Disagreement of predictions
# --------------------------------------------------------------------------------------------


def _as_predictions(p: Any, name: str) -> NDArray[Any]:
    """Class labels from a 1-D label array or a 2-D array of scores (argmax over columns)."""
    arr = to_numpy(p, name)
    if arr.ndim == 2 and np.issubdtype(arr.dtype, np.number):
        arr = as_float_matrix(arr, name, min_rows=1).argmax(axis=1)
    if arr.ndim != 1 or arr.size == 0:
        raise RTDInputError(
            f"{name} must be a non-empty 1-D array of labels or a 2-D (n, classes) array of "
            f"scores, got shape {arr.shape}"
        )
    return arr


def disagreement(pred_a: Any, pred_b: Any, labels: Any = None) -> float:
    """Fraction of objects on which two classifiers predict different classes.

    With ``labels``, the disagreement is divided by ``1 - a``, ``a`` the mean accuracy of the
    two classifiers (Fort et al., 2019; Section 3.4 of the paper): wrong answers disagree more
    easily, so raw disagreement overstates the difference between weak models.

    Parameters
    ----------
    pred_a, pred_b : array-like or torch.Tensor, shape (n,) or (n, classes)
        Predicted labels, or scores/logits whose argmax is the prediction.
    labels : array-like, shape (n,), optional
        True labels; when given, the normalised disagreement is returned.

    Returns
    -------
    float
        Raw disagreement in [0, 1], or normalised disagreement in [0, 2]. When both
        classifiers are perfect they cannot disagree and 0.0 is returned.

    Examples
    --------
    >>> disagreement([0, 1, 2, 2], [0, 1, 1, 2])
    0.25
    >>> disagreement([0, 1, 2, 2], [0, 1, 1, 2], labels=[0, 1, 2, 0])
    0.6666666666666666
    """
    a = _as_predictions(pred_a, "pred_a")
    b = _as_predictions(pred_b, "pred_b")
    check_same_rows(a, b, "pred_a", "pred_b")
    raw = float(np.mean(a != b))
    if labels is None:
        return raw
    y = to_numpy(labels, "labels")
    if y.ndim != 1:
        raise RTDInputError(f"labels must be a 1-D array of classes, got shape {y.shape}")
    check_same_rows(a, y, "pred_a", "labels")
    error = 1.0 - (float(np.mean(a == y)) + float(np.mean(b == y))) / 2.0
    return raw / error if error > 0.0 else 0.0


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


def _rtd_value(X: Any, Y: Any, **options: Any) -> float:
    from rtdkit.divergence import rtd

    return rtd(X, Y, **options).value


def _rtd_trial(p: FloatArray, q: FloatArray, **options: Any) -> tuple[float, ...]:
    """Both directions of RTD on one subsample (options: dim, normalize, metric, engine,
    method)."""
    from rtdkit.divergence import rtd_trial

    return rtd_trial(p, q, symmetric=True, **options)


FORWARD = ("forward",)
BOTH_DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True)
class Measure:
    """A comparison measure with the metadata needed to plot or tabulate it.

    Call it as ``measure(X, Y, **options) -> float`` (the raw value);
    :meth:`dissimilarity` turns similarities ``s`` into ``1 - s`` as in the paper's plots.
    :meth:`trial` gives its numbers on one subsample, one per name in ``directions``: RTD and
    the asymmetric measures report both directions, so that either matrix can be built.
    ``call_options`` names the options that comparison functions (:func:`rtdkit.pairwise`,
    :func:`rtdkit.layers.compare_layers`) take as their own keyword arguments and pass to
    :meth:`trial`; a measure that has ``"metric"`` among them accepts
    ``metric='precomputed'``.
    """

    name: str
    function: Callable[..., float]
    kind: Literal["similarity", "dissimilarity"]
    symmetric: bool
    inputs: Literal["representations", "predictions"]
    label: str
    description: str
    directions: tuple[str, ...] = FORWARD
    trial_function: Callable[..., tuple[float, ...]] | None = None
    call_options: tuple[str, ...] = ()

    def __call__(self, X: Any, Y: Any, **options: Any) -> float:
        return float(self.function(X, Y, **options))

    def dissimilarity(self, X: Any, Y: Any, **options: Any) -> float:
        """The value as a dissimilarity (0 = identical); ``label`` names it on plots."""
        value = self(X, Y, **options)
        return 1.0 - value if self.kind == "similarity" else value

    def trial(self, p: FloatArray, q: FloatArray, **options: Any) -> tuple[float, ...]:
        """Values on one subsample, in the order of ``directions`` (forward = ``(p, q)``)."""
        if self.trial_function is not None:
            return tuple(float(v) for v in self.trial_function(p, q, **options))
        if self.directions == FORWARD:
            return (self(p, q, **options),)
        return (self(p, q, **options), self(q, p, **options))


#: The measures under one calling convention, ``MEASURES[name](X, Y, **options) -> float``.
MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure(name="rtd", function=_rtd_value, kind="dissimilarity", symmetric=True,
                inputs="representations", label="RTD",
                description="Representation Topology Divergence; options as rtdkit.rtd",
                directions=BOTH_DIRECTIONS, trial_function=_rtd_trial,
                call_options=("dim", "normalize", "metric", "engine", "method")),
        Measure(name="cka", function=cka, kind="similarity", symmetric=True,
                inputs="representations", label="1 − CKA",
                description="Centred Kernel Alignment; options kernel, sigma, debiased"),
        Measure(name="svcca", function=svcca, kind="similarity", symmetric=True,
                inputs="representations", label="1 − SVCCA",
                description="mean canonical correlation after an SVD step; option keep"),
        Measure(name="pwcca", function=pwcca, kind="similarity", symmetric=False,
                inputs="representations", label="1 − PWCCA",
                description="projection-weighted CCA, weights from X's neurons",
                directions=BOTH_DIRECTIONS),
        Measure(name="imd", function=imd, kind="dissimilarity", symmetric=True,
                inputs="representations", label="IMD",
                description="Intrinsic Multi-scale Distance; options k, method, steps, probes,"
                            " seed"),
        Measure(name="disagreement", function=disagreement, kind="dissimilarity",
                symmetric=True, inputs="predictions", label="disagreement",
                description="fraction of differing predictions; labels= normalises it"),
    )
}  # fmt: skip
