"""The command line: results on stdout, one-line errors with exit status 2."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import rtdkit
from conftest import as_from_a_terminal
from rtdkit.cli import app

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    p = rng.normal(size=(120, 5))
    q = p @ rng.normal(size=(5, 3)) + 0.2 * rng.normal(size=(120, 3))
    np.save(tmp_path / "p.npy", p)
    np.savez(tmp_path / "q.npz", acts=q, other=p)
    return tmp_path / "p.npy", tmp_path / "q.npz", p, q


def _run_main(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point, as a user would."""
    code = "import sys; from rtdkit.__main__ import main; sys.argv[0] = 'rtdkit'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def test_compare_json_matches_the_api(files: tuple) -> None:
    a, b, p, q = files
    result = runner.invoke(
        app,
        [
            "compare",
            str(a),
            f"{b}:acts",
            "--batch",
            "50",
            "--trials",
            "3",
            "--json",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    expected = rtdkit.rtd(p, q, batch=50, trials=3)
    assert payload["rtd"] == pytest.approx(expected.value)
    assert payload["samples"] == pytest.approx(expected.samples.tolist())


def test_compare_human_output(files: tuple) -> None:
    a, b, _, _ = files
    result = runner.invoke(
        app, ["compare", str(a), f"{b}:acts", "--batch", "40", "--trials", "2", "--no-progress"]
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("RTD = ") and "±" in result.stdout


def test_barcode_writes_a_figure(files: tuple, tmp_path: Path) -> None:
    a, b, p, q = files
    out = tmp_path / "bc.png"
    result = runner.invoke(app, ["barcode", str(a), f"{b}:acts", "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000
    total = rtdkit.cross_barcode(p, q).total_length(1)
    assert f"total length {total:.6g}" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["compare", "missing.npy", "missing.npy"], "no such file"),
        (["compare", "{a}", "{b}"], "choose one with FILE:NAME"),
        (["compare", "{a}", "{b}:acts", "--batch", "2"], "--batch must be >= 3"),
        (["compare", "{a}", "{b}:acts", "-j", "0"], "--n-jobs must be a positive integer"),
        (["compare", "{tmp}", "{b}:acts"], "is a folder; pass one representation file"),
        (["compare", "{a}", "{b}:acts", "--normalize", "foo"], "--normalize must be"),
        (["compare", "{a}", "{b}:acts", "--metric", "foo"], "metric must be one of"),
        (["compare", "{a}", "{a}", "--seed", "-1"], "seed must be an integer >= 0"),
        (["compare", "{a}", "{b}:acts", "--dim", "0"], "--dim 0 would report RTD = 0"),
        (["compare", "{a}", "{empty}"], "empty.csv is empty"),
        (["compare", "{a}", "{header}"], "has 0 points"),
        (["compare", "{a}", "{short}"], "p.npy has 120 points but"),
        (["compare", "{a}", "{corrupt}"], "corrupt.pt is not a PyTorch file"),
        (["compare", "{a}", "{a}", "--normalize", "0.001", "--no-progress"], "--normalize none"),
        (["barcode", "{a}", "{b}:acts", "--plot", "{tmp}/out.xyz"], "unknown figure format"),
        (["barcode", "{a}", "{b}:acts", "--plot", "/nonexistent/x.png"], "does not exist"),
        (["demo", "--plot", "/nonexistent/x.png"], "--plot '/nonexistent/x.png': folder"),
        (["matrix", "{tmp}", "--plot", "/nonexistent/x.png"], "does not exist"),
        # /proc passes a permission check as root, but no file can be created there
        (["barcode", "{a}", "{b}:acts", "--plot", "/proc/x.png"], "cannot create the file"),
        (["demo", "--plot", "/proc/x.png"], "--plot '/proc/x.png': cannot create the file"),
        (["matrix", "{tmp}", "--mds", "/proc/x.png"], "--mds '/proc/x.png': cannot create"),
        # damaged inputs: one line each, never the parser's traceback
        (["compare", "{a}", "{cut_npz}"], "cut.npz could not be read as a .npz file"),
        (["barcode", "{a}", "{bad_st}"], "bad.safetensors is damaged: its header is not valid"),
        (["matrix", "{tmp}", "--store", "{damaged_store}"], "is not a usable rtdkit store"),
        (["matrix", "{tmp}", "--mds", "{tmp}/x.xyz"], "--mds"),
        (["matrix", "{tmp}", "--scheduler", "nohost"], "--scheduler nohost is not a"),
        (["matrix", "{tmp}", "--store", "/nonexistent/s.sqlite"], "--store /nonexistent/s"),
        (["experiment", "rings", "--quick", "--out", "/proc/forbidden"], "--out '/proc/"),
        # distances near 1e38 do not fit in float32, in which every engine computes
        (["compare", "{huge}", "{a}", "--normalize", "none"], "do not fit in float32"),
        (["compare", "{huge}", "{a}", "--normalize", "none", "--method", "barcode"], "float32"),
        (["barcode", "{huge}", "{a}", "--normalize", "none"], "do not fit in float32"),
    ],
)
def test_errors_are_one_line_with_exit_2(files: tuple, args: list[str], message: str) -> None:
    a, b, p, _ = files
    tmp = a.parent
    (tmp / "empty.csv").write_text("")
    (tmp / "header.csv").write_text("x,y,z\n")
    np.save(tmp / "short.npy", p[:50])
    (tmp / "corrupt.pt").write_bytes(b"not a checkpoint" * 4)
    np.save(tmp / "huge.npy", p * 1e38)  # distances up to ~1e39 > float32 max
    names = {n: tmp / f"{n}.{s}" for n, s in [("empty", "csv"), ("header", "csv")]}
    names |= {"short": tmp / "short.npy", "corrupt": tmp / "corrupt.pt", "huge": tmp / "huge.npy"}
    (tmp / "cut.npz").write_bytes((tmp / "q.npz").read_bytes()[:300])
    (tmp / "bad.safetensors").write_bytes(b"\x05" + b"\x00" * 7 + b"{oops")
    (tmp / "damaged.sqlite").write_bytes(b"SQLite format 3\x00" + b"\xa5" * 8000)
    names |= {
        "cut_npz": tmp / "cut.npz",
        "bad_st": tmp / "bad.safetensors",
        "damaged_store": tmp / "damaged.sqlite",
    }
    proc = _run_main(*[x.format(a=a, b=b, tmp=tmp, **names) for x in args])
    _assert_one_line_error(proc, message)


def _assert_one_line_error(proc: subprocess.CompletedProcess[str], message: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_corrupt_checkpoint_is_not_called_a_pickle(files: tuple) -> None:
    torch = pytest.importorskip("torch")
    a, _, p, _ = files
    torch.save(torch.as_tensor(p), a.parent / "whole.pt")
    data = (a.parent / "whole.pt").read_bytes()
    (a.parent / "cut.pt").write_bytes(data[: len(data) // 2])
    _assert_one_line_error(_run_main("compare", str(a), str(a.parent / "cut.pt")), "truncated")
    torch.save({"x": torch.as_tensor(p), "f": Fraction(1, 3)}, a.parent / "obj.pt")
    proc = _run_main("compare", str(a), str(a.parent / "obj.pt"))
    _assert_one_line_error(proc, "pass --allow-pickle if you trust the file")


def test_experiment_without_torch_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['torch'] = None; from rtdkit.cli import main; "
        "sys.argv[0] = 'rtdkit'; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "experiment", "layers", "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    _assert_one_line_error(proc, "pip install 'rtdkit[experiments]'")
    assert not list(tmp_path.iterdir())


def test_cli_messages_use_the_command_lines_words() -> None:
    from rtdkit.cli import cli_message

    text = "P has NaN; Q.npy: pass executor='tcp://h:1', allow_pickle=True, method='barcode'"
    assert cli_message(text) == (
        "A has NaN; Q.npy: pass --scheduler tcp://h:1, --allow-pickle, --method barcode"
    )


def test_demo_reproduces_the_papers_tau(tmp_path: Path) -> None:
    out = tmp_path / "demo.png"
    result = runner.invoke(app, ["demo", "--no-progress", "--plot", str(out)])
    assert result.exit_code == 0, result.output
    assert "Kendall tau (RTD vs k) = 1.000" in result.stdout
    assert out.stat().st_size > 1000


def test_engines_lists_the_reference() -> None:
    result = runner.invoke(app, ["engines"])
    assert result.exit_code == 0 and "reference" in result.stdout


def test_matrix_command_prints_and_resumes(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=(60, 4))
    for i in range(3):
        np.save(tmp_path / f"r{i}.npy", base @ rng.normal(size=(4, 3)))
    args = ["matrix", str(tmp_path), "--store", str(tmp_path / "s.sqlite"), "--batch", "30"]
    args += ["--trials", "2", "--n-jobs", "1", "--no-progress", "--plot", str(tmp_path / "h.png")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "== rtd" in first.stdout and "r2" in first.stdout
    assert (tmp_path / "h.png").stat().st_size > 1000
    again = runner.invoke(app, args)
    assert again.stdout == first.stdout
    proc = _run_main(*[a if a != "30" else "20" for a in args])
    assert proc.returncode == 2 and "never mixed" in proc.stderr


def test_experiment_list_and_unknown_name() -> None:
    listed = runner.invoke(app, ["experiment", "--list"])
    assert listed.exit_code == 0 and "clusters" in listed.stdout
    proc = _run_main("experiment", "nope", "--quick")
    assert proc.returncode == 2 and "name must be one of" in proc.stderr


def test_compare_prints_the_confidence_interval(files: tuple) -> None:
    a, b, p, q = files
    args = ["compare", str(a), f"{b}:acts", "--batch", "40", "--trials", "4", "--no-progress"]
    low, high = rtdkit.rtd(p, q, batch=40, trials=4).ci()
    human = runner.invoke(app, args)
    assert human.exit_code == 0, human.output
    assert f"95% CI [{low:.6g}, {high:.6g}]" in human.stdout
    payload = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert payload["ci95"] == pytest.approx([low, high])
    whole = json.loads(runner.invoke(app, [*args[:3], "--batch", "0", "--json"]).stdout)
    assert whole["ci95"] is None  # one trial on all points: no interval to report


@pytest.mark.parametrize("measure", ["rtd", "cka"])
def test_permutation_test_command(files: tuple, measure: str) -> None:
    a, b, p, q = files
    args = ["test", str(a), f"{b}:acts", "--measure", measure, "--permutations", "19"]
    args += ["--batch", "40", "--trials", "2", "--seed", "3", "--no-progress"]
    human = runner.invoke(app, args)
    assert human.exit_code == 0, human.output
    assert "p = 0.05 (19 permutations" in human.stdout
    payload = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    options = {"batch": 40, "trials": 2} if measure == "rtd" else {}
    expected = rtdkit.permutation_test(p, q, measure=measure, n_permutations=19, seed=3, **options)
    assert payload["pvalue"] == expected.pvalue
    assert payload["statistic"] == pytest.approx(expected.statistic)
    assert payload["null"] == pytest.approx(expected.null.tolist())


def test_permutation_test_command_rejects_imd(files: tuple) -> None:
    a, b, _, _ = files
    proc = _run_main("test", str(a), f"{b}:acts", "--measure", "imd")
    assert proc.returncode == 2 and "row correspondence" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_version_and_help_list_valid_names() -> None:
    from rtdkit.engines import BUILTIN_ENGINES
    from rtdkit.measures import MEASURES

    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.stdout.strip() == f"rtdkit {rtdkit.__version__}"
    compare_help = " ".join(runner.invoke(app, ["compare", "--help"]).stdout.split())
    assert "rtdkit[torch]" in compare_help  # not eaten as rich markup
    assert all(name in compare_help for name in BUILTIN_ENGINES)
    assert "'identity'" in compare_help and "'barcode'" in compare_help
    matrix_help = " ".join(runner.invoke(app, ["matrix", "--help"]).stdout.split())
    wanted = [m.name for m in MEASURES.values() if m.inputs == "representations"]
    assert all(name in matrix_help for name in wanted)


def test_one_default_for_n_jobs() -> None:
    import inspect

    from rtdkit import cli

    defaults = {}
    for command in app.registered_commands:
        parameters = inspect.signature(command.callback).parameters  # type: ignore[arg-type]
        if "n_jobs" in parameters:
            defaults[command.callback.__name__] = parameters["n_jobs"].default  # type: ignore[union-attr]
    assert len(defaults) == 5 and set(defaults.values()) == {cli.DEFAULT_JOBS}  # barcode too


def test_one_computation_shows_no_spread_and_warns_about_trials(files: tuple) -> None:
    a, b, _, _ = files
    proc = _run_main("compare", str(a), f"{b}:acts", "--trials", "5", "--no-progress")
    assert proc.returncode == 0
    assert "--trials 5 ignored: --batch 500 >= the 120 points" in proc.stderr
    explicit = _run_main("compare", str(a), f"{b}:acts", "--batch", "0", "--trials", "3")
    assert "--trials 3 ignored: --batch 0 asks for one computation" in explicit.stderr
    assert "spread n/a" in proc.stdout and "±" not in proc.stdout
    quiet = _run_main("compare", str(a), f"{b}:acts", "--batch", "0", "--no-progress")
    assert quiet.stderr == "" and "spread n/a" in quiet.stdout
    sampled = _run_main("compare", str(a), f"{b}:acts", "--batch", "40", "--seed", "7")
    assert "± " in sampled.stdout and "seed 7" in sampled.stdout


def test_matrix_says_how_pairs_are_seeded_and_where_figures_go(tmp_path: Path) -> None:
    from rtdkit.allpairs import pair_seed

    rng = np.random.default_rng(2)
    reps = {f"r{i}": rng.normal(size=(50, 3)) for i in range(3)}
    for name, x in reps.items():
        np.save(tmp_path / f"{name}.npy", x)
    args = ["matrix", str(tmp_path), "--batch", "20", "--trials", "2", "--seed", "5", "-m", "rtd"]
    args += ["-m", "cka", "--no-progress", "--mds", str(tmp_path / "m.png")]
    proc = _run_main(*args, "--plot", str(tmp_path / "h.png"))
    assert proc.returncode == 0, proc.stderr
    assert "pair_seed(5, A, B)" in proc.stdout
    assert f"figure written to {tmp_path / 'h.png'}" in proc.stderr
    assert f"figure written to {tmp_path / 'm.png'}" in proc.stderr
    # The printed entry is rtd() on the pair's own seed, as the note says.
    entry = rtdkit.rtd(reps["r0"], reps["r1"], batch=20, trials=2, seed=pair_seed(5, "r0", "r1"))
    assert f"{entry.value:.4g}" in proc.stdout


def test_experiment_prints_a_summary_not_the_json(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["experiment", "clusters", "--quick", "--out", str(tmp_path), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "clusters.json").read_text())
    assert len(result.stdout.splitlines()) < 25 < len(json.dumps(record, indent=2).splitlines())
    assert "experiment: clusters" in result.stdout
    assert f"figure written to {tmp_path / 'clusters.png'}" in result.stderr
    # The headline: each measure's Kendall tau against k, next to the paper's.
    taus = record["authors_draw"]["kendall_tau"]
    shown = ", ".join(f"{name} {tau:.4g}" for name, tau in taus.items())
    assert f"authors_draw.kendall_tau: {shown}" in result.stdout
    assert "paper.kendall_tau: rtd 1," in result.stdout


def test_ctrl_c_in_matrix_says_so_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rtdkit.allpairs
    import rtdkit.study

    def interrupted(*args: object, **kwargs: object) -> None:
        exc = KeyboardInterrupt()
        exc.add_note(rtdkit.allpairs._resume_hint(None, 2, 5))
        raise exc

    monkeypatch.setattr(rtdkit.study, "pairwise", interrupted)
    np.save(tmp_path / "a.npy", np.eye(4))
    result = runner.invoke(app, ["matrix", str(tmp_path), "--no-progress"])
    assert result.exit_code == 130
    assert result.stderr.startswith("rtdkit: interrupted. 2 of 5 pairs had finished")
    assert result.stderr.count("rtdkit:") == 1


def test_matrix_heatmaps_draw_dissimilarities(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rtdkit.plot
    from rtdkit.study import pairwise_files

    figures = []
    monkeypatch.setattr(rtdkit.plot, "save_figure", lambda fig, path: figures.append(fig))
    rng = np.random.default_rng(3)
    for i in range(3):
        np.save(tmp_path / f"r{i}.npy", rng.normal(size=(40, 3)))
    out = pairwise_files(str(tmp_path), ("rtd", "cka"), plot=tmp_path / "h.png", batch=None,
                         n_jobs=1, progress=False)  # fmt: skip
    rtd_ax, cka_ax = (ax for ax in figures[0].axes if ax.get_title())
    assert rtd_ax.get_title().startswith("RTD") and cka_ax.get_title().startswith("1 − CKA")
    drawn = cka_ax.images[0].get_array()
    assert np.allclose(drawn, 1.0 - out["cka"].to_numpy(), atol=1e-12)
    assert cka_ax.get_ylabel() == "representation"
    assert [t.get_text() for t in cka_ax.get_xticklabels()] == ["r0", "r1", "r2"]


COMMANDS = ["compare", "test", "barcode", "demo", "matrix", "experiment", "engines"]


def _help(*command: str) -> str:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_plain_text_with_bare_flags_and_named_arguments(command: str) -> None:
    text = _help(command)
    for markup in (
        "``",
        "<bool>",
        "{a}",
        ":func:",
        "no-asymmetric",
        "[default: (",
        "[default: progress]",
    ):
        assert markup not in text, markup


def test_help_shows_each_default_and_the_shared_options() -> None:
    assert "Usage: rtdkit compare [OPTIONS] A B" in _help("compare")
    assert "Usage: rtdkit matrix [OPTIONS] SPECS..." in _help("matrix")
    compare = _help("compare")
    for shown in (
        "[default: 10]",
        "[default: cone]",
        "[default: identity",
        "[default: on a terminal]",
    ):
        assert shown in compare, shown
    test = _help("test")
    for option in ("--metric", "--normalize", "--dim", "--method", "--engine", "[default: 10]"):
        assert option in test, option
    assert "-j" in _help("barcode")
    demo = _help("demo")
    assert "--engine" in demo and "--method" not in demo  # demo has no --method to imply
    assert "--version" in _help()


def test_test_takes_the_rtd_options_of_compare(files: tuple) -> None:
    a, b, p, q = files
    options = ["--batch", "40", "--trials", "2", "--metric", "cosine", "--normalize", "none"]
    result = runner.invoke(
        app,
        ["test", str(a), f"{b}:acts", *options, "--permutations", "5", "--json", "--no-progress"],
    )
    assert result.exit_code == 0, result.output
    statistic = json.loads(result.stdout)["statistic"]
    expected = rtdkit.rtd(p, q, batch=40, trials=2, metric="cosine", normalize=None)
    assert statistic == pytest.approx(expected.value)


@pytest.mark.parametrize(
    ("args", "says", "never"),
    [
        (
            ["test", "{a}", "{a}", "--permutations", "-1"],
            "--permutations must be >= 1",
            "n_permutations",
        ),
        (
            ["compare", "{a}", "{cube}"],
            "cube.npy holds an array of shape (120, 2, 3)",
            "npy.reshape",
        ),
        (["compare", "{a}", "{flat}"], "of {flat}'s pairwise distances is 0", "B's"),
        (  # no --engine given: the error does not blame one as if it had been chosen
            ["compare", "{a}", "{a}", "--dim", "5"],
            "the default engine 'cone' computes (3); lower it or name another with --engine",
            "what engine 'cone'",
        ),
    ],
)
def test_errors_use_the_command_lines_names(
    files: tuple, tmp_path: Path, args: list[str], says: str, never: str
) -> None:
    a = files[0]
    np.save(tmp_path / "cube.npy", np.zeros((120, 2, 3)))
    np.save(tmp_path / "flat.npy", np.ones((120, 3)))
    names = {"a": str(a), "cube": str(tmp_path / "cube.npy"), "flat": str(tmp_path / "flat.npy")}
    result = _run_main(*[arg.format(**names) for arg in args], "--no-progress")
    assert result.returncode == 2
    assert result.stderr.startswith("rtdkit: error: ") and result.stderr.count("\n") == 1
    assert says.format(**names) in result.stderr and never not in result.stderr


def test_experiment_summary_caps_long_records() -> None:
    from rtdkit.cli.study_commands import SUMMARY_TABLES, _summary

    tables = {
        f"shift{i}": {"rtd": i + 0.5, "label": "text", "curve": [1.0, 2.0]} for i in range(40)
    }
    record = {"experiment": "x", "runtime_s": 1.25, **tables, "paper": {"tau": {"rtd": 0.9}}}
    lines = _summary(record)
    assert lines[:2] == ["experiment: x", "runtime_s: 1.25"]
    assert lines[2:4] == ["shift0: rtd 0.5", "shift1: rtd 1.5"]  # numbers only, in order
    assert lines[-2:] == [
        f"... {40 - SUMMARY_TABLES} more tables of results in the JSON",
        "paper.tau: rtd 0.9",
    ]


# The CLI with one hook: the first progress call of a native engine (it is working) prints
# "working" on stdout, so that the test interrupts real work, not the start-up.
_ANNOUNCING = r"""
import sys
import rtdkit._parallel as parallel

real, announced = parallel.engine_callback, []


def announcing(progress):
    callback = real(progress)

    def first(done, total):
        if not announced:
            announced.append(print("working", flush=True))
        callback(done, total)

    return first


parallel.engine_callback = announcing
from rtdkit.cli import main

sys.argv[0] = "rtdkit"
main()
"""


@pytest.mark.parametrize(
    ("command", "n"),
    [
        (["barcode", "--no-progress"], 1500),
        (["compare", "--batch", "0", "--method", "barcode", "--no-progress"], 1500),
    ],
)
def test_ctrl_c_stops_a_command_with_one_line_saying_what_was_kept(
    tmp_path: Path, command: list[str], n: int
) -> None:
    """A real SIGINT while a barcode engine computes (in a pool thread for compare)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 32))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "z.npy", x[:, :2] + 0.1 * rng.normal(size=(n, 2)))
    args = [command[0], str(tmp_path / "x.npy"), str(tmp_path / "z.npy"), *command[1:]]
    proc = subprocess.Popen(
        [sys.executable, "-c", _ANNOUNCING, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_from_a_terminal,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "working\n"  # an engine is computing: interrupt it
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines() == [
        "rtdkit: interrupted. Nothing was written: results are written when a command finishes"
    ]


@pytest.mark.parametrize(
    ("command", "target"),
    [
        (["test", "{a}", "{a}", "--no-progress"], "rtdkit.stats.permutation_test"),
        (["compare", "{a}", "{a}", "--no-progress"], "rtdkit.divergence.rtd"),
        (["demo", "--no-progress"], "rtdkit.divergence.rtd"),
        (["experiment", "rings", "--quick", "--out", "{tmp}"], "rtdkit.experiments.run_experiment"),
    ],
)
def test_every_command_reports_ctrl_c_in_one_line(
    files: tuple, monkeypatch: pytest.MonkeyPatch, command: list[str], target: str
) -> None:
    a, _, _, _ = files

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    module, _, name = target.rpartition(".")
    monkeypatch.setattr(f"{module}.{name}", interrupted)
    args = [part.format(a=a, tmp=a.parent) for part in command]
    result = runner.invoke(app, args)
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines() == [
        "rtdkit: interrupted. Nothing was written: results are written when a command finishes"
    ]


@pytest.mark.parametrize("command", ["compare", "test", "matrix"])
def test_the_memory_refusal_speaks_the_command_lines_words(
    files: tuple,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    import rtdkit.distances
    from rtdkit.cli import main

    a, _, _, _ = files
    np.save(a.parent / "b.npy", np.load(a)[:, :2])
    monkeypatch.setattr(rtdkit.distances, "_memory_budget", lambda: (2**19, "a test budget"))
    args = [command, str(a), str(a.parent / "b.npy"), "--batch", "0", "--no-progress"]
    monkeypatch.setattr(sys, "argv", ["rtdkit", *args])
    with pytest.raises(SystemExit) as exit_status:
        main()
    assert exit_status.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    # the figure itself is the API's (tests/test_memory_guard.py); here: the CLI's words
    assert re.search(r"pass --batch \d+ or less", line) and "batch=" not in line


@pytest.mark.parametrize(
    ("command", "check"),
    [
        ("compare", "check_rtd_memory"),
        ("test", "check_rtd_memory"),
        ("barcode", "check_barcode_memory"),
    ],
)
def test_the_cli_consults_the_apis_own_memory_check(
    files: tuple,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    check: str,
) -> None:
    """No copy of the API's rule in the CLI: a stand-in for the public check is what refuses,
    on the header's row count, before the file is read; its words are translated."""
    import rtdkit.memory_checks
    from rtdkit._validation import RTDInputError
    from rtdkit.cli import main

    a, _, p, _ = files
    seen: list[int] = []

    def refuse(n_rows: int, *args: object, **kwargs: object) -> None:
        seen.append(n_rows)
        raise RTDInputError(f"stand-in refusal on {n_rows} points; pass batch=7 or less")

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the array data were read")

    monkeypatch.setattr(rtdkit.memory_checks, check, refuse)
    monkeypatch.setattr(np.lib.format, "read_array", never)
    monkeypatch.setattr(sys, "argv", ["rtdkit", command, str(a), str(a), "--no-progress"])
    with pytest.raises(SystemExit) as exit_status:
        main()
    assert exit_status.value.code == 2
    assert seen == [len(p)]
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == f"rtdkit: error: stand-in refusal on {len(p)} points; pass --batch 7 or less"


@pytest.mark.parametrize("command", ["compare", "barcode", "test", "matrix"])
def test_a_file_too_large_is_refused_from_its_header_before_it_is_read(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    """A compressed .npz of 2000 x 2000 zeros (a few kB on disk, 30 MB inflated): every
    command refuses it from the member's header, in one line, without reading the data."""
    import rtdkit.distances
    from rtdkit.cli import main

    np.savez_compressed(tmp_path / "big.npz", x=np.zeros((2000, 2000)))
    np.savez_compressed(tmp_path / "other.npz", x=np.zeros((2000, 2000)))
    monkeypatch.setattr(rtdkit.distances, "_memory_budget", lambda: (50 * 2**20, "a test budget"))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the array data were read")

    monkeypatch.setattr(np.lib.format, "read_array", never)
    files = [str(tmp_path / "big.npz"), str(tmp_path / "other.npz")]
    batch = [] if command == "barcode" else ["--batch", "0"]
    monkeypatch.setattr(sys, "argv", ["rtdkit", command, *files, *batch, "--no-progress"])
    with pytest.raises(SystemExit) as exit_status:
        main()
    assert exit_status.value.code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "on 2000 points needs about" in line and "data were read" not in line
    fix = "pass a random subset of at most" if command == "barcode" else "pass --batch"
    assert fix in line and "batch=" not in line


@pytest.mark.parametrize("command", ["compare", "barcode", "matrix"])
def test_no_progress_bar_in_a_pipe_unless_asked_for(files: tuple, command: str) -> None:
    """The CLI's default is the API's progress="auto": stderr here is a pipe, so no bar;
    --progress still draws one (so the check below can see a bar)."""
    a, b, _, _ = files
    args = [command, str(a), f"{b}:acts", *([] if command == "barcode" else ["--batch", "40"])]
    quiet = _run_main(*args)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    shown = _run_main(*args, "--progress")
    assert shown.returncode == 0, shown.stderr
    assert "━" in shown.stderr


def test_a_warning_is_one_line_in_the_command_lines_words(tmp_path: Path) -> None:
    """A transposed file (fewer points than features) is warned about in one line, not in
    Python's two with a line of rtdkit's source; with rows that differ, `test` refuses in
    one line before any warning, as compare does."""
    rng = np.random.default_rng(0)
    np.save(tmp_path / "wide.npy", rng.normal(size=(40, 60)))
    np.save(tmp_path / "b.npy", rng.normal(size=(40, 3)))
    np.save(tmp_path / "tall.npy", rng.normal(size=(60, 3)))
    wide, b, tall = (str(tmp_path / f"{n}.npy") for n in ("wide", "b", "tall"))
    warned = _run_main("compare", wide, b, "--batch", "0")
    assert warned.returncode == 0, warned.stderr
    assert warned.stderr.splitlines() == [
        "rtdkit: warning: A has 40 rows (points) but 60 columns (features): rows must be the "
        "objects compared. If A is transposed (e.g. channels first), save A transposed"
    ]
    for command in (["compare"], ["test", "--permutations", "3"]):
        refused = _run_main(*command, wide, tall)
        assert refused.returncode == 2
        assert refused.stderr.splitlines() == [
            f"rtdkit: error: {wide} has 40 points but {tall} has 60; the two representations "
            "must describe the same objects in the same order"
        ]
