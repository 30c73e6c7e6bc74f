"""The result of :func:`rtdkit.rtd`: the score, its spread over subsamples and, with
``shuffles``, its chance level."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtdkit._validation import FloatArray, RTDInputError
from rtdkit.chance import ChanceLevel

__all__ = ["RTDResult"]


@dataclass(frozen=True)
class RTDResult:
    """The RTD score with its spread over random subsamples.

    ``value`` is the mean of ``samples`` (one number per trial); ``std`` their standard
    deviation (0 for one trial). With ``symmetric=True`` each sample is the half-sum of
    ``forward`` (RTD_dim(P, Q)) and ``backward`` (RTD_dim(Q, P)); otherwise it is ``forward``.
    ``float(result)`` gives ``value``. ``engine`` names the barcode engine with
    ``method='barcode'`` and is None with the identity, which uses none.

    With ``shuffles=k > 0``, ``shuffled`` holds the score of each trial's subsample with Q's
    rows re-paired at random, shape ``(trials, k)``, and the result reads against that
    chance level (:mod:`rtdkit.null`): :attr:`chance`, :attr:`chance_std`, :attr:`relative`
    (1 = no more related than chance, 0 = identical topology), their per-trial samples and
    intervals. They are None (and the intervals refuse) with ``shuffles=0``.
    """

    value: float
    std: float
    samples: FloatArray
    forward: FloatArray
    backward: FloatArray | None
    dim: int
    batch: int
    symmetric: bool
    engine: str | None
    seed: int | None = field(default=None)
    method: str = "barcode"
    shuffled: FloatArray | None = field(default=None, repr=False)

    def __float__(self) -> float:
        return self.value

    @property
    def shuffles(self) -> int:
        """Shuffles per trial behind the chance level (0: none computed)."""
        return 0 if self.shuffled is None else int(self.shuffled.shape[1])

    @property
    def chance_level(self) -> ChanceLevel | None:
        """The score beside its chance level (:class:`rtdkit.chance.ChanceLevel`), or None."""
        if self.shuffled is None:
            return None
        return ChanceLevel(self.samples, self.shuffled)

    @property
    def chance(self) -> float | None:
        """Mean RTD over all shuffles: what RTD is for these clouds when rows pair at random."""
        return self._read("chance")

    @property
    def chance_std(self) -> float | None:
        """Standard deviation of the shuffled scores (one per shuffle, averaged over trials)."""
        return self._read("chance_std")

    @property
    def relative(self) -> float | None:
        """``value / chance``: 1 = no more related than chance, 0 = identical topology."""
        return self._read("relative")

    @property
    def chance_samples(self) -> FloatArray | None:
        """The chance level of each trial (the mean of its shuffles)."""
        return self._read("chance_samples")

    @property
    def relative_samples(self) -> FloatArray | None:
        """``relative`` trial by trial (each trial against its own shuffles)."""
        return self._read("relative_samples")

    def _read(self, name: str) -> Any:
        """An attribute of :attr:`chance_level`, or None without shuffles."""
        level = self.chance_level
        return None if level is None else getattr(level, name)

    def relative_ci(self, level: float = 0.95) -> tuple[float, float]:
        """Interval of :attr:`relative` over the subsamples (delta method for a ratio of
        means; see :meth:`rtdkit.chance.ChanceLevel.relative_ci`). Like :meth:`ci`, it covers
        the randomness of subsampling only.

        Examples
        --------
        >>> import numpy as np, rtdkit
        >>> rng = np.random.default_rng(0)
        >>> P = rng.normal(size=(300, 6))
        >>> r = rtdkit.rtd(P, P[:, :3], batch=100, trials=5, shuffles=2)
        >>> low, high = r.relative_ci()
        >>> bool(low <= r.relative <= high < 1)
        True
        """
        return self._need_chance().relative_ci(level)

    def chance_ci(self, level: float = 0.95) -> tuple[float, float]:
        """Student-t interval of the chance level over the subsamples."""
        return self._need_chance().chance_ci(level)

    def _need_chance(self) -> ChanceLevel:
        chance = self.chance_level
        if chance is None:
            raise RTDInputError(
                "this result has no chance level; rerun rtd() with shuffles >= 1 (e.g. 3)"
            )
        return chance

    @property
    def trials(self) -> int:
        return len(self.samples)

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        """Student-t confidence interval ``(low, high)`` of the score over subsamples.

        The trials draw their subsets independently, so ``samples`` are i.i.d. given the
        data and ``value ± t · std(ddof=1) / sqrt(trials)`` covers, with probability
        ``level``, the mean RTD over *all* subsets of ``batch`` points of these N objects.
        The t interval is exact for normal samples and stays honest for the ~10 trials
        usual here, where a percentile bootstrap would be too narrow.

        It covers the randomness of subsampling only. It does not cover which N objects
        were measured (the finite dataset itself), training seeds, or the systematic
        dependence of RTD on ``batch``; resample or retrain for those.

        Raises
        ------
        RTDInputError
            With a single trial (``trials=1``, or ``batch=None``/``batch >= N``, which
            computes RTD once on all points): there is no spread to estimate an interval from.

        Examples
        --------
        >>> import numpy as np, rtdkit
        >>> P = np.random.default_rng(0).normal(size=(200, 4))
        >>> r = rtdkit.rtd(P, P[:, :2], batch=50, trials=5)
        >>> low, high = r.ci()
        >>> bool(low <= r.value <= high)
        True
        """
        from rtdkit._intervals import t_interval

        if self.trials < 2:
            raise RTDInputError(
                "a confidence interval needs at least 2 subsampling trials, this result has 1; "
                "rerun rtd() with trials >= 2 and a batch smaller than the number of points"
            )
        return t_interval(self.samples, level)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary, ready for ``json.dumps``."""
        return {
            "rtd": self.value,
            "std": self.std,
            "samples": self.samples.tolist(),
            "forward": self.forward.tolist(),
            "backward": None if self.backward is None else self.backward.tolist(),
            "dim": self.dim,
            "batch": self.batch,
            "trials": self.trials,
            "symmetric": self.symmetric,
            "engine": self.engine,
            "method": self.method,
            "seed": self.seed,
            **self._chance_dict(),
        }

    def _chance_dict(self) -> dict[str, Any]:
        level = self.chance_level
        if level is None:
            return {"shuffles": 0}
        out: dict[str, Any] = {
            "shuffles": self.shuffles,
            "chance": level.chance,
            "chance_std": level.chance_std,
            "relative": level.relative,
            "chance_samples": level.chance_samples.tolist(),
            "relative_samples": level.relative_samples.tolist(),
            "shuffled": level.shuffled.tolist(),
        }
        if self.trials >= 2:
            out["relative_ci"] = list(level.relative_ci())
        return out

    def __repr__(self) -> str:
        chance = "" if self.relative is None else f", relative={self.relative:.4g}"
        return (
            f"RTDResult(value={self.value:.6g}, std={self.std:.3g}{chance}, "
            f"trials={self.trials}, batch={self.batch}, dim={self.dim}, "
            f"symmetric={self.symmetric})"
        )
