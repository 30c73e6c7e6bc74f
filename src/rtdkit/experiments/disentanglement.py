"""Section 3.2, Table 1: disentanglement of dSprites-like images measured by RTD.

For a unit direction ``n`` of the latent space, a random sample ``Z1`` of a hyperplane slice
orthogonal to ``n`` and its shift ``Z2 = Z1 + delta n`` have a natural point-wise matching;
RTD between the rendered images ``g(Z1)`` and ``g(Z2)`` (in pixel space) is low when ``n`` is
an interpretable factor. The paper: shape 148.1, scale 71.3, rotation 53.4, x 41.2, y 40.5,
random directions 162.8 ± 18.6.

Here every shift is one step of the dSprites grid: ``1 / (values - 1)`` along a factor axis,
and a random unit direction measured in grid steps for the random directions, so all shifts
move an image by the same amount in the dataset's own units. A control repeats the
comparison with an *entangled* generator, which mixes the latents by a fixed random rotation
about the cube's centre before rendering: there the axes are no longer factors, and should
not beat random directions.
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
    DSPRITES_STEPS,
    SPRITE_FACTORS,
    SPRITE_SHAPES,
    quantize_latents,
    render_sprites,
)
from rtdkit.stats import t_interval

__all__ = ["run", "slice_pair"]

NAME = "disentanglement"
# One grid step per factor, in latent units.
GRID_STEP: FloatArray = 1.0 / (DSPRITES_STEPS - 1)
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


def _entangled(latents: FloatArray, mixing: FloatArray) -> FloatArray:
    """The entangled control's latents: rotated about the cube's centre, clipped to the cube."""
    return np.clip(0.5 + (latents - 0.5) @ mixing.T, 0.0, 1.0)


def _slice_rtd(
    shift: FloatArray, *, size: int, rng: np.random.Generator, mixing: FloatArray | None
) -> float:
    from rtdkit.divergence import rtd

    length = float(np.linalg.norm(shift))
    z1, z2 = slice_pair(shift / length, delta=length, size=size, rng=rng)
    if mixing is not None:
        z1, z2 = _entangled(z1, mixing), _entangled(z2, mixing)
    images = [render_sprites(quantize_latents(z)) for z in (z1, z2)]
    return rtd(images[0], images[1], batch=None).value


def _shifts(repeats: int, randoms: int, rng: np.random.Generator) -> list[tuple[str, FloatArray]]:
    """One grid step along each factor (``repeats`` slices each), and ``randoms`` random unit
    directions in grid-step units."""
    jobs = [
        (f, GRID_STEP[i] * np.eye(5)[i])
        for i, f in enumerate(SPRITE_FACTORS)
        for _ in range(repeats)
    ]
    for _ in range(randoms):
        n = rng.normal(size=5)
        jobs.append(("random", GRID_STEP * n / np.linalg.norm(n)))
    return jobs


def _table(
    jobs: list[tuple[str, FloatArray]],
    *,
    size: int,
    rng: np.random.Generator,
    mixing: FloatArray | None,
    progress: bool,
    description: str,
) -> dict[str, Any]:
    results: dict[str, list[float]] = {f: [] for f in (*SPRITE_FACTORS, "random")}
    for label, shift in progress_iter(
        jobs, total=len(jobs), description=description, enabled=progress
    ):
        results[label].append(_slice_rtd(shift, size=size, rng=rng, mixing=mixing))
    return {label: _summary(values) for label, values in results.items()}


def _summary(values: list[float]) -> dict[str, Any]:
    return {
        "mean": float(np.mean(values)),
        "std": float(np.std(values, ddof=1)),
        "ci95": list(t_interval(values)),
        "values": values,
    }


def _draw_examples(ax: Any, rng: np.random.Generator) -> None:
    """Like Fig. 6: six slice points and their shifts, along the x axis and a random direction."""
    n = rng.normal(size=5)
    rows, names = [], []
    for label, shift in (("x axis", GRID_STEP[3] * np.eye(5)[3]), ("random", GRID_STEP * n)):
        length = float(np.linalg.norm(shift))
        z1, z2 = slice_pair(shift / length, delta=length, size=6, rng=rng)
        for z, suffix in ((z1, "Z1"), (z2, "Z1+δn")):
            images = render_sprites(quantize_latents(z)).reshape(-1, 64, 64)
            framed = [np.pad(im, 2, constant_values=0.5) for im in images]
            rows.append(np.hstack(framed))
            names.append(f"{label}: {suffix}")
    ax.imshow(np.vstack(rows), cmap="gray_r", interpolation="nearest")
    ax.set_yticks(34 + 68 * np.arange(len(names)), names, fontsize=8)
    ax.set_xticks([])


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """RTD of slices shifted by one grid step along each factor axis and along random
    directions, for the dSprites-like generator and for its entangled control.

    ``quick``: 150 images per slice, 3 slices per axis, 6 random directions; default: 400
    images, 12 slices per axis, 30 random directions. Images are looked up on the dSprites
    grid.
    """
    started = time.perf_counter()
    size, repeats, randoms = (150, 3, 6) if quick else (400, 12, 30)
    rng = np.random.default_rng(seed)
    jobs = _shifts(repeats, randoms, rng)
    mixing = np.linalg.qr(rng.normal(size=(5, 5)))[0]
    tables = {
        name: _table(jobs, size=size, rng=rng, mixing=mix, progress=progress, description=name)
        for name, mix in (("dsprites", None), ("entangled", mixing))
    }
    table = tables["dsprites"]
    fig, axes = new_figure(1, 2, size=(5.0, 3.4))
    labels = list(table)
    width = 0.4
    for i, (name, t) in enumerate(tables.items()):
        axes[0, 0].bar(
            np.arange(len(labels)) + (i - 0.5) * width,
            [t[k]["mean"] for k in labels],
            width,
            yerr=[t[k]["std"] for k in labels],
            label=name,
        )
    axes[0, 0].set_xticks(range(len(labels)), labels)
    axes[0, 0].legend(fontsize=8)
    axes[0, 0].set_ylabel("RTD of shifted slices")
    axes[0, 0].set_title(f"one grid step, {size} images per slice")
    _draw_examples(axes[0, 1], rng)
    numbers = {
        "settings": {
            "images_per_slice": size,
            "slices_per_axis": repeats,
            "random_directions": randoms,
            "shift": "one grid step: 1 / (values - 1) per factor",
            "grid_values": DSPRITES_STEPS,
            "shapes": SPRITE_SHAPES,
            "rtd_batch": None,
        },
        "rtd": table,
        "entangled_control": {"mixing": mixing, "rtd": tables["entangled"]},
        "ratio_to_random": {
            name: {f: t[f]["mean"] / t["random"]["mean"] for f in SPRITE_FACTORS}
            for name, t in tables.items()
        },
        "paper": PAPER,
    }
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)
