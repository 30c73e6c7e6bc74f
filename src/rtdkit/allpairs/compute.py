"""The work of one pair: representations prepared once per process, every measure's trials."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._loader import load_representation
from rtdkit._trials import subsample_indices
from rtdkit._validation import FloatArray, check_same_rows
from rtdkit.allpairs.store import RepInfo, ResultRow
from rtdkit.comparison import trial_values
from rtdkit.measures import MEASURES

if TYPE_CHECKING:
    from rtdkit.allpairs.plan import PairTask

__all__ = ["FileRep", "RepCache", "compute_pair", "load_prepared", "prepare", "rep_info"]


@dataclass(frozen=True)
class FileRep:
    """A representation stored in a file, read by whichever process needs it."""

    path: str
    key: str | None = None
    allow_pickle: bool = False

    def load(self) -> NDArray[Any]:
        from rtdkit.io import load_array

        return load_array(self.path, key=self.key, allow_pickle=self.allow_pickle)


def prepare(x: Any, name: str, metric: str) -> FloatArray:
    """Validate a representation once: finite float64 rows (a checked matrix if precomputed)."""
    return load_representation(x, f"reps[{name!r}]", metric=metric)


def rep_info(x: FloatArray) -> RepInfo:
    """Content digest and shape; the store uses it to notice data changed under a name."""
    h = hashlib.sha256(f"{x.shape}|{x.dtype.str}|".encode())
    h.update(np.ascontiguousarray(x).data)
    return RepInfo(h.hexdigest(), int(x.shape[0]), int(x.shape[1]))


class RepCache:
    """The representations one process has prepared, loading files on first use."""

    def __init__(self, sources: Mapping[str, FloatArray | FileRep], metric: str):
        self._sources = sources
        self._metric = metric
        self._ready: dict[str, FloatArray] = {}
        # Threads of one process share the cache; a file is read and checked only once.
        self._lock = threading.Lock()

    def get(self, name: str) -> FloatArray:
        with self._lock:
            if name not in self._ready:
                source = self._sources[name]
                raw = source.load() if isinstance(source, FileRep) else source
                self._ready[name] = prepare(raw, name, self._metric)
            return self._ready[name]

    def info(self, name: str) -> RepInfo:
        return rep_info(self.get(name))


def load_prepared(source: FileRep, name: str, metric: str) -> FloatArray:
    """Read and prepare one file-backed representation (a Dask task)."""
    return prepare(source.load(), name, metric)


def compute_pair(task: PairTask, x_a: FloatArray, x_b: FloatArray) -> list[ResultRow]:
    """Every requested (measure, trial) of one pair, on the pair's own subsamples."""
    check_same_rows(x_a, x_b, f"reps[{task.a!r}]", f"reps[{task.b!r}]")
    cfg = task.config
    # The index sets rtd(x_a, x_b, seed=task.seed) would draw; trial t is always the t-th.
    subsets = subsample_indices(len(x_a), cfg.batch, cfg.trials, task.seed)
    options = {measure: cfg.measure_options(measure) for measure, _ in task.todo}
    rows: list[ResultRow] = []
    for measure, t, values in trial_values(
        x_a, x_b, subsets, dict(task.todo), options=options, metric=cfg.metric
    ):
        for direction, value in zip(MEASURES[measure].directions, values, strict=True):
            rows.append(ResultRow(task.a, task.b, measure, direction, t, value, task.seed))
    return rows
