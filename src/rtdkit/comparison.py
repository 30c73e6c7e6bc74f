"""Several measures on the same random subsamples: the paper's protocol, in one place.

Section 3.4 of the paper averages every measure "for five random batches of 500
representations"; Algorithm 2 does the same for RTD. :func:`trial_values` is that step for any
measures of :data:`rtdkit.measures.MEASURES`: every measure sees the same index sets (those
:func:`rtdkit.rtd` would draw with the same seed), and each trial gives one number per
direction the measure reports. :func:`compare` averages them into one score per measure;
all-pairs studies (:func:`rtdkit.pairwise`) store them per trial instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._trials import average_trials, subsample_indices, take_subset
from rtdkit._validation import FloatArray, RTDInputError, RTDTypeError, check_choice
from rtdkit.measures import MEASURES, Measure

__all__ = [
    "check_measure_options",
    "compare",
    "mean_value",
    "representation_measure",
    "trial_values",
]


def representation_measure(name: str) -> Measure:
    """The registered measure ``name``, which must compare representations."""
    check_choice(name, "measure", list(MEASURES))
    measure = MEASURES[name]
    if measure.inputs != "representations":
        raise RTDInputError(
            f"measure {name!r} compares predictions, not representations; call "
            f"rtdkit.baselines.{name} on the predictions directly"
        )
    return measure


def check_measure_options(
    measure_options: Mapping[str, Mapping[str, Any]] | None, wanted: Sequence[str], *, caller: str
) -> dict[str, dict[str, Any]]:
    """``measure_options`` as one meaning everywhere: the options of measures *other* than
    those that take theirs from the call (RTD's ``dim``, ``metric``, ... are ``caller``'s own
    keyword arguments), keyed by measures that are among ``wanted``.

    Examples
    --------
    >>> check_measure_options({"cka": {"debiased": True}}, ["rtd", "cka"], caller="f()")
    {'cka': {'debiased': True}}
    """
    if measure_options is not None and not isinstance(measure_options, Mapping):
        raise RTDTypeError(
            "measure_options must be a dict of measure name -> dict of options, e.g. "
            f"{{'cka': {{'debiased': True}}}}; got {type(measure_options).__name__}"
        )
    options = {m: dict(o) for m, o in (measure_options or {}).items()}
    for name in options:
        if name in MEASURES and (taken := MEASURES[name].call_options):
            own = ", ".join(f"{option}=" for option in taken)
            raise RTDInputError(
                f"options of {name!r} are {caller}'s own arguments ({own}); remove {name!r} "
                "from measure_options"
            )
        if name not in wanted:
            raise RTDInputError(f"measure_options names {name!r}, which is not in measures")
    return options


def trial_values(
    x: FloatArray,
    y: FloatArray,
    subsets: Sequence[NDArray[np.intp]],
    todo: Mapping[str, Iterable[int]],
    *,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    metric: str = "euclidean",
) -> Iterator[tuple[str, int, tuple[float, ...]]]:
    """``(measure, trial, values)`` for each requested trial of each measure.

    ``todo[measure]`` lists the trials wanted (indices into ``subsets``); ``values`` holds one
    number per entry of the measure's ``directions``. ``x`` and ``y`` are validated float64
    arrays of the same objects (N x N distance matrices for RTD with 'precomputed').

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(40, 3))
    >>> sets = subsample_indices(40, 20, 2, 0)
    >>> [(m, t, v) for m, t, v in trial_values(x, 2 * x, sets, {"rtd": [1]})]
    [('rtd', 1, (0.0, 0.0))]
    """
    options = options or {}
    for name, trials in todo.items():
        measure = MEASURES[name]
        for t in trials:
            p, q = take_subset(x, subsets[t], metric), take_subset(y, subsets[t], metric)
            yield name, t, measure.trial(p, q, **options.get(name, {}))


def mean_value(
    values: Sequence[tuple[float, ...]],
    measure: Measure,
    *,
    symmetric: bool = True,
    dissimilarity: bool = False,
) -> float:
    """The score of one measure from its per-trial values, averaged as :func:`rtdkit.rtd` does.

    With two directions per trial, ``symmetric`` averages them trial by trial; otherwise the
    forward value is kept. ``dissimilarity`` turns each trial's similarity ``s`` into ``1 - s``
    before averaging.
    """
    backward = [v[1] for v in values] if len(measure.directions) == 2 else None
    samples = average_trials([v[0] for v in values], backward, symmetric=symmetric)
    if dissimilarity and measure.kind == "similarity":
        samples = 1.0 - samples
    return float(np.mean(samples))


def compare(
    x: FloatArray,
    y: FloatArray,
    measures: Iterable[str],
    *,
    batch: int | None,
    trials: int,
    seed: Any,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    symmetric: bool = True,
    dissimilarity: bool = False,
    metric: str = "euclidean",
) -> dict[str, float]:
    """Each measure's mean over the same ``trials`` random subsets of ``batch`` objects.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(80, 3))
    >>> compare(x, 2 * x, ("rtd", "cka"), batch=40, trials=2, seed=0)
    {'rtd': 0.0, 'cka': 1.0}
    """
    names = list(measures)
    subsets = subsample_indices(len(x), batch, trials, seed)
    collected: dict[str, list[tuple[float, ...]]] = {name: [] for name in names}
    everything = {name: range(len(subsets)) for name in names}
    for name, _, values in trial_values(x, y, subsets, everything, options=options, metric=metric):
        collected[name].append(values)
    return {
        name: mean_value(
            collected[name], MEASURES[name], symmetric=symmetric, dissimilarity=dissimilarity
        )
        for name in names
    }
