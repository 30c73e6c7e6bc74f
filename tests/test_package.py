"""The installed package: one version source, and public modules that say what they export."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

import rtdkit

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_version_is_pyprojects() -> None:
    # An independent source: the [project] table itself, not the metadata rtdkit reads.
    declared = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    assert rtdkit.__version__ == declared


@pytest.mark.parametrize(
    "module",
    [
        "rtdkit",
        "rtdkit.allpairs",
        "rtdkit.allpairs.store",
        "rtdkit.barcode",
        "rtdkit._intervals",
        "rtdkit.baselines",
        "rtdkit.cli",
        "rtdkit.cli.figures",
        "rtdkit.cli.messages",
        "rtdkit.cli.pair_commands",
        "rtdkit.cli.study_commands",
        "rtdkit.comparison",
        "rtdkit.critical",
        "rtdkit.datasets",
        "rtdkit.divergence",
        "rtdkit.io",
        "rtdkit.layers",
        "rtdkit.measures",
        "rtdkit.plot",
        "rtdkit.stats",
        "rtdkit.study",
        "rtdkit.testing",
        "rtdkit.torch",
    ],
)
def test_public_modules_export_what_they_list(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__all__ and len(set(mod.__all__)) == len(mod.__all__)
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, f"{module}.__all__ lists names it does not define: {missing}"
