"""A score beside its chance level, and the permutation p-value: reading what
:mod:`rtdkit.null` computes.

:class:`ChanceLevel` holds a score's per-trial values and its shuffled values and derives the
chance level, ``relative`` and their intervals; :func:`permutation_pvalue` is the p-value every
permutation test of rtdkit reports (:func:`rtdkit.permutation_test`, the Mantel test).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from rtdkit._validation import FloatArray, RTDInputError

__all__ = ["ChanceLevel", "Kind", "NullRun", "Scope", "permutation_pvalue"]

#: How the rows are re-paired (:func:`rtdkit.null.draw_shuffles`): within each trial's
#: subsample, or by one relabelling of all rows per shuffle.
Scope = Literal["trial", "all"]

# Null statistics within this relative distance of the observed one count as ties, and ties
# count against the alternative: rounding noise can then only make a p-value larger.
_TIE_RTOL = 1e-12


def permutation_pvalue(statistic: float, null: FloatArray, larger_is_extreme: bool) -> float:
    """``(1 + #{null at least as extreme}) / (n + 1)``: never 0, exact under exchangeability.

    Examples
    --------
    >>> permutation_pvalue(1.0, np.array([2.0, 3.0, 0.5]), larger_is_extreme=False)
    0.5
    """
    tol = _TIE_RTOL * max(1.0, abs(statistic))
    if larger_is_extreme:
        extreme = null >= statistic - tol
    else:
        extreme = null <= statistic + tol
    return float((1 + np.count_nonzero(extreme)) / (len(null) + 1))


@dataclass(frozen=True)
class NullRun:
    """The statistic on each trial's pairing and on its shuffles.

    ``observed`` has shape ``(trials, values)``; ``shuffled`` ``(trials, shuffles, values)``,
    where ``values`` is the number of outputs of the statistic (RTD: forward, backward).
    """

    observed: FloatArray
    shuffled: FloatArray


Kind = Literal["dissimilarity", "similarity"]


@dataclass(frozen=True)
class ChanceLevel:
    """A score beside its chance level: the same score with Q's rows re-paired at random.

    ``observed`` holds the score of each trial (shape ``(trials,)``) and ``shuffled`` the
    score of each of its shuffles (``(trials, shuffles)``), in the measure's own units. A
    shuffled *score* averages one shuffle of every trial, exactly as the score averages the
    trials, so :attr:`null` has one value per shuffle, directly comparable with
    :attr:`value`.

    ``kind`` says which way is related: a dissimilarity (RTD; 0 = identical) or a similarity
    whose largest value 1 means identical (CKA, NTS). :attr:`relative` compares the
    dissimilarity ``d`` (``1 - s`` for a similarity) with its chance level: 1 = no more
    related than chance, 0 = identical.

    Examples
    --------
    >>> c = ChanceLevel(np.array([2.0, 4.0]), np.array([[5.0, 7.0], [7.0, 5.0]]))
    >>> c.value, c.chance, c.relative, c.null.tolist()
    (3.0, 6.0, 0.5, [6.0, 6.0])
    """

    observed: FloatArray
    shuffled: FloatArray
    kind: Kind = "dissimilarity"
    scope: Scope = "trial"

    @classmethod
    def from_run(
        cls, run: NullRun, *, kind: Kind = "dissimilarity", scope: Scope = "trial"
    ) -> ChanceLevel:
        """The chance level of a score that averages the statistic's values (RTD: the half-sum
        of its two directions; a one-valued statistic: that value). ``scope`` as given to
        :func:`draw_shuffles`."""
        return cls(run.observed.mean(axis=-1), run.shuffled.mean(axis=-1), kind, scope)

    @property
    def shuffles(self) -> int:
        return int(self.shuffled.shape[1])

    @property
    def trials(self) -> int:
        return int(self.shuffled.shape[0])

    @property
    def value(self) -> float:
        """The score: the mean of the trials."""
        return float(np.mean(self.observed))

    @property
    def null(self) -> FloatArray:
        """One score per shuffle (the mean over trials of that shuffle)."""
        out: FloatArray = self.shuffled.mean(axis=0)
        return out

    @property
    def chance(self) -> float:
        """The chance level: the mean score over all shuffles."""
        return float(np.mean(self.shuffled))

    @property
    def chance_std(self) -> float:
        """Standard deviation of the shuffled scores (:attr:`null`; 0 for one shuffle)."""
        return float(np.std(self.null))

    @property
    def chance_samples(self) -> FloatArray:
        """The chance level of each trial (the mean of its shuffles)."""
        out: FloatArray = self.shuffled.mean(axis=1)
        return out

    def _dissimilarity(self, x: Any) -> Any:
        return x if self.kind == "dissimilarity" else 1.0 - x

    @property
    def relative(self) -> float:
        """``d(value) / d(chance)``: 1 = no more related than chance, 0 = identical.

        NaN when the chance level of the dissimilarity is 0: every shuffled pairing then
        scores as identical, and the score cannot tell pairings apart at all.
        """
        chance = float(self._dissimilarity(self.chance))
        if chance == 0.0:
            return math.nan
        return float(self._dissimilarity(self.value)) / chance

    @property
    def relative_samples(self) -> FloatArray:
        """``relative`` trial by trial (each trial against its own shuffles)."""
        chance = self._dissimilarity(self.chance_samples)
        with np.errstate(divide="ignore", invalid="ignore"):
            out: FloatArray = self._dissimilarity(self.observed) / chance
        return out

    def chance_ci(self, level: float = 0.95) -> tuple[float, float]:
        """Student-t interval of the chance level over the trials' independent subsamples."""
        from rtdkit._intervals import t_interval

        self._need_trials()
        return t_interval(self.chance_samples, level)

    def relative_ci(self, level: float = 0.95) -> tuple[float, float]:
        """Interval of :attr:`relative`, a ratio of two means over the same trials.

        With ``d_t`` and ``c_t`` the trial's dissimilarity and chance level and ``R`` their
        ratio of means, the residuals ``d_t - R c_t`` have mean 0 and are i.i.d. over trials,
        so ``R ± t · sd(d_t - R c_t) / (sqrt(trials) · mean(c))`` is the usual first-order
        (delta-method) interval of a ratio estimator.
        """
        from rtdkit._intervals import t_interval

        self._need_trials()
        ratio = self.relative
        chance = self._dissimilarity(self.chance_samples)
        residuals = self._dissimilarity(self.observed) - ratio * chance
        low, high = t_interval(residuals, level)
        scale = float(np.mean(chance))
        return ratio + low / scale, ratio + high / scale

    def _need_trials(self) -> None:
        if self.trials < 2:
            raise RTDInputError(
                "an interval of the chance level needs at least 2 subsampling trials, this "
                "result has 1; rerun with trials >= 2 and a batch smaller than the number of "
                "points"
            )

    def pvalue(self) -> float:
        """One-sided permutation p-value towards "more related than chance".

        ``(1 + #{shuffled scores at least as extreme as the score}) / (shuffles + 1)``, with
        "extreme" meaning smaller for a dissimilarity and larger for a similarity. Shuffled
        scores within 1e-12 (relative) of the score count as ties, and ties count against
        the alternative, so rounding can only make the p-value larger.

        Exact when the shuffles relabel all rows (``scope='all'``) or there is one trial;
        refused for shuffles within several subsamples, whose null is too narrow (see the
        module's docstring).
        """
        if self.scope == "trial" and self.trials > 1:
            raise RTDInputError(
                "a permutation p-value needs shuffles of all rows (scope='all') when the score "
                f"averages {self.trials} subsamples; shuffles within each subsample only give "
                "the chance level"
            )
        return permutation_pvalue(
            self.value, self.null, larger_is_extreme=self.kind == "similarity"
        )
