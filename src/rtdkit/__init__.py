"""rtdkit: Representation Topology Divergence and R-Cross-Barcodes.

>>> import rtdkit
>>> r = rtdkit.rtd(P, Q)            # doctest: +SKIP
>>> bc = rtdkit.cross_barcode(P, Q)  # doctest: +SKIP
"""

from rtdkit._validation import RTDInputError, RTDTypeError
from rtdkit.barcode import CrossBarcode
from rtdkit.divergence import RTDResult, cross_barcode, rtd
from rtdkit.engines import available_engines, register_engine
from rtdkit.parallel import pairwise
from rtdkit.stats import permutation_test

__version__ = "0.1.0"

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
