"""rtdkit: Representation Topology Divergence and R-Cross-Barcodes.

>>> import rtdkit
>>> r = rtdkit.rtd(P, Q)            # doctest: +SKIP
>>> bc = rtdkit.cross_barcode(P, Q)  # doctest: +SKIP
"""

from importlib.metadata import version as _distribution_version

from rtdkit._validation import RTDInputError, RTDTypeError
from rtdkit.allpairs import pairwise
from rtdkit.barcode import CrossBarcode
from rtdkit.divergence import RTDResult, cross_barcode, rtd
from rtdkit.engines import available_engines, register_engine
from rtdkit.stats import permutation_test

# One source of truth: the version pip installed (pyproject.toml's [project] version).
__version__ = _distribution_version("rtdkit")

__all__ = [
    "CrossBarcode",
    "RTDInputError",
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
