"""Section 3.1, "rings": five rings vs the same 500 points on fewer distinct rings.

The paper reports Kendall tau with the number of merged rings: RTD 0.9, CKA -0.2, IMD 0.9,
SVCCA -0.2 (the authors' notebook, which includes the 5-vs-5 comparison, gives RTD 0.8).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rtdkit._validation import FloatArray
from rtdkit.datasets import rings
from rtdkit.experiments._measures import compare_family, taus_over_draws
from rtdkit.experiments._output import new_figure, save_outputs
from rtdkit.experiments._plots import plot_family, scatter_clouds
from rtdkit.experiments._stats import kendall_tau

__all__ = ["DRAW_NOISE", "ring_family", "run"]

NAME = "rings"
DISTINCT = (5, 4, 3, 2, 1)
# Radial and tangential jitter of a random draw: a quarter of the 0.25 gap between rings.
DRAW_NOISE = 0.02
PAPER = {
    "kendall_tau": {"rtd": 0.9, "1-cka": -0.2, "imd": 0.9, "1-svcca": -0.2},
    "kendall_tau_notebook_rtd_with_5_vs_5": 0.8,
}


def ring_family(
    draw: int | None = None, *, per_ring: int = 100
) -> tuple[FloatArray, list[FloatArray]]:
    """``rings(5)`` and ``rings(n)`` for n = 5, 4, 3, 2, 1 distinct rings.

    ``draw=None`` is the evenly spaced layout (no randomness); an integer draw jitters every
    point by Gaussian noise of :data:`DRAW_NOISE`, the same jitter in every member.

    Examples
    --------
    >>> base, members = ring_family(per_ring=20)
    >>> base.shape, len(members)
    ((100, 2), 5)
    """
    noise, seed = (0.0, 0) if draw is None else (DRAW_NOISE, int(draw))
    cloud = [rings(n, points_per_ring=per_ring, noise=noise, seed=seed) for n in (5, *DISTINCT)]
    return cloud[0], cloud[1:]


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """Compare ``rings(5)`` with ``rings(n)`` for n = 5, 4, 3, 2, 1 distinct rings.

    500 points (the paper's) by default, 200 with ``quick``. Kendall tau is taken against the
    number of merged rings, 5 - n (0 for the identical 5-vs-5 pair), so a measure that grows
    with the topological change scores +1: on the evenly spaced layout (the figure; the
    reference IMD estimator averaged over 100 probe seeds, 4 with ``quick``) and on 30
    jittered draws ``seed, seed + 1, ...`` (5 with ``quick``).
    """
    started = time.perf_counter()
    per_ring = 40 if quick else 100
    imd_runs, n_draws = (4, 5) if quick else (100, 30)
    base, members = ring_family(per_ring=per_ring)
    table = compare_family(
        base, members, imd_slq_runs=imd_runs, seed=seed, progress=progress, description=NAME
    )
    merged = [5 - n for n in DISTINCT]
    taus = {key: kendall_tau(merged, v) for key, v in table["values"].items()}
    draws = taus_over_draws(
        lambda d: ring_family(d, per_ring=per_ring),
        merged,
        draws=range(seed, seed + n_draws),
        progress=progress,
        description="random draws",
    )
    fig, axes = new_figure(2, 4, size=(3.2, 2.8))
    shown = {
        f"{n} distinct ring{'s' if n > 1 else ''}": cloud
        for n, cloud in zip(DISTINCT, members, strict=True)
        if n != 2
    }
    scatter_clouds(axes[0], shown, size=2)
    plot_family(axes[1], merged, table["values"], taus, "rings merged (5 - distinct)")
    numbers = {
        "settings": {
            "points": len(base),
            "points_per_ring": per_ring,
            "distinct_rings": list(DISTINCT),
            "rtd_batch": None,
            "imd": "exact (full spectra); imd_slq: reference estimator, mean and sd over runs",
            "imd_slq_runs": imd_runs,
            "random_draws": n_draws,
            "draw_noise": DRAW_NOISE,
        },
        "x": merged,
        "evenly_spaced": {**table, "kendall_tau": taus},
        "random_draws": draws,
        "paper": PAPER,
    }
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)
