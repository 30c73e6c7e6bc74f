"""Section 3.4.5, Fig. 10 and Tables 5, 8: how representations move while fine-tuning.

The paper pre-trains ResNet-20 on CIFAR-100, fine-tunes it on CIFAR-10 (encoder learning rate
0.001, classifier 0.1, Table 10) and follows the representations of both datasets. RTD
correlates with disagreement at 0.99 (CIFAR-100) and 0.92 (CIFAR-10) vs 0.93 and 0.89 for
1-CKA. Scaled down: pre-train on digits 0-4 (source), fine-tune on digits 5-9 (target), on
the digits and on the harder noisy digits.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

from rtdkit.experiments._digits import (
    NOISY_DIGITS_SIGMA,
    RESNET_LIKE,
    DigitsSplit,
    Outputs,
    StudySizes,
    load_digits_split,
    outputs,
    require_torch,
    train,
    train_new,
    with_pixel_noise,
)
from rtdkit.experiments._measures import drift_series
from rtdkit.experiments._output import new_figure, save_outputs
from rtdkit.experiments._plots import plot_scaled
from rtdkit.experiments._stats import correlation_table

__all__ = ["run"]

NAME = "transfer"
SOURCE, TARGET = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
ENCODER_LR = 0.001  # Table 10: constant, no scheduler
PAPER = {
    "pearson": {
        "source (CIFAR-100)": {
            "disagreement": {"rtd": 0.99, "1-cka": 0.93},
            "error": {"rtd": 0.91, "1-cka": 0.99},
        },
        "target (CIFAR-10)": {
            "disagreement": {"rtd": 0.92, "1-cka": 0.89},
            "error": {"rtd": 0.60, "1-cka": 0.73},
        },
    }
}


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """Pre-train on the source digits, fine-tune on the target digits with a new head (learning
    rate 0.1 on the Table 9 schedule) and a constant learning rate of 0.001 for the conv part
    (Table 10), and compare every fine-tuning epoch (0 = the
    pre-trained encoder) with the last, on source and target held-out images; then the same
    on the harder noisy digits (:func:`with_pixel_noise`, both tasks).

    Source images are classified by the source head kept from pre-training (so their
    disagreement measures forgetting), target images by the current target head. Default: 30
    pre-training and 30 fine-tuning epochs, 5 batches of 300 (each task has about 400
    held-out images); ``quick``: 6 and 6 epochs, 2 batches of 150.
    """
    require_torch(NAME)
    started = time.perf_counter()
    epochs, batch, trials = (6, 150, 2) if quick else (30, 300, 5)
    source = load_digits_split(seed, classes=SOURCE)
    target = load_digits_split(seed, classes=TARGET)
    # The two tasks' images get noise from different streams.
    noisy = (
        with_pixel_noise(source, NOISY_DIGITS_SIGMA, seed=seed),
        with_pixel_noise(target, NOISY_DIGITS_SIGMA, seed=seed + 1),
    )
    fig, axes = new_figure(2, 2)
    sizes = StudySizes(epochs, batch, trials, seed, progress)
    results = {
        task: _fine_tune(s, t, row, task=task, sizes=sizes)
        for (task, (s, t)), row in zip(
            (("digits", (source, target)), ("noisy_digits", noisy)), axes, strict=True
        )
    }
    numbers = {
        "settings": {
            "architecture": RESNET_LIKE.describe(),
            "epochs": epochs,
            "encoder_lr": ENCODER_LR,
            "classifier_lr": "0.1, Table 9 schedule",
            "batch": batch,
            "batches": trials,
            "source_classes": SOURCE,
            "target_classes": TARGET,
            "noisy_digits_sigma": NOISY_DIGITS_SIGMA,
        },
        **results["digits"],
        "noisy_digits": results["noisy_digits"],
        "paper": PAPER,
    }
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)


def _fine_tune(
    source: DigitsSplit,
    target: DigitsSplit,
    axes: Any,
    *,
    task: str,
    sizes: StudySizes,
) -> dict[str, Any]:
    """Pre-train on ``source``, fine-tune on ``target``; every epoch's drift on both tasks."""
    torch = require_torch(NAME)
    model = train_new(RESNET_LIKE, source, epochs=sizes.epochs, seed=sizes.seed)
    source_head = copy.deepcopy(model.classifier)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(sizes.seed + 1)
        model.classifier = torch.nn.Linear(source_head.in_features, target.n_classes)
    snaps: dict[str, list[Outputs]] = {"source": [], "target": []}

    def record(_epoch: int, m: Any) -> None:
        snaps["source"].append(outputs(m, source.x_test, head=source_head))
        snaps["target"].append(outputs(m, target.x_test))

    record(0, model)
    train(
        model,
        target.x_train,
        target.y_train,
        epochs=sizes.epochs,
        seed=sizes.seed,
        encoder_lr=ENCODER_LR,
        on_epoch=record,
    )
    per_task: dict[str, Any] = {}
    for ax, (side, data) in zip(axes, (("source", source), ("target", target)), strict=True):
        series = drift_series(
            snaps[side],
            snaps[side][-1],
            data.y_test,
            **sizes.measuring,
            description=side,
        )
        # The source error barely moves while fine-tuning (forgetting is a few images), so a
        # correlation with it would rank noise; only the target side is correlated with error.
        against = ("disagreement",) if side == "source" else ("disagreement", "error")
        per_task[side] = {
            "series": series,
            "correlation": correlation_table(series, against, seed=sizes.seed),
        }
        epochs_axis = range(sizes.epochs + 1)
        plot_scaled(ax, epochs_axis, {k: series[k] for k in ("rtd", "1-cka", "disagreement")})
        ax.set_xlabel("fine-tuning epoch")
        classes = SOURCE if side == "source" else TARGET
        ax.set_title(f"{task.replace('_', ' ')}: {side} {classes}", fontsize=9)
    return {
        "source_accuracy_before": 1.0 - snaps["source"][0].error(source.y_test),
        "source_accuracy_after": 1.0 - snaps["source"][-1].error(source.y_test),
        "target_accuracy_after": 1.0 - snaps["target"][-1].error(target.y_test),
        "tasks": per_task,
    }
