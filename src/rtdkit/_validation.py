"""Input validation shared by every public entry point.

All checks live here so that every function reports bad input the same way: an
:class:`RTDInputError` (a ``ValueError``) or :class:`RTDTypeError` (a ``TypeError``)
whose message names the offending argument and says how to fix it.
"""

from __future__ import annotations

import numbers
import os
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from rtdkit.engines import EngineInfo

__all__ = [
    "RTDInputError",
    "RTDTypeError",
    "as_float_matrix",
    "check_bool",
    "check_choice",
    "check_dim",
    "check_distance_matrix",
    "check_engine",
    "check_int",
    "check_method",
    "check_metric",
    "check_n_jobs",
    "check_normalize",
    "check_optional_int",
    "check_same_rows",
    "check_score_dim",
    "check_seed",
    "to_numpy",
]

FloatArray = NDArray[np.float64]


class RTDInputError(ValueError):
    """A value passed to rtdkit is unusable; the message names the argument and the fix."""


class RTDTypeError(RTDInputError, TypeError):
    """An argument has the wrong type (also a ``ValueError``, so one ``except`` catches all)."""


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


def check_seed(seed: Any, *, generator: bool = True) -> Any:
    """A random seed: an integer >= 0 or None (fresh entropy), or a numpy Generator if allowed.

    Examples
    --------
    >>> check_seed(7), check_seed(None)
    (7, None)
    """
    if seed is None or (generator and isinstance(seed, np.random.Generator)):
        return seed
    kinds = "an integer >= 0, None or a numpy Generator" if generator else "an integer >= 0"
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise RTDTypeError(f"seed must be {kinds}; got {seed!r}")
    if seed < 0:
        raise RTDInputError(f"seed must be {kinds}; got {seed}")
    return int(seed)


def check_metric(metric: Any) -> str:
    """A scipy ``cdist`` metric name or 'precomputed'."""
    from rtdkit.distances import check_metric as _check

    return _check(metric)


def check_normalize(normalize: Any) -> float | None:
    """The quantile ``normalize`` asks for ('quantile' is 0.9), or None for no scaling."""
    from rtdkit.distances import resolve_quantile

    return resolve_quantile(normalize)


def check_dim(dim: Any, info: EngineInfo, name: str = "dim", *, minimum: int = 0) -> int:
    """A homology dimension that the engine ``info`` computes."""
    dim = check_int(dim, name, minimum=minimum)
    if dim > info.max_supported_dim:
        raise RTDInputError(
            f"{name}={dim} is above what engine {info.name!r} computes "
            f"({info.max_supported_dim}); lower it or choose another engine"
        )
    return dim


def check_score_dim(dim: Any, info: EngineInfo) -> int:
    """The dimension of an RTD score: >= 1, because RTD_0 is 0 for every input.

    R-Cross-Barcode_0 has no finite bar: at threshold 0 the doubled graph (eq. 2) already
    joins the first copies to each other and each point to its copy, so it is connected
    from the start and no H0 class is born to die later.
    """
    if isinstance(dim, numbers.Integral) and not isinstance(dim, bool) and dim == 0:
        raise RTDInputError(
            "dim=0 would report RTD = 0 for any input: the R-Cross-Barcode has no finite H0 "
            "bar (each point is joined to its copy at threshold 0). Use dim=1 (the default) or 2"
        )
    return check_dim(dim, info, minimum=1)


METHODS = ("identity", "barcode")


def check_method(method: Any, *, dim: int, engine: Any) -> str:
    """The RTD path: the identity for dimension 1 unless a barcode engine is named.

    ``engine`` is what the caller passed (None, a name or an EngineInfo): naming an engine
    asks for its barcode, which the identity does not use.
    """
    if method is None:
        return "identity" if dim == 1 and engine is None else "barcode"
    method = check_choice(method, "method", METHODS)
    if method == "identity" and dim != 1:
        raise RTDInputError(
            f"method='identity' gives RTD_1 only; got dim={dim}. Use method='barcode' for "
            "other dimensions"
        )
    if method == "identity" and engine is not None:
        name = getattr(engine, "name", engine)
        raise RTDInputError(
            f"engine={name!r} chooses a barcode engine, which method='identity' does not use; "
            "drop engine= or pass method='barcode'"
        )
    return method


def check_engine(engine: Any, *, edges: bool = False, purpose: str = "") -> EngineInfo:
    """The engine named ``engine`` (None: the default), able to report critical edges if asked."""
    from rtdkit.engines import get_engine

    info = get_engine(engine)
    if edges and not info.supports_edges:
        raise RTDInputError(
            f"engine {info.name!r} does not report critical edges{purpose}; choose an engine "
            "that does, e.g. engine='reference'"
        )
    return info
