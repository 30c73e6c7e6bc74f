"""An all-pairs study of representation files: find them, compare every pair, draw the matrices.

:func:`pairwise_files` is what ``rtdkit matrix`` runs, as a library function: the files named
by directories or glob patterns go to :func:`rtdkit.pairwise`, and the matrices can be saved as
heatmaps or 2-D MDS maps, all drawn as dissimilarities (0 = identical).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rtdkit.allpairs import dissimilarity, pairwise
from rtdkit.io import find_representations
from rtdkit.measures import MEASURES
from rtdkit.plot import check_figure_path

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["pairwise_files", "save_matrices_figure"]


def pairwise_files(
    specs: str | Sequence[str],
    measures: Sequence[str] = ("rtd",),
    *,
    store: str | os.PathLike[str] | None = None,
    scheduler: str | None = None,
    plot: str | os.PathLike[str] | None = None,
    mds: str | os.PathLike[str] | None = None,
    **options: Any,
) -> dict[str, pd.DataFrame]:
    """All-pairs matrices of the representation files in ``specs``, optionally drawn.

    ``rtdkit matrix`` runs it.

    Parameters
    ----------
    specs : str or sequence of str
        Directories, glob patterns or files (see :func:`rtdkit.io.find_representations`).
    measures : sequence of str, default ("rtd",)
        Measures to compute, as in :func:`rtdkit.pairwise`.
    store : path, optional
        SQLite results store; rerunning with it resumes the study.
    scheduler : str, optional
        Dask scheduler address (``"tcp://host:8786"``); default: threads on this machine.
    plot, mds : path, optional
        Save one heatmap per measure, or one 2-D classical MDS per measure, of the
        dissimilarity (``1 - s`` for similarities, as in the paper's Figs. 7-8). Both paths
        are checked before anything is computed.
    **options
        Passed to :func:`rtdkit.pairwise` (``batch``, ``trials``, ``seed``, ``n_jobs``, ...).

    Returns
    -------
    dict of str to pandas.DataFrame
        The matrices, as :func:`rtdkit.pairwise` returns them.

    Examples
    --------
    >>> import tempfile, numpy as np, os
    >>> d = tempfile.mkdtemp(); rng = np.random.default_rng(0)
    >>> for i in range(3): np.save(os.path.join(d, f"r{i}.npy"), rng.normal(size=(40, 3)))
    >>> out = pairwise_files(d, batch=20, trials=1, n_jobs=1, progress=False)
    >>> out["rtd"].index.tolist()
    ['r0', 'r1', 'r2']
    """
    plot = None if plot is None else check_figure_path(plot, "plot")
    mds = None if mds is None else check_figure_path(mds, "mds")
    matrices = pairwise(
        find_representations(specs), measures, store=store, executor=scheduler, **options
    )
    if plot is not None:
        save_matrices_figure(matrices, plot, heatmap=True)
    if mds is not None:
        save_matrices_figure(matrices, mds, heatmap=False)
    return matrices


def save_matrices_figure(
    matrices: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], *, heatmap: bool
) -> None:
    """Save one panel per measure, a heatmap or a 2-D MDS map, drawn as a dissimilarity.

    Similarities ``s`` are drawn as ``1 - s``, as in the paper's Figs. 7-8.
    """
    import matplotlib.pyplot as plt

    # Looked up at call time, so that tests can replace save_figure.
    from rtdkit.plot import plot_heatmap, plot_mds, save_figure

    fig, axes = plt.subplots(1, len(matrices), figsize=(6.0 * len(matrices), 5.0), squeeze=False)
    for ax, (measure, frame) in zip(axes[0], matrices.items(), strict=True):
        label = MEASURES[measure].label
        # 1 - CKA of a representation with itself is round-off; show it as the 0 it is.
        values = dissimilarity(frame).round(12)
        if heatmap:
            plot_heatmap(values, ax=ax, title=f"{label} between representations",
                         colorbar_label=label, row_label="representation",
                         col_label="representation")  # fmt: skip
        else:
            plot_mds(values, ax=ax, title=f"MDS of {label}")
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
