"""Section 3.4.2, Fig. 8: RTD and 1-CKA between the blocks of trained networks.

The paper (VGG-11, ResNet-20 on CIFAR-10) sees both measures agree: adjacent blocks are close,
distant blocks far, and ResNet-20's last block stands apart. Here: the blocks of a VGG-like and
a ResNet-like CNN trained on the digits, plus Kornblith et al. (2019)'s sanity test: is each
block of one network closest to the same block of a twin trained from another seed? Repeated
on the harder noisy digits.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rtdkit.experiments._digits import (
    ARCHITECTURES,
    NOISY_DIGITS_SIGMA,
    DigitsSplit,
    StudySizes,
    load_digits_split,
    outputs,
    require_torch,
    train_new,
    with_pixel_noise,
)
from rtdkit.experiments._measures import dissimilarity_matrices, identification_accuracy
from rtdkit.experiments._output import new_figure, save_outputs

__all__ = ["run"]

NAME = "layers"
PAPER = {
    "qualitative": "RTD and 1-CKA agree; adjacent blocks similar; the last ResNet block "
    "differs most"
}


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """Train each architecture, then compare the outputs of all pairs of its blocks, and every
    block with every block of the same architecture trained from seed ``seed + 1`` (the
    cross-seed layer identification test of Kornblith et al., 2019); on the digits and on the
    harder noisy digits (:func:`with_pixel_noise`).

    Default: 30 epochs, 5 held-out batches of 500; ``quick``: 6 epochs, 2 batches of 150.
    """
    require_torch(NAME)
    started = time.perf_counter()
    epochs, batch, trials = (6, 150, 2) if quick else (30, 500, 5)
    data = load_digits_split(seed)
    tasks = {"digits": data, "noisy_digits": with_pixel_noise(data, NOISY_DIGITS_SIGMA, seed=seed)}
    fig, axes = new_figure(2 * len(tasks), len(ARCHITECTURES), size=(3.4, 3.0))
    sizes = StudySizes(epochs, batch, trials, seed, progress)
    results = {
        task: _block_study(d, axes[2 * t : 2 * t + 2], task=task, sizes=sizes)
        for t, (task, d) in enumerate(tasks.items())
    }
    numbers = {
        "settings": {
            "epochs": epochs,
            "batch": batch,
            "batches": trials,
            "noisy_digits_sigma": NOISY_DIGITS_SIGMA,
        },
        "architectures": results["digits"],
        "noisy_digits": {"architectures": results["noisy_digits"]},
        "paper": PAPER,
    }
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)


def _block_study(
    data: DigitsSplit,
    axes: Any,
    *,
    task: str,
    sizes: StudySizes,
) -> dict[str, Any]:
    """Block-by-block matrices of each architecture trained on ``data``, and the cross-seed
    identification test; plots the matrices into the two rows of ``axes``."""
    per_arch: dict[str, Any] = {}
    for col, (arch, spec) in enumerate(ARCHITECTURES.items()):
        model = train_new(spec, data, epochs=sizes.epochs, seed=sizes.seed)
        out = outputs(model, data.x_test, blocks=True)
        mats = {
            key: m.tolist()
            for key, m in dissimilarity_matrices(
                out.blocks,
                **sizes.measuring,
                label=arch,
            ).items()
        }
        # Kornblith et al. (2019)'s test: the same architecture from another seed.
        twin = outputs(
            train_new(spec, data, epochs=sizes.epochs, seed=sizes.seed + 1),
            data.x_test,
            blocks=True,
        )
        cross = dissimilarity_matrices(
            out.blocks,
            twin.blocks,
            **sizes.measuring,
            label=f"{arch} vs seed {sizes.seed + 1}",
        )
        per_arch[arch] = {
            "architecture": spec.describe(),
            "final_accuracy": 1.0 - out.error(data.y_test),
            **mats,
            "cross_seed": {key: m.tolist() for key, m in cross.items()},
            "identification_accuracy": {
                key: identification_accuracy(m) for key, m in cross.items()
            },
        }
        for row, key in enumerate(("rtd", "1-cka")):
            ax = axes[row, col]
            image = ax.imshow(mats[key], cmap="viridis")
            ax.figure.colorbar(image, ax=ax, shrink=0.8)
            ticks = range(1, len(out.blocks) + 1)
            ax.set_xticks(range(len(out.blocks)), ticks)
            ax.set_yticks(range(len(out.blocks)), ticks)
            measure = "RTD" if key == "rtd" else "1 − CKA"
            ax.set_title(f"{task.replace('_', ' ')}, {arch}: {measure}", fontsize=9)
            ax.set_xlabel("block")
    return per_arch
