"""Section 3.1, "clusters": one Gaussian cloud vs the same points split into k clusters.

Ideally a measure grows with k (more topological change); the paper reports Kendall tau with
the number of clusters: RTD 1.0, CKA 0.23, IMD 0.43, SVCCA 0.14.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rtdkit.datasets import clusters
from rtdkit.experiments._measures import compare_family
from rtdkit.experiments._output import new_figure, save_outputs
from rtdkit.experiments._plots import plot_family, scatter_clouds
from rtdkit.experiments._stats import kendall_tau

__all__ = ["CLUSTER_COUNTS", "run"]

NAME = "clusters"
CLUSTER_COUNTS = (2, 3, 4, 5, 6, 10, 12)
PAPER = {"kendall_tau": {"rtd": 1.0, "1-cka": 0.23, "imd": 0.43, "1-svcca": 0.14}}


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """Compare ``clusters(1)`` with ``clusters(k)`` for k = 2, 3, 4, 5, 6, 10, 12.

    The clouds are fixed (the paper's 300 points); ``seed`` only moves IMD's probe vectors.
    ``quick`` averages IMD over 10 runs instead of the paper's 100.
    """
    started = time.perf_counter()
    base = clusters(1)
    members = [clusters(k) for k in CLUSTER_COUNTS]
    table = compare_family(
        base,
        members,
        imd_runs=10 if quick else 100,
        seed=seed,
        progress=progress,
        description="clusters",
    )
    taus = {key: kendall_tau(CLUSTER_COUNTS, v) for key, v in table["values"].items()}
    fig, axes = new_figure(2, 4, size=(3.2, 2.8))
    shown = {f"{k} cluster{'s' if k > 1 else ''}": clusters(k) for k in (1, 2, 6, 12)}
    scatter_clouds(axes[0], shown, size=3)
    plot_family(axes[1], CLUSTER_COUNTS, table["values"], taus, "number of clusters")
    numbers = {
        "settings": {
            "points": len(base),
            "cluster_counts": list(CLUSTER_COUNTS),
            "rtd_batch": None,
            "imd_runs": 10 if quick else 100,
        },
        "x": list(CLUSTER_COUNTS),
        **table,
        "kendall_tau": taus,
        "paper": PAPER,
    }
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)
