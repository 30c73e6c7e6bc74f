"""Section 3.4.1, Fig. 1 and Table 2: representations after each epoch vs the final ones.

The paper (VGG-11 and ResNet-20 on CIFAR-10) finds all measures decreasing over training and
RTD correlating with the disagreement of predictions better than 1-CKA: Pearson 0.99 vs 0.83
(VGG-11) and 0.98 vs 0.93 (ResNet-20). Here: a VGG-like and a ResNet-like CNN on the digits.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rtdkit.experiments._digits import (
    ARCHITECTURES,
    NOISY_DIGITS_SIGMA,
    DigitsSplit,
    Outputs,
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

NAME = "training-dynamics"
PAPER = {
    "pearson_with_disagreement": {
        "VGG-11": {"rtd": 0.99, "1-cka": 0.83},
        "ResNet-20": {"rtd": 0.98, "1-cka": 0.93},
    }
}


def _snapshots(spec: Any, data: DigitsSplit, *, epochs: int, seed: int) -> list[Outputs]:
    """Held-out outputs of the network after each epoch of training."""
    snaps: list[Outputs] = []
    train_new(
        spec,
        data,
        epochs=epochs,
        seed=seed,
        on_epoch=lambda _epoch, m: snaps.append(outputs(m, data.x_test)),
    )
    return snaps


def _track(
    data: DigitsSplit,
    axes: Any,
    *,
    task: str,
    sizes: StudySizes,
) -> dict[str, Any]:
    """Train each architecture on ``data``; every epoch's distance to the final network."""
    per_arch: dict[str, Any] = {}
    for ax, (arch, spec) in zip(axes, ARCHITECTURES.items(), strict=True):
        snaps = _snapshots(spec, data, epochs=sizes.epochs, seed=sizes.seed)
        series = drift_series(
            snaps,
            snaps[-1],
            data.y_test,
            **sizes.measuring,
            description=arch,
        )
        per_arch[arch] = {
            "architecture": spec.describe(),
            "final_accuracy": 1.0 - snaps[-1].error(data.y_test),
            "series": series,
            "correlation": correlation_table(series, seed=sizes.seed),
        }
        epochs_axis = list(range(1, sizes.epochs + 1))
        plot_scaled(ax, epochs_axis, {k: series[k] for k in ("rtd", "1-cka", "disagreement")})
        ax.set_xlabel("epoch")
        ax.set_title(f"{task.replace('_', ' ')}, {arch}: distance to the last epoch", fontsize=9)
    return per_arch


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """Train each architecture, comparing every epoch's held-out representation with the last,
    on the digits and on the harder noisy digits (:func:`with_pixel_noise`).

    Default: 30 epochs, measures averaged over 5 random held-out batches of 500 (the paper's
    protocol); ``quick``: 10 epochs, 2 batches of 150.
    """
    require_torch(NAME)
    started = time.perf_counter()
    epochs, batch, trials = (10, 150, 2) if quick else (30, 500, 5)
    data = load_digits_split(seed)
    tasks = {"digits": data, "noisy_digits": with_pixel_noise(data, NOISY_DIGITS_SIGMA, seed=seed)}
    fig, axes = new_figure(len(tasks), len(ARCHITECTURES))
    sizes = StudySizes(epochs, batch, trials, seed, progress)
    results = {
        task: _track(d, row, task=task, sizes=sizes)
        for (task, d), row in zip(tasks.items(), axes, strict=True)
    }
    numbers = {
        "settings": {
            "epochs": epochs,
            "batch": batch,
            "batches": trials,
            "train_size": len(data.y_train),
            "test_size": len(data.y_test),
            "noisy_digits_sigma": NOISY_DIGITS_SIGMA,
        },
        "epochs": list(range(1, epochs + 1)),
        "architectures": results["digits"],
        "noisy_digits": {"architectures": results["noisy_digits"]},
        "paper": PAPER,
    }
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)
