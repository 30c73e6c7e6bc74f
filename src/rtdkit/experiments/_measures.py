"""The experiments' measure tables: every measure on the same random batches of matched rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from rtdkit import comparison
from rtdkit._progress import progress_iter
from rtdkit._validation import FloatArray, as_float_matrix
from rtdkit.experiments._digits import IntArray, Outputs
from rtdkit.experiments._stats import kendall_tau
from rtdkit.measures import MEASURES
from rtdkit.stats import t_interval


def dissimilarity_key(measure: str) -> str:
    """The JSON key of a measure's dissimilarity: ``'rtd'``, ``'1-cka'``, ...

    Examples
    --------
    >>> dissimilarity_key("cka"), dissimilarity_key("imd")
    ('1-cka', 'imd')
    """
    return measure if MEASURES[measure].kind == "dissimilarity" else f"1-{measure}"


def compare(
    a: Any,
    b: Any,
    *,
    batch: int | None,
    trials: int,
    seed: int,
    measures: Iterable[str] = ("rtd", "cka"),
) -> dict[str, float]:
    """Mean dissimilarity of each measure over the same random batches of matched rows.

    This is the paper's protocol (Section 3.4: "we averaged values for five random batches of
    500 representations"), as :func:`rtdkit.comparison.compare` computes it; keys are
    :func:`dissimilarity_key` names.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(80, 3))
    >>> compare(x, 2 * x, batch=40, trials=2, seed=0)
    {'rtd': 0.0, '1-cka': 0.0}
    """
    values = comparison.compare(
        as_float_matrix(a, "a"),
        as_float_matrix(b, "b"),
        measures,
        batch=batch,
        trials=trials,
        seed=seed,
        dissimilarity=True,
    )
    return {dissimilarity_key(name): value for name, value in values.items()}


def dissimilarity_matrices(
    rows: Sequence[Any],
    cols: Sequence[Any] | None = None,
    *,
    batch: int,
    trials: int,
    seed: int,
    progress: bool,
    label: str,
) -> dict[str, FloatArray]:
    """Matrices of RTD and 1-CKA between every representation in ``rows`` and every one in
    ``cols``; without ``cols``, the symmetric matrices between all pairs of ``rows`` (zero
    diagonal, each pair computed once)."""
    symmetric = cols is None
    others = rows if cols is None else cols
    pairs = [
        (i, j) for i in range(len(rows)) for j in range(i + 1 if symmetric else 0, len(others))
    ]
    mats = {"rtd": np.zeros((len(rows), len(others))), "1-cka": np.zeros((len(rows), len(others)))}
    for i, j in progress_iter(pairs, total=len(pairs), description=label, enabled=progress):
        for key, value in compare(
            rows[i], others[j], batch=batch, trials=trials, seed=seed
        ).items():
            mats[key][i, j] = value
            if symmetric:
                mats[key][j, i] = value
    return mats


def identification_accuracy(cross: FloatArray) -> float:
    """Fraction of rows whose least dissimilar column is the same index (the diagonal).

    Kornblith et al. (2019)'s sanity test: a similarity measure should identify each layer of
    one network as the corresponding layer of the same architecture trained from another
    seed.

    Examples
    --------
    >>> identification_accuracy(np.array([[0.1, 0.5], [0.2, 0.3]]))
    0.5
    """
    return float(np.mean(np.argmin(cross, axis=1) == np.arange(len(cross))))


def disagreement_row(a: Outputs, b: Outputs, labels: IntArray) -> dict[str, float]:
    """Raw and normalised disagreement of two networks' predictions on the same images."""
    raw = MEASURES["disagreement"](a.predictions, b.predictions)
    norm = MEASURES["disagreement"](a.predictions, b.predictions, labels=labels)
    return {"disagreement": norm, "raw_disagreement": raw}


SYNTHETIC_MEASURES = ("rtd", "cka", "svcca", "imd")


def compare_family(
    base: FloatArray,
    members: Sequence[FloatArray],
    *,
    imd_slq_runs: int,
    seed: int,
    progress: bool,
    description: str,
) -> dict[str, Any]:
    """Compare ``base`` with each member by RTD, 1-CKA, 1-SVCCA and IMD (Figs. 4 and 5).

    RTD runs on the whole clouds (no subsampling: they have 300-500 points), IMD exactly
    (full Laplacian spectra). With ``imd_slq_runs > 0`` the reference code's stochastic IMD
    is also averaged over that many probe seeds, as the paper averages 100 runs, to show how
    far its mean lies from the exact value.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(40, 2))
    >>> out = compare_family(x, [x, 2 * x], imd_slq_runs=0, seed=0, progress=False, description="")
    >>> out["values"]["rtd"], out["values"]["1-cka"], out["values"]["imd"]
    ([0.0, 0.0], [0.0, 0.0], [0.0, 0.0])
    """
    values: dict[str, list[float]] = {dissimilarity_key(m): [] for m in SYNTHETIC_MEASURES}
    slq: dict[str, list[float]] = {"mean": [], "sd": []}
    for member in progress_iter(
        members, total=len(members), description=description, enabled=progress
    ):
        values["rtd"].append(MEASURES["rtd"](base, member, batch=None))
        values["1-cka"].append(MEASURES["cka"].dissimilarity(base, member))
        values["1-svcca"].append(MEASURES["svcca"].dissimilarity(base, member))
        values["imd"].append(MEASURES["imd"](base, member, method="exact"))
        if imd_slq_runs:
            runs = [
                MEASURES["imd"](base, member, method="slq", seed=seed + r)
                for r in range(imd_slq_runs)
            ]
            slq["mean"].append(float(np.mean(runs)))
            slq["sd"].append(float(np.std(runs, ddof=1)))
    return {"values": values, "imd_slq": slq} if imd_slq_runs else {"values": values}


def taus_over_draws(
    family: Callable[[int], tuple[FloatArray, list[FloatArray]]],
    x: Sequence[int],
    *,
    draws: Sequence[int],
    progress: bool,
    description: str,
) -> dict[str, dict[str, Any]]:
    """Kendall tau of each measure with ``x`` on every random draw of a family of clouds.

    ``family(draw)`` returns the base cloud and its members for one draw. A single draw's tau
    is noisy for the measures that do not track ``x``; the mean over draws and its Student-t
    95 % interval (:func:`rtdkit.stats.t_interval`) say what the measure does on average.
    """
    taus: dict[str, list[float]] = {dissimilarity_key(m): [] for m in SYNTHETIC_MEASURES}
    for draw in progress_iter(draws, total=len(draws), description=description, enabled=progress):
        base, members = family(draw)
        table = compare_family(
            base, members, imd_slq_runs=0, seed=0, progress=False, description=""
        )
        for key, values in table["values"].items():
            taus[key].append(kendall_tau(x, values))
    return {
        key: {
            "mean": float(np.mean(t)),
            "sd": float(np.std(t, ddof=1)),
            "ci95": list(t_interval(t)),
            "per_draw": t,
        }
        for key, t in taus.items()
    }


def drift_series(
    snapshots: Sequence[Outputs],
    reference: Outputs,
    labels: IntArray,
    *,
    batch: int,
    trials: int,
    seed: int,
    progress: bool,
    description: str,
) -> dict[str, list[float]]:
    """How far each snapshot is from ``reference`` on the same images.

    RTD and 1-CKA between conv-part features (averaged over the same random batches for every
    snapshot), the normalised and raw disagreement of predictions, and the snapshot's error.
    """
    series: dict[str, list[float]] = {
        k: [] for k in ("rtd", "1-cka", "disagreement", "raw_disagreement", "error")
    }
    for snap in progress_iter(
        snapshots, total=len(snapshots), description=description, enabled=progress
    ):
        row = {
            **compare(snap.features, reference.features, batch=batch, trials=trials, seed=seed),
            **disagreement_row(snap, reference, labels),
            "error": snap.error(labels),
        }
        for key, value in row.items():
            series[key].append(value)
    return series
