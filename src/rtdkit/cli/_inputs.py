"""Reading the command line's inputs: representation files, --normalize, --trials."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import typer

__all__ = [
    "barcode_memory_check",
    "check_file_rows",
    "files_named",
    "given",
    "load",
    "load_pair",
    "parse_normalize",
    "rtd_memory_check",
    "spread_text",
    "trials_for",
]


def parse_normalize(value: str) -> str | float | None:
    """--normalize as the API takes it: 'quantile', a quantile in (0, 1], or None."""
    from rtdkit._validation import RTDInputError

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


def check_file_rows(specs: Iterable[str], fits: Callable[[int], None]) -> None:
    """Refuse inputs too large for the memory from the files' headers alone: ``fits`` (the
    API's memory check for the command) sees each file's number of rows before any file is
    read, so that a small compressed .npz holding a huge array is refused without being
    inflated. Formats without a header (text, PyTorch) are checked once loaded, by the API.

    A file that is missing or damaged is left to the reader that follows, which names the
    problem, so that a command reports its inputs' problems in the order it always has."""
    from rtdkit.io import split_path_key, stored_rows

    for spec in specs:
        path, key = split_path_key(spec)
        if (n_rows := stored_rows(path, key=key)) is not None:
            fits(n_rows)


def rtd_memory_check(batch: int, **options: Any) -> Callable[[int], None]:
    """rtd's memory check (:func:`rtdkit.memory_checks.check_rtd_memory`) for ``--batch`` (0:
    all points) and the RTD ``options`` (dim, normalize, metric, engine, method), as a
    function of the number of points."""

    def fits(n_rows: int) -> None:
        # imported when a header is read: a typo in a file name is reported without scipy
        from rtdkit.memory_checks import check_rtd_memory
        from rtdkit.options import RTDOptions

        options_ = RTDOptions.check(**options)
        check_rtd_memory(n_rows, options_, batch=batch or None)

    return fits


def barcode_memory_check(engine: str | None, maxdim: int) -> Callable[[int], None]:
    """cross_barcode's memory check (:func:`rtdkit.memory_checks.check_barcode_memory`) for
    ``--engine`` and ``--maxdim``, as a function of the number of points."""

    def fits(n_rows: int) -> None:
        from rtdkit.memory_checks import check_barcode_memory
        from rtdkit.options import barcode_engine

        check_barcode_memory(n_rows, barcode_engine(engine, maxdim)[0])

    return fits


def load(spec: str, allow_pickle: bool, *, metric: str | None = None) -> Any:
    """The array in ``spec``; with ``metric``, checked as a representation named by its file."""
    from rtdkit._validation import RTDInputError, as_float_matrix
    from rtdkit.io import load_array, split_path_key

    path, key = split_path_key(spec)
    array = load_array(path, key=key, allow_pickle=allow_pickle)
    if getattr(array, "ndim", 2) != 2:
        raise RTDInputError(
            f"{spec} holds an array of shape {tuple(array.shape)}; save one row per point, "
            "e.g. x.reshape(len(x), -1) for x of that shape"
        )
    if metric is None:
        return array
    checked = as_float_matrix(array, spec)
    if metric != "precomputed":
        return checked
    from rtdkit.distances import pairwise_distances  # scipy: only for a distance matrix

    return pairwise_distances(checked, metric=metric, name=spec)


def load_pair(
    a: str, b: str, allow_pickle: bool, metric: str, *, fits: Callable[[int], None]
) -> tuple[Any, Any]:
    """Files A and B, checked with their names in the messages (not the API's P and Q), once
    their headers passed the memory check ``fits`` (see :func:`check_file_rows`)."""
    from rtdkit._validation import check_same_rows

    check_file_rows((a, b), fits)
    p, q = load(a, allow_pickle, metric=metric), load(b, allow_pickle, metric=metric)
    check_same_rows(p, q, a, b)
    return p, q


def given(ctx: typer.Context, option: str) -> bool:
    """Whether the user wrote the option (as opposed to its default applying)."""
    source = ctx.get_parameter_source(option)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def trials_for(ctx: typer.Context, trials: int, batch: int, n_points: int) -> int:
    """--trials, with a warning when a batch covering every point makes it meaningless."""
    if trials != 1 and given(ctx, "trials") and (not batch or batch >= n_points):
        why = "--batch 0 asks for" if not batch else f"--batch {batch} >= the {n_points} points:"
        typer.echo(
            f"rtdkit: warning: --trials {trials} ignored: {why} one computation on all points; "
            "lower --batch for a spread over subsamples",
            err=True,
        )
    return trials


@contextmanager
def files_named(a: str, b: str, *, engine: str | None = None) -> Iterator[None]:
    """API errors inside in the user's terms: the API calls its inputs P and Q, the user
    passed the files ``a`` and ``b`` ("the 0.9-quantile of b.npy's distances is 0", not "of
    B's"); and without ``--engine`` the engine an error names is the default one, which the
    user did not choose ("what the default engine 'cone' computes", "name another with
    --engine")."""
    from rtdkit._validation import RTDInputError

    try:
        yield
    except RTDInputError as exc:
        text = re.sub(r"(?<![\w./-])[PQ](?![\w./-])", lambda m: a if m[0] == "P" else b, str(exc))
        if engine is None:
            text = re.sub(r"\bengine '", "the default engine '", text)
            text = text.replace("choose another engine", "name another with --engine")
        raise type(exc)(text) from None


def spread_text(result: Any) -> str:
    """``± std, 95% CI`` or why there is no spread (one computation on every point)."""
    if result.trials < 2:
        return " (spread n/a: one computation on all points; use --batch < N for subsamples)"
    low, high = result.ci(0.95)
    return f" ± {result.std:.3g}, 95% CI [{low:.6g}, {high:.6g}]"
