"""Reading the command line's inputs: representation files, --normalize, --trials."""

from __future__ import annotations

from typing import Any

import typer

from rtdkit.cli._options import DEFAULT_TRIALS

__all__ = ["load", "load_pair", "parse_normalize", "spread_text", "trials_or_default"]


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


def load(spec: str, allow_pickle: bool, *, metric: str | None = None) -> Any:
    """The array in ``spec``; with ``metric``, checked as a representation named by its file."""
    from rtdkit._validation import as_float_matrix
    from rtdkit.io import load_array, split_path_key

    path, key = split_path_key(spec)
    array = load_array(path, key=key, allow_pickle=allow_pickle)
    if metric is None:
        return array
    checked = as_float_matrix(array, spec)
    if metric != "precomputed":
        return checked
    from rtdkit.distances import pairwise_distances  # scipy: only for a distance matrix

    return pairwise_distances(checked, metric=metric, name=spec)


def load_pair(a: str, b: str, allow_pickle: bool, metric: str) -> tuple[Any, Any]:
    """Files A and B, checked with their names in the messages (not the API's P and Q)."""
    from rtdkit._validation import check_same_rows

    p, q = load(a, allow_pickle, metric=metric), load(b, allow_pickle, metric=metric)
    check_same_rows(p, q, a, b)
    return p, q


def trials_or_default(trials: int | None, batch: int, n_points: int) -> int:
    """--trials, with a warning when a batch covering every point makes it meaningless."""
    if trials not in (None, 1) and (not batch or batch >= n_points):
        why = "--batch 0 asks for" if not batch else f"--batch {batch} >= the {n_points} points:"
        typer.echo(
            f"rtdkit: warning: --trials {trials} ignored: {why} one computation on all points; "
            "lower --batch for a spread over subsamples",
            err=True,
        )
    return DEFAULT_TRIALS if trials is None else trials


def spread_text(result: Any) -> str:
    """``± std, 95% CI`` or why there is no spread (one computation on every point)."""
    if result.trials < 2:
        return " (spread n/a: one computation on all points; use --batch < N for subsamples)"
    low, high = result.ci(0.95)
    return f" ± {result.std:.3g}, 95% CI [{low:.6g}, {high:.6g}]"
