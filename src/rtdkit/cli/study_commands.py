"""Commands beyond one pair: ``matrix`` (all pairs), ``demo``, ``experiment`` and ``engines``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from rtdkit.cli._inputs import given, parse_normalize
from rtdkit.cli._options import (
    DEFAULT_JOBS,
    DEFAULT_TRIALS,
    BatchOpt,
    EngineOpt,
    JobsOpt,
    MethodOpt,
    MetricOpt,
    NormalizeOpt,
    PickleOpt,
    ProgressOpt,
    SeedOpt,
    TrialsOpt,
    progress_mode,
)
from rtdkit.cli.figures import checked_figure_path, save_demo_figure, wrote

__all__ = ["demo", "engines", "experiment", "matrix"]


def demo(
    plot: Annotated[Path | None, typer.Option(help="Save the demo figure (.png/.pdf).")] = None,
    all_k: Annotated[
        bool, typer.Option("--all", help="Use every k = 2..12 instead of the paper's subset.")
    ] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            help="Sum each RTD from the barcode of this engine (cone or reference; see "
            "`rtdkit engines`) instead of the exact identity.",
            show_default=False,
        ),
    ] = None,
    n_jobs: JobsOpt = DEFAULT_JOBS,
    progress: ProgressOpt = None,
) -> None:
    """The RTD column of the paper's "clusters" experiment: 1 cluster vs k clusters.

    300 points from a 2-D normal distribution are split into k clusters on a circle of
    radius 10; RTD on the full clouds should grow with k (paper: Kendall tau = 1.0).
    `rtdkit experiment clusters` adds CKA, SVCCA and IMD.
    """
    from rtdkit._progress import progress_iter
    from rtdkit.datasets import clusters
    from rtdkit.divergence import rtd
    from rtdkit.experiments._stats import kendall_tau
    from rtdkit.experiments.clusters import CLUSTER_COUNTS

    plot = checked_figure_path(plot, "--plot")
    ks = tuple(range(2, 13)) if all_k else CLUSTER_COUNTS
    base = clusters(1)
    bar = progress_mode(progress)
    values = [
        rtd(base, clusters(k), batch=None, engine=engine, n_jobs=n_jobs, progress=False).value
        for k in progress_iter(ks, total=len(ks), description="clusters", enabled=bar)
    ]
    typer.echo(" k  RTD(1 cluster, k clusters)")
    for k, value in zip(ks, values, strict=True):
        typer.echo(f"{k:2d}  {value:.4f}")
    typer.echo(f"Kendall tau (RTD vs k) = {kendall_tau(ks, values):.3f}   (paper: 1.0)")
    if plot is not None:
        save_demo_figure(plot, ks, values)


def matrix(
    ctx: typer.Context,
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
            help="Measure to compute (repeatable): rtd (default), cka, svcca, pwcca, imd, "
            "rtd_lite or nts.",
            show_default=False,
        ),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            help="SQLite results store; rerunning with it resumes where it stopped, and "
            "several `rtdkit matrix` runs on one store split the pairs."
        ),
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
    trials: TrialsOpt = DEFAULT_TRIALS,
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
    shuffles: Annotated[
        int,
        typer.Option(
            min=0,
            help="Random re-pairings of one file's rows per trial: also print each measure "
            "relative to its chance level (1 = no more related than chance), stored with the "
            "pair; each costs about one more score.",
        ),
    ] = 0,
    n_jobs: JobsOpt = DEFAULT_JOBS,
    allow_pickle: PickleOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """All-pairs comparison of many representations, on this machine or a Dask cluster.

    Each pair is subsampled with its own seed, derived from --seed and the two names, so an
    entry does not depend on which other files are in the study; `rtdkit compare A B --seed S`
    with `S = rtdkit.allpairs.pair_seed(seed, A, B)` reproduces it.
    """
    from rtdkit.study import pairwise_files

    # Checked here too, so that a bad path is named by its option (--plot, --mds).
    plot, mds = checked_figure_path(plot, "--plot"), checked_figure_path(mds, "--mds")
    normalization = parse_normalize(normalize)
    matrices = pairwise_files(
        specs,
        tuple(measure or ("rtd",)),
        store=store,
        scheduler=scheduler,
        plot=plot,
        mds=mds,
        batch=batch or None,
        trials=trials,
        seed=seed,
        metric=metric,
        normalize=normalization,
        engine=engine,
        method=method,
        shuffles=shuffles,
        n_jobs=n_jobs,
        allow_pickle=allow_pickle,
        progress=progress_mode(progress),
    )
    frames = list(matrices.values())
    if trials != 1 and given(ctx, "trials") and frames and frames[0].attrs.get("trials") == 1:
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
            wrote(path)


def _check_out_folder(out: Path) -> None:
    """The experiment's output folder exists (or is created) and is writable, before the run."""
    from rtdkit._validation import RTDInputError

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RTDInputError(
            f"--out {str(out)!r}: cannot create the folder ({exc.strerror}); choose another"
        ) from None
    if not os.access(out, os.W_OK):
        raise RTDInputError(f"--out {str(out)!r}: the folder is not writable; choose another")


SUMMARY_TABLES = 16  # result lines printed before "... more in NAME.json"


def _summary(record: Mapping[str, Any]) -> list[str]:
    """The run's scalars, then its results: every table of numbers in the record, one line
    each under its dotted path (``authors_draw.kendall_tau: rtd 1, 1-cka -0.24``), the first
    :data:`SUMMARY_TABLES` of them and the paper's numbers to compare with."""
    lines = [
        f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}"
        for key, value in record.items()
        if isinstance(value, (str, int, float, bool)) or value is None
    ]
    results = _number_tables({k: v for k, v in record.items() if k not in ("settings", "paper")})
    lines += results[:SUMMARY_TABLES]
    if len(results) > SUMMARY_TABLES:
        lines.append(f"... {len(results) - SUMMARY_TABLES} more tables of results in the JSON")
    return lines + _number_tables({"paper": record.get("paper", {})})


def _number_tables(tree: Mapping[str, Any], path: str = "") -> list[str]:
    """``path.key: name value, ...`` for each mapping in ``tree`` that holds numbers."""
    lines = []
    for key, value in tree.items():
        if not isinstance(value, Mapping):
            continue
        numbers = {k: v for k, v in value.items() if _is_number(v)}
        if numbers:
            shown = ", ".join(f"{k} {v:.4g}" for k, v in numbers.items())
            lines.append(f"{path}{key}: {shown}")
        lines += _number_tables(value, f"{path}{key}.")
    return lines


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
    progress: ProgressOpt = None,
) -> None:
    """Rerun one of the paper's experiments; writes a JSON of numbers and a PNG figure.

    Prints a short summary; every number is in OUT/NAME.json.
    """
    from rtdkit._progress import _stderr_is_terminal
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
    # run_experiment takes a bool: "auto" means a bar on a terminal
    shown = _stderr_is_terminal() if progress is None else progress
    record = run_experiment(name, out, quick=quick, seed=seed, progress=shown)
    for line in _summary(record):
        typer.echo(line)
    typer.echo(
        f"results written to {out / name}.json; figure written to {out / name}.png", err=True
    )


def _require_torch(name: str) -> None:
    import importlib.util

    from rtdkit._validation import RTDInputError

    for module in ("torch", "sklearn"):
        if importlib.util.find_spec(module) is None:
            raise RTDInputError(
                f"experiment {name!r} needs PyTorch and scikit-learn ({module} is missing); "
                "pip install 'rtdkit[experiments]'"
            )


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
