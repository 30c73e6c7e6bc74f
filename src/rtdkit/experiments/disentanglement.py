"""Section 3.2, Table 1: disentanglement of dSprites-like images measured by RTD.

For a unit direction ``n`` of the latent space, a random sample ``Z1`` of a hyperplane slice
orthogonal to ``n`` and its shift ``Z2 = Z1 + delta n`` have a natural point-wise matching;
RTD between the rendered images ``g(Z1)`` and ``g(Z2)`` (in pixel space) is low when ``n`` is
an interpretable factor. The paper: shape 148.1, scale 71.3, rotation 53.4, x 41.2, y 40.5,
random directions 162.8 ± 18.6.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from rtdkit._progress import progress_iter
from rtdkit._validation import FloatArray
from rtdkit.experiments._output import new_figure, save_outputs
from rtdkit.experiments._sprites import (
    SPRITE_FACTORS,
    SPRITE_SHAPES,
    quantize_latents,
    render_sprites,
)

__all__ = ["run", "slice_pair"]

NAME = "disentanglement"
DELTA = 0.1
PAPER = {
    "rtd": {"shape": 148.1, "scale": 71.3, "rotation": 53.4, "x": 41.2, "y": 40.5},
    "random": {"mean": 162.8, "std": 18.6},
}


def slice_pair(
    direction: FloatArray, *, delta: float, size: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Latents ``Z1`` uniform on a random slice ``{z : <z, n> = v}`` of the unit cube and their
    shift ``Z2 = Z1 + delta n``, both inside the cube.

    The slice passes through a random point, so categorical or coarse factors are crossed at
    random places; points are drawn uniformly in the cube, projected onto the slice and kept
    when both they and their shifts stay in the cube.

    Examples
    --------
    >>> z1, z2 = slice_pair(np.eye(5)[3], delta=0.1, size=10, rng=np.random.default_rng(0))
    >>> bool(np.allclose(z2[:, 3] - z1[:, 3], 0.1)), bool(np.ptp(z1[:, 3]) < 1e-12)
    (True, True)
    """
    centre = rng.uniform(delta, 1.0 - delta, size=len(direction))
    level = float(direction @ centre) - delta / 2.0
    kept: list[FloatArray] = []
    while sum(map(len, kept)) < size:
        u = rng.uniform(size=(4 * size, len(direction)))
        z = u - np.outer(u @ direction - level, direction)
        inside = np.all(
            (z >= 0) & (z <= 1) & (z + delta * direction <= 1) & (z + delta * direction >= 0),
            axis=1,
        )
        kept.append(z[inside])
    z1 = np.concatenate(kept)[:size]
    return z1, z1 + delta * direction


def _slice_rtd(direction: FloatArray, *, size: int, rng: np.random.Generator) -> float:
    from rtdkit import rtd

    z1, z2 = slice_pair(direction, delta=DELTA, size=size, rng=rng)
    images = [render_sprites(quantize_latents(z)) for z in (z1, z2)]
    return rtd(images[0], images[1], batch=None).value


def _directions(
    repeats: int, randoms: int, rng: np.random.Generator
) -> list[tuple[str, FloatArray]]:
    jobs = [(f, np.eye(5)[i]) for i, f in enumerate(SPRITE_FACTORS) for _ in range(repeats)]
    for _ in range(randoms):
        n = rng.normal(size=5)
        jobs.append(("random", n / np.linalg.norm(n)))
    return jobs


def _summary(values: list[float]) -> dict[str, Any]:
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "values": values}


def _draw_examples(ax: Any, rng: np.random.Generator) -> None:
    """Like Fig. 6: six slice points and their shifts, along the x axis and a random direction."""
    n = rng.normal(size=5)
    rows, names = [], []
    for label, direction in (("x axis", np.eye(5)[3]), ("random", n / np.linalg.norm(n))):
        z1, z2 = slice_pair(direction, delta=DELTA, size=6, rng=rng)
        for z, suffix in ((z1, "Z1"), (z2, "Z1+δn")):
            images = render_sprites(quantize_latents(z)).reshape(-1, 64, 64)
            framed = [np.pad(im, 2, constant_values=0.5) for im in images]
            rows.append(np.hstack(framed))
            names.append(f"{label}: {suffix}")
    ax.imshow(np.vstack(rows), cmap="gray_r", interpolation="nearest")
    ax.set_yticks(34 + 68 * np.arange(len(names)), names, fontsize=8)
    ax.set_xticks([])


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """RTD of shifted slices along each factor axis and along random directions.

    ``quick``: 150 images per slice, 2 slices per axis, 4 random directions; default: 400
    images, 5 slices per axis, 20 random directions. The shift is ``delta = 0.1`` of each
    factor's range; images are looked up on the dSprites grid.
    """
    started = time.perf_counter()
    size, repeats, randoms = (150, 2, 4) if quick else (400, 5, 20)
    rng = np.random.default_rng(seed)
    jobs = _directions(repeats, randoms, rng)
    results: dict[str, list[float]] = {f: [] for f in (*SPRITE_FACTORS, "random")}
    for label, direction in progress_iter(
        jobs, total=len(jobs), description=NAME, enabled=progress
    ):
        results[label].append(_slice_rtd(direction, size=size, rng=rng))
    table = {label: _summary(values) for label, values in results.items()}
    fig, axes = new_figure(1, 2, size=(5.0, 3.4))
    labels = list(table)
    axes[0, 0].bar(
        labels,
        [table[k]["mean"] for k in labels],
        yerr=[table[k]["std"] for k in labels],
        color=["C0"] * 5 + ["C3"],
    )
    axes[0, 0].set_ylabel("RTD of shifted slices")
    axes[0, 0].set_title(f"dSprites-like, δ = {DELTA}, {size} images per slice")
    _draw_examples(axes[0, 1], rng)
    numbers = {
        "settings": {
            "images_per_slice": size,
            "slices_per_axis": repeats,
            "random_directions": randoms,
            "delta": DELTA,
            "shapes": SPRITE_SHAPES,
            "rtd_batch": None,
        },
        "rtd": table,
        "paper": PAPER,
    }
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)
