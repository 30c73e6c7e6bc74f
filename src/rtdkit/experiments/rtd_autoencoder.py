"""RTD-autoencoder experiment: a 2-d latent space that keeps the topology of the input.

Two identical autoencoders (same initial weights, same batches) are trained on scikit-learn's
8x8 digits (64-d -> 2-d): one with the reconstruction loss alone ("ae"), one with the
reconstruction loss plus ``lam`` times :class:`rtdkit.torch.RTDLoss` between each input batch
and its latent codes ("ae+rtd", the RTD-AE recipe, with a learnable latent scale). PCA (fitted
on the training split) and t-SNE (fitted on the held-out split itself: it has no
out-of-sample map) are the baselines. Every 2-d embedding of the held-out digits is then
compared with the input by the RTD-AE paper's metrics: RTD, the Spearman and Pearson
correlations of pairwise distances, triplet accuracy, k-NN preservation over a sweep of k,
the total length of the 50 longest R-Cross-Barcode₁ bars and the 1-Wasserstein distances
between the H0 and H1 Rips barcodes (:mod:`rtdkit.experiments._embedding`).
``paired_differences`` holds "ae+rtd" minus each other method for every metric; the
across-seed summary tests them with an exact paired sign-flip test.
``rtdkit experiment rtd-autoencoder`` runs :func:`run_rtd_autoencoder`.

Why a learnable latent scale: each cloud's distances are divided by their 0.9-quantile, which
equates the large distances. Nearest neighbours in 64-d digits then sit at about half that
quantile, while in any 2-d layout they sit far closer, so the plain RTD between the input and
*any* 2-d code (PCA, t-SNE, even random points) is about the same (≈ 11.5–13 at batch 64),
dominated by that mismatch. Multiplying the latent distances by a learned factor ``s`` (it
settles near 3–4 here) compares the two clouds where their structure lives. The JSON reports
both: ``rtd`` (the paper's normalisation, as :func:`rtdkit.rtd`) and ``rtd_scaled`` (the
lowest RTD over latent scales ``s`` in [1, 16], for every method alike).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from scipy.spatial.distance import pdist
from scipy.stats import pearsonr
from torch import nn

from rtdkit._progress import progress_iter
from rtdkit._validation import FloatArray, check_int
from rtdkit.distances import normalized_distances
from rtdkit.divergence import rtd, subsample_indices
from rtdkit.experiments._digits import load_digits_split, one_torch_thread
from rtdkit.experiments._embedding import (
    diagram_wasserstein,
    distance_spearman,
    knn_preservation,
    longest_bars_total,
    rips_diagrams,
    triplet_accuracy,
)
from rtdkit.experiments._output import new_figure, save_outputs
from rtdkit.torch import RTDLoss

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["run", "run_rtd_autoencoder", "scaled_rtd"]

# Latent scales tried by the ``rtd_scaled`` metric: 1 to 16 in quarter octaves.
EVAL_SCALES = tuple(2.0 ** (k / 4) for k in range(17))

METHODS = ("pca", "t-sne", "ae", "ae+rtd")
TITLES = {"pca": "PCA", "t-sne": "t-SNE", "ae": "autoencoder", "ae+rtd": "autoencoder + RTD"}
# Paired comparisons (same seed, same held-out digits) reported as "a - b" for every metric.
COMPARISONS = (("ae+rtd", "ae"), ("ae+rtd", "pca"), ("ae+rtd", "t-sne"))


@dataclass(frozen=True)
class AutoencoderConfig:
    """Sizes of one run; :data:`FULL` and :data:`QUICK` are the two presets."""

    epochs: int
    batch: int
    lam: float
    hidden: int
    lr: float
    eval_batch: int
    eval_trials: int
    knn: tuple[int, ...]
    triplets: int
    tsne_perplexity: float
    test_fraction: float
    longest_bars: int
    topology_points: int | None  # held-out points for the barcode metrics (None: all)


FULL = AutoencoderConfig(
    epochs=250, batch=64, lam=2.0, hidden=128, lr=2e-3, eval_batch=64, eval_trials=50,
    knn=(5, 10, 20, 50, 100), triplets=100_000, tsne_perplexity=30.0, test_fraction=0.25,
    longest_bars=50, topology_points=None,
)  # fmt: skip
QUICK = AutoencoderConfig(
    epochs=40, batch=64, lam=2.0, hidden=128, lr=2e-3, eval_batch=64, eval_trials=5,
    knn=(5, 10, 20), triplets=10_000, tsne_perplexity=30.0, test_fraction=0.25,
    longest_bars=50, topology_points=200,
)  # fmt: skip


class Autoencoder(nn.Module):
    """A small MLP autoencoder ``64 -> hidden -> hidden/2 -> 2 -> ... -> 64``."""

    def __init__(self, n_in: int, hidden: int, latent: int = 2) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(n_in, hidden), nn.ELU(),
            nn.Linear(hidden, hidden // 2), nn.ELU(),
            nn.Linear(hidden // 2, latent),
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden // 2), nn.ELU(),
            nn.Linear(hidden // 2, hidden), nn.ELU(),
            nn.Linear(hidden, n_in), nn.Sigmoid(),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encoder(x)
        return z, self.decoder(z)


def run_rtd_autoencoder(out_dir: Path, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    """Fit the four embeddings, write ``rtd-autoencoder.json`` and ``.png`` to ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Created if missing.
    quick : bool
        Fewer epochs and a cheaper evaluation (about 10 s on 2 cores), for the tests.
    seed : int
        Seeds the split, the weights, the batches, t-SNE, the RTD subsamples and the triplets.
    progress : bool
        Show a progress bar per training run.

    Returns
    -------
    dict
        What the JSON holds: the configuration, per method the metrics (and, for the
        autoencoders, the training losses and times), and ``paired_differences`` ("ae+rtd"
        minus each other method, metric by metric).

    Examples
    --------
    >>> from pathlib import Path
    >>> out = run_rtd_autoencoder(Path("out"), quick=True, seed=0, progress=False)  # doctest: +SKIP
    >>> sorted(out["methods"])  # doctest: +SKIP
    ['ae', 'ae+rtd', 'pca', 't-sne']
    """
    seed = check_int(seed, "seed", minimum=0)
    started = time.perf_counter()
    cfg = QUICK if quick else FULL
    split = load_digits_split(seed, test_fraction=cfg.test_fraction)
    # The 64 pixel intensities as float64 vectors (k/16 is exact in float32 too).
    x_train, x_test = (
        x.reshape(len(x), -1).astype(np.float64) for x in (split.x_train, split.x_test)
    )
    z_pca, pca_mse = _pca(x_train, x_test)
    embeddings = {"pca": z_pca, "t-sne": _tsne(x_test, cfg, seed)}
    fits: dict[str, dict[str, float]] = {"pca": {"reconstruction_mse": pca_mse}}
    with one_torch_thread():
        torch.manual_seed(seed)
        initial = Autoencoder(x_train.shape[1], cfg.hidden)
        for name, lam in (("ae", 0.0), ("ae+rtd", cfg.lam)):
            model = copy.deepcopy(initial)
            clock = time.perf_counter()
            fit = _train(model, x_train, cfg, lam, seed, progress, name)
            embeddings[name] = _encode(model, x_test)
            recon = _decode(model, embeddings[name])
            fits[name] = {
                **fit,
                "train_seconds": time.perf_counter() - clock,
                "reconstruction_mse": float(np.mean((recon - x_test) ** 2)),
            }
    methods = {
        name: {**_evaluate(x_test, embeddings[name], cfg, seed), **fits.get(name, {})}
        for name in METHODS
    }
    numbers = {
        "data": "scikit-learn digits (pixels / 16), 64-d -> 2-d; metrics on the test split",
        "settings": asdict(cfg),
        "n_train": len(x_train),
        "n_test": len(x_test),
        "methods": methods,
        "paired_differences": {
            f"{a} - {b}": _paired_differences(methods[a], methods[b]) for a, b in COMPARISONS
        },
    }
    fig = _plot(embeddings, split.y_test, methods)
    return save_outputs(
        out_dir, "rtd-autoencoder", numbers, fig, started=started, quick=quick, seed=seed
    )


def _pca(x_train: FloatArray, x_test: FloatArray) -> tuple[FloatArray, float]:
    """PCA-2 of the held-out digits (fitted on the training split) and its reconstruction MSE."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, svd_solver="full").fit(x_train)
    z: FloatArray = pca.transform(x_test)
    return z, float(np.mean((pca.inverse_transform(z) - x_test) ** 2))


def _tsne(x: FloatArray, cfg: AutoencoderConfig, seed: int) -> FloatArray:
    """t-SNE of ``x`` itself, on one OpenMP thread: its Barnes-Hut gradient sums in parallel,
    and a different summation order would give a different layout."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    tsne = TSNE(n_components=2, perplexity=cfg.tsne_perplexity, init="pca", random_state=seed)
    with threadpool_limits(limits=1, user_api="openmp"):
        z: FloatArray = tsne.fit_transform(x).astype(np.float64)
    return z


def _batches(n: int, batch: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    order = torch.randperm(n, generator=generator)
    # Drop a short last batch: a handful of points gives a noisy barcode.
    for start in range(0, n - batch + 1, batch):
        yield order[start : start + batch]


def _train(
    model: Autoencoder,
    x_train: FloatArray,
    cfg: AutoencoderConfig,
    lam: float,
    seed: int,
    progress: bool,
    name: str,
) -> dict[str, float]:
    """Adam on MSE (+ lam * RTD at a learned latent scale); returns last-epoch losses.

    This is the recipe of the README's "RTD as a differentiable loss" section.
    """
    x = torch.from_numpy(x_train).float()
    log_scale = torch.zeros((), requires_grad=True)
    params = [*model.parameters(), log_scale] if lam > 0 else list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=cfg.lr)
    topo = RTDLoss(dim=1, symmetric=True)
    generator = torch.Generator().manual_seed(seed)  # the same batches for both models
    mse_log: list[float] = []
    rtd_log: list[float] = []
    epochs = progress_iter(range(cfg.epochs), total=cfg.epochs, description=name, enabled=progress)
    for _ in epochs:
        mse_log.clear()
        rtd_log.clear()
        for idx in _batches(len(x), cfg.batch, generator):
            xb = x[idx]
            z, recon = model(xb)
            loss = nn.functional.mse_loss(recon, xb)
            mse_log.append(loss.item())
            if lam > 0:
                topo_loss = topo(xb, z, scale=log_scale.exp())
                rtd_log.append(topo_loss.item())
                loss = loss + lam * topo_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    fit = {"final_train_mse": float(np.mean(mse_log))}
    if rtd_log:
        fit["final_train_rtd"] = float(np.mean(rtd_log))
        fit["learned_scale"] = float(log_scale.detach().exp())
    return fit


def _encode(model: Autoencoder, x: FloatArray) -> FloatArray:
    model.eval()
    with torch.no_grad():
        z: FloatArray = model.encoder(torch.from_numpy(x).float()).double().numpy()
    return z


def _decode(model: Autoencoder, z: FloatArray) -> FloatArray:
    with torch.no_grad():
        recon: FloatArray = model.decoder(torch.from_numpy(z).float()).double().numpy()
    return recon


def _evaluate(x: FloatArray, z: FloatArray, cfg: AutoencoderConfig, seed: int) -> dict[str, Any]:
    """The RTD-AE paper's metrics between the input ``x`` and its 2-d embedding ``z``."""
    plain = rtd(x, z, batch=cfg.eval_batch, trials=cfg.eval_trials, seed=seed)
    scaled, best = scaled_rtd(x, z, batch=cfg.eval_batch, trials=cfg.eval_trials, seed=seed)
    return {
        "rtd": plain.value,
        "rtd_std": plain.std,
        "rtd_scaled": scaled,
        "rtd_scaled_at": best,
        "distance_spearman": distance_spearman(x, z),
        "distance_pearson": float(pearsonr(pdist(x), pdist(z)).statistic),
        "triplet_accuracy": triplet_accuracy(x, z, triplets=cfg.triplets, seed=seed),
        "knn_preservation": {str(k): knn_preservation(x, z, k) for k in cfg.knn},
        **_barcode_metrics(x, z, cfg, seed),
    }


def _barcode_metrics(
    x: FloatArray, z: FloatArray, cfg: AutoencoderConfig, seed: int
) -> dict[str, float]:
    """The RTD-AE paper's barcode metrics on ``cfg.topology_points`` held-out points (all of
    them when None; the same points for every method of a seed)."""
    idx = subsample_indices(len(x), cfg.topology_points, 1, seed)[0]
    x, z = x[idx], z[idx]
    (x_h0, x_h1), (z_h0, z_h1) = rips_diagrams(x), rips_diagrams(z)
    return {
        "longest_bars_total": longest_bars_total(x, z, bars=cfg.longest_bars),
        "wasserstein_h0": diagram_wasserstein(x_h0, z_h0),
        "wasserstein_h1": diagram_wasserstein(x_h1, z_h1),
    }


def _paired_differences(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """``a`` minus ``b`` for every metric both hold (nested dicts alike), on the same seed."""
    out: dict[str, Any] = {}
    for key, value in a.items():
        if key not in b or key in ("rtd_std", "rtd_scaled_at", "train_seconds"):
            continue
        if isinstance(value, dict):
            out[key] = _paired_differences(value, b[key])
        else:
            out[key] = value - b[key]
    return out


def scaled_rtd(
    x: FloatArray, z: FloatArray, *, batch: int, trials: int, seed: int
) -> tuple[float, float]:
    """Lowest mean RTD(x, s·z) over the latent scales :data:`EVAL_SCALES`, and that ``s``.

    Both clouds are normalised by their 0.9-quantile on each subsample, as :func:`rtdkit.rtd`
    does, and z's distances are then multiplied by ``s``; every scale sees the same subsamples.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(80, 5))
    >>> scaled_rtd(x, x, batch=40, trials=2, seed=0)
    (0.0, 1.0)
    """
    pairs = [
        (normalized_distances(x[idx]), normalized_distances(z[idx]))
        for idx in subsample_indices(len(x), batch, trials, seed)
    ]
    means = [np.mean([_precomputed_rtd(wx, s * wz) for wx, wz in pairs]) for s in EVAL_SCALES]
    best = int(np.argmin(means))
    return float(means[best]), EVAL_SCALES[best]


def _precomputed_rtd(wx: FloatArray, wz: FloatArray) -> float:
    return rtd(wx, wz, metric="precomputed", normalize=None, batch=None).value


def _plot(embeddings: dict[str, FloatArray], labels: Any, methods: dict[str, Any]) -> Figure:
    fig, axes = new_figure(1, len(METHODS), size=(4.2, 4.4))
    for ax, name in zip(axes[0], METHODS, strict=True):
        z, m = embeddings[name], methods[name]
        points = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", s=5, vmin=-0.5, vmax=9.5)
        k = min(m["knn_preservation"], key=int)
        ax.set_title(
            f"{TITLES[name]}\nRTD {m['rtd_scaled']:.2f} at best scale (plain {m['rtd']:.2f})\n"
            f"triplets {m['triplet_accuracy']:.0%}, {k}-NN kept {m['knn_preservation'][k]:.0%}",
            fontsize=9,
        )
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(points, ax=axes[0].tolist(), ticks=range(10), label="digit")
    return fig


# The experiments registry calls every experiment module's ``run``.
run = run_rtd_autoencoder
