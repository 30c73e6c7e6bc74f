"""The README's Performance tables quote benchmarks/results/workloads.md: every row must be a
row of that file, so a rerun of the benchmark cannot leave stale figures in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "workloads.md"

# the headers shared by the README's tables and the results file's tables
QUOTED_HEADERS = (
    "| workload | N | RTD₁ P→Q / Q→P | identity s |",  # per trial, against the engines
    "| workload | N | seconds | peak GB | bytes / N² |",  # the score path's scaling
)


def _performance_section() -> list[str]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("## Performance")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    return lines[start:end]


def _table_rows(lines: list[str], header: str) -> list[str]:
    """The data rows of the first table in ``lines`` whose header line starts with ``header``."""
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:  # past the header and its |---| line
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


@pytest.mark.parametrize("header", QUOTED_HEADERS)
def test_readme_rows_are_rows_of_the_committed_results(header: str) -> None:
    results = RESULTS.read_text(encoding="utf-8").splitlines()
    readme_rows = _table_rows(_performance_section(), header)
    assert readme_rows, f"README's Performance section has no table starting {header!r}"
    assert _table_rows(results, header), f"{RESULTS.name} has no table starting {header!r}"
    missing = [row for row in readme_rows if row not in results]
    assert not missing, f"README rows not in {RESULTS.name} (rerun or re-copy): {missing}"


def test_readme_quotes_the_run_it_copies() -> None:
    results = RESULTS.read_text(encoding="utf-8")
    date_line = next(line for line in results.splitlines() if line.startswith("Date: "))
    run_date = date_line.removeprefix("Date: ").split(" UTC")[0]
    assert run_date in "\n".join(_performance_section()), (
        f"README's Performance section does not name the run of {RESULTS.name} ({run_date})"
    )
