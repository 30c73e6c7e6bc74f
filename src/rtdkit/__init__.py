"""rtdkit: Representation Topology Divergence and R-Cross-Barcodes.

>>> import rtdkit
>>> r = rtdkit.rtd(P, Q)            # doctest: +SKIP
>>> bc = rtdkit.cross_barcode(P, Q)  # doctest: +SKIP

``import rtdkit`` is cheap: each public name is imported from its module on first use
(PEP 562), so a script, or ``rtdkit --help``, loads scipy, matplotlib, pandas or torch only
when it computes with them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rtdkit._validation import RTDInputError, RTDInputWarning, RTDTypeError
    from rtdkit._version import __version__
    from rtdkit.allpairs import pairwise
    from rtdkit.barcode import CrossBarcode
    from rtdkit.divergence import RTDResult, cross_barcode, rtd
    from rtdkit.engines import available_engines, register_engine
    from rtdkit.options import RTDOptions
    from rtdkit.stats import permutation_test

# Public name -> the module that defines it. Even __version__ waits: importlib.metadata
# costs more than the rest of ``import rtdkit``.
_LAZY = {
    "__version__": "rtdkit._version",
    "CrossBarcode": "rtdkit.barcode",
    "RTDInputError": "rtdkit._validation",
    "RTDInputWarning": "rtdkit._validation",
    "RTDOptions": "rtdkit.options",
    "RTDResult": "rtdkit.divergence",
    "RTDTypeError": "rtdkit._validation",
    "available_engines": "rtdkit.engines",
    "cross_barcode": "rtdkit.divergence",
    "pairwise": "rtdkit.allpairs",
    "permutation_test": "rtdkit.stats",
    "register_engine": "rtdkit.engines",
    "rtd": "rtdkit.divergence",
}

# Subpackages and modules reachable as attributes (``rtdkit.stats.mantel``) once imported.
_SUBMODULES = frozenset(
    {
        "allpairs", "barcode", "baselines", "cli", "comparison", "critical", "datasets",
        "distances", "divergence", "engines", "experiments", "io", "layers", "measures",
        "plot", "stats", "study", "testing", "torch",
    }
)  # fmt: skip

__all__ = [
    "CrossBarcode",
    "RTDInputError",
    "RTDInputWarning",
    "RTDOptions",
    "RTDResult",
    "RTDTypeError",
    "__version__",
    "available_engines",
    "cross_barcode",
    "pairwise",
    "permutation_test",
    "register_engine",
    "rtd",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use, and keep the name for the next time."""
    if name in _SUBMODULES:
        return importlib.import_module(f"rtdkit.{name}")
    if name not in _LAZY:
        raise AttributeError(f"module 'rtdkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
