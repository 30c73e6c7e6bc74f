"""The permutation test of one comparison: is the row correspondence of P and Q informative?"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from rtdkit._progress import Progress, check_progress
from rtdkit._repr import summary_repr
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
from rtdkit.divergence import rtd_null
from rtdkit.measures import MEASURES, Measure
from rtdkit.null import ChanceLevel, draw_shuffles, permute_rows, run_null

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

    __repr__ = summary_repr  # arrays as size and range: one line at the prompt

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


def _measure_entry(measure: Any) -> Measure:
    name = check_choice(measure, "measure", tuple(MEASURES))
    if not MEASURES[name].pairing:
        raise RTDInputError(
            f"measure={name!r} compares the two clouds' intrinsic geometry without using the "
            "row correspondence, so shuffling rows cannot change it and the test has no power; "
            "choose a measure that pairs rows, such as 'rtd' or 'cka'"
        )
    return MEASURES[name]


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


def _measure_null(
    entry: Measure,
    P: Any,
    Q: Any,
    options: dict[str, Any],
    *,
    permutations: int,
    seed: int,
    n_jobs: int,
    progress: Progress,
) -> ChanceLevel:
    """Any registered measure on all rows, and on ``permutations`` relabellings of Q's rows:
    the mechanism of :mod:`rtdkit.null` with one trial whose sides are the rows themselves."""
    p, q = _as_rows(P, Q, entry.inputs)
    everything = [np.arange(len(p))]

    def statistic(x: Any, y: Any) -> tuple[float, ...]:
        return (entry(x, y, **options),)

    run = run_null(
        statistic,
        partial(permute_rows, p),
        partial(permute_rows, q),
        everything,
        draw_shuffles(everything, permutations, seed, scope="all", n=len(p)),
        permute=permute_rows,
        n_jobs=n_jobs,
        description=f"{entry.name} permutations",
        progress=progress,
    )
    return ChanceLevel.from_run(run, kind=entry.kind, scope="all")


def permutation_test(
    P: Any,
    Q: Any,
    *,
    n_permutations: int = 99,
    seed: int | None = 0,
    measure: str = "rtd",
    n_jobs: int | None = 1,
    progress: Progress = "auto",
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

    The permuted statistics come from :mod:`rtdkit.null`, the mechanism behind the chance
    level of ``rtdkit.rtd(..., shuffles=k)``. For RTD each permutation relabels all rows and
    is applied to every one of RTD's subsamples, which keeps the p-value exact when the
    subsamples overlap (shuffling within each subsample, as the chance level does, would
    not: its null is too narrow); where a subsample covers all points (``batch=None``) the
    computed distance matrices are permuted instead of recomputed.

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
    progress : bool or 'auto', default 'auto'
        A progress bar of the permutations on stderr: True always, False never, 'auto' once the call
        has run for 2 s and stderr is a terminal (never in a pipe, a log file or CI).
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
    progress = check_progress(progress)
    entry = _measure_entry(measure)
    if entry.name == "rtd":
        # RTD's own subsamples (seeded by ``seed``), each relabelled by the same permutations
        chance = rtd_null(
            P, Q, shuffles=n_permutations, seed=seed, n_jobs=threads, progress=progress,
            **options,
        )  # fmt: skip
    else:
        chance = _measure_null(
            entry, P, Q, options,
            permutations=n_permutations, seed=seed, n_jobs=threads, progress=progress,
        )  # fmt: skip
    return PermutationResult(
        statistic=chance.value,
        pvalue=chance.pvalue(),
        null=chance.null,
        n_permutations=n_permutations,
        measure=entry.name,
        alternative="greater" if entry.kind == "similarity" else "less",
        seed=seed,
    )
