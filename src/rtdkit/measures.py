"""The measure registry: every comparison measure under one calling convention, in one table.

A measure is a small function ``f(X, Y, **options) -> float`` with the metadata a plot, a
table or a pairwise matrix needs (similarity or dissimilarity, symmetric or not, which
directions one subsample reports). :data:`MEASURES` holds them by name; :func:`register_measure`
adds one. The maths lives below this module (:mod:`rtdkit.baselines`, :mod:`rtdkit.divergence`)
and never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from rtdkit._validation import FloatArray, RTDInputError, RTDTypeError
from rtdkit.baselines import cka, disagreement, imd, pwcca, svcca
from rtdkit.divergence import rtd, rtd_trial

__all__ = ["BOTH_DIRECTIONS", "FORWARD", "MEASURES", "Measure", "register_measure"]


def _rtd_value(X: Any, Y: Any, **options: Any) -> float:
    """:func:`rtdkit.rtd`'s score: the half-sum of both directions unless ``symmetric=False``."""
    return rtd(X, Y, **options).value


def _rtd_trial(p: FloatArray, q: FloatArray, **options: Any) -> tuple[float, ...]:
    """Both directions of RTD on one subsample (options: dim, normalize, metric, engine,
    method)."""
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

    ``symmetric`` says whether the measure itself is: ``measure(X, Y) == measure(Y, X)`` for
    every input and option. RTD is not (``RTD(P, Q) != RTD(Q, P)`` in general), but its call
    returns the half-sum of both directions by default, as :func:`rtdkit.rtd` does:
    ``averages_directions`` records that, so that callers and :func:`rtdkit.testing.check_measure`
    know the call is the mean of :meth:`trial`'s two values rather than the forward one.
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
    averages_directions: bool = False

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


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure(name="rtd", function=_rtd_value, kind="dissimilarity", symmetric=False,
                inputs="representations", label="RTD",
                description="Representation Topology Divergence; options as rtdkit.rtd",
                directions=BOTH_DIRECTIONS, trial_function=_rtd_trial,
                call_options=("dim", "normalize", "metric", "engine", "method"),
                averages_directions=True),
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
"""The measures under one calling convention, ``MEASURES[name](X, Y, **options) -> float``."""


def register_measure(measure: Measure, *, replace: bool = False) -> None:
    """Add ``measure`` to :data:`MEASURES` under ``measure.name``.

    Every comparison function (:func:`rtdkit.pairwise`, :func:`rtdkit.layers.compare_layers`,
    :func:`rtdkit.permutation_test`) then accepts its name; :func:`rtdkit.testing.check_measure`
    checks that it keeps the registry's contract.

    Parameters
    ----------
    measure : Measure
        The measure and its metadata.
    replace : bool, default False
        Allow replacing a measure already registered under that name.

    Examples
    --------
    >>> import numpy as np
    >>> def mean_gap(X, Y):
    ...     return float(abs(np.mean(X) - np.mean(Y)))
    >>> register_measure(Measure(name="mean_gap", function=mean_gap, kind="dissimilarity",
    ...                          symmetric=True, inputs="representations", label="|Δ mean|",
    ...                          description="difference of the overall means"))
    >>> MEASURES["mean_gap"](np.zeros((3, 2)), np.ones((3, 2)))
    1.0
    >>> del MEASURES["mean_gap"]
    """
    if not isinstance(measure, Measure):
        raise RTDTypeError(f"measure must be a rtdkit.measures.Measure, got {type(measure)!r}")
    if measure.name in MEASURES and not replace:
        raise RTDInputError(
            f"a measure named {measure.name!r} is already registered; pass replace=True to "
            "replace it or choose another name"
        )
    if measure.kind not in ("similarity", "dissimilarity"):
        raise RTDInputError(
            f"measure.kind must be 'similarity' or 'dissimilarity', got {measure.kind!r}"
        )
    MEASURES[measure.name] = measure
