"""Short reprs for result objects: one line a person reads at the prompt, not a data dump.

A result that carries a null distribution or per-trial samples would otherwise print every
value (``PermutationResult`` printed all 99 permuted statistics). Arrays are summarised by
their size and range, floats shown to four significant digits; ``to_dict()`` and the
attributes keep every value.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["summary_repr"]


def summary_repr(result: Any) -> str:
    """``Name(field=value, ...)`` over a dataclass's fields with ``repr=True``, each short.

    Examples
    --------
    >>> import numpy as np
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Test:
    ...     pvalue: float
    ...     null: np.ndarray
    ...     __repr__ = summary_repr
    >>> Test(0.0123456, np.linspace(0.5, 1.0, 99))
    Test(pvalue=0.01235, null=<99 values in [0.5, 1]>)
    """
    fields = (f for f in dataclasses.fields(result) if f.repr)
    shown = ", ".join(f"{f.name}={_short(getattr(result, f.name))}" for f in fields)
    return f"{type(result).__name__}({shown})"


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return _array(value)
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    if isinstance(value, tuple) and all(isinstance(v, float | np.floating) for v in value):
        return f"({', '.join(_short(v) for v in value)})"
    return repr(value)


def _array(values: np.ndarray) -> str:
    if values.ndim != 1:
        return f"<array of shape {values.shape}>"
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if finite.size == 0:
        return f"<{_count(values.size)}, none finite>" if values.size else "<no values>"
    missing = f", {values.size - finite.size} not finite" if finite.size < values.size else ""
    low, high = _short(float(finite.min())), _short(float(finite.max()))
    return f"<{_count(values.size)} in [{low}, {high}]{missing}>"


def _count(n: int) -> str:
    return f"{n} value" if n == 1 else f"{n} values"
