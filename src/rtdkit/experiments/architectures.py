"""Section 3.3, Fig. 7 (scaled down): how random architectures' representations relate.

The paper compares word embeddings of 90 random NAS-Bench-NLP architectures by pairwise RTD,
embeds them with multidimensional scaling and finds that architectures with similar
representations have similar log-perplexity. Here: random small CNNs trained identically on
the digits from several seeds each, their conv-part representations of the same held-out
images, pairwise RTD (and 1-CKA for contrast) averaged over seeds, classical MDS coloured by
log test loss, a Mantel test of the rank correlation between pairwise dissimilarity and the
gap in log test loss, and the training noise: each network against its twin from another
seed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rtdkit._progress import progress_iter
from rtdkit._validation import FloatArray
from rtdkit.experiments._digits import CNNSpec, load_digits_split, outputs, require_torch, train_new
from rtdkit.experiments._measures import dissimilarity_matrices, identification_accuracy
from rtdkit.experiments._output import new_figure, save_outputs
from rtdkit.plot import classical_mds
from rtdkit.stats import mantel, t_interval

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
    """Train random architectures from several seeds each and compare all pairs.

    Default: 30 architectures, each trained from 5 seeds (replicates) for 20 epochs (the
    Table 9 schedule ends at 1 % of the learning rate, so the networks have converged), RTD
    over 3 batches of 200; ``quick``: 8 architectures, 2 replicates, 3 epochs, 1 batch of 100.
    Replicate ``r`` trains architecture ``i`` from seed ``seed + i + r * count`` on the same
    data split, so replicate 0 is the single run of earlier versions.

    Every cell of the pairwise matrices is the mean over replicates (the dissimilarity of
    architectures a and b trained from the same replicate seed) with its 95 % t-interval. The
    primary Mantel test correlates the mean matrix with the gap in mean log test loss; the
    Mantel test of each replicate alone is reported too. Training noise is measured by
    comparing replicate 0 with replicate 1 of every architecture: is each network's twin
    (same architecture, other seed) closer than every other architecture?
    """
    require_torch(NAME)
    started = time.perf_counter()
    count, epochs, batch, trials, replicates = (8, 3, 100, 1, 2) if quick else (30, 20, 200, 3, 5)
    data = load_digits_split(seed)
    rng = np.random.default_rng(seed)
    specs = [random_spec(rng) for _ in range(count)]
    runs = [
        [
            outputs(train_new(spec, data, epochs=epochs, seed=seed + i + r * count), data.x_test)
            for i, spec in progress_iter(
                enumerate(specs), total=count, description=f"train {r + 1}", enabled=progress
            )
        ]
        for r in range(replicates)
    ]
    log_loss = np.log([[o.loss(data.y_test) for o in outs] for outs in runs])  # (R, count)
    options: dict[str, Any] = {"batch": batch, "trials": trials, "seed": seed}
    per_run = [
        dissimilarity_matrices(
            [o.features for o in outs], progress=progress, label=f"pairs {r + 1}", **options
        )
        for r, outs in enumerate(runs)
    ]
    stacked = {key: np.stack([m[key] for m in per_run]) for key in MEASURE_KEYS}
    mean = {key: m.mean(axis=0) for key, m in stacked.items()}
    twins = dissimilarity_matrices(
        [o.features for o in runs[0]],
        [o.features for o in runs[1]],
        progress=progress,
        label="twins",
        **options,
    )
    mantel_mean = _mantel_table(mean, log_loss.mean(axis=0), seed)
    mantel_runs = [_mantel_table(m, loss, seed) for m, loss in zip(per_run, log_loss, strict=True)]
    numbers = {
        "settings": {
            "architectures": count,
            "replicates": replicates,
            "epochs": epochs,
            "batch": batch,
            "batches": trials,
        },
        "specs": [s.describe() for s in specs],
        "test_accuracy": [[1.0 - o.error(data.y_test) for o in outs] for outs in runs],
        "log_test_loss": log_loss.tolist(),
        "pairwise": {key: m.tolist() for key, m in mean.items()},
        "pairwise_ci95": {key: _cell_intervals(m) for key, m in stacked.items()},
        "pairwise_per_replicate": {key: m.tolist() for key, m in stacked.items()},
        "mantel_dissimilarity_vs_log_loss_gap": mantel_mean,
        "mantel_per_replicate": {key: _across(mantel_runs, key) for key in MEASURE_KEYS},
        "twins": {key: _twin_summary(twins[key], mean[key]) for key in MEASURE_KEYS},
        "paper": PAPER,
    }
    fig = _plot(mean, log_loss.mean(axis=0), mantel_mean, twins)
    return save_outputs(out_dir, NAME, numbers, fig, started=started, quick=quick, seed=seed)


MEASURE_KEYS = ("rtd", "1-cka")


def _mantel_table(mats: dict[str, FloatArray], log_loss: FloatArray, seed: int) -> dict[str, Any]:
    """Mantel test of each dissimilarity matrix against the gap in log test loss.

    The pairs share networks, so they are not independent observations: the Mantel test
    permutes the networks instead (999 permutations, one-sided: dissimilar representations,
    dissimilar losses).
    """
    gap = np.abs(log_loss[:, None] - log_loss[None, :])
    out = {}
    for key, m in mats.items():
        test = mantel(m, gap, method="spearman", seed=seed)
        out[key] = {
            "spearman": test.statistic,
            "pvalue": test.pvalue,
            "permutations": test.permutations,
        }
    return out


def _across(tables: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The per-replicate Mantel tests of one measure: each ρ and p, the mean ρ with its
    t-interval over replicates, and how many replicates reject at 0.05."""
    rho = [t[key]["spearman"] for t in tables]
    pvalues = [t[key]["pvalue"] for t in tables]
    return {
        "spearman": rho,
        "p_values": pvalues,
        "spearman_mean": float(np.mean(rho)),
        "spearman_ci95": list(t_interval(rho)),
        "replicates_p_below_0.05": sum(p < 0.05 for p in pvalues),
    }


def _cell_intervals(stacked: FloatArray) -> list[Any]:
    """Per-cell 95 % t-interval over replicates, as ``[low matrix, high matrix]``."""
    n = stacked.shape[1]
    low, high = np.zeros((n, n)), np.zeros((n, n))
    for i, j in zip(*np.triu_indices(n, 1), strict=True):
        low[i, j], high[i, j] = t_interval(stacked[:, i, j])
        low[j, i], high[j, i] = low[i, j], high[i, j]
    return [low.tolist(), high.tolist()]


def _twin_summary(cross: FloatArray, mean: FloatArray) -> dict[str, Any]:
    """Replicate 0 vs replicate 1: how far each network is from its twin (same architecture,
    other seed) compared with the other architectures."""
    between = mean[np.triu_indices(len(mean), 1)]
    return {
        "twin": np.diag(cross).tolist(),
        "median_twin": float(np.median(np.diag(cross))),
        "median_between_architectures": float(np.median(between)),
        "identification_accuracy": identification_accuracy(cross),
    }


def _plot(
    mean: dict[str, FloatArray],
    log_loss: FloatArray,
    mantel_mean: dict[str, Any],
    twins: dict[str, FloatArray],
) -> Figure:
    fig, axes = new_figure(1, 3, size=(4.2, 3.6))
    for ax, key in zip(axes[0, :2], MEASURE_KEYS, strict=True):
        xy = classical_mds(mean[key])
        points = ax.scatter(xy[:, 0], xy[:, 1], c=log_loss, cmap="viridis", s=30)
        test = mantel_mean[key]
        ax.set_title(
            f"MDS of mean pairwise {'RTD' if key == 'rtd' else '1 − CKA'}\n"
            f"Mantel ρ = {test['spearman']:.2f} (p = {test['pvalue']:.3f})",
            fontsize=9,
        )
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(points, ax=axes[0, 1], label="mean log test loss")
    ax = axes[0, 2]
    between = mean["rtd"][np.triu_indices(len(log_loss), 1)]
    bins = np.linspace(0.0, max(between.max(), np.diag(twins["rtd"]).max()), 25)
    ax.hist(between, bins=bins, alpha=0.6, density=True, label="two architectures (mean)")
    ax.hist(np.diag(twins["rtd"]), bins=bins, alpha=0.6, density=True, label="same, other seed")
    ax.set_xlabel("RTD")
    ax.set_title("RTD: training noise vs\narchitecture differences", fontsize=9)
    ax.legend(fontsize=8)
    return fig
