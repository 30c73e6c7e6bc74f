"""Section 3.4.3, Fig. 9 and Tables 3, 6: clean vs increasingly shifted images.

The paper (ResNet-20, CIFAR-10; noise, blur, grayscale, hue, and in the appendix zoom,
brightness, contrast, rotation) finds every measure growing with the shift's strength, RTD
correlating with disagreement better than 1-CKA (e.g. noise 0.968 vs 0.928) and 1-CKA with the
error rate better than RTD. The digits are grey, so hue and grayscale are replaced by rotation
and contrast. Repeated on the harder noisy digits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from rtdkit.experiments._digits import (
    NOISY_DIGITS_SIGMA,
    RESNET_LIKE,
    DigitsSplit,
    StudySizes,
    load_digits_split,
    outputs,
    require_torch,
    train_new,
    with_pixel_noise,
)
from rtdkit.experiments._measures import drift_series
from rtdkit.experiments._output import new_figure, save_outputs
from rtdkit.experiments._plots import plot_scaled
from rtdkit.experiments._stats import correlation_table

__all__ = ["run"]

NAME = "distribution-shift"
PAPER = {
    "pearson": {
        "disagreement": {
            "noise": {"rtd": 0.968, "1-cka": 0.928},
            "gaussian blur": {"rtd": 0.982, "1-cka": 0.915},
            "grayscale": {"rtd": 0.998, "1-cka": 0.937},
            "hue": {"rtd": 0.982, "1-cka": 0.916},
            "contrast": {"rtd": 0.939, "1-cka": 0.853},
            "rotation": {"rtd": 0.962, "1-cka": 0.861},
        },
        "error": {
            "noise": {"rtd": 0.984, "1-cka": 0.967},
            "gaussian blur": {"rtd": 0.974, "1-cka": 0.999},
            "grayscale": {"rtd": 0.875, "1-cka": 0.978},
            "hue": {"rtd": 0.975, "1-cka": 0.987},
            "contrast": {"rtd": 0.938, "1-cka": 0.998},
            "rotation": {"rtd": 0.945, "1-cka": 0.984},
        },
    }
}

Images = NDArray[np.float32]
# Against the clean network the shifted one is the only one erring, so the normalised
# disagreement saturates near 2 as soon as errors dominate; the raw one is reported too.
AGAINST = ("disagreement", "raw_disagreement", "error")


def _noise(x: Images, s: float, rng: np.random.Generator) -> Images:
    return (x + s * rng.standard_normal(x.shape)).astype(np.float32)


def _blur(x: Images, s: float, rng: np.random.Generator) -> Images:
    return ndimage.gaussian_filter(x, sigma=(0, 0, s, s)).astype(np.float32)


def _rotation(x: Images, s: float, rng: np.random.Generator) -> Images:
    return ndimage.rotate(x, s, axes=(2, 3), reshape=False, order=1).astype(np.float32)


def _contrast(x: Images, s: float, rng: np.random.Generator) -> Images:
    mean = x.mean(axis=(2, 3), keepdims=True)
    return (mean + (1.0 - s) * (x - mean)).astype(np.float32)


# Each shift with its strengths from none to strong: noise std (pixels in [0, 1]), blur sigma
# in pixels, rotation in degrees, contrast reduction as a fraction.
SHIFTS: dict[str, tuple[Callable[[Images, float, np.random.Generator], Images], float]] = {
    "noise": (_noise, 0.4),
    "gaussian blur": (_blur, 1.0),
    "rotation": (_rotation, 40.0),
    "contrast": (_contrast, 0.8),
}


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """Train a ResNet-like CNN; compare its held-out representation of clean images with that
    of each shift at increasing strength; then the same on the harder noisy digits
    (:func:`with_pixel_noise`: a network trained on noisy images, shifts of noisy images).

    Default: 30 epochs, 8 strengths per shift, 5 batches of 500; ``quick``: 6 epochs, 4
    strengths, 2 batches of 150.
    """
    require_torch(NAME)
    started = time.perf_counter()
    epochs, levels, batch, trials = (6, 4, 150, 2) if quick else (30, 8, 500, 5)
    data = load_digits_split(seed)
    tasks = {"digits": data, "noisy_digits": with_pixel_noise(data, NOISY_DIGITS_SIGMA, seed=seed)}
    fig, axes = new_figure(len(tasks), len(SHIFTS), size=(3.2, 2.8))
    sizes = StudySizes(epochs, batch, trials, seed, progress)
    results = {
        task: _shift_study(d, row, task=task, sizes=sizes, levels=levels)
        for (task, d), row in zip(tasks.items(), axes, strict=True)
    }
    numbers = {
        "settings": {
            "architecture": RESNET_LIKE.describe(),
            "epochs": epochs,
            "levels": levels,
            "batch": batch,
            "batches": trials,
            "noisy_digits_sigma": NOISY_DIGITS_SIGMA,
        },
        **results["digits"],
        "noisy_digits": results["noisy_digits"],
        "paper": PAPER,
    }
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)


def _shift_study(
    data: DigitsSplit,
    axes: Any,
    *,
    task: str,
    sizes: StudySizes,
    levels: int,
) -> dict[str, Any]:
    """Train on ``data``; every shift's drift from the unshifted held-out representation."""
    model = train_new(RESNET_LIKE, data, epochs=sizes.epochs, seed=sizes.seed)
    clean = outputs(model, data.x_test)
    per_shift: dict[str, Any] = {}
    for ax, (shift, (transform, strongest)) in zip(axes, SHIFTS.items(), strict=True):
        strengths = np.linspace(0.0, strongest, levels).tolist()
        rng = np.random.default_rng(sizes.seed)
        # Strength 0 is the clean set itself (interpolating by 0 degrees still adds round-off).
        shifted = [clean] + [outputs(model, transform(data.x_test, s, rng)) for s in strengths[1:]]
        series = drift_series(
            shifted,
            clean,
            data.y_test,
            **sizes.measuring,
            description=shift,
        )
        per_shift[shift] = {
            "strengths": strengths,
            "series": series,
            "correlation": correlation_table(series, AGAINST, seed=sizes.seed),
        }
        plot_scaled(ax, strengths, {k: series[k] for k in ("rtd", "1-cka", *AGAINST)})
        ax.set_xlabel("strength")
        ax.set_title(f"{task.replace('_', ' ')}: {shift}", fontsize=9)
    return {"clean_accuracy": 1.0 - clean.error(data.y_test), "shifts": per_shift}
