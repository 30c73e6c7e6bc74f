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

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from rtdkit._progress import progress_iter
from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_choice,
    check_int,
    check_n_jobs,
    check_same_rows,
    check_seed,
    check_symmetric_matrix,
    to_numpy,
)

T = TypeVar("T")
R = TypeVar("R")

# Null statistics within this relative distance of the observed one count as ties, and ties
# count against the alternative: rounding noise can then only make a p-value larger.
_TIE_RTOL = 1e-12


# --------------------------------------------------------------------------------------------
# Small shared checks and helpers
# --------------------------------------------------------------------------------------------


def _check_level(level: Any) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float, np.integer, np.floating)):
        raise RTDInputError(f"level must be a number in (0, 1) such as 0.95, got {level!r}")
    if not 0.0 < float(level) < 1.0:
        raise RTDInputError(f"level must lie strictly between 0 and 1 (e.g. 0.95), got {level}")
    return float(level)


def _map_in_order(
    function: Callable[[T], R],
    items: Sequence[T],
    *,
    n_jobs: int,
    description: str,
    progress: bool,
) -> list[R]:
    """``[function(x) for x in items]``, in threads when ``n_jobs > 1``; order is kept.

    Threads suffice because the heavy work (BLAS, the native barcode engine) releases the GIL.
    On Ctrl-C the work not yet started is cancelled instead of being waited for.
    """
    if n_jobs == 1:
        results: Iterable[R] = map(function, items)
        return list(
            progress_iter(results, total=len(items), description=description, enabled=progress)
        )
    pool = ThreadPoolExecutor(max_workers=min(n_jobs, len(items)))
    try:
        futures = [pool.submit(function, item) for item in items]
        done: Iterator[R] = (f.result() for f in futures)
        out = list(progress_iter(done, total=len(items), description=description, enabled=progress))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return out


def _pvalue(statistic: float, null: FloatArray, larger_is_extreme: bool) -> float:
    """``(1 + #{null at least as extreme}) / (n + 1)``: never 0, exact under exchangeability."""
    tol = _TIE_RTOL * max(1.0, abs(statistic))
    if larger_is_extreme:
        extreme = null >= statistic - tol
    else:
        extreme = null <= statistic + tol
    return float((1 + np.count_nonzero(extreme)) / (len(null) + 1))


def _draw_permutations(n: int, count: int, seed: int | None) -> list[NDArray[np.intp]]:
    """All permutations up front, from a child of ``seed``'s SeedSequence.

    The child stream keeps the permutations independent of any generator a measure seeds
    with ``seed`` itself (RTD's subsamples).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    return [rng.permutation(n) for _ in range(count)]


# --------------------------------------------------------------------------------------------
# Permutation test of one comparison
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PermutationResult:
    """Outcome of :func:`permutation_test`.

    ``statistic`` is the measure's value on the given pairing, ``null`` its values with the
    rows of ``Q`` permuted, ``pvalue`` the one-sided permutation p-value in the direction
    ``alternative`` ('less' for dissimilarities such as RTD, 'greater' for similarities such
    as CKA), so that a small p-value always means "more related than chance".
    """

    statistic: float
    pvalue: float
    null: FloatArray
    n_permutations: int
    measure: str
    alternative: Literal["less", "greater"]
    seed: int

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary, ready for ``json.dumps``."""
        return {
            "measure": self.measure,
            "statistic": self.statistic,
            "pvalue": self.pvalue,
            "n_permutations": self.n_permutations,
            "alternative": self.alternative,
            "seed": self.seed,
            "null": self.null.tolist(),
        }


@dataclass(frozen=True)
class _Statistic:
    """A measure bound to its options: ``function(P, Q) -> float`` and its direction."""

    function: Callable[[Any, Any], float]
    larger_is_related: bool
    inputs: str


# Measures that draw random numbers of their own; they get the test's seed so that the
# observed and every permuted statistic use the same subsamples.
_SEEDED_MEASURES = frozenset({"rtd"})
# Measures invariant to a relabelling of one cloud's rows (IMD compares k-NN graph spectra).
_CORRESPONDENCE_FREE = frozenset({"imd"})


def _measure_statistic(measure: Any, options: dict[str, Any], seed: int) -> _Statistic:
    """The one adapter between the tests and the measure registry."""
    from rtdkit.baselines import MEASURES

    name = check_choice(measure, "measure", tuple(MEASURES))
    if name in _CORRESPONDENCE_FREE:
        raise RTDInputError(
            f"measure={name!r} compares the two clouds' intrinsic geometry without using the "
            "row correspondence, so shuffling rows cannot change it and the test has no power; "
            "choose a measure that pairs rows, such as 'rtd' or 'cka'"
        )
    entry = MEASURES[name]
    bound = dict(options)
    if name in _SEEDED_MEASURES:
        # A fixed integer seed: RTD then draws identical subsample index sets in every call
        # (subsample_indices depends only on N, batch, trials and seed).
        bound["seed"] = seed
    if name == "rtd":
        bound["n_jobs"] = 1  # the permutations are what runs in parallel

    def function(x: Any, y: Any) -> float:
        return entry(x, y, **bound)

    return _Statistic(function, entry.kind == "similarity", entry.inputs)


def _as_rows(P: Any, Q: Any, inputs: str) -> tuple[NDArray[Any], NDArray[Any]]:
    """Validated copies of P and Q whose rows (first axis) can be permuted."""
    if inputs == "representations":
        p, q = as_float_matrix(P, "P"), as_float_matrix(Q, "Q")
    else:
        p, q = to_numpy(P, "P"), to_numpy(Q, "Q")
        if p.ndim != 1 or q.ndim != 1:
            raise RTDInputError(
                f"P and Q must be 1-D arrays of predictions, got shapes {p.shape} and {q.shape}"
            )
    check_same_rows(p, q, "P", "Q")
    return p, q


def permutation_test(
    P: Any,
    Q: Any,
    *,
    n_permutations: int = 99,
    seed: int | None = 0,
    measure: str = "rtd",
    n_jobs: int | None = 1,
    progress: bool = False,
    **options: Any,
) -> PermutationResult:
    """Are P and Q related? A permutation test of the row correspondence.

    Null hypothesis: the pairing of row ``i`` of ``P`` with row ``i`` of ``Q`` carries no
    information, so the measure on ``(P, Q[π])`` for a random permutation ``π`` is
    distributed like the measure on ``(P, Q)``. The test is one-sided towards "related":
    for dissimilarities (RTD, disagreement) small values are extreme, for similarities
    (CKA, SVCCA, PWCCA) large values are, and

        p = (1 + #{null statistics at least as extreme}) / (n_permutations + 1),

    never 0 and exact (not asymptotic) under the null. The smallest attainable p-value is
    ``1 / (n_permutations + 1)``.

    Parameters
    ----------
    P, Q : array-like or torch.Tensor, shape (N, D) and (N, D')
        Two representations of the same N objects (1-D predictions for 'disagreement'; N x N
        distance matrices with ``measure='rtd', metric='precomputed'``, whose rows and
        columns are then permuted together).
    n_permutations : int, default 99
        Number of random permutations of the rows of ``Q``.
    seed : int or None, default 0
        Seeds the permutations and the measure's own randomness (RTD's subsamples), which
        is identical for the observed and every permuted statistic; the
        statistic therefore equals ``rtdkit.rtd(P, Q, seed=seed, **options).value``. None
        draws a fresh seed, recorded in the result's ``seed`` so the run can be repeated.
    measure : str, default 'rtd'
        A key of :data:`rtdkit.baselines.MEASURES` whose value depends on the pairing of
        rows: not 'imd', which compares each cloud's intrinsic geometry separately and is
        unchanged by any permutation.
    n_jobs : int or None, default 1
        Threads computing the permutations (None or 1: serial; -1: all cores). The result
        does not depend on it.
    progress : bool, default False
        Show a progress bar on stderr.
    **options
        Passed to the measure (e.g. ``batch``, ``trials``, ``dim`` for RTD; ``kernel`` for CKA).

    Returns
    -------
    PermutationResult
        ``statistic``, ``pvalue``, ``null`` (the permuted statistics), ``n_permutations``,
        ``measure``, ``alternative``.

    Examples
    --------
    >>> import numpy as np, rtdkit
    >>> rng = np.random.default_rng(0)
    >>> P = rng.normal(size=(40, 5))
    >>> res = rtdkit.permutation_test(P, P @ rng.normal(size=(5, 3)), measure="cka")
    >>> res.pvalue, len(res.null)
    (0.01, 99)
    """
    n_permutations = check_int(n_permutations, "n_permutations", minimum=1)
    seed = check_seed(seed, generator=False)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    threads = check_n_jobs(n_jobs)
    stat = _measure_statistic(measure, options, seed)
    p, q = _as_rows(P, Q, stat.inputs)
    square = options.get("metric") == "precomputed"

    def permuted(perm: NDArray[np.intp]) -> float:
        return stat.function(p, q[np.ix_(perm, perm)] if square else q[perm])

    observed = stat.function(p, q)
    null = np.array(
        _map_in_order(
            permuted,
            _draw_permutations(len(p), n_permutations, seed),
            n_jobs=threads,
            description=f"{measure} permutations",
            progress=progress,
        ),
        dtype=np.float64,
    )
    return PermutationResult(
        statistic=observed,
        pvalue=_pvalue(observed, null, larger_is_extreme=stat.larger_is_related),
        null=null,
        n_permutations=n_permutations,
        measure=measure,
        alternative="greater" if stat.larger_is_related else "less",
        seed=seed,
    )


# --------------------------------------------------------------------------------------------
# Mantel test
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MantelResult:
    """Outcome of :func:`mantel`: the correlation of the two upper triangles and its p-value."""

    statistic: float
    pvalue: float
    null: FloatArray
    permutations: int
    method: str
    alternative: str


def _upper(d: FloatArray) -> FloatArray:
    rows, cols = np.triu_indices(len(d), k=1)
    out: FloatArray = d[rows, cols]
    return out


def _standardized(x: FloatArray, name: str) -> FloatArray:
    """``(x - mean) / norm``, so that a dot product of two of them is Pearson's r."""
    centred = x - x.mean()
    norm = float(np.linalg.norm(centred))
    if norm == 0.0 or not math.isfinite(norm):
        raise RTDInputError(
            f"{name} has the same value for every pair of objects; a correlation with it is "
            "undefined"
        )
    out: FloatArray = centred / norm
    return out


def _symmetric(upper: FloatArray, n: int) -> FloatArray:
    """The symmetric n x n matrix (zero diagonal) whose upper triangle is ``upper``."""
    rows, cols = np.triu_indices(n, k=1)
    out = np.zeros((n, n))
    out[rows, cols] = upper
    out[cols, rows] = upper
    return out


def mantel(
    D1: Any,
    D2: Any,
    *,
    permutations: int = 999,
    method: str = "spearman",
    alternative: str = "greater",
    seed: int | None = 0,
) -> MantelResult:
    """Mantel test: do two dissimilarity matrices over the same objects agree?

    The statistic is the Pearson or Spearman correlation between the upper triangles of
    ``D1`` and ``D2`` (diagonal excluded). Its null distribution comes from relabelling the
    objects of ``D2``: rows and columns are permuted together, which keeps the dependence
    between pairs that share an object. That dependence is why a plain correlation test over
    the N(N-1)/2 pairs is invalid (its p-values are far too small). p-values carry the +1
    correction, ``(1 + #{null at least as extreme}) / (permutations + 1)``.

    Parameters
    ----------
    D1, D2 : array-like, shape (N, N)
        Symmetric matrices (e.g. a :func:`rtdkit.pairwise` RTD matrix and a matrix of
        |Δ loss| or of 1 − CKA); only the entries above the diagonal are used.
    permutations : int, default 999
        Number of random relabellings.
    method : {'spearman', 'pearson'}, default 'spearman'
        Rank correlation (any monotone relation) or linear correlation.
    alternative : {'greater', 'less', 'two-sided'}, default 'greater'
        'greater' tests for positive agreement (large D1 where D2 is large).
    seed : int or None, default 0
        Seed of the permutations.

    Returns
    -------
    MantelResult
        ``statistic`` (the correlation), ``pvalue``, ``null``, ``permutations``, ``method``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.spatial.distance import pdist, squareform
    >>> from rtdkit.stats import mantel
    >>> X = np.random.default_rng(0).normal(size=(12, 3))
    >>> D = squareform(pdist(X))
    >>> res = mantel(D, D**2, permutations=99)
    >>> round(res.statistic, 6), res.pvalue
    (1.0, 0.01)
    """
    permutations = check_int(permutations, "permutations", minimum=1)
    method = check_choice(method, "method", ("spearman", "pearson"))
    alternative = check_choice(alternative, "alternative", ("greater", "less", "two-sided"))
    seed = check_seed(seed, generator=False)
    d1 = check_symmetric_matrix(as_float_matrix(D1, "D1"), "D1")
    d2 = check_symmetric_matrix(as_float_matrix(D2, "D2"), "D2")
    if d1.shape != d2.shape:
        raise RTDInputError(
            f"D1 is {d1.shape[0]} x {d1.shape[0]} but D2 is {d2.shape[0]} x {d2.shape[0]}; both "
            "must describe the same objects in the same order"
        )
    u1, u2 = _upper(d1), _upper(d2)
    if method == "spearman":
        from scipy.stats import rankdata

        # Relabelling only permutes the off-diagonal entries, so ranking once is exact.
        u1, u2 = rankdata(u1), rankdata(u2)
    x = _standardized(u1, "D1")
    # Relabelling keeps the mean and norm of the entries: standardise D2 once, then permute.
    z2 = _symmetric(_standardized(u2, "D2"), len(d2))
    observed = float(np.clip(x @ _upper(z2), -1.0, 1.0))
    perms = _draw_permutations(len(d1), permutations, seed)
    null = np.array([x @ _upper(z2[np.ix_(p, p)]) for p in perms], dtype=np.float64)
    if alternative == "two-sided":
        pvalue = _pvalue(abs(observed), np.abs(null), larger_is_extreme=True)
    else:
        pvalue = _pvalue(observed, null, larger_is_extreme=alternative == "greater")
    return MantelResult(observed, pvalue, null, permutations, method, alternative)


# --------------------------------------------------------------------------------------------
# Correlations with intervals, and the paired comparison of two correlations
# --------------------------------------------------------------------------------------------


def _as_vector(x: Any, name: str) -> FloatArray:
    """A 1-D array of at least 4 finite numbers (fewer leave Williams' test no freedom)."""
    arr = to_numpy(x, name)
    if arr.ndim != 1:
        raise RTDInputError(f"{name} must be 1-D (one value per observation), got {arr.shape}")
    column: FloatArray = as_float_matrix(arr[:, None], name, min_rows=4)[:, 0]
    return column


def _rowwise_correlation(x: FloatArray, y: FloatArray, method: str) -> FloatArray:
    """Correlation of each row of ``x`` with the same row of ``y``; NaN for a constant row."""
    if method == "spearman":
        from scipy.stats import rankdata

        x, y = rankdata(x, axis=-1), rankdata(y, axis=-1)
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    num = (xc * yc).sum(axis=-1)
    out: FloatArray = np.full(num.shape, np.nan)
    ok = den > 0
    out[ok] = np.clip(num[ok] / den[ok], -1.0, 1.0)
    return out


def _correlation(x: FloatArray, y: FloatArray, method: str) -> float:
    r = float(_rowwise_correlation(x[None, :], y[None, :], method)[0])
    if math.isnan(r):
        raise RTDInputError("a correlation is undefined: one of the variables is constant")
    return r


def _bootstrap_rows(n: int, n_boot: int, seed: int | None) -> NDArray[np.intp]:
    """Resampled index sets, one per row, drawn at once (deterministic given ``seed``)."""
    out: NDArray[np.intp] = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    return out


def _percentile_interval(values: FloatArray, level: float) -> tuple[float, float]:
    """Percentile interval of the finite ``values``.

    Resamples that repeat a single value have no correlation (NaN) and are left out; they
    are rare unless n is tiny.
    """
    finite = values[np.isfinite(values)]
    if len(finite) < 0.9 * len(values):
        raise RTDInputError(
            "over 10 % of the bootstrap resamples have a constant variable; too few distinct "
            "values for a bootstrap interval"
        )
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


@dataclass(frozen=True)
class Correlation:
    """Pearson and Spearman correlations of two variables with percentile-bootstrap intervals."""

    pearson: float
    spearman: float
    pearson_ci: tuple[float, float]
    spearman_ci: tuple[float, float]
    n: int
    level: float


def correlate(
    x: Any, y: Any, *, n_boot: int = 2000, level: float = 0.95, seed: int | None = 0
) -> Correlation:
    """Pearson and Spearman correlation of paired observations, each with a bootstrap interval.

    The intervals are percentile intervals over ``n_boot`` resamples of the (x, y) pairs.
    They assume the pairs are independent observations; correlations over the entries of a
    pairwise matrix are not (use :func:`mantel` there).

    Parameters
    ----------
    x, y : array-like, shape (n,)
        Paired observations, n >= 4.
    n_boot : int, default 2000
        Bootstrap resamples.
    level : float, default 0.95
        Coverage of the intervals.
    seed : int or None, default 0
        Seed of the resampling.

    Returns
    -------
    Correlation
        ``pearson``, ``spearman``, ``pearson_ci``, ``spearman_ci``, ``n``, ``level``.

    Examples
    --------
    >>> from rtdkit.stats import correlate
    >>> res = correlate([1, 2, 3, 4, 5, 6], [1, 4, 9, 16, 25, 36], n_boot=200)
    >>> res.spearman, round(res.pearson, 3)
    (1.0, 0.979)
    """
    a, b = _as_vector(x, "x"), _as_vector(y, "y")
    check_same_rows(a, b, "x", "y")
    n_boot = check_int(n_boot, "n_boot", minimum=100)
    level = _check_level(level)
    idx = _bootstrap_rows(len(a), n_boot, check_seed(seed, generator=False))
    ci = {
        m: _percentile_interval(_rowwise_correlation(a[idx], b[idx], m), level)
        for m in ("pearson", "spearman")
    }
    return Correlation(
        pearson=_correlation(a, b, "pearson"),
        spearman=_correlation(a, b, "spearman"),
        pearson_ci=ci["pearson"],
        spearman_ci=ci["spearman"],
        n=len(a),
        level=level,
    )


def williams_test(r12: float, r13: float, r23: float, n: int) -> tuple[float, float]:
    """Williams' t test of H0: ρ12 = ρ13 for two correlations sharing variable 1.

    Uses Steiger's (1980, eq. 11) form of Williams' (1959) statistic,

        t = (r12 - r13) sqrt((n - 1)(1 + r23) / (2 (n - 1)/(n - 3) |R| + r̄² (1 - r23)³)),

    with ``|R| = 1 - r12² - r13² - r23² + 2 r12 r13 r23`` and ``r̄ = (r12 + r13) / 2``,
    referred to Student's t with n - 3 degrees of freedom.

    Returns
    -------
    (t, p) : tuple of float
        The statistic and its two-sided p-value.

    Examples
    --------
    >>> from rtdkit.stats import williams_test
    >>> t, p = williams_test(0.80, 0.72, 0.89, 26)
    >>> round(t, 3), round(p, 3)
    (1.361, 0.187)
    """
    from scipy.stats import t as student_t

    n = check_int(n, "n", minimum=4)
    for name, r in (("r12", r12), ("r13", r13), ("r23", r23)):
        if not -1.0 <= float(r) <= 1.0:
            raise RTDInputError(f"{name} must be a correlation in [-1, 1], got {r}")
    det = 1.0 - r12**2 - r13**2 - r23**2 + 2.0 * r12 * r13 * r23
    rbar = (r12 + r13) / 2.0
    denominator = 2.0 * (n - 1) / (n - 3) * det + rbar**2 * (1.0 - r23) ** 3
    if denominator <= 0.0:
        raise RTDInputError(
            "the three correlations are degenerate (two variables are exact copies); "
            "Williams' test is undefined"
        )
    t = (r12 - r13) * math.sqrt((n - 1) * (1.0 + r23) / denominator)
    return float(t), float(2.0 * student_t.sf(abs(t), n - 3))


@dataclass(frozen=True)
class CorrelationComparison:
    """Outcome of :func:`compare_correlations` (``a``, ``b``: the two measures compared)."""

    method: str
    r_a: float
    r_b: float
    r_ab: float
    difference: float
    t: float
    pvalue: float
    ci: tuple[float, float]
    n: int
    level: float


def compare_correlations(
    shared: Any,
    a: Any,
    b: Any,
    *,
    method: str = "spearman",
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int | None = 0,
) -> CorrelationComparison:
    """Does ``a`` correlate with ``shared`` more strongly than ``b`` does?

    The two correlations share a variable and are computed on the same observations, so
    they are dependent and must be compared as a pair. Two answers are given:

    * Williams' t test (:func:`williams_test`) of ``r(shared, a) = r(shared, b)``, which
      needs ``r(a, b)`` too. It assumes normality; with ``method='spearman'`` it is applied
      to the rank correlations, a common approximation.
    * A paired percentile-bootstrap interval of ``r(shared, a) - r(shared, b)``: every
      resample of the observations is used for both correlations. It makes no normality
      assumption; an interval excluding 0 is significant at ``1 - level``.

    Both assume independent observations (not the entries of a pairwise matrix).

    Parameters
    ----------
    shared, a, b : array-like, shape (n,)
        The shared variable (e.g. prediction disagreement) and two measures (e.g. RTD and
        1 − CKA) over the same n >= 4 observations.
    method : {'spearman', 'pearson'}, default 'spearman'
    n_boot : int, default 2000
    level : float, default 0.95
    seed : int or None, default 0
        Seed of the bootstrap resampling.

    Returns
    -------
    CorrelationComparison
        ``r_a``, ``r_b``, ``r_ab``, ``difference`` (r_a - r_b), Williams' ``t`` and two-sided
        ``pvalue``, the bootstrap ``ci`` of the difference.

    Examples
    --------
    >>> import numpy as np
    >>> from rtdkit.stats import compare_correlations
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=60)
    >>> res = compare_correlations(z, z + 0.3 * rng.normal(size=60), rng.normal(size=60),
    ...                            n_boot=500)
    >>> res.difference > 0, res.pvalue < 0.001, res.ci[0] > 0
    (True, True, True)
    """
    method = check_choice(method, "method", ("spearman", "pearson"))
    s, x, y = _as_vector(shared, "shared"), _as_vector(a, "a"), _as_vector(b, "b")
    check_same_rows(s, x, "shared", "a")
    check_same_rows(s, y, "shared", "b")
    n_boot = check_int(n_boot, "n_boot", minimum=100)
    level = _check_level(level)
    r_a, r_b = _correlation(s, x, method), _correlation(s, y, method)
    r_ab = _correlation(x, y, method)
    t, pvalue = williams_test(r_a, r_b, r_ab, len(s))
    idx = _bootstrap_rows(len(s), n_boot, check_seed(seed, generator=False))
    diffs = _rowwise_correlation(s[idx], x[idx], method) - _rowwise_correlation(
        s[idx], y[idx], method
    )
    return CorrelationComparison(
        method=method,
        r_a=r_a,
        r_b=r_b,
        r_ab=r_ab,
        difference=r_a - r_b,
        t=t,
        pvalue=pvalue,
        ci=_percentile_interval(diffs, level),
        n=len(s),
        level=level,
    )


# --------------------------------------------------------------------------------------------
# Interval of a mean over random subsamples
# --------------------------------------------------------------------------------------------


def t_interval(samples: Any, level: float = 0.95) -> tuple[float, float]:
    """Student-t confidence interval of the mean of independent samples.

    ``mean ± t_{(1+level)/2, k-1} · s / sqrt(k)`` with ``s`` the sample standard deviation
    (ddof = 1) of the ``k`` samples.

    Examples
    --------
    >>> from rtdkit.stats import t_interval
    >>> low, high = t_interval([1.0, 2.0, 3.0])
    >>> round(low, 4), round(high, 4)
    (-0.4841, 4.4841)
    """
    from scipy.stats import t as student_t

    level = _check_level(level)
    x = np.asarray(samples, dtype=np.float64).ravel()
    if len(x) < 2:
        raise RTDInputError(
            f"an interval needs at least 2 samples, got {len(x)}; with RTD use trials >= 2 "
            "and a batch smaller than the number of points"
        )
    quantile = float(student_t.ppf((1.0 + level) / 2.0, len(x) - 1))
    half = quantile * float(x.std(ddof=1)) / math.sqrt(len(x))
    mean = float(x.mean())
    return mean - half, mean + half
