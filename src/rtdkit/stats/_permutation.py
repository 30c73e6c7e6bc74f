"""The permutation test of one comparison: is the row correspondence of P and Q informative?"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from rtdkit._parallel import map_ordered
from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    as_float_matrix,
    check_choice,
    check_int,
    check_n_jobs,
    check_same_rows,
    check_seed,
    to_numpy,
)
from rtdkit.measures import MEASURES
from rtdkit.stats._pvalues import draw_permutations, permutation_pvalue

__all__ = ["PermutationResult", "permutation_test"]


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
        A key of :data:`rtdkit.measures.MEASURES` whose value depends on the pairing of
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
        map_ordered(
            permuted,
            draw_permutations(len(p), n_permutations, seed),
            n_jobs=threads,
            description=f"{measure} permutations",
            progress=progress,
        ),
        dtype=np.float64,
    )
    return PermutationResult(
        statistic=observed,
        pvalue=permutation_pvalue(observed, null, larger_is_extreme=stat.larger_is_related),
        null=null,
        n_permutations=n_permutations,
        measure=measure,
        alternative="greater" if stat.larger_is_related else "less",
        seed=seed,
    )
