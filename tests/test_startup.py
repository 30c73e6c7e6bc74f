"""``import rtdkit`` and the command line's start load no heavy library.

Which modules a fresh interpreter has loaded is a fact, not a timing: these tests are
deterministic. The times themselves are measured by benchmarks/startup.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("scipy", "matplotlib", "pandas", "dask", "torch")

_REPORT = (
    "import json, sys; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
    f"set({list(HEAVY)!r}))))"
)


def _heavy_loaded_after(code: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", f"{code}\n{_REPORT}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    loaded: list[str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return loaded


def test_the_check_sees_a_heavy_import() -> None:
    assert _heavy_loaded_after("import scipy.spatial") == ["scipy"]


def test_import_rtdkit_loads_no_heavy_library() -> None:
    assert _heavy_loaded_after("import rtdkit; rtdkit.__version__") == []


def test_top_level_names_still_resolve() -> None:
    import rtdkit

    assert all(getattr(rtdkit, name) is not None for name in rtdkit.__all__)
    assert callable(rtdkit.stats.mantel)  # a submodule, imported on first use
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        rtdkit.nope  # noqa: B018


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["--version"], 0),
        (["--help"], 0),
        (["compare", "--help"], 0),
        (["compare", "no-such-a.npy", "no-such-b.npy"], 2),  # an input error: one line
        (["compare", "a.npy", "b.npy", "--batch", "x"], 2),  # a usage error, from Typer
    ],
)
def test_cli_start_and_argument_errors_load_no_heavy_library(args: list[str], status: int) -> None:
    code = (
        "import sys\nfrom rtdkit.cli import main\n"
        f"sys.argv = ['rtdkit', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n"
        f"    assert (exc.code or 0) == {status}, exc.code\n"
        "else:\n"
        f"    assert {status} == 0\n"
    )
    assert _heavy_loaded_after(code) == []
