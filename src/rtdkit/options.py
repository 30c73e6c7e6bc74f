"""The RTD option bundle, checked once, and the checks that need the engine registry.

Every public function that computes an RTD (:func:`rtdkit.rtd`, :func:`rtdkit.pairwise`,
:func:`rtdkit.layers.compare_layers`, :class:`rtdkit.torch.RTDLoss`) keeps its keyword
arguments ``dim, normalize, metric, engine, method``, turns them into one :class:`RTDOptions`
with :meth:`RTDOptions.check` and passes that down: the bundle is validated in one place, in
one order, with one message per mistake. ``docs/options.md`` lists every public option name
with its single meaning.

``symmetric`` is not part of the bundle: it says how the two directions of a pair are
*averaged* (RTD(P, Q) ≠ RTD(Q, P)), not how one direction is computed, and ``pairwise`` always
computes and stores both.
"""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from rtdkit._validation import (
    RTDInputError,
    check_choice,
    check_int,
    check_metric,
    check_normalize,
)

if TYPE_CHECKING:
    from rtdkit.engines import EngineInfo

__all__ = ["METHODS", "RTDOptions", "barcode_engine", "check_engine"]

METHODS = ("identity", "barcode")


@dataclass(frozen=True)
class RTDOptions:
    """How one RTD_dim(P, Q) is computed; build it with :meth:`check`.

    Attributes
    ----------
    dim : int
        Homology dimension whose bar lengths are summed (>= 1).
    normalize : {'quantile', None} or float
        As given (the quantile it stands for is :attr:`quantile`).
    metric : str
        A scipy ``cdist`` metric or 'precomputed'.
    engine : str or None
        The barcode engine's name with ``method='barcode'``; None with the identity, which
        uses no barcode engine.
    method : {'identity', 'barcode'}
        How RTD_1 is obtained (see :func:`rtdkit.rtd`).

    Examples
    --------
    >>> RTDOptions.check()
    RTDOptions(dim=1, normalize='quantile', metric='euclidean', engine=None, method='identity')
    >>> RTDOptions.check(dim=2).engine
    'cone'
    """

    dim: int = 1
    normalize: str | float | None = "quantile"
    metric: str = "euclidean"
    engine: str | None = None
    method: str = "identity"

    @classmethod
    def check(
        cls,
        *,
        dim: Any = 1,
        normalize: Any = "quantile",
        metric: Any = "euclidean",
        engine: Any = None,
        method: Any = None,
        edges: bool = False,
        identity: bool = True,
        purpose: str = "",
    ) -> RTDOptions:
        """The checked bundle; the one place where these five options are validated.

        ``edges``: the barcode engine must report critical edges (gradients). ``identity``:
        whether the caller's quantity is the identity's (the total bar length of H1); when it
        is not, ``method`` defaults to 'barcode' and 'identity' is refused.
        """
        dim = check_score_dim(dim)
        method = check_method(method, dim=dim if identity else 0, engine=engine)
        name = None
        if method == "barcode":  # the identity loads no barcode engine
            info = check_engine(engine, edges=edges, purpose=purpose)
            name = info.name
            check_dim(dim, info)
        check_normalize(normalize)
        return cls(
            dim=dim, normalize=normalize, metric=check_metric(metric), engine=name, method=method
        )

    @property
    def quantile(self) -> float | None:
        """The quantile each distance matrix is divided by (None: no scaling)."""
        return check_normalize(self.normalize)

    @property
    def info(self) -> EngineInfo:
        """The barcode engine (method 'barcode'); the default one with the identity."""
        from rtdkit.engines import get_engine

        return get_engine(self.engine)

    def as_dict(self) -> dict[str, Any]:
        """The options as keyword arguments of :func:`rtdkit.rtd` (and a store's record)."""
        return asdict(self)


def check_engine(engine: Any, *, edges: bool = False, purpose: str = "") -> EngineInfo:
    """The engine named ``engine`` (None: the default), able to report critical edges if asked."""
    from rtdkit.engines import EngineInfo, get_engine

    info = engine if isinstance(engine, EngineInfo) else get_engine(engine)
    if edges and not info.supports_edges:
        raise RTDInputError(
            f"engine {info.name!r} does not report critical edges{purpose}; choose an engine "
            "that does, e.g. engine='reference'"
        )
    return info


def check_dim(dim: Any, info: EngineInfo, name: str = "dim", *, minimum: int = 0) -> int:
    """A homology dimension that the engine ``info`` computes."""
    dim = check_int(dim, name, minimum=minimum)
    if dim > info.max_supported_dim:
        raise RTDInputError(
            f"{name}={dim} is above what engine {info.name!r} computes "
            f"({info.max_supported_dim}); lower it or choose another engine"
        )
    return dim


def barcode_engine(
    engine: Any, maxdim: Any, *, edges: bool = False, purpose: str = ""
) -> tuple[EngineInfo, int]:
    """The engine of a barcode up to dimension ``maxdim`` (``cross_barcode``, ``critical_*``).

    ``maxdim`` is the highest dimension a barcode holds (0 allowed); ``dim`` (in
    :class:`RTDOptions`) the one dimension whose bars an RTD sums.
    """
    info = check_engine(engine, edges=edges, purpose=purpose)
    return info, check_dim(maxdim, info, "maxdim")


def check_score_dim(dim: Any) -> int:
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
    return check_int(dim, "dim", minimum=1)


def check_method(method: Any, *, dim: int, engine: Any) -> str:
    """The RTD path: the identity for dimension 1 unless a barcode engine is named.

    ``engine`` is what the caller passed (None, a name or an EngineInfo): naming an engine
    asks for its barcode, which the identity does not use. ``dim=0`` stands for "not the
    total length of H1", which only the barcode gives.
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
