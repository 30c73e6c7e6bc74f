"""The ``rtdkit`` command line.

Every command turns an :class:`rtdkit.RTDInputError` (bad file, bad option value) into one
line on stderr and exit status 2; results go to stdout, progress bars to stderr.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rtdkit._validation import RTDInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["app", "cli_message", "main", "matrix_command"]

app = typer.Typer(
    name="rtdkit",
    help="Compare two representations of the same data by their multi-scale topology (RTD).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEFAULT_TRIALS = 10

# Help texts are rendered as rich markup, where "[torch]" would be a style tag: escape it.
FileArg = Annotated[
    str,
    typer.Argument(
        help="A representation file: .npy, .npz (FILE.npz:KEY to pick an array), .csv/.tsv/"
        ".txt (one point per row), .pt/.safetensors (needs rtdkit\\[torch]).",
        show_default=False,
    ),
]
BatchOpt = Annotated[
    int,
    typer.Option(help="Points per random subsample (Algorithm 2's b); 0 = use all points."),
]
TrialsOpt = Annotated[
    int | None,
    typer.Option(
        help=f"Number of random subsamples (Algorithm 2's n); default {DEFAULT_TRIALS}. "
        "With --batch 0 or >= the number of points there is one computation on all points.",
        show_default=False,
    ),
]
SeedOpt = Annotated[int, typer.Option(help="Random seed of the subsampling (an integer >= 0).")]
MetricOpt = Annotated[
    str,
    typer.Option(
        help="Distance within each cloud: euclidean, cosine, any scipy cdist metric, or "
        "precomputed (files hold N x N distance matrices)."
    ),
]
NormalizeOpt = Annotated[
    str,
    typer.Option(
        help="Distance normalisation: 'quantile' (divide by the 0.9-quantile), a quantile such "
        "as 0.5, or 'none'."
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        help="Barcode engine: cone (built in, the fastest) or reference (giotto-ph); see "
        "`rtdkit engines`. Implies --method barcode.",
        show_default=False,
    ),
]
MethodOpt = Annotated[
    str | None,
    typer.Option(
        help="How RTD_1 is computed: 'identity' (exact total without the bars, the default "
        "for H1) or 'barcode' (sum of the R-Cross-Barcode's bars)."
    ),
]
JobsOpt = Annotated[
    int, typer.Option("--n-jobs", "-j", help="Threads doing the work (-1: all cores).")
]
DEFAULT_JOBS = -1  # one default for every command: results never depend on it
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
PickleOpt = Annotated[
    bool,
    typer.Option(
        "--allow-pickle", help="Allow loading pickled objects (only for files you trust)."
    ),
]
ProgressOpt = Annotated[bool, typer.Option(help="Show progress bars on stderr.")]


def _version(value: bool) -> None:
    if value:
        from rtdkit import __version__

        typer.echo(f"rtdkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Compare two representations of the same data by their multi-scale topology (RTD)."""


def _parse_normalize(value: str) -> str | float | None:
    text = value.strip().lower()
    if text in {"none", "off", "no"}:
        return None
    if text == "quantile":
        return "quantile"
    try:
        return float(text)
    except ValueError:
        raise RTDInputError(
            f"--normalize must be 'quantile', a number in (0, 1] or 'none'; got {value!r}"
        ) from None


def _load(spec: str, allow_pickle: bool, *, metric: str | None = None) -> Any:
    """The array in ``spec``; with ``metric``, checked as a representation named by its file."""
    from rtdkit._validation import as_float_matrix
    from rtdkit.distances import pairwise_distances
    from rtdkit.io import load_array, split_path_key

    path, key = split_path_key(spec)
    array = load_array(path, key=key, allow_pickle=allow_pickle)
    if metric is None:
        return array
    checked = as_float_matrix(array, spec)
    return (
        pairwise_distances(checked, metric=metric, name=spec)
        if metric == "precomputed"
        else checked
    )


def _load_pair(a: str, b: str, allow_pickle: bool, metric: str) -> tuple[Any, Any]:
    """Files A and B, checked with their names in the messages (not the API's P and Q)."""
    from rtdkit._validation import check_same_rows

    p, q = _load(a, allow_pickle, metric=metric), _load(b, allow_pickle, metric=metric)
    check_same_rows(p, q, a, b)
    return p, q


def _trials(trials: int | None, batch: int, n_points: int) -> int:
    """--trials, with a warning when a batch covering every point makes it meaningless."""
    if trials not in (None, 1) and (not batch or batch >= n_points):
        why = "--batch 0 asks for" if not batch else f"--batch {batch} >= the {n_points} points:"
        typer.echo(
            f"rtdkit: warning: --trials {trials} ignored: {why} one computation on all points; "
            "lower --batch for a spread over subsamples",
            err=True,
        )
    return DEFAULT_TRIALS if trials is None else trials


def _spread_text(result: Any) -> str:
    """``± std, 95% CI`` or why there is no spread (one computation on every point)."""
    if result.trials < 2:
        return " (spread n/a: one computation on all points; use --batch < N for subsamples)"
    low, high = result.ci(0.95)
    return f" ± {result.std:.3g}, 95% CI [{low:.6g}, {high:.6g}]"


@app.command()
def compare(
    a: FileArg,
    b: FileArg,
    batch: BatchOpt = 500,
    trials: TrialsOpt = None,
    seed: SeedOpt = 0,
    metric: MetricOpt = "euclidean",
    normalize: NormalizeOpt = "quantile",
    dim: Annotated[
        int, typer.Option(help="Homology dimension whose bars are summed (1 or higher).")
    ] = 1,
    asymmetric: Annotated[
        bool, typer.Option(help="Report RTD(A, B) only instead of the symmetric score.")
    ] = False,
    engine: EngineOpt = None,
    method: MethodOpt = None,
    n_jobs: JobsOpt = DEFAULT_JOBS,
    as_json: JsonOpt = False,
    allow_pickle: PickleOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """Print the RTD score between the representations in files A and B, with its spread."""
    import rtdkit
    from rtdkit._validation import check_seed

    check_seed(seed, generator=False)
    normalization = _parse_normalize(normalize)
    p, q = _load_pair(a, b, allow_pickle, metric)
    result = rtdkit.rtd(
        p,
        q,
        batch=batch or None,
        trials=_trials(trials, batch, len(p)),
        seed=seed,
        symmetric=not asymmetric,
        dim=dim,
        normalize=normalization,
        metric=metric,
        engine=engine,
        method=method,
        n_jobs=n_jobs,
        progress=progress,
    )
    interval = result.ci(0.95) if result.trials > 1 else None
    if as_json:
        typer.echo(json.dumps({"a": a, "b": b, **result.to_dict(), "ci95": interval}, indent=2))
        return
    kind = "RTD" if result.symmetric else "RTD(A, B)"
    typer.echo(
        f"{kind} = {result.value:.6g}{_spread_text(result)}  "
        f"(H{result.dim}, {result.trials} trial(s) of {result.batch} points, seed {seed}, "
        f"{'exact identity' if result.method == 'identity' else 'engine ' + result.engine})"
    )


@app.command("test")
def permutation_test_command(
    a: FileArg,
    b: FileArg,
    measure: Annotated[
        str,
        typer.Option(
            help="Measure: rtd, cka, svcca, pwcca or disagreement (imd has no "
            "row correspondence to test)."
        ),
    ] = "rtd",
    permutations: Annotated[
        int, typer.Option(help="Random permutations of B's rows; the smallest p is 1/(n+1).")
    ] = 99,
    seed: Annotated[int, typer.Option(help="Seed of the permutations and subsamples.")] = 0,
    batch: Annotated[
        int, typer.Option(help="rtd only: points per subsample; 0 = use all points.")
    ] = 500,
    trials: Annotated[
        int | None,
        typer.Option(
            help=f"rtd only: number of subsamples; default {DEFAULT_TRIALS}.", show_default=False
        ),
    ] = None,
    n_jobs: JobsOpt = DEFAULT_JOBS,
    as_json: JsonOpt = False,
    allow_pickle: PickleOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """Are A and B related? Permutation test: shuffle B's rows, recompute, compare.

    A small p-value says the row-by-row correspondence between A and B matters: the
    measure is more extreme (RTD smaller, CKA larger) than for shuffled pairings.
    """
    import numpy as np

    from rtdkit._validation import check_seed
    from rtdkit.stats import permutation_test

    check_seed(seed, generator=False)
    p, q = _load(a, allow_pickle), _load(b, allow_pickle)
    options: dict[str, Any] = (
        {"batch": batch or None, "trials": _trials(trials, batch, len(p))}
        if measure == "rtd"
        else {}
    )
    result = permutation_test(
        p,
        q,
        n_permutations=permutations,
        seed=seed,
        measure=measure,
        n_jobs=n_jobs,
        progress=progress,
        **options,
    )
    if as_json:
        typer.echo(json.dumps({"a": a, "b": b, **result.to_dict()}, indent=2))
        return
    shuffled = float(np.median(result.null))
    typer.echo(
        f"{measure} = {result.statistic:.6g}  (median over shuffled rows {shuffled:.6g})\n"
        f"p = {result.pvalue:.4g} ({result.n_permutations} permutations, one-sided: "
        f"{'smaller' if result.alternative == 'less' else 'larger'} than chance)"
    )


def _figure_path(path: str | os.PathLike[str] | None, option: str) -> Path | None:
    """A figure path checked before any work (format, folder), or None."""
    from rtdkit.plot import check_figure_path

    return None if path is None else check_figure_path(path, option)


def _wrote(path: Path | str) -> None:
    typer.echo(f"figure written to {path}", err=True)


@app.command()
def barcode(
    a: FileArg,
    b: FileArg,
    plot: Annotated[
        Path | None, typer.Option(help="Save both R-Cross-Barcodes as a figure (.png/.pdf).")
    ] = None,
    maxdim: Annotated[int, typer.Option(help="Highest homology dimension.")] = 1,
    metric: MetricOpt = "euclidean",
    normalize: NormalizeOpt = "quantile",
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
    allow_pickle: PickleOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """R-Cross-Barcode(A, B) and R-Cross-Barcode(B, A) on all points: bar counts and totals."""
    import rtdkit

    plot = _figure_path(plot, "--plot")
    options: dict[str, Any] = {
        "maxdim": maxdim,
        "metric": metric,
        "normalize": _parse_normalize(normalize),
        "engine": engine,
        "progress": progress,
    }
    p, q = _load_pair(a, b, allow_pickle, metric)
    forward = rtdkit.cross_barcode(p, q, **options)
    backward = rtdkit.cross_barcode(q, p, **options)
    if as_json:
        payload = {
            name: {f"H{d}": bc[d].tolist() for d in range(bc.maxdim + 1)}
            for name, bc in (("A->B", forward), ("B->A", backward))
        }
        typer.echo(json.dumps(payload))
    else:
        for name, bc in (("R-Cross-Barcode(A, B)", forward), ("R-Cross-Barcode(B, A)", backward)):
            for d in range(1, bc.maxdim + 1):
                longest = float(bc.lengths(d).max()) if len(bc[d]) else 0.0
                typer.echo(
                    f"{name} H{d}: {len(bc[d])} bars, total length {bc.total_length(d):.6g}, "
                    f"longest {longest:.6g}"
                )
    if plot is not None:
        from rtdkit.plot import plot_cross_barcodes, save_figure

        save_figure(plot_cross_barcodes(forward, backward, names=("A", "B")), plot)
        _wrote(plot)


@app.command()
def demo(
    plot: Annotated[Path | None, typer.Option(help="Save the demo figure (.png/.pdf).")] = None,
    all_k: Annotated[
        bool, typer.Option("--all", help="Use every k = 2..12 instead of the paper's subset.")
    ] = False,
    engine: EngineOpt = None,
    n_jobs: JobsOpt = DEFAULT_JOBS,
    progress: ProgressOpt = True,
) -> None:
    """The RTD column of the paper's "clusters" experiment: 1 cluster vs k clusters.

    300 points from a 2-D normal distribution are split into k clusters on a circle of
    radius 10; RTD on the full clouds should grow with k (paper: Kendall tau = 1.0).
    ``rtdkit experiment clusters`` adds CKA, SVCCA and IMD.
    """
    import rtdkit
    from rtdkit._progress import progress_iter
    from rtdkit.datasets import clusters
    from rtdkit.experiments._stats import kendall_tau
    from rtdkit.experiments.clusters import CLUSTER_COUNTS

    plot = _figure_path(plot, "--plot")
    ks = tuple(range(2, 13)) if all_k else CLUSTER_COUNTS
    base = clusters(1)
    values = [
        rtdkit.rtd(base, clusters(k), batch=None, engine=engine, n_jobs=n_jobs).value
        for k in progress_iter(ks, total=len(ks), description="clusters", enabled=progress)
    ]
    typer.echo(" k  RTD(1 cluster, k clusters)")
    for k, value in zip(ks, values, strict=True):
        typer.echo(f"{k:2d}  {value:.4f}")
    typer.echo(f"Kendall tau (RTD vs k) = {kendall_tau(ks, values):.3f}   (paper: 1.0)")
    if plot is not None:
        _save_demo_figure(plot, ks, values)


def _save_demo_figure(path: Path, ks: tuple[int, ...], values: list[float]) -> None:
    from rtdkit.datasets import clusters
    from rtdkit.experiments._output import new_figure
    from rtdkit.experiments._plots import scatter_clouds
    from rtdkit.plot import save_figure

    fig, axes = new_figure(1, 3, size=(4.0, 3.6))
    scatter_clouds(
        axes[0, :2], {"1 cluster": clusters(1), f"{ks[-1]} clusters": clusters(ks[-1])}, size=4
    )
    axes[0, 2].plot(ks, values, marker="o")
    axes[0, 2].set_xlabel("number of clusters k")
    axes[0, 2].set_ylabel("RTD(1 cluster, k clusters)")
    save_figure(fig, path)
    _wrote(path)


@app.command()
def matrix(
    specs: Annotated[
        list[str],
        typer.Argument(
            help="Directories, glob patterns or files of representations (one per file; "
            "FILE.npz:KEY picks an array).",
            show_default=False,
        ),
    ],
    measure: Annotated[
        list[str] | None,
        typer.Option(
            "--measure",
            "-m",
            help="Measure to compute (repeatable): rtd (default), cka, svcca, pwcca or imd.",
            show_default=False,
        ),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(help="SQLite results store; rerunning with it resumes where it stopped."),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://host:8786.")
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(help="Save heatmaps of the matrices (similarities drawn as 1 - value)."),
    ] = None,
    mds: Annotated[Path | None, typer.Option(help="Save 2-D MDS maps of the matrices.")] = None,
    batch: BatchOpt = 500,
    trials: TrialsOpt = None,
    seed: Annotated[
        int,
        typer.Option(
            help="Study seed (an integer >= 0); each pair subsamples with its own seed derived "
            "from it and the two names (rtdkit.allpairs.pair_seed)."
        ),
    ] = 0,
    metric: MetricOpt = "euclidean",
    normalize: NormalizeOpt = "quantile",
    engine: EngineOpt = None,
    method: MethodOpt = None,
    n_jobs: JobsOpt = DEFAULT_JOBS,
    allow_pickle: PickleOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """All-pairs comparison of many representations, on this machine or a Dask cluster.

    Each pair is subsampled with its own seed, derived from --seed and the two names, so an
    entry does not depend on which other files are in the study; `rtdkit compare A B --seed
    S` with S = rtdkit.allpairs.pair_seed(seed, A, B) reproduces it.
    """
    try:
        matrices = matrix_command(
            specs,
            tuple(measure or ("rtd",)),
            store=store,
            scheduler=scheduler,
            plot=plot,
            mds=mds,
            batch=batch or None,
            trials=DEFAULT_TRIALS if trials is None else trials,
            seed=seed,
            metric=metric,
            normalize=_parse_normalize(normalize),
            engine=engine,
            method=method,
            n_jobs=n_jobs,
            allow_pickle=allow_pickle,
            progress=progress,
        )
    except KeyboardInterrupt as exc:
        # The resume hint is a note on the exception (it also shows in a Python traceback).
        notes = " ".join(note.removeprefix("rtdkit: ") for note in getattr(exc, "__notes__", []))
        typer.echo(f"rtdkit: interrupted. {notes}".rstrip(), err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    frames = list(matrices.values())
    if trials not in (None, 1) and frames and frames[0].attrs.get("trials") == 1:
        typer.echo(
            f"rtdkit: warning: --trials {trials} ignored: --batch covers every point, so each "
            "pair was computed once on all points",
            err=True,
        )
    for name, frame in matrices.items():
        typer.echo(f"== {name}")
        typer.echo(frame.to_string(float_format="{:.4g}".format))
    typer.echo(f"(seed {seed}: each pair subsampled with rtdkit.allpairs.pair_seed({seed}, A, B))")
    for path in (plot, mds):
        if path is not None:
            _wrote(path)


def matrix_command(
    specs: str | Sequence[str],
    measures: Sequence[str] = ("rtd",),
    *,
    store: str | os.PathLike[str] | None = None,
    scheduler: str | None = None,
    plot: str | os.PathLike[str] | None = None,
    mds: str | os.PathLike[str] | None = None,
    **options: Any,
) -> dict[str, pd.DataFrame]:
    """``rtdkit matrix``: all-pairs matrices of the files in ``specs``, optionally plotted.

    Parameters
    ----------
    specs : str or sequence of str
        Directories, glob patterns or files (see :func:`rtdkit.io.find_representations`).
    measures : sequence of str, default ("rtd",)
        Measures to compute, as in :func:`rtdkit.pairwise`.
    store : path, optional
        SQLite results store; rerunning with it resumes the study.
    scheduler : str, optional
        Dask scheduler address (``"tcp://host:8786"``); default: the local process pool.
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
    >>> out = matrix_command(d, batch=20, trials=1, n_jobs=1, progress=False)
    >>> out["rtd"].index.tolist()
    ['r0', 'r1', 'r2']
    """
    from rtdkit.allpairs import pairwise
    from rtdkit.io import find_representations

    plot, mds = _figure_path(plot, "--plot"), _figure_path(mds, "--mds")
    matrices = pairwise(
        find_representations(specs), measures, store=store, executor=scheduler, **options
    )
    if plot is not None:
        _save_panels(matrices, plot, heatmap=True)
    if mds is not None:
        _save_panels(matrices, mds, heatmap=False)
    return matrices


def _save_panels(
    matrices: Mapping[str, pd.DataFrame], path: str | os.PathLike[str], *, heatmap: bool
) -> None:
    """One panel per measure, all drawn as dissimilarities (0 = identical)."""
    import matplotlib.pyplot as plt

    from rtdkit.allpairs import dissimilarity
    from rtdkit.baselines import MEASURES
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


def _check_out_folder(out: Path) -> None:
    """The experiment's output folder exists (or is created) and is writable, before the run."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RTDInputError(
            f"--out {str(out)!r}: cannot create the folder ({exc.strerror}); choose another"
        ) from None
    if not os.access(out, os.W_OK):
        raise RTDInputError(f"--out {str(out)!r}: the folder is not writable; choose another")


def _summary(record: Mapping[str, Any]) -> list[str]:
    """The scalars of an experiment's record, and flat tables on one line each."""
    lines = []
    for key, value in record.items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            lines.append(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
        elif (
            isinstance(value, Mapping)
            and 0 < len(value) <= 8
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values())
        ):
            lines.append(f"{key}: " + ", ".join(f"{k} {v:.4g}" for k, v in value.items()))
    return lines


@app.command()
def experiment(
    name: Annotated[
        str,
        typer.Argument(help="Experiment name; see --list.", show_default=False),
    ] = "",
    out: Annotated[Path, typer.Option(help="Folder for NAME.json and NAME.png.")] = Path(
        "rtdkit-results"
    ),
    quick: Annotated[bool, typer.Option(help="Small sizes, under a minute.")] = False,
    seed: SeedOpt = 0,
    list_all: Annotated[bool, typer.Option("--list", help="List the experiments.")] = False,
    progress: ProgressOpt = True,
) -> None:
    """Rerun one of the paper's experiments; writes a JSON of numbers and a PNG figure.

    Prints a short summary; every number is in OUT/NAME.json.
    """
    from rtdkit._validation import check_choice, check_seed
    from rtdkit.experiments import EXPERIMENTS, run_experiment

    if list_all or not name:
        for exp in EXPERIMENTS.values():
            typer.echo(f"{exp.name:20s} §{exp.section:28s} {exp.description}")
        return
    check_choice(name, "name", list(EXPERIMENTS))
    check_seed(seed, generator=False)
    if EXPERIMENTS[name].needs_torch:
        _require_torch(name)
    _check_out_folder(out)
    record = run_experiment(name, out, quick=quick, seed=seed, progress=progress)
    for line in _summary(record):
        typer.echo(line)
    typer.echo(
        f"results written to {out / name}.json; figure written to {out / name}.png", err=True
    )


def _require_torch(name: str) -> None:
    import importlib.util

    for module in ("torch", "sklearn"):
        if importlib.util.find_spec(module) is None:
            raise RTDInputError(
                f"experiment {name!r} needs PyTorch and scikit-learn ({module} is missing); "
                "pip install 'rtdkit[experiments]'"
            )


@app.command()
def engines() -> None:
    """List the barcode engines and what they support."""
    from rtdkit.engines import available_engines, get_engine

    for name in available_engines():
        try:
            info = get_engine(name)
        except ImportError as exc:
            typer.echo(f"{name:10s} unavailable: {exc}")
            continue
        typer.echo(f"{name:10s} maxdim<={info.max_supported_dim}  {info.description}")


# API spellings in messages, as the command line writes them (executor= is --scheduler).
_API_OPTION = re.compile(
    r"\b(allow_pickle|batch|dim|engine|executor|maxdim|method|metric|n_jobs|normalize|seed|"
    r"store|trials)=('[^']*'|[\w.]+)?"
)


# An option named at the start of a message ("n_jobs must be ...").
_API_SUBJECT = re.compile(r"^(batch|dim|maxdim|measure|method|metric|n_jobs|seed|trials)\b")


def _cli_option(match: re.Match[str]) -> str:
    name = {"executor": "scheduler"}.get(match[1], match[1]).replace("_", "-")
    value = (match[2] or "").strip("'")
    if value == "True":
        return f"--{name}"
    return f"--{name} {'none' if value == 'None' else value}".rstrip()


def cli_message(text: str) -> str:
    """An API error message in the command line's words: options, and A/B for P/Q.

    Examples
    --------
    >>> cli_message("P is not symmetric; pass normalize=None or allow_pickle=True")
    'A is not symmetric; pass --normalize none or --allow-pickle'
    >>> cli_message("n_jobs must be a positive integer")
    '--n-jobs must be a positive integer'
    """
    text = text.replace("key=NAME (CLI: FILE:NAME)", "FILE:NAME")
    text = _API_OPTION.sub(_cli_option, text)
    text = _API_SUBJECT.sub(lambda m: "--" + m[1].replace("_", "-"), text)
    # A lone P or Q (not part of a file name such as Q.npy) is the API's name for A or B.
    return re.sub(r"(?<![\w./-])[PQ](?![\w./-])", lambda m: "AB"[m[0] == "Q"], text)


def main() -> None:
    """Console entry point: turn input errors into one line on stderr and exit status 2.

    Usage errors (unknown option, a non-integer where one is needed) are reported by Typer
    itself, also with exit status 2.
    """
    try:
        app()
    except RTDInputError as exc:
        message = " ".join(cli_message(str(exc)).split())
        typer.echo(f"rtdkit: error: {message}", err=True)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
