"""Input checks shared by the baseline measures: paired representations and bounded reals."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    RTDTypeError,
    as_float_matrix,
    check_same_rows,
)

__all__ = ["check_real", "paired_representations"]


def paired_representations(X: Any, Y: Any, *, min_rows: int = 3) -> tuple[FloatArray, FloatArray]:
    """X and Y as float64 matrices describing the same objects (same number of rows)."""
    x = as_float_matrix(X, "X", min_rows=min_rows)
    y = as_float_matrix(Y, "Y", min_rows=min_rows)
    check_same_rows(x, y, "X", "Y")
    return x, y


def check_real(value: Any, name: str, *, low: float, high: float, low_open: bool) -> float:
    """A finite real in (low, high] (``low_open``) or [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise RTDTypeError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    too_low = v <= low if low_open else v < low
    if not math.isfinite(v) or too_low or v > high:
        bracket = "(" if low_open else "["
        raise RTDInputError(f"{name} must lie in {bracket}{low}, {high}], got {value!r}")
    return v
