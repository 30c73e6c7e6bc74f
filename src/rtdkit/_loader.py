"""One representation loader: read a file if given one, check the array, then the matrix.

Every entry point that takes representations (:func:`rtdkit.rtd`, :func:`rtdkit.cross_barcode`,
:func:`rtdkit.pairwise`, :func:`rtdkit.layers.compare_layers`) loads them here, so they accept
the same inputs, refuse the same mistakes with the same words, and warn about the same
suspicious shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rtdkit._validation import FloatArray, as_float_matrix, to_numpy, warn_if_transposed
from rtdkit.distances import check_memory, pairwise_distances

__all__ = ["PRECOMPUTED_BYTES_PER_N2", "load_representation"]

# Checking a precomputed matrix holds the float64 input, its transpose-average and a boolean
# comparison at once: about 3 x 8 bytes per N².
PRECOMPUTED_BYTES_PER_N2 = 24.0


def load_representation(
    x: Any,
    name: str,
    *,
    metric: str = "euclidean",
    check_rows: Callable[[int], None] | None = None,
) -> FloatArray:
    """``x`` (an array, tensor or file name, read without pickles) as a checked float64 matrix.

    A cloud of points (N, D) is warned about when N < D (see
    :func:`rtdkit._validation.warn_if_transposed`). With ``metric='precomputed'`` it must be an
    N x N distance matrix, validated here once (not per trial), after the memory check.
    ``check_rows`` is called with a file's number of rows, from its header, before the file
    is read (so that a caller refuses too large an input without loading it).

    Examples
    --------
    >>> import numpy as np
    >>> load_representation(np.ones((5, 2)), "P").shape
    (5, 2)
    """
    from rtdkit.io import read_if_path

    raw = to_numpy(read_if_path(x, check_rows=check_rows), name)
    if metric == "precomputed":
        if raw.ndim == 2:  # refused before the float64 copies of an N x N matrix
            check_memory(raw.shape[0], PRECOMPUTED_BYTES_PER_N2, what=f"checking {name}")
        return pairwise_distances(as_float_matrix(raw, name), metric=metric, name=name)
    arr = as_float_matrix(raw, name)
    warn_if_transposed(arr, name)
    return arr
