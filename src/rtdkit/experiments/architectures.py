"""Section 3.3, Fig. 7 (scaled down): how random architectures' representations relate.

The paper compares word embeddings of 90 random NAS-Bench-NLP architectures by pairwise RTD,
embeds them with multidimensional scaling and finds that architectures with similar
representations have similar log-perplexity. Here: random small CNNs trained identically on
the digits, their conv-part representations of the same held-out images, pairwise RTD (and
1-CKA for contrast), classical MDS coloured by log test loss, and a Mantel test of the rank
correlation between pairwise dissimilarity and the gap in log test loss.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from rtdkit._progress import progress_iter
from rtdkit.experiments._digits import CNNSpec, load_digits_split, outputs, require_torch, train_new
from rtdkit.experiments._measures import dissimilarity_matrices
from rtdkit.experiments._output import new_figure, save_outputs
from rtdkit.plot import classical_mds
from rtdkit.stats import mantel

__all__ = ["random_spec", "run"]

NAME = "architectures"
PAPER = {
    "qualitative": "architectures with similar embeddings have similar log-perplexity "
    "(90 NAS-Bench-NLP architectures)"
}


def random_spec(rng: np.random.Generator) -> CNNSpec:
    """A random small CNN: 1-3 blocks of 4-32 channels, kernel 3 or 5, ReLU/tanh/GELU,
    optional residual blocks, pooling and global average pooling.

    Examples
    --------
    >>> random_spec(np.random.default_rng(0)).kernel in (3, 5)
    True
    """
    depth = int(rng.integers(1, 4))
    return CNNSpec(
        channels=tuple(int(c) for c in rng.choice([4, 8, 16, 32], size=depth)),
        pool=tuple(bool(p) for p in rng.random(depth) < 0.5),
        residual=bool(rng.random() < 0.5),
        kernel=int(rng.choice([3, 5])),
        activation=str(rng.choice(["relu", "tanh", "gelu"])),
        global_pool=bool(rng.random() < 0.3),
    )


def run(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """Train random architectures for the same epochs and compare all pairs.

    Default: 30 architectures, 20 epochs each (the Table 9 schedule ends at 1 % of the
    learning rate, so the networks have converged), RTD over 3 batches of 200; ``quick``: 8
    architectures, 3 epochs, 1 batch of 100.
    """
    require_torch(NAME)
    started = time.perf_counter()
    count, epochs, batch, trials = (8, 3, 100, 1) if quick else (30, 20, 200, 3)
    data = load_digits_split(seed)
    rng = np.random.default_rng(seed)
    specs = [random_spec(rng) for _ in range(count)]
    outs = [
        outputs(train_new(spec, data, epochs=epochs, seed=seed + i), data.x_test)
        for i, spec in progress_iter(
            enumerate(specs), total=count, description="train", enabled=progress
        )
    ]
    log_loss = np.log([o.loss(data.y_test) for o in outs])
    mats = dissimilarity_matrices(
        [o.features for o in outs],
        batch=batch,
        trials=trials,
        seed=seed,
        progress=progress,
        label="pairs",
    )
    # The pairs share networks, so they are not independent observations: the Mantel test
    # permutes the networks instead (999 permutations, one-sided: dissimilar representations,
    # dissimilar losses).
    gap = np.abs(log_loss[:, None] - log_loss[None, :])
    tests = {key: mantel(m, gap, method="spearman", seed=seed) for key, m in mats.items()}
    mantel_table = {
        key: {"spearman": t.statistic, "pvalue": t.pvalue, "permutations": t.permutations}
        for key, t in tests.items()
    }
    fig, axes = new_figure(1, 2, size=(4.2, 3.6))
    for ax, key in zip(axes[0], ("rtd", "1-cka"), strict=True):
        xy = classical_mds(mats[key])
        points = ax.scatter(xy[:, 0], xy[:, 1], c=log_loss, cmap="viridis", s=30)
        ax.set_title(
            f"MDS of pairwise {'RTD' if key == 'rtd' else '1 − CKA'}; "
            f"Mantel ρ = {tests[key].statistic:.2f} (p = {tests[key].pvalue:.3f})",
            fontsize=9,
        )
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(points, ax=axes[0, 1], label="log test loss")
    numbers = {
        "settings": {"architectures": count, "epochs": epochs, "batch": batch, "batches": trials},
        "specs": [s.describe() for s in specs],
        "test_accuracy": [1.0 - o.error(data.y_test) for o in outs],
        "log_test_loss": log_loss.tolist(),
        "pairwise": {key: m.tolist() for key, m in mats.items()},
        "mantel_dissimilarity_vs_log_loss_gap": mantel_table,
        "paper": PAPER,
    }
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)
