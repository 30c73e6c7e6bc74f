"""Across-seed summaries of the experiments' per-seed JSON files.

Each seed of an experiment is one independent replication (new data split, new networks), so
the across-seed mean of any number, with its Student-t 95 % interval, is what a table should
report. ``python -m rtdkit.experiments.summary FOLDER`` reads ``FOLDER/seed-*/NAME.json`` and
writes ``FOLDER/summary.json``.

Examples
--------
>>> records = [{"experiment": "x", "seed": s, "acc": 0.9 + 0.01 * s} for s in range(3)]
>>> summary = summarise(records)
>>> round(summary["acc"]["mean"], 3), summary["acc"]["n"]
(0.91, 3)
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rtdkit.experiments._stats import MAX_SIGN_FLIP_SEEDS, sign_flip_pvalue
from rtdkit.stats import t_interval

__all__ = [
    "autoencoder_tables",
    "correlation_table",
    "format_interval",
    "summarise",
    "summarise_folder",
]

# Provenance and per-seed details that are not quantities to average.
_SKIPPED = frozenset(
    {"experiment", "quick", "seed", "rtdkit_version", "runtime_s", "settings", "paper", "n"}
)


def _leaves(record: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """Every numeric scalar of a JSON record with its '/'-joined path (lists are skipped:
    curves and matrices are per-seed details)."""
    if isinstance(record, dict):
        for key, value in record.items():
            if key not in _SKIPPED:
                yield from _leaves(value, f"{path}/{key}" if path else str(key))
    elif isinstance(record, (int, float)) and not isinstance(record, bool):
        yield path, float(record)


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean, sd and 95 % t-interval over seeds of every number the records share.

    For a p-value (a path ending in ``pvalue``) the summary is instead how many seeds have
    p < 0.05; with the sign of the matching ``difference`` this says in how many independent
    replications RTD correlated significantly better (or worse) than 1 − CKA.

    A number under ``paired_differences`` is one method minus another on the same seed: its
    interval is then the paired t-interval, and ``sign_flip_pvalue`` adds the exact paired
    permutation test over seeds (:func:`rtdkit.experiments._stats.sign_flip_pvalue`; exact,
    so given for at most 16 seeds).
    """
    values: dict[str, list[Any]] = {}
    for record in records:
        leaves = dict(_leaves(record))
        for path, value in leaves.items():
            if path.endswith("pvalue"):
                # A seed whose test was undefined has a difference but no p-value, so each
                # p-value is kept with its own seed's difference (NaN where there is none).
                difference = leaves.get(path.removesuffix("pvalue") + "difference", math.nan)
                values.setdefault(path, []).append((value, difference))
            else:
                values.setdefault(path, []).append(value)
    out: dict[str, Any] = {}
    for path, v in values.items():
        if path.endswith("pvalue"):
            out[path] = _significance_count(v)
            continue
        entry: dict[str, Any] = {"mean": float(np.mean(v)), "n": len(v)}
        if len(v) >= 2:
            entry["sd"] = float(np.std(v, ddof=1))
            entry["ci95"] = list(t_interval(v))
        if path.startswith("paired_differences/") and len(v) <= MAX_SIGN_FLIP_SEEDS:
            entry["sign_flip_pvalue"] = sign_flip_pvalue(v)
        out[path] = entry
    return out


def _significance_count(tests: Sequence[tuple[float, float]]) -> dict[str, int]:
    """How many of the seeds' ``(pvalue, difference)`` pairs are significant, and how many of
    those have a positive difference."""
    significant = [d for p, d in tests if p < 0.05 and np.isfinite(d)]
    return {
        "seeds": len(tests),
        "p_below_0.05": len(significant),
        "of_which_positive_difference": sum(d > 0 for d in significant),
    }


def summarise_folder(folder: Path | str) -> dict[str, Any]:
    """Summaries of every experiment found as ``folder/seed-*/NAME.json``, by name."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for file in sorted(Path(folder).glob("seed-*/*.json")):
        record = json.loads(file.read_text())
        by_name.setdefault(record["experiment"], []).append(record)
    return {
        name: {"seeds": sorted(r["seed"] for r in records), "summary": summarise(records)}
        for name, records in sorted(by_name.items())
    }


# Rows of the RTD-autoencoder tables: (label, path under methods/NAME/, decimals).
_AUTOENCODER_ROWS = (
    ("RTD, plain (lower is better)", "rtd", 2),
    ("RTD at the best latent scale (lower is better)", "rtd_scaled", 2),
    ("sum of the 50 longest cross-barcode bars (lower is better)", "longest_bars_total", 2),
    ("Wasserstein distance, H0 barcodes (lower is better)", "wasserstein_h0", 2),
    ("Wasserstein distance, H1 barcodes (lower is better)", "wasserstein_h1", 3),
    ("distance Spearman", "distance_spearman", 3),
    ("distance Pearson", "distance_pearson", 3),
    ("triplet accuracy", "triplet_accuracy", 3),
    *((f"{k}-NN preservation", f"knn_preservation/{k}", 3) for k in (5, 10, 20, 50, 100)),
    ("reconstruction MSE (lower is better)", "reconstruction_mse", 4),
)
_AUTOENCODER_METHODS = {"pca": "PCA", "t-sne": "t-SNE", "ae": "AE", "ae+rtd": "AE + RTD"}


def format_interval(entry: dict[str, Any] | None, decimals: int) -> str:
    """``mean [low, high]`` of a summary entry, or a dash where there is no such number.

    Examples
    --------
    >>> format_interval({"mean": 0.5, "ci95": [0.4, 0.6]}, 2)
    '0.50 [0.40, 0.60]'
    """
    if entry is None:
        return "—"
    low, high = entry["ci95"]
    return f"{entry['mean']:.{decimals}f} [{low:.{decimals}f}, {high:.{decimals}f}]"


def autoencoder_tables(experiment: dict[str, Any]) -> str:
    """The two Markdown tables of the RTD-autoencoder section of ``docs/experiments.md``.

    ``experiment`` is the ``"rtd-autoencoder"`` entry of :func:`summarise_folder`. The first
    table gives every method's metrics (mean [95 % t-interval] over seeds); the second the
    paired differences "AE + RTD minus each other method" with their paired t-interval and
    exact sign-flip p-value.
    """
    summary = experiment["summary"]
    methods = list(_AUTOENCODER_METHODS)
    lines = [
        "| metric | " + " | ".join(_AUTOENCODER_METHODS.values()) + " |",
        "| --- |" + " --- |" * len(methods),
    ]
    for label, key, decimals in _AUTOENCODER_ROWS:
        cells = [format_interval(summary.get(f"methods/{m}/{key}"), decimals) for m in methods]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    others = ["ae", "pca", "t-sne"]  # the paired comparisons, the plain autoencoder first
    lines += [
        "",
        "| AE + RTD minus … | " + " | ".join(_AUTOENCODER_METHODS[m] for m in others) + " |",
        "| --- |" + " --- |" * len(others),
    ]
    for label, key, decimals in _AUTOENCODER_ROWS:
        cells = []
        for m in others:
            entry = summary.get(f"paired_differences/ae+rtd - {m}/{key}")
            p = f", p = {entry['sign_flip_pvalue']:.3f}" if entry else ""
            cells.append(format_interval(entry, decimals) + p)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _williams_count(entry: dict[str, Any] | None) -> str:
    """ "k of n (j RTD)": seeds where Williams' test gave p < 0.05, of the seeds where it was
    defined, and how many of those favour RTD; a dash where it was never defined."""
    if entry is None:
        return "—"
    return (
        f"{entry['p_below_0.05']} of {entry['seeds']} ({entry['of_which_positive_difference']} RTD)"
    )


def correlation_table(
    summary: dict[str, Any],
    groups: Sequence[tuple[str, str]],
    targets: Sequence[tuple[str, str]] = (("disagreement", "disagreement"), ("error", "error")),
) -> str:
    """Markdown table of the across-seed correlations of RTD and 1 − CKA with each target.

    ``summary`` is one experiment's ``"summary"`` from :func:`summarise_folder`; each group is
    ``(row label, path prefix)`` where ``prefix/correlation/TARGET/...`` holds
    :func:`rtdkit.experiments._stats.correlation_table`'s numbers. Targets a group lacks are
    skipped. Columns: Pearson r and Spearman ρ of each measure, the Spearman difference, and
    in how many seeds Williams' test separates the two (ρ, then r).
    """
    lines = [
        "| | target | r: RTD | r: 1 − CKA | ρ: RTD | ρ: 1 − CKA | ρ_RTD − ρ_CKA "
        "| Williams p < 0.05, ρ | Williams p < 0.05, r |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, prefix in groups:
        for target, target_label in targets:
            base = f"{prefix}/correlation/{target}"
            if f"{base}/rtd/pearson" not in summary:
                continue
            cells = [
                format_interval(summary[f"{base}/{measure}/{kind}"], 2)
                for kind in ("pearson", "spearman")
                for measure in ("rtd", "1-cka")
            ]
            compared = f"{base}/rtd_vs_1-cka"
            cells.append(format_interval(summary.get(f"{compared}/spearman/difference"), 3))
            cells += [
                _williams_count(summary.get(f"{compared}/{kind}/pvalue"))
                for kind in ("spearman", "pearson")
            ]
            lines.append(f"| {label} | {target_label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m rtdkit.experiments.summary FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[0])
    summary = summarise_folder(folder)
    (folder / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
