"""The CCA family: canonical correlations, SVCCA (Raghu et al., 2017), PWCCA (Morcos et al., 2018).

SVCCA keeps the leading singular directions explaining ``keep`` of the variance, then averages
the canonical correlations; PWCCA weights each canonical correlation by how much of ``X``'s
neurons its canonical variate accounts for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rtdkit._validation import FloatArray, RTDInputError
from rtdkit.baselines._inputs import check_real, paired_representations

__all__ = ["canonical_correlations", "pwcca", "svcca"]


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
    keep = check_real(keep, "keep", low=0.0, high=1.0, low_open=True)
    x, y = paired_representations(X, Y)
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
    x, y = paired_representations(X, Y)
    ux = _principal_directions(x, 1.0, "X")
    uy = _principal_directions(y, 1.0, "Y")
    _check_cca_room(len(x), ux.shape[1], uy.shape[1])
    a, rho, _ = np.linalg.svd(ux.T @ uy, full_matrices=False)
    variates = ux @ a[:, : len(rho)]  # unit-norm canonical variates of X, one per column
    weights = np.abs(variates.T @ (x - x.mean(axis=0))).sum(axis=1)
    return float(np.clip(weights @ rho / weights.sum(), 0.0, 1.0))
