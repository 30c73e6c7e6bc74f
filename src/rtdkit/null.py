"""The chance level of a comparison: the same score with the pairing of rows broken.

A raw RTD has no meaning on its own: its scale depends on the widths of the two clouds, on the
number of points and on the batch. What a reader wants to know is whether ``P`` and ``Q`` are
*more related than chance*: than the same two clouds with the correspondence between their rows
destroyed. This module computes that reference once, for every consumer:

* the **chance level** of :func:`rtdkit.rtd` (``chance``, ``chance_std`` and
  ``relative = value / chance``: 1 means no more related than chance, 0 identical topology);
* the **permutation test** (:func:`rtdkit.permutation_test`): the same shuffled scores, with the
  p-value ``(1 + #{shuffled scores at least as extreme}) / (shuffles + 1)``.

How a shuffle is computed
-------------------------
Each trial of a score works on one subsample; its two normalised distance matrices ``w`` (of
P) and ``w̃`` (of Q) are computed once. A shuffle re-pairs Q's rows of that subsample with a
random permutation π, and the shuffled pair is ``(w, w̃[π][:, π])``: the distance matrix of
``Q[π]`` is the permuted matrix of Q, and the 0.9-quantile normalisation is invariant under a
permutation (it sees the same multiset of entries), so no distance is recomputed and the
shuffled score is exactly the score of ``(P, Q[π])`` on that subsample (``tests/test_null.py``
checks both bit for bit). The statistic is any function of the pair of matrices: the identity
of ``rtdkit.engines.score`` for RTD (:func:`rtd_statistic`), a barcode engine, the Gram
matrices of CKA, or another measure.

Every shuffle is drawn up front from the seed (:func:`draw_shuffles`), so the numbers do not
depend on ``n_jobs``; the trials and their shuffles run in rtdkit's one thread pool
(:mod:`rtdkit._parallel`), where Ctrl-C stops them between two evaluations.

Two scopes of shuffling, one mechanism
--------------------------------------
``scope='trial'`` permutes rows within each trial's subsample, independently per trial: the
cheapest, and what the chance level uses. With several overlapping subsamples it is *not* a
valid permutation test: the observed trials share their pairs while the shuffled trials are
re-paired independently, so the averaged null is narrower than the observed average's spread
(measured on independent clouds, 40 points, batch 20, 5 trials: 8.5% of p-values <= 0.05;
30 points, batch 25, 10 trials: 22.5%). Its mean, the chance level, is unaffected.
``scope='all'`` relabels all rows with one permutation per shuffle, shared by every trial:
the exact permutation test for any number of trials, at the price of recomputing Q's distances
on the new rows (except when a trial covers all points, where both scopes coincide).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._parallel import map_ordered
from rtdkit._progress import Progress
from rtdkit._validation import FloatArray
from rtdkit.chance import ChanceLevel, Kind, NullRun, Scope

if TYPE_CHECKING:
    from rtdkit.measures import Measure

__all__ = [
    "ChanceLevel",
    "Kind",
    "NullRun",
    "Permute",
    "Scope",
    "Side",
    "Statistic",
    "distance_sides",
    "draw_shuffles",
    "measure_chance",
    "permute_matrix",
    "permute_rows",
    "rtd_statistic",
    "run_null",
    "shuffled_rows",
    "subsample_null",
]

#: A statistic of one pair of normalised distance matrices ``(w, w̃)``: one or more numbers
#: (RTD gives its forward and backward directions).
Statistic = Callable[[Any, Any], tuple[float, ...]]

#: The matrix of one cloud on the given rows (its normalised distances on ``x[rows]``, or the
#: rows themselves for a measure of raw representations).
Side = Callable[[NDArray[np.intp]], Any]

# Shuffles come from child streams of the seed, so that they never depend on (or disturb) the
# subsamples that rtd() draws from the seed itself. Relabellings of all rows use the first
# child (as rtdkit.stats draws its permutations); within-trial shuffles one child per (trial,
# shuffle) under this key.
_TRIAL_STREAM = 1


def draw_shuffles(
    index_sets: Sequence[NDArray[np.intp]],
    shuffles: int,
    seed: int | np.random.Generator | None,
    *,
    scope: Scope = "trial",
    n: int | None = None,
) -> list[list[NDArray[np.intp]]]:
    """The rows of Q that each trial's shuffles pair with P's rows, all drawn up front.

    ``index_sets[t]`` are the (sorted) rows of trial ``t``; shuffle ``j`` of trial ``t`` pairs
    row ``index_sets[t][i]`` of P with row ``out[t][j][i]`` of Q.

    * ``scope='trial'`` re-pairs the rows *within* each trial's subsample, with an independent
      permutation per trial and shuffle: Q's matrix is permuted, never recomputed. The
      chance level of :func:`rtdkit.rtd`.
    * ``scope='all'`` draws one permutation σ of all ``n`` rows per shuffle and applies it to
      every trial (rows ``σ[index_sets[t]]``): the score of the relabelled pair ``(P, Q[σ])``
      on the same subsamples, so the observed score and its shuffles are exchangeable when
      the pairing is uninformative, and the permutation p-value is exact for any number of
      trials. Where a trial covers all rows, σ permutes its own matrix; otherwise Q's
      distances are recomputed on the new rows.

    With an integer (or None) seed the draws come from children of
    ``np.random.SeedSequence(seed)``, independent of the subsample stream: one per (trial,
    shuffle) with ``scope='trial'``, so that shuffle ``j`` of trial ``t`` does not depend on
    how many trials or shuffles are drawn; a Generator is drawn from directly.

    Examples
    --------
    >>> sets = [np.array([0, 2, 5]), np.array([1, 2, 3])]
    >>> within = draw_shuffles(sets, 2, seed=0)
    >>> [len(s) for s in within], sorted(within[1][0].tolist())
    ([2, 2], [1, 2, 3])
    >>> relabelled = draw_shuffles(sets, 1, seed=0, scope="all", n=6)
    >>> bool(set(relabelled[0][0]) <= set(range(6)))
    True
    """
    if scope == "trial":
        return [
            [shuffled_rows(idx, seed, t, j) for j in range(shuffles)]
            for t, idx in enumerate(index_sets)
        ]
    if n is None:
        raise ValueError("scope='all' needs the number of rows n")  # a caller's bug
    if isinstance(seed, np.random.Generator):
        rng = seed
    else:
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    sigmas = [rng.permutation(n) for _ in range(shuffles)]
    return [[sigma[idx] for sigma in sigmas] for idx in index_sets]


def shuffled_rows(
    idx: NDArray[np.intp], seed: int | np.random.Generator | None, trial: int, shuffle: int
) -> NDArray[np.intp]:
    """The rows of Q that shuffle ``shuffle`` of trial ``trial`` (rows ``idx``) pairs with
    P's rows ``idx``, for ``scope='trial'``.

    Drawn from its own child of the seed, so that it is the same whatever the numbers of
    trials and shuffles: a study that adds shuffles or trials later extends its numbers
    instead of changing them (a Generator is drawn from directly).

    Examples
    --------
    >>> idx = np.array([2, 5, 7])
    >>> sorted(shuffled_rows(idx, 0, trial=0, shuffle=1).tolist())
    [2, 5, 7]
    """
    if isinstance(seed, np.random.Generator):
        rng = seed
    else:
        key = np.random.SeedSequence(seed, spawn_key=(_TRIAL_STREAM, trial, shuffle))
        rng = np.random.default_rng(key)
    out: NDArray[np.intp] = idx[rng.permutation(len(idx))]
    return out


def permute_matrix(d: FloatArray, perm: NDArray[np.intp]) -> FloatArray:
    """``d[perm][:, perm]``: the distance matrix of the rows of the cloud re-ordered by ``perm``.

    Examples
    --------
    >>> d = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
    >>> permute_matrix(d, np.array([2, 0, 1]))[0].tolist()
    [0.0, 2.0, 3.0]
    """
    out: FloatArray = d[np.ix_(perm, perm)]
    return out


def rtd_statistic(*, symmetric: bool = True) -> Statistic:
    """RTD_1 of one pair of normalised distance matrices through the exact identity.

    Returns ``(forward,)`` or, with ``symmetric``, ``(forward, backward)``: the terms of
    :func:`rtdkit.engines.score.identity_terms`, the fast score path of :func:`rtdkit.rtd`.

    Examples
    --------
    >>> from rtdkit.distances import normalized_distances
    >>> x = np.random.default_rng(0).normal(size=(20, 3))
    >>> w = normalized_distances(x)
    >>> rtd_statistic()(w, w)
    (0.0, 0.0)
    """
    return partial(_rtd_terms, symmetric=symmetric)


def _rtd_terms(w: FloatArray, w_tilde: FloatArray, *, symmetric: bool) -> tuple[float, ...]:
    from rtdkit.engines.score import identity_terms

    forward, backward = identity_terms(w, w_tilde, both=symmetric)
    return (forward.total,) if backward is None else (forward.total, backward.total)


#: Re-orders the rows of one trial's matrix of Q (:func:`permute_matrix` for a square distance
#: or Gram matrix; ``x[positions]`` for feature rows or predictions).
Permute = Callable[[Any, NDArray[np.intp]], Any]


def permute_rows(x: Any, positions: NDArray[np.intp]) -> Any:
    """``x[positions]``: the :data:`Permute` of a side that returns raw rows."""
    return x[positions]


def _shuffled_matrix(
    rows: NDArray[np.intp], idx: NDArray[np.intp], w_tilde: Any, side_q: Side, permute: Permute
) -> Any:
    """Q's matrix on ``rows``: the trial's own matrix permuted when ``rows`` re-orders the
    trial's rows (``idx``, sorted), else computed on the new rows."""
    positions = np.searchsorted(idx, rows)
    within = len(rows) == len(idx) and bool(np.all(positions < len(idx)))
    if within and np.array_equal(idx[positions], rows):  # rows are distinct: a permutation
        return permute(w_tilde, positions)
    return side_q(rows)


def _one_trial(
    item: tuple[NDArray[np.intp], list[NDArray[np.intp]]],
    *,
    statistic: Statistic,
    side_p: Side,
    side_q: Side,
    permute: Permute,
    n_jobs: int,
) -> tuple[tuple[float, ...], list[tuple[float, ...]]]:
    idx, shuffles = item
    w, w_tilde = side_p(idx), side_q(idx)
    observed = statistic(w, w_tilde)

    def shuffled(rows: NDArray[np.intp]) -> tuple[float, ...]:
        return statistic(w, _shuffled_matrix(rows, idx, w_tilde, side_q, permute))

    return observed, map_ordered(shuffled, shuffles, n_jobs=n_jobs)


def run_null(
    statistic: Statistic,
    side_p: Side,
    side_q: Side,
    index_sets: Sequence[NDArray[np.intp]],
    shuffles: Sequence[Sequence[NDArray[np.intp]]],
    *,
    permute: Permute = permute_matrix,
    n_jobs: int = 1,
    description: str = "trials",
    progress: Progress = False,
) -> NullRun:
    """Evaluate ``statistic`` on every trial's pairing and on each of its shuffles.

    ``side_p(rows)`` and ``side_q(rows)`` give the matrices of P and Q on the given rows (each
    computed once per trial, in the worker that runs it); ``index_sets[t]`` are trial ``t``'s
    rows, sorted, and ``shuffles[t]`` the rows of Q its shuffles pair with them
    (:func:`draw_shuffles`); ``permute`` re-orders a trial's matrix of Q when a shuffle only
    re-orders the trial's rows. Trials run side by side on ``n_jobs`` threads; when there are
    fewer trials than threads, each trial spreads its shuffles over the threads left over.
    The result never depends on ``n_jobs``.

    Examples
    --------
    >>> x = np.arange(4.0)
    >>> side = lambda rows: np.abs(x[rows, None] - x[None, rows])
    >>> gap = lambda w, wt: (float(np.abs(w - wt).sum()),)
    >>> sets = [np.arange(4)]
    >>> run = run_null(gap, side, side, sets, draw_shuffles(sets, 3, seed=1))
    >>> run.observed.tolist(), run.shuffled.shape
    ([[0.0]], (1, 3, 1))
    """
    if len(shuffles) != len(index_sets) or len({len(s) for s in shuffles}) > 1:
        raise ValueError("one list of shuffles per trial, all of one length")  # a caller's bug
    outer = max(1, min(n_jobs, len(index_sets)))
    inner = max(1, n_jobs // outer)
    work = partial(
        _one_trial,
        statistic=statistic,
        side_p=side_p,
        side_q=side_q,
        permute=permute,
        n_jobs=inner,
    )
    items = [(idx, list(rows)) for idx, rows in zip(index_sets, shuffles, strict=True)]
    results = map_ordered(work, items, n_jobs=outer, description=description, progress=progress)
    width = len(results[0][0])
    observed = np.array([obs for obs, _ in results], dtype=np.float64).reshape(-1, width)
    shuffled = np.array([null for _, null in results], dtype=np.float64)
    return NullRun(observed, shuffled.reshape(len(results), len(shuffles[0]), width))


def distance_sides(
    p: FloatArray,
    q: FloatArray,
    *,
    metric: str = "euclidean",
    normalize: str | float | None = "quantile",
) -> tuple[Side, Side]:
    """The normalised distance matrices of P and of Q on given rows, as :func:`rtdkit.rtd`
    computes them for a trial (with ``metric='precomputed'``: the rows' block, normalised)."""
    from rtdkit._trials import take_subset
    from rtdkit.distances import normalized_distances

    def side(x: FloatArray, name: str) -> Side:
        def matrix(rows: NDArray[np.intp]) -> FloatArray:
            block = take_subset(x, rows, metric)
            return normalized_distances(block, metric=metric, normalize=normalize, name=name)

        return matrix

    return side(p, "P"), side(q, "Q")


def subsample_null(
    p: FloatArray,
    q: FloatArray,
    statistic: Statistic,
    index_sets: Sequence[NDArray[np.intp]],
    *,
    shuffles: int,
    seed: int | np.random.Generator | None,
    scope: Scope = "trial",
    metric: str = "euclidean",
    normalize: str | float | None = "quantile",
    n_jobs: int = 1,
    description: str = "trials",
    progress: Progress = False,
) -> NullRun:
    """``statistic`` on the normalised distance matrices of each trial's subsample of two
    clouds and on ``shuffles`` shuffles of each (:func:`draw_shuffles` of ``seed`` and
    ``scope``): the trials of :func:`rtdkit.rtd` and its chance level, or the relabellings
    of :func:`rtdkit.permutation_test`. Inputs are validated float64 arrays; ``index_sets``
    come from :func:`rtdkit._trials.subsample_indices`.

    Examples
    --------
    >>> from rtdkit._trials import subsample_indices
    >>> x = np.random.default_rng(0).normal(size=(60, 3))
    >>> sets = subsample_indices(60, 30, 2, seed=0)
    >>> run = subsample_null(x, x[:, :2], rtd_statistic(), sets, shuffles=3, seed=0)
    >>> run.observed.shape, run.shuffled.shape
    ((2, 2), (2, 3, 2))
    """
    return run_null(
        statistic,
        *distance_sides(p, q, metric=metric, normalize=normalize),
        index_sets,
        draw_shuffles(index_sets, shuffles, seed, scope=scope, n=len(p)),
        n_jobs=n_jobs,
        description=description,
        progress=progress,
    )


def measure_chance(
    measure: Measure,
    p: FloatArray,
    q: FloatArray,
    index_sets: Sequence[NDArray[np.intp]],
    *,
    shuffles: int,
    seed: int | np.random.Generator | None,
    options: Mapping[str, Any] | None = None,
    symmetric: bool = True,
    n_jobs: int = 1,
) -> ChanceLevel:
    """Any registered measure on each trial's subsample beside ``shuffles`` re-pairings of
    each (``scope='trial'``), through :meth:`rtdkit.measures.Measure.trial` on the rows.

    Each trial's value averages the measure's directions when ``symmetric`` (as
    :func:`rtdkit.comparison.compare` does), else keeps the forward one. Not meaningful for a
    measure that ignores the row correspondence (IMD: its chance level is its value).

    Examples
    --------
    >>> from rtdkit.measures import MEASURES
    >>> from rtdkit._trials import subsample_indices
    >>> x = np.random.default_rng(0).normal(size=(60, 4))
    >>> c = measure_chance(MEASURES["cka"], x, x[:, :2], subsample_indices(60, 30, 2, 0),
    ...                    shuffles=3, seed=0)
    >>> c.kind, c.relative < 0.5
    ('similarity', True)
    """
    bound = dict(options or {})

    def statistic(a: FloatArray, b: FloatArray) -> tuple[float, ...]:
        values = measure.trial(a, b, **bound)
        return values if symmetric else values[:1]

    run = run_null(
        statistic,
        partial(permute_rows, p),
        partial(permute_rows, q),
        index_sets,
        draw_shuffles(index_sets, shuffles, seed),
        permute=permute_rows,
        n_jobs=n_jobs,
        description=f"{measure.name} trials",
    )
    return ChanceLevel.from_run(run, kind=measure.kind)
