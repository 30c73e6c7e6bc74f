"""Uncertainty for every comparison: permutation tests, Mantel tests, intervals, paired tests.

* :func:`permutation_test` asks whether two representations are related at all: is the row
  correspondence between ``P`` and ``Q`` informative, for any measure of the registry?
* :func:`mantel` asks whether two dissimilarity matrices over the same objects agree (e.g. an
  RTD matrix from :func:`rtdkit.pairwise` against a matrix of |Δ loss|).
* :func:`correlate` reports Pearson and Spearman correlations side by side with bootstrap
  intervals; :func:`compare_correlations` tests whether one measure tracks a shared variable
  better than another (Williams' t test and a paired bootstrap of the difference).
* :func:`t_interval` is the confidence interval behind :meth:`rtdkit.RTDResult.ci`.

Every random choice is drawn up front from one seeded generator, so results are identical
serial or parallel.
"""

from rtdkit._intervals import t_interval
from rtdkit.stats._correlation import (
    Correlation,
    CorrelationComparison,
    compare_correlations,
    correlate,
    williams_test,
)
from rtdkit.stats._mantel import MantelResult, mantel
from rtdkit.stats._permutation import PermutationResult, permutation_test

__all__ = [
    "Correlation",
    "CorrelationComparison",
    "MantelResult",
    "PermutationResult",
    "compare_correlations",
    "correlate",
    "mantel",
    "permutation_test",
    "t_interval",
    "williams_test",
]
