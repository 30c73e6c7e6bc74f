"""The command line's shared options: one spelling, one help text and one default each."""

from __future__ import annotations

from typing import Annotated

import typer

from rtdkit._progress import Progress

__all__ = [
    "DEFAULT_JOBS",
    "DEFAULT_TRIALS",
    "BatchOpt",
    "DimOpt",
    "EngineOpt",
    "FileArg",
    "JobsOpt",
    "JsonOpt",
    "MethodOpt",
    "MetricOpt",
    "NormalizeOpt",
    "PickleOpt",
    "ProgressOpt",
    "SeedOpt",
    "TrialsOpt",
    "progress_mode",
]

DEFAULT_TRIALS = 10

# Help texts are Markdown (rtdkit.cli: rich_markup_mode): `code`, and "\\[" for a bracket.
FileArg = Annotated[
    str,
    typer.Argument(
        help="A representation file: .npy, .npz (`FILE.npz:KEY` picks an array), .csv/.tsv/"
        ".txt (one point per row), .pt/.safetensors (needs `rtdkit[torch]`).",
        show_default=False,
    ),
]
BatchOpt = Annotated[
    int,
    typer.Option(help="Points per random subsample (Algorithm 2's b); 0 = use all points."),
]
TrialsOpt = Annotated[
    int,
    typer.Option(
        help="Number of random subsamples (Algorithm 2's n). With `--batch 0` or a batch of "
        "every point there is one computation on all points."
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
# An option whose default depends on others says so in its help, as Typer's [default: ...].
EngineOpt = Annotated[
    str | None,
    typer.Option(
        help="Barcode engine: cone (built in, the fastest) or reference (giotto-ph); see "
        "`rtdkit engines`. Naming one implies `--method barcode`.  [default: cone]",
        show_default=False,
    ),
]
MethodOpt = Annotated[
    str | None,
    typer.Option(
        help="How RTD is computed: 'identity' (the exact H1 total, without the bars) or "
        "'barcode' (the sum of the R-Cross-Barcode's bars).  [default: identity with `--dim 1` "
        "and no `--engine`, else barcode]",
        show_default=False,
    ),
]
DimOpt = Annotated[
    int,
    typer.Option(help="The homology dimension whose bar lengths the RTD sums (1 or higher)."),
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
ProgressOpt = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="Progress bars on stderr. By default a bar appears once the work has run 2 s, "
        "and only on a terminal (never in a pipe or a log file).  [default: on a terminal]",
        show_default=False,
    ),
]


def progress_mode(flag: bool | None) -> Progress:
    """--progress / --no-progress as the API takes it; neither given: ``"auto"``, the API's
    default (a bar only on a terminal, once the work has run 2 s).

    Examples
    --------
    >>> progress_mode(None), progress_mode(False)
    ('auto', False)
    """
    return "auto" if flag is None else flag
