"""The result object of :func:`rtdkit.cross_barcode`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import FloatArray, RTDInputError, check_int

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CrossBarcode"]


@dataclass(frozen=True)
class CrossBarcode:
    """R-Cross-Barcode(P, P̃) for dimensions ``0..maxdim``.

    ``bc[i]`` is a ``(k, 2)`` float64 array of finite ``(birth, death)`` pairs in H_i, sorted by
    decreasing length. Zero-length pairs are not reported, nor is the single infinite H0 bar of
    the doubled complex, so ``bc[0]`` is empty by construction (the paper: "H0 barcodes are
    absent"). ``edges[i]`` (when requested) holds for each bar the doubled-matrix vertex pairs
    whose distances are its birth and its death; see :mod:`rtdkit.engines`.

    Examples
    --------
    >>> import numpy as np, rtdkit
    >>> rng = np.random.default_rng(0)
    >>> P, Q = rng.normal(size=(60, 5)), rng.normal(size=(60, 3))
    >>> bc = rtdkit.cross_barcode(P, Q)
    >>> bc[1].shape[1], bc.total_length(1) > 0
    (2, True)
    """

    bars: tuple[FloatArray, ...]
    engine: str = "reference"
    edges: tuple[NDArray[np.int64], ...] | None = field(default=None, repr=False)

    @property
    def maxdim(self) -> int:
        return len(self.bars) - 1

    def __getitem__(self, dim: int) -> FloatArray:
        return self.bars[self._check_dim(dim)]

    def __len__(self) -> int:
        return len(self.bars)

    def __iter__(self) -> Any:
        return iter(self.bars)

    def _check_dim(self, dim: int) -> int:
        dim = check_int(dim, "dim", minimum=0)
        if dim > self.maxdim:
            raise RTDInputError(
                f"dim={dim} was not computed (maxdim={self.maxdim}); call cross_barcode with "
                f"maxdim={dim} or more"
            )
        return int(dim)

    def lengths(self, dim: int = 1) -> FloatArray:
        """Bar lengths ``death - birth`` in H_dim."""
        b = self[dim]
        out: FloatArray = b[:, 1] - b[:, 0]
        return out

    def total_length(self, dim: int = 1) -> float:
        """RTD_dim(P, P̃): the sum of bar lengths in H_dim."""
        return float(np.sum(self.lengths(dim)))

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Draw the barcode as horizontal bars (like Fig. 3 of the paper); returns the axes."""
        from rtdkit.plot import plot_barcode

        return plot_barcode(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"H{d}: {len(b)} bars, total {float(np.sum(b[:, 1] - b[:, 0])):.6g}"
            for d, b in enumerate(self.bars)
        )
        return f"CrossBarcode({counts}; engine={self.engine!r})"
