"""The paper's experiments, rerun with one call on data that ships with rtdkit's dependencies.

Each experiment is a module with ``run(out_dir, *, quick, seed, progress) -> dict`` that writes
``NAME.json`` (its numbers, next to the paper's) and ``NAME.png`` (its figure) into
``out_dir``. Modules are imported on demand, so listing experiments needs neither torch nor
scikit-learn.

Examples
--------
>>> from rtdkit.experiments import list_experiments, run_experiment
>>> "clusters" in list_experiments()
True
>>> numbers = run_experiment("clusters", "out", quick=True)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtdkit._validation import check_bool, check_choice, check_int


@dataclass(frozen=True)
class Experiment:
    """One reproducible experiment: where its code lives and what it shows."""

    name: str
    module: str
    section: str
    description: str
    needs_torch: bool

    def run(self, out_dir: Path | str, *, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
        mod = importlib.import_module(f"rtdkit.experiments.{self.module}")
        with _one_blas_thread():
            result: dict[str, Any] = mod.run(
                Path(out_dir), quick=quick, seed=seed, progress=progress
            )
        return result


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Run numpy's and scipy's BLAS/LAPACK on one thread when threadpoolctl is installed (it
    comes with scikit-learn, i.e. with ``rtdkit[experiments]``).

    The matrices here are small: on 2 shared cores, threaded LAPACK spins instead of working
    (measured: the clusters family's 14 Laplacian spectra take 5.7 s with 2 threads, 0.1 s
    with one). One thread also fixes the order of every BLAS reduction, so the numbers do not
    depend on the machine's core count.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in (
        Experiment(
            "clusters",
            "clusters",
            "3.1, Figs. 2-4",
            "1 cluster vs 2..12 clusters: RTD, 1-CKA, 1-SVCCA, IMD and Kendall tau",
            False,
        ),
        Experiment(
            "rings",
            "rings",
            "3.1, Figs. 2, 3, 5",
            "5 rings vs fewer distinct rings: the four measures and Kendall tau",
            False,
        ),
        Experiment(
            "disentanglement",
            "disentanglement",
            "3.2, Table 1",
            "RTD between shifted latent slices of dSprites-like images, axes vs random",
            False,
        ),
        Experiment(
            "training-dynamics",
            "training_dynamics",
            "3.4.1, Fig. 1, Table 2",
            "each epoch vs the final network: RTD, 1-CKA, disagreement",
            True,
        ),
        Experiment(
            "layers",
            "layers",
            "3.4.2, Fig. 8",
            "RTD and 1-CKA between the blocks of trained networks",
            True,
        ),
        Experiment(
            "distribution-shift",
            "distribution_shift",
            "3.4.3, Fig. 9, Tables 3, 6",
            "representations of clean vs increasingly shifted images",
            True,
        ),
        Experiment(
            "ensembles",
            "ensembles",
            "3.4.4, Table 4",
            "diversity of classical ensembles vs fast geometric ensembles",
            True,
        ),
        Experiment(
            "transfer",
            "transfer",
            "3.4.5, Fig. 10, Tables 5, 8",
            "fine-tuning from digits 0-4 to digits 5-9, both tasks' representations",
            True,
        ),
        Experiment(
            "architectures",
            "architectures",
            "3.3, Fig. 7",
            "pairwise RTD of random small CNNs, MDS coloured by test loss",
            True,
        ),
        Experiment(
            "rtd-autoencoder",
            "rtd_autoencoder",
            "RTD-AE recipe",
            "digits 64-d -> 2-d autoencoder trained with and without the RTD loss",
            True,
        ),
    )
}


def list_experiments() -> list[str]:
    """Names of the experiments, in the paper's order.

    Examples
    --------
    >>> list_experiments()[:2]
    ['clusters', 'rings']
    """
    return list(EXPERIMENTS)


def run_experiment(
    name: str,
    out_dir: Path | str,
    *,
    quick: bool = False,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """Run one experiment, writing ``NAME.json`` and ``NAME.png`` into ``out_dir``.

    Parameters
    ----------
    name : str
        One of :func:`list_experiments`.
    out_dir : path
        Folder for the outputs (created if needed).
    quick : bool, default False
        Smaller sizes that finish in well under a minute (what the tests run); the default
        sizes take at most about 15 minutes each on 2 CPU cores.
    seed : int, default 0
        Seeds every random choice: data splits, network initialisations, batches.
    progress : bool, default False
        Show progress bars on stderr.

    Returns
    -------
    dict
        The numbers written to the JSON file.
    """
    check_choice(name, "name", list_experiments())
    seed = check_int(seed, "seed", minimum=0)
    quick = check_bool(quick, "quick")
    progress = check_bool(progress, "progress")
    return EXPERIMENTS[name].run(out_dir, quick=quick, seed=seed, progress=progress)


__all__ = ["EXPERIMENTS", "Experiment", "list_experiments", "run_experiment"]
