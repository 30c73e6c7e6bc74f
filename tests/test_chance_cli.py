"""`rtdkit compare` shows every score beside its chance level (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import rtdkit
from rtdkit.cli import app
from rtdkit.cli.pair_commands import DEFAULT_SHUFFLES

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    p = rng.normal(size=(90, 5))
    q = p @ rng.normal(size=(5, 3)) + 0.2 * rng.normal(size=(90, 3))
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    return tmp_path / "p.npy", tmp_path / "q.npy", p, q


def _compare(a: Path, b: Path, *extra: str) -> str:
    args = ["compare", str(a), str(b), "--batch", "40", "--trials", "3", "--no-progress", *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_compare_prints_the_chance_level_by_default(files: tuple) -> None:
    a, b, p, q = files
    out = _compare(a, b)
    expected = rtdkit.rtd(p, q, batch=40, trials=3, shuffles=DEFAULT_SHUFFLES)
    assert DEFAULT_SHUFFLES > 0
    assert f"chance level = {expected.chance:.6g}" in out
    assert f"relative = {expected.relative:.4g}" in out
    assert "chance level" not in _compare(a, b, "--shuffles", "0")


def test_compare_json_carries_the_chance_level(files: tuple) -> None:
    a, b, p, q = files
    payload = json.loads(_compare(a, b, "--shuffles", "2", "--json"))
    expected = rtdkit.rtd(p, q, batch=40, trials=3, shuffles=2)
    assert payload["shuffles"] == 2
    assert payload["chance"] == expected.chance
    assert payload["relative"] == expected.relative
    assert payload["relative_ci"] == list(expected.relative_ci())
    assert payload["shuffled"] == expected.shuffled.tolist()


def test_compare_refuses_negative_shuffles(files: tuple) -> None:
    a, b, _, _ = files
    result = runner.invoke(app, ["compare", str(a), str(b), "--shuffles", "-1"])
    assert result.exit_code == 2
    assert "--shuffles" in result.output


def test_matrix_prints_relative_matrices_with_shuffles(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 5))
    for name, rep in {"x": x, "view": np.tanh(x[:, :3]), "noise": rng.normal(size=(80, 4))}.items():
        np.save(tmp_path / f"{name}.npy", rep)
    args = ["matrix", str(tmp_path), "--batch", "40", "--trials", "2", "--no-progress"]
    result = runner.invoke(app, [*args, "--shuffles", "2"])
    assert result.exit_code == 0, result.output
    assert "== rtd" in result.stdout and "== relative rtd" in result.stdout
    plain = runner.invoke(app, args)
    assert "relative" not in plain.stdout
