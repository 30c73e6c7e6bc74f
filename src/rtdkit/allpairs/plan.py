"""The plan of an all-pairs study: checked options, per-pair seeds, and the pairs still to do."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    RTDTypeError,
    check_bool,
    check_int,
    check_optional_int,
    check_seed,
)
from rtdkit.allpairs.compute import FileRep, prepare
from rtdkit.allpairs.store import ResultStore, canonical_json
from rtdkit.comparison import check_measure_options, representation_measure
from rtdkit.io import split_path_key
from rtdkit.measures import MEASURES
from rtdkit.options import RTDOptions

__all__ = ["SEED_SCHEME", "Config", "PairTask", "Plan", "make_plan", "pair_seed", "pending"]

# Bumped if the derivation of per-pair seeds ever changes, so old stores refuse new runs.
SEED_SCHEME = 1


def pair_seed(seed: int, a: str, b: str) -> int:
    """The subsampling seed of the pair (a, b): the same for (b, a), on any machine.

    A SHA-256 of the study seed and the sorted names (Python's ``hash`` is salted per process),
    cut to 63 bits so it fits a SQLite integer. ``rtdkit.rtd(P_a, P_b, seed=pair_seed(...))``
    reproduces a matrix entry of :func:`pairwise` exactly.

    Examples
    --------
    >>> pair_seed(0, "layer1", "layer2") == pair_seed(0, "layer2", "layer1")
    True
    """
    text = json.dumps([SEED_SCHEME, seed, sorted((a, b))])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


@dataclass(frozen=True)
class Config:
    """The options every pair task needs; small and picklable."""

    batch: int | None
    trials: int
    rtd: RTDOptions
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def metric(self) -> str:
        return self.rtd.metric

    def measure_options(self, measure: str) -> dict[str, Any]:
        """The options of ``measure``: pairwise()'s own arguments for those it takes from the
        call (RTD's ``dim``, ``metric``, ...), else its entry of ``measure_options``."""
        taken = MEASURES[measure].call_options
        if taken:
            return {k: v for k, v in self.rtd.as_dict().items() if k in taken}
        return self.options.get(measure, {})


@dataclass(frozen=True)
class PairTask:
    """Compute the listed trials of the listed measures for representations ``a < b``."""

    a: str
    b: str
    seed: int
    todo: tuple[tuple[str, tuple[int, ...]], ...]
    config: Config


@dataclass(frozen=True)
class Plan:
    """Everything a study needs, checked before anything is computed or written."""

    names: list[str]
    measures: list[str]
    sources: dict[str, FloatArray | FileRep]
    config: Config
    seed: int
    symmetric: bool

    def params(self, measure: str) -> dict[str, Any]:
        """What the stored numbers of ``measure`` depend on (``trials`` only extends them)."""
        common = {"batch": self.config.batch, "seed": self.seed, "seed_scheme": SEED_SCHEME}
        options = self.config.measure_options(measure)
        if MEASURES[measure].call_options:
            return {**common, **options}
        return {**common, "options": options}


def make_plan(
    reps: Mapping[str, Any],
    measures: str | Sequence[str],
    *,
    batch: int | None,
    trials: int,
    seed: int,
    symmetric: bool,
    dim: int,
    normalize: str | float | None,
    metric: str,
    engine: str | None,
    method: str | None,
    measure_options: Mapping[str, Mapping[str, Any]] | None,
    allow_pickle: bool,
) -> Plan:
    """Validate every option before anything is computed or written."""
    rtd = RTDOptions.check(
        dim=dim, normalize=normalize, metric=metric, engine=engine, method=method
    )
    symmetric = check_bool(symmetric, "symmetric")
    allow_pickle = check_bool(allow_pickle, "allow_pickle")
    wanted = _check_measures(measures, metric)
    options = check_measure_options(measure_options, wanted, caller="pairwise()")
    for name, given in options.items():
        canonical_json(given, f"measure_options[{name!r}]")
    config = Config(
        batch=check_optional_int(batch, "batch", minimum=3),
        trials=check_int(trials, "trials", minimum=1),
        rtd=rtd,
        options=options,
    )
    sources = _sources(reps, metric, allow_pickle)
    seed = check_seed(seed, generator=False, fresh=False)
    return Plan(list(sources), wanted, sources, config, seed, symmetric)


def _check_measures(measures: str | Sequence[str], metric: str) -> list[str]:
    wanted = [measures] if isinstance(measures, str) else list(measures)
    if not wanted or len(set(wanted)) != len(wanted):
        raise RTDInputError(f"measures must list distinct measure names, got {measures!r}")
    for name in wanted:
        if name not in MEASURES:
            raise RTDInputError(f"unknown measure {name!r}; choose from {', '.join(MEASURES)}")
        representation_measure(name)
        if metric == "precomputed" and "metric" not in MEASURES[name].call_options:
            takers = ", ".join(repr(m) for m, v in MEASURES.items() if "metric" in v.call_options)
            raise RTDInputError(
                f"metric='precomputed' applies to {takers} only; {name!r} needs feature arrays"
            )
    return wanted


def _sources(
    reps: Mapping[str, Any], metric: str, allow_pickle: bool
) -> dict[str, FloatArray | FileRep]:
    """In-memory arrays are prepared here, once; files are left for the workers to read."""
    if not isinstance(reps, Mapping) or len(reps) < 2:
        raise RTDInputError(
            "reps must be a mapping of at least two names to arrays or files (a study compares "
            f"pairs); got {len(reps) if isinstance(reps, Mapping) else type(reps).__name__}"
        )
    out: dict[str, FloatArray | FileRep] = {}
    for name, value in reps.items():
        if not isinstance(name, str) or not name:
            raise RTDTypeError(f"representation names must be non-empty strings, got {name!r}")
        if isinstance(value, (str, os.PathLike)):
            path, key = split_path_key(os.fspath(value))
            out[name] = FileRep(str(path), key, allow_pickle)
        else:
            out[name] = prepare(value, name, metric)
    return out


def pending(db: ResultStore, plan: Plan, n_trials: int) -> list[PairTask]:
    """One task per pair that still misses a (measure, trial); stored ones are skipped."""
    done = {m: db.completed_trials(m, len(MEASURES[m].directions)) for m in plan.measures}
    tasks = []
    for a, b in combinations(sorted(plan.names), 2):
        todo = tuple(
            (m, missing)
            for m in plan.measures
            if (missing := tuple(t for t in range(n_trials) if t not in done[m].get((a, b), ())))
        )
        if todo:
            tasks.append(PairTask(a, b, pair_seed(plan.seed, a, b), todo, plan.config))
    return tasks


def effective_trials(cfg: Config, n_rows: int) -> int:
    """The number of trials subsample_indices() draws: one whole-cloud trial if batch >= N."""
    return 1 if cfg.batch is None or cfg.batch >= n_rows else cfg.trials
