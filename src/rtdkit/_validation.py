"""Input validation shared by every public entry point.

The ground floor of the package: it imports nothing of rtdkit (checks that need the engine
registry live in :mod:`rtdkit.options`). All checks live here so that every function reports
bad input the same way: an
:class:`RTDInputError` (a ``ValueError``) or :class:`RTDTypeError` (a ``TypeError``)
whose message names the offending argument and says how to fix it.
"""

from __future__ import annotations

import numbers
import os
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_QUANTILE",
    "METRICS",
    "RTDInputError",
    "RTDInputWarning",
    "RTDTypeError",
    "as_float_matrix",
    "check_bool",
    "check_choice",
    "check_distance_matrix",
    "check_int",
    "check_metric",
    "check_n_jobs",
    "check_normalize",
    "check_optional_int",
    "check_same_rows",
    "check_seed",
    "to_numpy",
    "warn_if_transposed",
]

FloatArray = NDArray[np.float64]


class RTDInputError(ValueError):
    """A value passed to rtdkit is unusable; the message names the argument and the fix."""


class RTDTypeError(RTDInputError, TypeError):
    """An argument has the wrong type (also a ``ValueError``, so one ``except`` catches all)."""


class RTDInputWarning(UserWarning):
    """An input that is usable but probably not what was meant (e.g. a transposed cloud)."""


def warn_if_transposed(x: NDArray[Any], name: str) -> None:
    """Warn when a cloud has fewer points (rows) than features (columns).

    Activations saved channels-first, or a matrix transposed by mistake, look like that: the
    RTD would then compare the *features* as points without a word.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_transposed(np.zeros((4, 10)), "P")
    >>> caught[0].category.__name__
    'RTDInputWarning'
    """
    n, d = x.shape
    if n < d:
        warnings.warn(
            f"{name} has {n} rows (points) but {d} columns (features): rows must be the "
            f"objects compared. If {name} is transposed (e.g. channels first), pass {name}.T",
            RTDInputWarning,
            stacklevel=3,
        )


def to_numpy(x: Any, name: str) -> NDArray[Any]:
    """Convert arrays, array-likes and torch tensors to a numpy array without copying needlessly.

    Torch is never imported here: a tensor is recognised by duck typing so that torch stays an
    optional dependency.
    """
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):
        x = x.detach().cpu()
        if str(getattr(x, "dtype", "")) == "torch.bfloat16":
            x = x.float()
        x = x.numpy()
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise RTDTypeError(
            f"{name} could not be converted to an array ({exc}); pass a numpy array, "
            "a list of equal-length rows, or a torch tensor"
        ) from exc
    return arr


def as_float_matrix(x: Any, name: str, *, min_rows: int = 3) -> FloatArray:
    """``x`` as a C-contiguous 2-D float64 array of finite values, >= ``min_rows`` rows."""
    arr = to_numpy(x, name)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise RTDTypeError(
            f"{name} must hold numbers, got dtype {arr.dtype}; convert it with "
            f"np.asarray({name}, dtype=float)"
        )
    if np.iscomplexobj(arr):
        raise RTDTypeError(f"{name} is complex; pass real-valued data (e.g. np.abs or .real)")
    if arr.ndim != 2:
        raise RTDInputError(
            f"{name} must be 2-D (n_points, n_features), got shape {arr.shape}; "
            f"reshape it, e.g. {name}.reshape(len({name}), -1)"
        )
    if arr.shape[0] < min_rows:
        raise RTDInputError(
            f"{name} has {arr.shape[0]} points; at least {min_rows} are needed for a barcode"
        )
    if arr.shape[1] < 1:
        raise RTDInputError(f"{name} has no features (shape {arr.shape}); pass at least one column")
    out = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        bad = int(np.count_nonzero(~np.isfinite(out)))
        raise RTDInputError(
            f"{name} contains {bad} NaN or infinite value(s); remove or impute them first"
        )
    return out


def check_same_rows(a: NDArray[Any], b: NDArray[Any], name_a: str, name_b: str) -> None:
    """RTD needs a one-to-one correspondence, hence the same number of points."""
    if a.shape[0] != b.shape[0]:
        raise RTDInputError(
            f"{name_a} has {a.shape[0]} points but {name_b} has {b.shape[0]}; the two "
            "representations must describe the same objects in the same order"
        )


def check_int(value: Any, name: str, *, minimum: int) -> int:
    """An integer option (not a bool, not a float) at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RTDTypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise RTDInputError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_optional_int(value: Any, name: str, *, minimum: int) -> int | None:
    return None if value is None else check_int(value, name, minimum=minimum)


def check_choice(value: Any, name: str, choices: tuple[str, ...] | list[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise RTDInputError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_symmetric_matrix(
    d: FloatArray, name: str, *, what: str = "matrix of pairwise values"
) -> FloatArray:
    """A square matrix equal to its transpose up to rounding; returns its exact symmetric part."""
    n, m = d.shape
    if n != m:
        raise RTDInputError(f"{name} must be a square N x N {what}, got shape {d.shape}")
    if not np.allclose(d, d.T, rtol=0.0, atol=_rounding_tolerance(d)):
        raise RTDInputError(f"{name} is not symmetric; pass (D + D.T) / 2 if that is intended")
    out: FloatArray = (d + d.T) / 2.0
    return out


def _rounding_tolerance(d: FloatArray) -> float:
    scale = float(np.max(np.abs(d))) if d.size else 0.0
    return 1e-9 * max(scale, 1.0)


def check_distance_matrix(d: FloatArray, name: str) -> FloatArray:
    """A precomputed distance matrix: square, symmetric, non-negative, zero diagonal."""
    out = check_symmetric_matrix(d, name, what="distance matrix with metric='precomputed'")
    if np.any(d < 0):
        raise RTDInputError(f"{name} has negative entries; distances must be >= 0")
    if np.any(np.abs(np.diag(d)) > _rounding_tolerance(d)):
        raise RTDInputError(f"{name} has a non-zero diagonal; a point is at distance 0 from itself")
    np.fill_diagonal(out, 0.0)
    return out


# --------------------------------------------------------------------------------------------
# Options shared by the public functions: one meaning and one check per name
# --------------------------------------------------------------------------------------------


def check_bool(value: Any, name: str) -> bool:
    """A flag: ``True`` or ``False`` (numpy booleans too), never a truthy stand-in."""
    if not isinstance(value, (bool, np.bool_)):
        raise RTDTypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_n_jobs(n_jobs: Any, name: str = "n_jobs") -> int:
    """Workers, as in scikit-learn: None means 1, -1 every core this process may use.

    Examples
    --------
    >>> check_n_jobs(None), check_n_jobs(3)
    (1, 3)
    """
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral):
        raise RTDTypeError(f"{name} must be a positive integer, -1 or None, got {n_jobs!r}")
    if n_jobs == -1:
        usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        return len(usable) if usable else (os.cpu_count() or 1)
    if n_jobs < 1:
        raise RTDInputError(
            f"{name} must be a positive integer, -1 (every core) or None (one), got {n_jobs}"
        )
    return int(n_jobs)


def check_seed(seed: Any, *, generator: bool = True, fresh: bool = True) -> Any:
    """A random seed: an integer >= 0, None (fresh entropy) if ``fresh``, or a numpy Generator
    if ``generator``. One check for every function that takes ``seed``.

    Examples
    --------
    >>> check_seed(7), check_seed(None)
    (7, None)
    """
    if (fresh and seed is None) or (generator and isinstance(seed, np.random.Generator)):
        return seed
    kinds = "an integer >= 0" + (", None" if fresh else "")
    kinds += " or a numpy Generator" if generator else ""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise RTDTypeError(f"seed must be {kinds}; got {seed!r}")
    if seed < 0:
        raise RTDInputError(f"seed must be {kinds}; got {seed}")
    return int(seed)


DEFAULT_QUANTILE = 0.9

# Metrics scipy's cdist accepts; "precomputed" means the caller passes distance matrices.
_SCIPY_METRICS = (
    "braycurtis",
    "canberra",
    "chebyshev",
    "cityblock",
    "correlation",
    "cosine",
    "euclidean",
    "jensenshannon",
    "minkowski",
    "seuclidean",
    "sqeuclidean",
)
METRICS = (*_SCIPY_METRICS, "precomputed")


def check_metric(metric: Any) -> str:
    """``metric`` must be a scipy ``cdist`` metric name or 'precomputed'."""
    if not isinstance(metric, str) or metric not in METRICS:
        raise RTDInputError(
            f"metric must be one of {', '.join(METRICS)}; got {metric!r}. Use "
            "metric='precomputed' to pass your own N x N distance matrices"
        )
    return metric


def check_normalize(normalize: Any) -> float | None:
    """The quantile that ``normalize`` asks for ('quantile' → 0.9), or None for no scaling."""
    if normalize is None:
        return None
    if normalize == "quantile" and isinstance(normalize, str):
        return DEFAULT_QUANTILE
    if isinstance(normalize, (int, float)) and not isinstance(normalize, bool):
        if 0.0 < float(normalize) <= 1.0:
            return float(normalize)
        raise RTDInputError(f"normalize as a quantile must lie in (0, 1]; got {normalize}")
    raise RTDInputError(
        f"normalize must be 'quantile', a quantile in (0, 1], or None; got {normalize!r}"
    )
