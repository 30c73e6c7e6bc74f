"""The command line's shared options: one spelling, one help text and one default each."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = [
    "DEFAULT_JOBS",
    "DEFAULT_TRIALS",
    "BatchOpt",
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
]

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
