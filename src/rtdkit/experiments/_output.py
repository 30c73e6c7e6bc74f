"""Output files of the experiments: ``NAME.json`` (numbers and provenance) and ``NAME.png``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rtdkit._version import __version__

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _jsonable(value: Any) -> Any:
    """``json.dumps`` fallback for numpy scalars and arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def new_figure(nrows: int = 1, ncols: int = 1, *, size: tuple[float, float] = (4.0, 3.0)) -> Any:
    """A pyplot-free figure (safe in threads and without a display) and its axes grid.

    Examples
    --------
    >>> fig, axes = new_figure(1, 2)
    >>> axes.shape
    (1, 2)
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def save_outputs(
    out_dir: Path | str,
    name: str,
    numbers: dict[str, Any],
    fig: Figure,
    *,
    started: float,
    quick: bool,
    seed: int,
) -> dict[str, Any]:
    """Write ``NAME.json`` and ``NAME.png`` into ``out_dir`` and return the numbers.

    The JSON records the experiment, the mode, the seed, the rtdkit version and the runtime
    so that a table can always be traced back to the run that produced it.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    record = {
        "experiment": name,
        "quick": quick,
        "seed": seed,
        "rtdkit_version": __version__,
        "runtime_s": round(time.perf_counter() - started, 2),
        **numbers,
    }
    (out / f"{name}.json").write_text(json.dumps(record, indent=2, default=_jsonable) + "\n")
    fig.savefig(out / f"{name}.png", dpi=100)
    return record
