"""Shared helpers for the test suite: random clouds and an independent barcode computation."""

from __future__ import annotations

import _thread
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.engines.reference import doubled_matrix


def related_pair(n: int, seed: int, d: int = 6, d2: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """P Gaussian, Q a noisy linear image of P (a 'similar representation')."""
    rng = np.random.default_rng(seed)
    p = rng.normal(size=(n, d))
    q = p @ rng.normal(size=(d, d2)) + 0.3 * rng.normal(size=(n, d2))
    return p, q


def unrelated_pair(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 5)), rng.uniform(size=(n, 3))


def gudhi_doubled_barcode(p: np.ndarray, q: np.ndarray, maxdim: int) -> list[np.ndarray]:
    """R-Cross-Barcode computed independently: gudhi's Rips complex on the doubled matrix.

    The matrix is rounded to float32 first, as giotto-ph does internally, so that both
    libraries see the same filtration values and must return the same diagrams exactly.
    """
    gudhi = pytest.importorskip("gudhi")
    w, mu = cross_matrices(normalized_distances(p, name="P"), normalized_distances(q, name="Q"))
    m = doubled_matrix(w, mu).astype(np.float32).astype(np.float64)
    tree = gudhi.RipsComplex(distance_matrix=m).create_simplex_tree(max_dimension=maxdim + 1)
    tree.compute_persistence(homology_coeff_field=2, min_persistence=0.0)
    out = []
    for dim in range(maxdim + 1):
        bars = np.asarray(tree.persistence_intervals_in_dimension(dim)).reshape(-1, 2)
        bars = bars[np.isfinite(bars[:, 1]) & (bars[:, 1] > bars[:, 0])]
        out.append(sort_diagram(bars))
    return out


def sort_diagram(bars: np.ndarray) -> np.ndarray:
    """Canonical order for comparing diagrams as multisets."""
    bars = np.asarray(bars, dtype=np.float64).reshape(-1, 2)
    return bars[np.lexsort((bars[:, 1], bars[:, 0]))]


def assert_stops_on_ctrl_c(
    long_call: Callable[[], Any], *, started: threading.Event | None = None
) -> None:
    """Ctrl-C (simulated with _thread.interrupt_main) once ``long_call`` has provably started
    must raise KeyboardInterrupt, and leave no rtdkit worker thread running.

    Started means: ``started`` is set (e.g. by an engine's first progress report in a pool
    thread) or, without it, the main thread is inside ``long_call`` (its frame is on the
    stack). Event-driven, no clock: a call that ignored Ctrl-C would finish its many seconds
    of work and fail the ``pytest.raises``; a pool that ignored it would leave its threads.

    Python's own SIGINT handler is installed for the duration: a shell starts background jobs
    with SIGINT ignored, and Python then leaves it so (interrupt_main would do nothing)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    done = threading.Event()
    ready = started or _Entered(long_call.__code__, done)
    watcher = threading.Thread(target=_interrupt_when, args=(ready, done), daemon=True)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            long_call()
    finally:
        done.set()
        watcher.join()
        signal.signal(signal.SIGINT, previous)
    alive = [t.name for t in threading.enumerate() if t.name.startswith("rtdkit") and t.is_alive()]
    assert alive == [], f"worker threads still running after Ctrl-C: {alive}"


def as_from_a_terminal() -> None:
    """``preexec_fn`` of a child process that a test interrupts: Ctrl-C's default disposition,
    as a terminal's foreground job has it. A shell starts background jobs (CI run with ``&``,
    ``nohup``) with SIGINT ignored, every child inherits that, and Python then leaves it
    ignored: the child would never see the test's SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class _Entered:
    """``wait()`` returns True once the main thread runs ``code`` (or False once ``done``)."""

    def __init__(self, code: Any, done: threading.Event) -> None:
        self.code, self.done, self.main = code, done, threading.main_thread().ident

    def wait(self, timeout: float | None = None) -> bool:
        while not self.done.wait(0.005):
            frame = sys._current_frames().get(self.main)
            while frame is not None:
                if frame.f_code is self.code:
                    return True
                frame = frame.f_back
        return False


def _interrupt_when(ready: threading.Event | _Entered, done: threading.Event) -> None:
    while not done.is_set():
        if ready.wait(0.01):
            _thread.interrupt_main()
            return


# The quick subset, `pytest -m quick` (116 tests, 20 s of CPU; the whole suite takes 3 minutes):
# each module's basic behaviour on small inputs, every engine against an independent
# computation. It is what the release wheels are tested with on every platform (pyproject.toml,
# [tool.cibuildwheel]) and what .ci/run runs against the installed wheel. Listed here rather than
# marked in each file so that the whole subset can be read (and timed) in one place.
QUICK_TESTS: dict[str, set[str]] = {
    "test_package.py": {
        "test_public_modules_export_what_they_list",
        "test_version_is_pyprojects",
    },
    "test_validation.py": {
        "test_bad_input_raises_clear_error",
        "test_errors_are_value_errors_and_type_errors_are_both",
        "test_inputs_are_not_modified",
        "test_cross_barcode_options_validated",
        "test_n_jobs_follows_scikit_learn",
    },
    "test_distances.py": {
        "test_float32_cross_matrices_equal_the_float64_ones_rounded",
        "test_distance_quantile_is_numpys_bit_for_bit",
        "test_memory_guard_refuses_before_allocating",
    },
    "test_reference_engine.py": {
        "test_reference_matches_gudhi",
        "test_published_149_bar_case",
    },
    "test_engines_cone.py": {
        "test_dim1_matches_reference",
        "test_dim2_matches_reference",
        "test_ties_and_duplicates",
        "test_critical_edges_give_the_bar_values",
        "test_bad_input_is_rejected",
        "test_dim3_matches_reference",
        "test_maxdim_zero_and_empty_h0",
        "test_integer_matrices_with_ties",
        "test_hard_pairs_match_reference",
    },
    "test_engines_score.py": {
        "test_identity_equals_the_barcode_total",
        "test_spanning_tree_terms_match_scipy",
        "test_h1_term_matches_giotto_ph_on_mu",
        "test_method_validation",
        "test_rtd_identity_equals_barcode_and_reference",
        "test_critical_edges_reproduce_every_value",
    },
    "test_divergence.py": {
        "test_identical_clouds_give_empty_barcode",
        "test_rtd_is_the_mean_over_subsamples_of_both_directions",
        "test_seed_determinism_and_parallel_equals_serial",
        "test_precomputed_metric_equals_euclidean",
        "test_small_clouds_and_dtypes",
        "test_rtd1_bounded_below_by_mst_difference",
        "test_rtd_invariant_to_rotation_translation_and_scaling",
    },
    "test_critical.py": {"test_same_barcode_as_cross_barcode", "test_entries_read_back_the_bars"},
    "test_comparison.py": {"test_rtd_through_the_comparison_is_rtd_bit_for_bit"},
    "test_baselines.py": {
        "test_bad_input_names_the_argument",
        "test_cka_symmetric_and_in_unit_interval",
        "test_linear_cka_feature_space_equals_gram_formulation",
        "test_registry_signature_and_direction",
    },
    "test_stats.py": {
        "test_t_interval_matches_scipy",
        "test_rtd_result_ci_brackets_the_score_and_refuses_one_trial",
        "test_permutation_test_rejects_bad_input",
        "test_mantel_null_matches_a_direct_computation",
    },
    "test_io.py": {
        "test_npy_npz_csv_roundtrip",
        "test_missing_unknown_and_garbage_files",
        "test_npz_needs_a_key_when_ambiguous",
        "test_pickles_are_refused_unless_allowed",
        "test_torch_files_load_with_weights_only",
    },
    "test_plot.py": {
        "test_barcode_plot_draws_one_line_per_bar",
        "test_heatmap_labels_and_annotations",
        "test_figure_paths_are_checked_before_drawing",
    },
    "test_layers.py": {"test_options_are_checked_before_any_cell"},
    "test_allpairs.py": {
        "test_bad_options_are_refused_before_any_work",
        "test_matrix_equals_a_serial_loop_over_rtd_and_cka",
    },
    "test_testing.py": {"test_every_engine_keeps_the_contract"},
    "test_cli.py": {
        "test_version_and_help_list_valid_names",
        "test_errors_are_one_line_with_exit_2",
        "test_compare_json_matches_the_api",
        "test_engines_lists_the_reference",
        "test_barcode_writes_a_figure",
    },
    "test_torch.py": {
        "test_import_rtdkit_does_not_import_torch",
        "test_loss_equals_rtd_on_the_whole_batch",
        "test_compare_layers_on_a_tiny_mlp",
    },
    "test_experiments.py": {
        "test_registry_lists_every_experiment_in_paper_order",
        "test_unknown_experiment_and_bad_options_are_refused",
    },
}


# A parametrized test in the subset runs its first few cases only.
QUICK_CASES_PER_TEST = 3


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    cases: dict[tuple[str, str], int] = {}
    for item in items:
        test = (item.path.name, getattr(item, "originalname", ""))
        if test[1] in QUICK_TESTS.get(test[0], ()):
            cases[test] = cases.get(test, 0) + 1
            if cases[test] <= QUICK_CASES_PER_TEST:
                item.add_marker(pytest.mark.quick)
    if "quick" in config.getoption("markexpr") and all(
        (config.invocation_params.dir / arg).is_dir() for arg in config.args
    ):
        _refuse_stale_quick_names(items)


def _refuse_stale_quick_names(items: list[pytest.Item]) -> None:
    """A renamed or deleted test must not silently drop out of the quick subset."""
    collected = {(item.path.name, getattr(item, "originalname", "")) for item in items}
    files = {name for name, _ in collected}
    stale = sorted(
        f"{file}::{test}"
        for file, tests in QUICK_TESTS.items()
        for test in tests
        if file in files and (file, test) not in collected
    )
    if stale:
        raise pytest.UsageError(f"QUICK_TESTS in tests/conftest.py names no test {stale}")


def pytest_report_header() -> str:
    """Which rtdkit is under test: .ci/run checks that it is the installed wheel's copy."""
    import rtdkit

    return f"rtdkit {rtdkit.__version__} from {rtdkit.__file__}"


def cloud_view_noise(n: int, d: int, names: tuple[str, str, str]) -> dict[str, np.ndarray]:
    """Three representations of ``n`` objects, named ``names``, for the chance-level tests: a
    Gaussian cloud in ``d`` dimensions, a nonlinear view of it (tanh of a random projection
    to ``d - 2`` dimensions: related, below chance) and independent noise in ``d - 1``
    dimensions (at chance)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d))
    view = np.tanh(x @ rng.normal(size=(d, d - 2)))
    return dict(zip(names, (x, view, rng.normal(size=(n, d - 1))), strict=True))
