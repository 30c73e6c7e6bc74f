"""The installed package: one version source, and public modules that say what they export."""

from __future__ import annotations

import importlib
from importlib.metadata import version

import pytest

import rtdkit


def test_version_is_the_installed_distributions() -> None:
    assert rtdkit.__version__ == version("rtdkit")


@pytest.mark.parametrize(
    "module",
    [
        "rtdkit",
        "rtdkit.allpairs",
        "rtdkit.allpairs.store",
        "rtdkit.barcode",
        "rtdkit.baselines",
        "rtdkit.cli",
        "rtdkit.comparison",
        "rtdkit.critical",
        "rtdkit.datasets",
        "rtdkit.divergence",
        "rtdkit.io",
        "rtdkit.layers",
        "rtdkit.plot",
        "rtdkit.testing",
        "rtdkit.torch",
    ],
)
def test_public_modules_export_what_they_list(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__all__ and len(set(mod.__all__)) == len(mod.__all__)
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, f"{module}.__all__ lists names it does not define: {missing}"
