"""One options object, one meaning per option name (the table of docs/options.md), one loader."""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rtdkit
from rtdkit import RTDInputError
from rtdkit._validation import RTDInputWarning
from rtdkit.critical import critical_barcode, critical_identity
from rtdkit.divergence import rtd_trial
from rtdkit.layers import compare_layers
from rtdkit.options import RTDOptions

DOC = Path(__file__).resolve().parents[1] / "docs" / "options.md"


def public_functions() -> dict[str, Callable[..., Any]]:
    functions: dict[str, Callable[..., Any]] = {
        "rtd": rtdkit.rtd,
        "rtd_trial": rtd_trial,
        "cross_barcode": rtdkit.cross_barcode,
        "pairwise": rtdkit.pairwise,
        "compare_layers": compare_layers,
        "critical_barcode": critical_barcode,
        "critical_identity": critical_identity,
    }
    try:
        from rtdkit.torch import RTDLoss

        functions["RTDLoss"] = RTDLoss.__init__
    except ImportError:  # torch is optional; the other functions are still checked
        pass
    return functions


def documented() -> dict[str, set[str]]:
    """Function -> the option names the table gives it."""
    rows = re.findall(r"^\| (`[^|]+`) \| [^|]+ \| ([^|]+) \|$", DOC.read_text(), re.M)
    assert len(rows) > 20, "the table of docs/options.md was not found"
    table: dict[str, set[str]] = {}
    for names, functions in rows:
        for function in (f.strip() for f in functions.split(",")):
            table.setdefault(function, set()).update(re.findall(r"`(\w+)`", names))
    return table


def test_the_table_matches_every_public_signature() -> None:
    table = documented()
    for name, function in public_functions().items():
        params = set(inspect.signature(function).parameters) - {"self"}
        assert params == table.get(name, set()), (
            f"{name}: signature and docs/options.md disagree on {sorted(params ^ table[name])}"
        )


def test_shared_options_have_one_default() -> None:
    expected = {"progress": "auto", "seed": 0, "dim": 1, "normalize": "quantile", "engine": None}
    for name, function in public_functions().items():
        params = inspect.signature(function).parameters
        for option, default in expected.items():
            if option in params:
                assert params[option].default == default, f"{name}({option}=...)"


def test_options_are_checked_once_and_record_no_engine_on_the_identity() -> None:
    assert RTDOptions.check() == RTDOptions(engine=None, method="identity")
    assert RTDOptions.check(method="barcode").engine == "cone"
    assert RTDOptions.check(engine="reference").method == "barcode"
    with pytest.raises(RTDInputError, match="dim=0"):
        RTDOptions.check(dim=0)
    with pytest.raises(RTDInputError, match="metric must be one of"):
        RTDOptions.check(metric="nope")
    with pytest.raises(RTDInputError, match="method='identity' gives RTD_1 only"):
        RTDOptions.check(dim=2, method="identity")
    x = np.random.default_rng(0).normal(size=(40, 3))
    identity = rtdkit.rtd(x, x[:, :2], batch=None)
    barcode = rtdkit.rtd(x, x[:, :2], batch=None, method="barcode")
    assert (identity.engine, identity.method) == (None, "identity")
    assert (barcode.engine, barcode.method) == ("cone", "barcode")
    # The two paths are independent computations of the same number (docs/score.md).
    assert identity.value == pytest.approx(barcode.value, rel=1e-5)


def test_the_identity_path_does_not_load_the_cone_module() -> None:
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, rtdkit; x = np.random.default_rng(0).normal(size=(30, 3)); "
        "rtdkit.rtd(x, x[:, :2], batch=None); print('rtdkit.engines.cone' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_validation_is_the_ground_floor() -> None:
    """_validation imports no other rtdkit module (the engines' checks live in options)."""
    source = Path(rtdkit._validation.__file__).read_text()
    assert not re.findall(r"^\s*(?:from|import) rtdkit", source, re.M)


def test_seed_is_checked_by_the_same_helper_everywhere() -> None:
    x = np.random.default_rng(0).normal(size=(40, 3))
    reps = {"a": x, "b": x[:, :2]}
    for call in (
        lambda: rtdkit.rtd(x, x, seed=-1),
        lambda: compare_layers(reps, seed=-1),
        lambda: rtdkit.pairwise(reps, seed=-1, progress=False),
    ):
        with pytest.raises(RTDInputError, match="seed must be an integer >= 0"):
            call()
    with pytest.raises(RTDInputError, match="seed must be an integer >= 0"):
        rtdkit.pairwise(reps, seed=None, progress=False)


def test_measure_options_has_one_meaning() -> None:
    x = np.random.default_rng(0).normal(size=(40, 3))
    reps = {"a": x, "b": x[:, :2]}
    for call in (
        lambda: compare_layers(reps, measure_options={"rtd": {"dim": 2}}),
        lambda: rtdkit.pairwise(reps, measure_options={"rtd": {"dim": 2}}, progress=False),
    ):
        with pytest.raises(RTDInputError, match="own arguments"):
            call()


def test_compare_layers_takes_n_jobs_with_the_same_results() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 4))
    reps = {"in": x, "mid": np.tanh(x @ rng.normal(size=(4, 3))), "out": x[:, :2] ** 2}
    serial = compare_layers(reps, batch=40, trials=2, n_jobs=1)
    threaded = compare_layers(reps, batch=40, trials=2, n_jobs=2)
    for measure in serial:
        np.testing.assert_array_equal(serial[measure].to_numpy(), threaded[measure].to_numpy())


def test_a_transposed_cloud_is_warned_about_with_the_fix() -> None:
    x = np.random.default_rng(0).normal(size=(12, 40))  # 12 points of 40 features?
    with pytest.warns(RTDInputWarning, match=r"pass P\.T"):
        rtdkit.rtd(x, x, batch=None)
    with pytest.warns(RTDInputWarning, match=r"reps\['a'\]"):
        rtdkit.pairwise({"a": x, "b": x}, n_jobs=1, batch=None, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RTDInputWarning)
        rtdkit.rtd(x.T, x.T, batch=None)  # 40 points of 12 features: no warning


def test_pairwise_needs_two_representations() -> None:
    x = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(RTDInputError, match="at least two"):
        rtdkit.pairwise({"only": x}, progress=False)


def refuse_memory(monkeypatch: pytest.MonkeyPatch, *modules: Any) -> list[tuple[int, str]]:
    """Make the memory guard of ``modules`` refuse everything; returns the (n, what) it saw."""
    seen: list[tuple[int, str]] = []

    def refuse(n: int, bytes_per_n2: float, *, what: str, fix: str = "") -> None:
        seen.append((n, what))
        raise RTDInputError(f"{what} on {n} points needs more memory; use batch=...")

    for module in modules:
        monkeypatch.setattr(module, "check_memory", refuse)
    return seen


def test_memory_is_checked_before_copying_precomputed_matrices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The guard runs on the shape alone: a matrix that could not be copied is refused."""
    import rtdkit._loader as loader
    import rtdkit.critical as critical
    import rtdkit.memory_checks as memory_checks

    seen = refuse_memory(monkeypatch, loader, critical, memory_checks)
    d = np.zeros((30, 30))
    with pytest.raises(RTDInputError, match="batch="):
        rtdkit.rtd(d, d, metric="precomputed")
    with pytest.raises(RTDInputError, match="batch="):
        critical_barcode(d, d)
    with pytest.raises(RTDInputError, match="batch="):
        critical_identity(d, d)
    assert [n for n, _ in seen] == [30, 30, 30]


def test_pairwise_checks_memory_per_pair_before_computing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import rtdkit.memory_checks as memory_checks

    seen = refuse_memory(monkeypatch, memory_checks)
    x = np.random.default_rng(0).normal(size=(60, 3))
    with pytest.raises(RTDInputError, match="batch="):
        rtdkit.pairwise({"a": x, "b": x[:, :2]}, batch=None, n_jobs=1, progress=False)
    assert seen[0][0] == 60 and seen[0][1].startswith("pairwise")
