"""Section 3.1, "rings": five rings vs the same 500 points on fewer distinct rings.

The paper reports Kendall tau with the number of merged rings: RTD 0.9, CKA -0.2, IMD 0.9,
SVCCA -0.2 (the authors' notebook, which includes the 5-vs-5 comparison, gives RTD 0.8).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rtdkit.datasets import rings
from rtdkit.experiments._measures import compare_family
from rtdkit.experiments._output import new_figure, save_outputs
from rtdkit.experiments._plots import plot_family, scatter_clouds
from rtdkit.experiments._stats import kendall_tau

__all__ = ["run"]

NAME = "rings"
DISTINCT = (5, 4, 3, 2, 1)
PAPER = {
    "kendall_tau": {"rtd": 0.9, "1-cka": -0.2, "imd": 0.9, "1-svcca": -0.2},
    "kendall_tau_notebook_rtd_with_5_vs_5": 0.8,
}


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """Compare ``rings(5)`` with ``rings(n)`` for n = 5, 4, 3, 2, 1 distinct rings.

    500 points (the paper's) by default, 200 with ``quick``.
    Kendall tau is taken against the number of merged rings, 5 - n (0 for the identical
    5-vs-5 pair), so a measure that grows with the topological change scores +1.
    """
    started = time.perf_counter()
    # Evenly spaced rings are full of tied distances, which make persistence slow; quick mode
    # keeps the same shapes with 40 instead of 100 points per ring.
    per_ring = 40 if quick else 100
    base = rings(5, points_per_ring=per_ring)
    members = [rings(n, points_per_ring=per_ring) for n in DISTINCT]
    imd_runs = 10 if quick else 100
    table = compare_family(
        base, members, imd_runs=imd_runs, seed=seed, progress=progress, description="rings"
    )
    merged = [5 - n for n in DISTINCT]
    taus = {key: kendall_tau(merged, v) for key, v in table["values"].items()}
    fig, axes = new_figure(2, 4, size=(3.2, 2.8))
    shown = {
        f"{n} distinct ring{'s' if n > 1 else ''}": rings(n, points_per_ring=per_ring)
        for n in (5, 4, 3, 1)
    }
    scatter_clouds(axes[0], shown, size=2)
    plot_family(axes[1], merged, table["values"], taus, "rings merged (5 - distinct)")
    numbers = {
        "settings": {
            "points": len(base),
            "points_per_ring": per_ring,
            "distinct_rings": list(DISTINCT),
            "rtd_batch": None,
            "imd_runs": imd_runs,
        },
        "x": merged,
        **table,
        "kendall_tau": taus,
        "paper": PAPER,
    }
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)
