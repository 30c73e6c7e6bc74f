"""Confidence intervals of a mean over independent samples (the ground floor of the stats).

:func:`t_interval` is the interval behind :meth:`rtdkit.RTDResult.ci`; it lives below
:mod:`rtdkit.divergence` so that the result objects need nothing from :mod:`rtdkit.stats`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rtdkit._validation import RTDInputError

__all__ = ["check_level", "t_interval"]


def check_level(level: Any) -> float:
    """A coverage level strictly between 0 and 1, as a float."""
    if isinstance(level, bool) or not isinstance(level, (int, float, np.integer, np.floating)):
        raise RTDInputError(f"level must be a number in (0, 1) such as 0.95, got {level!r}")
    if not 0.0 < float(level) < 1.0:
        raise RTDInputError(f"level must lie strictly between 0 and 1 (e.g. 0.95), got {level}")
    return float(level)


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

    level = check_level(level)
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
