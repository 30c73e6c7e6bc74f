"""How much memory an RTD needs, checked before any N x N matrix is allocated.

One place for the figures (peak bytes per N², measured by ``benchmarks/memory.py``) and the
checks that :func:`rtdkit.rtd`, :func:`rtdkit.cross_barcode`, the loss, the critical edges and
the command line consult up front; the guard itself (the memory this process may use) is
:func:`rtdkit.distances.check_memory`.
"""

from __future__ import annotations

from rtdkit.distances import SUBSET_FIX, check_memory
from rtdkit.engines import EngineInfo
from rtdkit.options import RTDOptions

__all__ = [
    "FLOAT64_ROUTE_BYTES_PER_N2",
    "IDENTITY_FLOAT32_TRIAL_BYTES_PER_N2",
    "IDENTITY_TRIAL_BYTES_PER_N2",
    "check_barcode_memory",
    "check_rtd_memory",
    "check_trial_memory",
]

# Peak bytes per N² of one identity trial on N points through the float64 route (trials with
# shuffles, the loss, critical edges; python benchmarks/memory.py, before the float32 route:
# 69.8 at N = 3000, 72.5 at N = 6000): the float64 distance matrices of both clouds, the floored
# copies of each direction, and the engine's float32 working set.
IDENTITY_TRIAL_BYTES_PER_N2 = 76.0
# The same trial through the float32 route (rtd's trials without shuffles, rtd_trial): 17.4 at
# N = 3000, 16.7 at N = 6000 and 17.3 at N = 10,000, on 1 and 2 threads alike
# (benchmarks/results/memory.md, whole_cloud.md); the bound leaves room for the rare
# recomputation of P's float64 matrix (24 B/N² for a moment, docs/score.md).
IDENTITY_FLOAT32_TRIAL_BYTES_PER_N2 = 26.0
FLOAT64_ROUTE_BYTES_PER_N2 = 48.0


def check_barcode_memory(n_rows: int, info: EngineInfo) -> None:
    """Refuse up front a :func:`cross_barcode` by ``info`` on too many points for memory."""
    what = f"cross_barcode (engine {info.name!r})"
    check_memory(n_rows, info.bytes_per_n2 or 16.0, what=what, fix=SUBSET_FIX)


def check_rtd_memory(
    n_rows: int, options: RTDOptions, *, batch: int | None = None, trials: int = 1, n_jobs: int = 1
) -> None:
    """Refuse up front an :func:`rtd` on ``n_rows`` points whose trials at once (one when
    ``batch`` covers them all) cannot fit in memory; the error names ``batch=``.

    >>> check_rtd_memory(10**6, RTDOptions.check(), batch=500)  # subsets of 500 points: fit
    """
    if batch is None or batch >= n_rows:
        check_trial_memory(n_rows, options, n_jobs=1, float32=True)
    else:
        check_trial_memory(batch, options, n_jobs=min(n_jobs, trials), float32=True)


def check_trial_memory(
    n: int, options: RTDOptions, *, n_jobs: int, caller: str = "rtd", float32: bool = False
) -> None:
    """Refuse ``n_jobs`` trials on ``n`` points at once that cannot fit in memory (naming
    ``batch=``); ``float32``: through :func:`rtdkit._whole_cloud.identity_matrices`."""
    if options.method == "identity":
        per_trial = IDENTITY_FLOAT32_TRIAL_BYTES_PER_N2 if float32 else IDENTITY_TRIAL_BYTES_PER_N2
    else:
        per_trial = FLOAT64_ROUTE_BYTES_PER_N2 + (options.info.bytes_per_n2 or 16.0)
    what = f"{caller} (method {options.method!r}, {n_jobs} trial(s) at once)"
    check_memory(n, per_trial * n_jobs, what=what)
