"""``import rtdkit`` and the command line's start load no heavy library.

Which modules a fresh interpreter has loaded is a fact, not a timing: these tests are
deterministic. The times themselves are measured by benchmarks/startup.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import as_from_a_terminal

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


def _console_entry() -> str:
    """The ``module:function`` that the installed ``rtdkit`` script runs."""
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="rtdkit")
    return str(script.value)


def test_ctrl_c_while_the_command_line_imports_prints_one_line(tmp_path: Path) -> None:
    """SIGINT while Typer is still being imported: one line, exit 130, no traceback.

    A stand-in ``typer`` on PYTHONPATH says when its import starts, then blocks on stdin:
    the signal arrives exactly while the command line imports, whatever the machine's speed.
    """
    (tmp_path / "typer.py").write_text(
        "import sys\nprint('importing typer', flush=True)\nsys.stdin.read()\n"
    )
    module, _, function = _console_entry().partition(":")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    proc = subprocess.Popen(
        [sys.executable, "-c", f"from {module} import {function}; {function}()", "--version"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=as_from_a_terminal,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "importing typer\n"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.splitlines() == [
        "rtdkit: interrupted. Nothing was written: results are written when a command finishes"
    ]


def test_python_dash_m_runs_the_command_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rtdkit", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("rtdkit ")
