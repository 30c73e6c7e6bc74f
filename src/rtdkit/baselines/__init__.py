"""The measures the paper compares RTD with: CKA, SVCCA, PWCCA, IMD and prediction disagreement.

Every measure takes two representations of the same ``n`` objects as ``(n, features)`` arrays
(numpy arrays, array-likes or torch tensors), validated exactly like :func:`rtdkit.rtd`, and
returns a Python float computed in float64. :data:`rtdkit.measures.MEASURES` lists them,
with RTD, under one calling convention.

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

This package is maths only: it imports nothing from :mod:`rtdkit.divergence` or the registry.
"""

from rtdkit.baselines._cca import canonical_correlations, pwcca, svcca
from rtdkit.baselines._cka import cka, cka_from_gram, gram_linear, gram_rbf
from rtdkit.baselines._disagreement import disagreement
from rtdkit.baselines._imd import (
    IMD_EXACT_MAX_POINTS,
    IMD_SCALE,
    IMD_TIMES,
    heat_trace,
    heat_trace_exact,
    imd,
    knn_laplacian,
)

__all__ = [
    "IMD_EXACT_MAX_POINTS",
    "IMD_SCALE",
    "IMD_TIMES",
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
