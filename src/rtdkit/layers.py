"""Layer x layer matrices of representation measures, and their heatmaps (Fig. 8).

Nothing here needs PyTorch: the representations are arrays, e.g. from
:func:`rtdkit.torch.capture`. Every cell compares two layers on the same random subsamples for
every measure (:func:`rtdkit.comparison.compare`), the paper's protocol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rtdkit._progress import progress_iter
from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    RTDTypeError,
    as_float_matrix,
    check_bool,
    check_engine,
    check_int,
    check_method,
    check_metric,
    check_normalize,
    check_optional_int,
    check_score_dim,
)
from rtdkit.comparison import compare, representation_measure
from rtdkit.divergence import DEFAULT_BATCH, DEFAULT_TRIALS
from rtdkit.measures import MEASURES

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
    seed: Any = 0,
    symmetric: bool = True,
    measure_options: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool = False,
    **call_options: Any,
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
        Names from :data:`rtdkit.baselines.MEASURES` that compare representations.
    batch, trials, seed : as in :func:`rtdkit.rtd`
        Every measure of every cell is averaged over the same ``trials`` random subsets of
        ``batch`` samples (``batch=None``: all samples, one trial), the paper's protocol.
    symmetric : bool, default True
        Average both directions of RTD (and of asymmetric measures such as PWCCA) per trial;
        False gives ``measure(row, column)``.
    measure_options : mapping of str to mapping, optional
        Options per measure, e.g. ``{"cka": {"debiased": True}}``.
    progress : bool, default False
        Progress bar over the cells, on stderr.
    **call_options
        Options of the measures that take them from the call: RTD's ``dim``, ``normalize``,
        ``metric`` and ``engine``, as in :func:`rtdkit.rtd`.

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
    options = _measure_options(names, measure_options, call_options)
    batch = check_optional_int(batch, "batch", minimum=3)
    trials = check_int(trials, "trials", minimum=1)
    left = _representations(reps_a, "reps_a")
    right = left if reps_b is None else _representations(reps_b, "reps_b")
    _check_same_samples(left, right)
    matrices = {name: np.full((len(left), len(right)), np.nan) for name in names}
    cells = [(i, j) for i in range(len(left)) for j in range(len(right))]
    for i, j in progress_iter(cells, total=len(cells), description="layers", enabled=progress):
        # A self-comparison computes the lower triangle only for what cannot be mirrored.
        todo = [n for n in names if not (reps_b is None and j < i and mirrored[n])]
        for name in set(names) - set(todo):
            matrices[name][i, j] = matrices[name][j, i]
        if todo:
            x, y = list(left.values())[i], list(right.values())[j]
            values = compare(
                x, y, todo, batch=batch, trials=trials, seed=seed, options=options,
                symmetric=symmetric,
            )  # fmt: skip
            for name, value in values.items():
                matrices[name][i, j] = value
    results = {}
    for name, matrix in matrices.items():
        frame = pd.DataFrame(matrix, index=list(left), columns=list(right))
        frame.attrs.update(measure=name, cross=reps_b is not None)
        results[name] = frame
    return results


def _measure_options(
    names: list[str],
    measure_options: Mapping[str, Mapping[str, Any]] | None,
    call_options: Mapping[str, Any],
) -> dict[str, dict[str, Any]]:
    """Options per measure; ``**call_options`` go to the measures that take them (RTD's)."""
    options = {k: dict(v) for k, v in (measure_options or {}).items()}
    stray = sorted(set(options) - set(names))
    if stray:
        raise RTDInputError(f"measure_options names {stray}, which are not among measures {names}")
    takers = {n: MEASURES[n].call_options for n in names if MEASURES[n].call_options}
    accepted = {option for taken in takers.values() for option in taken}
    unknown = sorted(set(call_options) - accepted)
    if unknown:
        raise RTDInputError(
            f"unknown option(s) {unknown}; compare_layers accepts batch, trials, seed, "
            f"symmetric, progress, measure_options and the options of its measures "
            f"{sorted(accepted) or '(none for these measures)'}"
        )
    _check_call_options(call_options)
    for name, taken in takers.items():
        given = {k: v for k, v in call_options.items() if k in taken}
        options[name] = {**options.get(name, {}), **given}
    return options


def _check_call_options(options: Mapping[str, Any]) -> None:
    """The shared options, checked here before any cell is computed."""
    info = check_engine(options.get("engine"))
    dim = check_score_dim(options.get("dim", 1), info)
    check_method(options.get("method"), dim=dim, engine=options.get("engine"))
    check_normalize(options.get("normalize", "quantile"))
    if check_metric(options.get("metric", "euclidean")) == "precomputed":
        raise RTDInputError(
            "compare_layers compares feature arrays; metric='precomputed' is for rtdkit.rtd"
        )


def _representations(reps: Mapping[str, Any], arg: str) -> dict[str, FloatArray]:
    if not isinstance(reps, Mapping) or not reps:
        raise RTDTypeError(
            f"{arg} must be a non-empty dict of layer name -> (N, features) array, as "
            f"capture() returns; got {type(reps).__name__}"
        )
    return {str(name): as_float_matrix(value, f"{arg}[{name!r}]") for name, value in reps.items()}


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
