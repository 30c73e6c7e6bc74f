"""Commands on one pair of files: ``compare``, ``test`` (permutation test) and ``barcode``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from rtdkit.cli._inputs import (
    barcode_memory_check,
    check_file_rows,
    files_named,
    load,
    load_pair,
    parse_normalize,
    rtd_memory_check,
    spread_text,
    trials_for,
)
from rtdkit.cli._options import (
    DEFAULT_JOBS,
    DEFAULT_TRIALS,
    BatchOpt,
    DimOpt,
    EngineOpt,
    FileArg,
    JobsOpt,
    JsonOpt,
    MethodOpt,
    MetricOpt,
    NormalizeOpt,
    PickleOpt,
    ProgressOpt,
    SeedOpt,
    TrialsOpt,
    progress_mode,
)
from rtdkit.cli.figures import checked_figure_path, wrote

__all__ = ["DEFAULT_SHUFFLES", "barcode", "compare", "permutation_test_command"]

# Shuffles per trial behind the chance level that `compare` prints. Measured on digits
# (benchmarks/results/chance.md): the shuffled scores spread by a few tenths on ~85, so 3
# shuffles pin the chance level to about 0.1% (below the trials' own spread) at about 4x the
# cost of the plain score, and give a spread (chance_std) to print.
DEFAULT_SHUFFLES = 3


def compare(
    ctx: typer.Context,
    a: FileArg,
    b: FileArg,
    batch: BatchOpt = 500,
    trials: TrialsOpt = DEFAULT_TRIALS,
    seed: SeedOpt = 0,
    metric: MetricOpt = "euclidean",
    normalize: NormalizeOpt = "quantile",
    dim: DimOpt = 1,
    asymmetric: Annotated[
        bool,
        typer.Option("--asymmetric", help="Report RTD(A, B) only instead of the symmetric score."),
    ] = False,
    engine: EngineOpt = None,
    method: MethodOpt = None,
    shuffles: Annotated[
        int,
        typer.Option(
            min=0,
            help="Random re-pairings of B's rows per trial behind the chance level and "
            "'relative' (RTD / chance: 1 = no more related than chance); each costs about "
            "one more score. 0: the raw score only.",
        ),
    ] = DEFAULT_SHUFFLES,
    n_jobs: JobsOpt = DEFAULT_JOBS,
    as_json: JsonOpt = False,
    allow_pickle: PickleOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """Print the RTD score between the representations in files A and B, with its spread and
    its chance level (the RTD with B's rows re-paired at random)."""
    from rtdkit._validation import check_seed

    check_seed(seed, generator=False)
    normalization = parse_normalize(normalize)
    fits = rtd_memory_check(
        batch, dim=dim, normalize=normalization, metric=metric, engine=engine, method=method
    )
    with files_named(a, b, engine=engine):
        p, q = load_pair(a, b, allow_pickle, metric, fits=fits)
    # Imported once the inputs are read: a typo in a file name is reported without scipy.
    from rtdkit.divergence import rtd

    with files_named(a, b, engine=engine):
        result = rtd(
            p,
            q,
            batch=batch or None,
            trials=trials_for(ctx, trials, batch, len(p)),
            seed=seed,
            symmetric=not asymmetric,
            dim=dim,
            normalize=normalization,
            metric=metric,
            engine=engine,
            method=method,
            shuffles=shuffles,
            n_jobs=n_jobs,
            progress=progress_mode(progress),
        )
    interval = result.ci(0.95) if result.trials > 1 else None
    if as_json:
        typer.echo(json.dumps({"a": a, "b": b, **result.to_dict(), "ci95": interval}, indent=2))
        return
    kind = "RTD" if result.symmetric else "RTD(A, B)"
    typer.echo(
        f"{kind} = {result.value:.6g}{spread_text(result)}  "
        f"(H{result.dim}, {result.trials} trial(s) of {result.batch} points, seed {seed}, "
        f"{'exact identity' if result.method == 'identity' else f'engine {result.engine}'})"
    )
    if result.chance is not None:
        typer.echo(chance_text(result))


def chance_text(result: Any) -> str:
    """The chance level and ``relative`` of an :class:`rtdkit.RTDResult` computed with
    shuffles, in one line."""
    relative = f"relative = {result.relative:.4g}"
    if result.trials > 1:
        low, high = result.relative_ci(0.95)
        relative += f", 95% CI [{low:.4g}, {high:.4g}]"
    return (
        f"chance level = {result.chance:.6g} (sd {result.chance_std:.2g} over "
        f"{result.shuffles} re-pairing(s) of B's rows per trial); {relative}  (1 = no more "
        "related than chance, 0 = identical topology)"
    )


def permutation_test_command(
    ctx: typer.Context,
    a: FileArg,
    b: FileArg,
    measure: Annotated[
        str,
        typer.Option(
            help="Measure: rtd, cka, svcca, pwcca, rtd_lite, nts or disagreement (imd has "
            "no row correspondence to test)."
        ),
    ] = "rtd",
    permutations: Annotated[
        int, typer.Option(help="Random permutations of B's rows; the smallest p is 1/(n+1).")
    ] = 99,
    seed: Annotated[int, typer.Option(help="Seed of the permutations and subsamples.")] = 0,
    batch: Annotated[
        int, typer.Option(help="rtd only: points per subsample; 0 = use all points.")
    ] = 500,
    trials: Annotated[int, typer.Option(help="rtd only: number of subsamples.")] = DEFAULT_TRIALS,
    metric: Annotated[
        str, typer.Option(help="rtd only: distance within each cloud (as in `compare`).")
    ] = "euclidean",
    normalize: Annotated[
        str, typer.Option(help="rtd only: distance normalisation (as in `compare`).")
    ] = "quantile",
    dim: Annotated[
        int, typer.Option(help="rtd only: the homology dimension whose bar lengths it sums.")
    ] = 1,
    engine: EngineOpt = None,
    method: MethodOpt = None,
    n_jobs: JobsOpt = DEFAULT_JOBS,
    as_json: JsonOpt = False,
    allow_pickle: PickleOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """Are A and B related? Permutation test: shuffle B's rows, recompute, compare.

    A small p-value says the row-by-row correspondence between A and B matters: the
    measure is more extreme (RTD smaller, CKA larger) than for shuffled pairings.
    """
    import numpy as np

    from rtdkit._validation import check_same_rows, check_seed

    check_seed(seed, generator=False)
    options: dict[str, Any] = {}
    if measure == "rtd":
        options = {
            "metric": metric,
            "normalize": parse_normalize(normalize),
            "dim": dim,
            "engine": engine,
            "method": method,
        }
        with files_named(a, b, engine=engine):
            check_file_rows((a, b), rtd_memory_check(batch, **options))
    p, q = load(a, allow_pickle), load(b, allow_pickle)
    check_same_rows(p, q, a, b)  # as compare does, before the API checks (and warns about) A
    from rtdkit.stats import permutation_test  # after reading the files, as in compare

    if measure == "rtd":
        options |= {"batch": batch or None, "trials": trials_for(ctx, trials, batch, len(p))}
    with files_named(a, b, engine=engine):
        result = permutation_test(
            p,
            q,
            n_permutations=permutations,
            seed=seed,
            measure=measure,
            n_jobs=n_jobs,
            progress=progress_mode(progress),
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


def barcode(
    a: FileArg,
    b: FileArg,
    plot: Annotated[
        Path | None, typer.Option(help="Save both R-Cross-Barcodes as a figure (.png/.pdf).")
    ] = None,
    maxdim: Annotated[
        int,
        typer.Option(
            help="The highest homology dimension the barcodes hold (0 or higher): bars of "
            "dimensions 0 to maxdim."
        ),
    ] = 1,
    metric: MetricOpt = "euclidean",
    normalize: NormalizeOpt = "quantile",
    engine: EngineOpt = None,
    n_jobs: JobsOpt = DEFAULT_JOBS,
    as_json: JsonOpt = False,
    allow_pickle: PickleOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """R-Cross-Barcode(A, B) and R-Cross-Barcode(B, A) on all points: bar counts and totals."""
    plot = checked_figure_path(plot, "--plot")
    options: dict[str, Any] = {
        "maxdim": maxdim,
        "metric": metric,
        "normalize": parse_normalize(normalize),
        "engine": engine,
        "n_threads": n_jobs,  # the engine's threads inside each barcode
        "progress": progress_mode(progress),
    }
    with files_named(a, b, engine=engine):
        p, q = load_pair(a, b, allow_pickle, metric, fits=barcode_memory_check(engine, maxdim))
    from rtdkit.divergence import cross_barcode  # after reading the files, as in compare

    with files_named(a, b, engine=engine):
        forward = cross_barcode(p, q, **options)
    with files_named(b, a, engine=engine):
        backward = cross_barcode(q, p, **options)
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
        wrote(plot)
