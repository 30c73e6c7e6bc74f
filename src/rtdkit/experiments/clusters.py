"""Section 3.1, "clusters": one Gaussian cloud vs the same points split into k clusters.

Ideally a measure grows with k (more topological change); the paper reports Kendall tau with
the number of clusters: RTD 1.0, CKA 0.23, IMD 0.43, SVCCA 0.14.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from rtdkit._validation import FloatArray
from rtdkit.datasets import clusters
from rtdkit.experiments._measures import compare_family, taus_over_draws
from rtdkit.experiments._output import new_figure, save_outputs
from rtdkit.experiments._plots import plot_family, scatter_clouds
from rtdkit.experiments._stats import kendall_tau

__all__ = ["AUTHORS_DRAW", "CLUSTER_COUNTS", "cluster_family", "run"]

NAME = "clusters"
CLUSTER_COUNTS = (2, 3, 4, 5, 6, 10, 12)
AUTHORS_DRAW = "authors"
PAPER = {"kendall_tau": {"rtd": 1.0, "1-cka": 0.23, "imd": 0.43, "1-svcca": 0.14}}


def cluster_family(draw: int | str = AUTHORS_DRAW) -> tuple[FloatArray, list[FloatArray]]:
    """``clusters(1)`` and ``clusters(k)`` for every k of :data:`CLUSTER_COUNTS`, for one draw.

    An integer draw seeds :func:`rtdkit.datasets.clusters`. ``"authors"`` is the authors'
    notebook's exact draw: numpy's legacy generator seeded with 7, 60 groups of 5 standard
    normal points drawn in order (the clusters are then the same translations of the groups).

    Examples
    --------
    >>> base, members = cluster_family()
    >>> base.shape, len(members)
    ((300, 2), 7)
    """
    if draw == AUTHORS_DRAW:
        # multivariate_normal(0, I, 5) of the notebook draws exactly these standard normals.
        base = np.random.RandomState(7).standard_normal((300, 2))
        members = [base + (clusters(k) - clusters(1)) for k in CLUSTER_COUNTS]
        return base, members
    seed = int(draw)
    return clusters(1, seed=seed), [clusters(k, seed=seed) for k in CLUSTER_COUNTS]


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """Compare the base cloud with 2, 3, 4, 5, 6, 10 and 12 clusters.

    On the authors' draw (the figure, with the reference IMD estimator averaged over 100 probe
    seeds as in the paper, 4 with ``quick``) and on 30 random draws ``seed, seed + 1, ...``
    (5 with ``quick``), whose Kendall taus give each measure's mean and 95 % interval.
    """
    started = time.perf_counter()
    base, members = cluster_family(AUTHORS_DRAW)
    imd_runs, n_draws = (4, 5) if quick else (100, 30)
    table = compare_family(
        base, members, imd_slq_runs=imd_runs, seed=seed, progress=progress, description=NAME
    )
    taus = {key: kendall_tau(CLUSTER_COUNTS, v) for key, v in table["values"].items()}
    draws = taus_over_draws(
        cluster_family,
        CLUSTER_COUNTS,
        draws=range(seed, seed + n_draws),
        progress=progress,
        description="random draws",
    )
    fig, axes = new_figure(2, 4, size=(3.2, 2.8))
    shown = {
        f"{k} cluster{'s' if k > 1 else ''}": base + clusters(k) - clusters(1)
        for k in (1, 2, 6, 12)
    }
    scatter_clouds(axes[0], shown, size=3)
    plot_family(axes[1], CLUSTER_COUNTS, table["values"], taus, "number of clusters")
    numbers = {
        "settings": {
            "points": len(base),
            "cluster_counts": list(CLUSTER_COUNTS),
            "rtd_batch": None,
            "imd": "exact (full spectra); imd_slq: reference estimator, mean and sd over runs",
            "imd_slq_runs": imd_runs,
            "random_draws": n_draws,
        },
        "x": list(CLUSTER_COUNTS),
        "authors_draw": {**table, "kendall_tau": taus},
        "random_draws": draws,
        "paper": PAPER,
    }
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)
