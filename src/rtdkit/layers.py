"""Layer x layer matrices of representation measures, and their heatmaps (Fig. 8).

Nothing here needs PyTorch: the representations are arrays, e.g. from
:func:`rtdkit.torch.capture`. Every cell compares two layers on the same random subsamples for
every measure (:func:`rtdkit.comparison.compare`), the paper's protocol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rtdkit._loader import load_representation
from rtdkit._parallel import map_ordered
from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    RTDTypeError,
    check_bool,
    check_int,
    check_n_jobs,
    check_optional_int,
    check_seed,
)
from rtdkit.comparison import check_measure_options, compare, representation_measure
from rtdkit.divergence import DEFAULT_BATCH, DEFAULT_TRIALS
from rtdkit.measures import MEASURES
from rtdkit.options import RTDOptions

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["compare_layers", "plot_layers"]


def compare_layers(
    reps_a: Mapping[str, Any],
    reps_b: Mapping[str, Any] | None = None,
    measures: str | Sequence[str] = ("rtd", "cka"),
    *,
    batch: int | None = DEFAULT_BATCH,
    trials: int = DEFAULT_TRIALS,
    seed: int | np.random.Generator | None = 0,
    symmetric: bool = True,
    dim: int = 1,
    normalize: str | float | None = "quantile",
    metric: str = "euclidean",
    engine: str | None = None,
    method: str | None = None,
    measure_options: Mapping[str, Mapping[str, Any]] | None = None,
    n_jobs: int | None = 1,
    progress: bool = False,
) -> dict[str, pd.DataFrame]:
    """Layer x layer matrices of representation measures.

    With one set of representations (``reps_b=None``) every layer is compared with every
    layer of the same model; with two, each layer of ``reps_a`` (rows) with each layer of
    ``reps_b`` (columns), e.g. two seeds or two checkpoints. All arrays must describe the same
    samples in the same order (as :func:`rtdkit.torch.capture` on the same data gives).
    Symmetric measures fill only the upper triangle of a self-comparison and mirror it.

    Parameters
    ----------
    reps_a, reps_b : mapping of str to array-like (N, features)
        Layer representations, e.g. from :func:`rtdkit.torch.capture`.
    measures : str or sequence of str, default ('rtd', 'cka')
        Names from :data:`rtdkit.measures.MEASURES` that compare representations.
    batch, trials, seed : as in :func:`rtdkit.rtd`
        Every measure of every cell is averaged over the same ``trials`` random subsets of
        ``batch`` samples (``batch=None``: all samples, one trial), the paper's protocol.
    symmetric : bool, default True
        Average both directions of RTD (and of asymmetric measures such as PWCCA) per trial;
        False gives ``measure(row, column)``.
    dim, normalize, metric, engine, method
        RTD's options, as in :func:`rtdkit.rtd` (``metric='precomputed'`` excepted: layers
        are feature arrays).
    measure_options : mapping of str to mapping, optional
        Options of the other measures, e.g. ``{"cka": {"debiased": True}}``.
    n_jobs : int or None, default 1
        Threads computing cells side by side (None: 1, -1: every core); results do not
        depend on it.
    progress : bool, default False
        Progress bar over the cells, on stderr.

    Returns
    -------
    dict of str to pandas.DataFrame
        One matrix of raw values per measure (CKA as a similarity), index = layers of
        ``reps_a``, columns = layers of ``reps_b``; ``df.attrs["measure"]`` holds the name.

    Examples
    --------
    >>> import numpy as np
    >>> from rtdkit.layers import compare_layers
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 5))
    >>> reps = {"in": x, "out": np.tanh(x @ rng.normal(size=(5, 3)))}
    >>> scores = compare_layers(reps, batch=None)
    >>> scores["rtd"].shape, round(float(scores["cka"].loc["in", "in"]), 6)
    ((2, 2), 1.0)
    """
    import pandas as pd

    names = [measures] if isinstance(measures, str) else list(measures)
    if not names:
        raise RTDInputError("measures is empty; pass e.g. ('rtd', 'cka')")
    symmetric = check_bool(symmetric, "symmetric")
    # A cell is symmetric in (row, column) if its measure is, or if both directions are averaged.
    mirrored = {
        name: symmetric if len(m.directions) == 2 else m.symmetric
        for name, m in ((n, representation_measure(n)) for n in names)
    }
    rtd_options = RTDOptions.check(
        dim=dim, normalize=normalize, metric=metric, engine=engine, method=method
    )
    if rtd_options.metric == "precomputed":
        raise RTDInputError(
            "compare_layers compares feature arrays; metric='precomputed' is for rtdkit.rtd"
        )
    options = check_measure_options(measure_options, names, caller="compare_layers()")
    for name in names:
        if taken := MEASURES[name].call_options:
            options[name] = {k: v for k, v in rtd_options.as_dict().items() if k in taken}
    batch = check_optional_int(batch, "batch", minimum=3)
    trials = check_int(trials, "trials", minimum=1)
    seed = check_seed(seed)
    n_jobs = check_n_jobs(n_jobs)
    progress = check_bool(progress, "progress")
    left = _representations(reps_a, "reps_a")
    right = left if reps_b is None else _representations(reps_b, "reps_b")
    _check_same_samples(left, right)
    rows, cols = list(left.values()), list(right.values())
    # A self-comparison computes the lower triangle only for what cannot be mirrored.
    cells = [
        (i, j, [n for n in names if not (reps_b is None and j < i and mirrored[n])])
        for i in range(len(left))
        for j in range(len(right))
    ]

    def cell_values(cell: tuple[int, int, list[str]]) -> dict[str, float]:
        i, j, todo = cell
        if not todo:
            return {}
        return compare(
            rows[i], cols[j], todo, batch=batch, trials=trials, seed=seed, options=options,
            symmetric=symmetric,
        )  # fmt: skip

    values = map_ordered(cell_values, cells, n_jobs=n_jobs, description="layers", progress=progress)
    matrices = {name: np.full((len(left), len(right)), np.nan) for name in names}
    for (i, j, _), computed in zip(cells, values, strict=True):
        for name, value in computed.items():
            matrices[name][i, j] = value
    for i, j, todo in cells:
        for name in set(names) - set(todo):
            matrices[name][i, j] = matrices[name][j, i]
    results = {}
    for name, matrix in matrices.items():
        frame = pd.DataFrame(matrix, index=list(left), columns=list(right))
        frame.attrs.update(measure=name, cross=reps_b is not None)
        results[name] = frame
    return results


def _representations(reps: Mapping[str, Any], arg: str) -> dict[str, FloatArray]:
    if not isinstance(reps, Mapping) or not reps:
        raise RTDTypeError(
            f"{arg} must be a non-empty dict of layer name -> (N, features) array, as "
            f"capture() returns; got {type(reps).__name__}"
        )
    return {str(name): load_representation(x, f"{arg}[{name!r}]") for name, x in reps.items()}


def _check_same_samples(left: Mapping[str, FloatArray], right: Mapping[str, FloatArray]) -> None:
    # Keyed by argument too: two models usually share their layer names.
    sizes = {f"reps_a[{n!r}]": len(x) for n, x in left.items()}
    sizes.update({f"reps_b[{n!r}]": len(x) for n, x in right.items() if right is not left})
    if len(set(sizes.values())) > 1:
        raise RTDInputError(
            "all representations must describe the same samples, but their row counts differ ("
            + ", ".join(f"{name}: {rows}" for name, rows in sizes.items())
            + "); capture them on the same data with the same max_samples"
        )


def plot_layers(
    scores: Mapping[str, Any],
    *,
    dissimilarity: bool = True,
    figsize: tuple[float, float] | None = None,
    names: tuple[str, str] = ("model A", "model B"),
) -> Figure:
    """One heatmap per measure, side by side, as in Fig. 8 of the paper.

    Parameters
    ----------
    scores : mapping of str to DataFrame
        The output of :func:`compare_layers` (keys are measure names).
    dissimilarity : bool, default True
        Draw similarity measures (CKA, SVCCA, PWCCA) as ``1 - value`` so that every panel
        reads the same way (0 = identical), as the paper shows 1 - CKA next to RTD.
    figsize : (float, float), optional
        Figure size in inches; by default it grows with the number of layers.
    names : (str, str), default ("model A", "model B")
        What the rows and the columns of a cross-model comparison (``reps_b`` given) are;
        they label the axes. A self-comparison's axes read "layer".

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from rtdkit.layers import compare_layers, plot_layers
    >>> x = np.random.default_rng(0).normal(size=(40, 4))
    >>> fig = plot_layers(compare_layers({"a": x, "b": x**2}, measures="cka"))
    >>> len(fig.axes)  # one heatmap and its colorbar
    2
    """
    import matplotlib.pyplot as plt

    from rtdkit.plot import plot_heatmap

    if not isinstance(scores, Mapping) or not scores:
        raise RTDInputError("scores must be the non-empty dict that compare_layers returns")
    rows, cols = np.shape(next(iter(scores.values())))
    size = figsize or (5.0 * len(scores), 1.5 + 0.45 * max(rows, cols))
    fig, axes = plt.subplots(1, len(scores), figsize=size, squeeze=False)
    for ax, (name, matrix) in zip(axes[0], scores.items(), strict=True):
        measure = representation_measure(name)
        flip = dissimilarity and measure.kind == "similarity"
        title = measure.label if flip else measure.name.upper()
        # 1 - CKA of a layer with itself is ~1e-16 of round-off; show it as the 0 it is.
        values = (1.0 - matrix).round(12) if flip else matrix
        cross = bool(getattr(matrix, "attrs", {}).get("cross"))
        rows_are, cols_are = (f"{n} layer" for n in names) if cross else ("layer", "layer")
        plot_heatmap(values, ax=ax, title=title, row_label=rows_are, col_label=cols_are)
    fig.tight_layout()
    return fig
