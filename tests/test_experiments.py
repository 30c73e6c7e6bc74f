"""The quick versions of the paper's experiments, and the qualitative claims they reproduce."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rtdkit
from rtdkit import RTDInputError
from rtdkit.experiments import EXPERIMENTS, list_experiments, run_experiment
from rtdkit.experiments._digits import cyclic_schedule, paper_schedule
from rtdkit.experiments._measures import compare
from rtdkit.experiments._sprites import quantize_latents, render_sprites
from rtdkit.experiments._stats import correlation_entry, kendall_tau

FIGURES = Path(__file__).resolve().parents[1] / "docs" / "figures"


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("experiments")


def _run(name: str, out_dir: Path) -> dict[str, Any]:
    numbers = run_experiment(name, out_dir, quick=True, seed=0)
    assert (out_dir / f"{name}.png").stat().st_size > 1000
    on_disk = json.loads((out_dir / f"{name}.json").read_text())
    assert on_disk["experiment"] == name and on_disk["quick"] is True
    # The record carries its provenance: the version that ran and a measured, positive time.
    assert on_disk["rtdkit_version"] == rtdkit.__version__
    assert isinstance(on_disk["runtime_s"], float) and on_disk["runtime_s"] >= 0.0
    return numbers


def _needs_torch() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")


# ------------------------------------------------------------------------------- registry


def test_registry_lists_every_experiment_in_paper_order() -> None:
    assert list_experiments() == [
        "clusters", "rings", "disentanglement", "training-dynamics", "layers",
        "distribution-shift", "ensembles", "transfer", "architectures", "rtd-autoencoder",
    ]  # fmt: skip
    assert all(e.description and e.section for e in EXPERIMENTS.values())


def test_unknown_experiment_and_bad_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RTDInputError, match="name must be one of"):
        run_experiment("cluster", tmp_path)
    with pytest.raises(RTDInputError, match="quick"):
        run_experiment("clusters", tmp_path, quick="yes")  # type: ignore[arg-type]


def test_missing_torch_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match=r"pip install 'rtdkit\[torch\]'"):
        run_experiment("layers", tmp_path, quick=True)


# ------------------------------------------------------------------------- Section 3.1


def test_clusters_rtd_ranks_the_number_of_clusters(out_dir: Path) -> None:
    numbers = _run("clusters", out_dir)
    authors = numbers["authors_draw"]
    assert authors["kendall_tau"]["rtd"] == 1.0  # paper: 1.0, on the authors' own draw
    assert np.all(np.diff(authors["values"]["rtd"]) > 0)
    draws = numbers["random_draws"]
    assert len(draws["rtd"]["per_draw"]) == 5
    # Over random draws, RTD's interval lies above every other measure's.
    others = max(draws[key]["ci95"][1] for key in ("1-cka", "1-svcca", "imd"))
    assert draws["rtd"]["ci95"][0] > others
    # The reference IMD estimator scatters around the exact value, above it on average.
    slq, exact = np.array(authors["imd_slq"]["mean"]), np.array(authors["values"]["imd"])
    assert np.mean(slq) > np.mean(exact) > 0.0


def test_committed_clusters_run_supports_the_docs() -> None:
    """docs/experiments.md: RTD grows strictly with k on 26 of the 30 committed random draws;
    on the other 4 exactly one of the 21 pairs of cluster counts is out of order."""
    record = json.loads((FIGURES / "clusters.json").read_text())
    taus = np.array(record["random_draws"]["rtd"]["per_draw"])
    assert len(taus) == 30 and np.sum(taus == 1.0) == 26
    assert np.allclose(taus[taus < 1.0], (20 - 1) / 21)  # 20 concordant pairs, 1 discordant


def test_clusters_authors_draw_is_the_notebooks_seed_7_draw() -> None:
    from rtdkit.experiments.clusters import CLUSTER_COUNTS, cluster_family

    base, members = cluster_family("authors")
    # The notebook: np.random.seed(7), then 60 times multivariate_normal(0, I, 5).
    legacy = np.random.RandomState(7)
    groups = [legacy.multivariate_normal(np.zeros(2), np.eye(2), 5) for _ in range(60)]
    assert np.array_equal(base, np.concatenate(groups))
    angle = 2.0 * np.pi * (7 % 3) / 3  # group 7 of the 3-cluster cloud sits at centre 7 mod 3
    centre = 10.0 * np.array([np.cos(angle), np.sin(angle)])
    three = members[CLUSTER_COUNTS.index(3)]
    assert np.allclose(three[35:40], groups[7] + centre)


def _authors_svcca(a: np.ndarray, b: np.ndarray) -> float:
    """The paper's SVCCA baseline as its code computes it on a (points, 2) cloud passed
    transposed: each point is centred over its two coordinates (the wrong axis), 99 % of the
    *sum* of singular values is kept, then the mean canonical correlation."""

    def reduce(x: np.ndarray) -> np.ndarray:
        acts = x.T - x.T.mean(axis=0, keepdims=True)
        _, s, v = np.linalg.svd(acts, full_matrices=False)
        d = next(d for d in range(len(s) + 1) if s[:d].sum() > 0.99 * s.sum())
        return s[:d, None] * v[:d]

    x, y = reduce(a), reduce(b)
    qx = np.linalg.qr((x - x.mean(axis=1, keepdims=True)).T)[0]
    qy = np.linalg.qr((y - y.mean(axis=1, keepdims=True)).T)[0]
    return float(np.linalg.svd(qx.T @ qy, compute_uv=False).mean())


def test_paper_clusters_taus_are_taus_of_similarities() -> None:
    from rtdkit.baselines import cka
    from rtdkit.experiments.clusters import CLUSTER_COUNTS, cluster_family

    base, members = cluster_family("authors")
    # The paper's CKA 0.23 is tau of the *similarity* CKA (ours: 5/21 = 0.238); tau of
    # 1 - CKA, the dissimilarity, is its negative.
    similarity = [cka(base, m) for m in members]
    assert kendall_tau(CLUSTER_COUNTS, similarity) == pytest.approx(5 / 21)
    # Its SVCCA 0.14 is reproduced only with the baseline's centring bug (3/21 = 0.143).
    buggy = [_authors_svcca(base, m) for m in members]
    assert kendall_tau(CLUSTER_COUNTS, buggy) == pytest.approx(3 / 21)


def test_rings_rtd_grows_with_merged_rings(out_dir: Path) -> None:
    numbers = _run("rings", out_dir)
    even = numbers["evenly_spaced"]
    assert even["values"]["rtd"][0] == 0.0 == even["values"]["imd"][0]  # 5 vs the same 5 rings
    assert even["kendall_tau"]["rtd"] >= 0.6  # paper 0.9, authors' notebook 0.8
    # On jittered draws RTD's tau stays above CKA's and SVCCA's (default run: 0.55 vs 0.2;
    # IMD does better there, 0.86, see docs/experiments.md).
    draws = numbers["random_draws"]
    assert draws["rtd"]["ci95"][0] > max(draws[k]["ci95"][1] for k in ("1-cka", "1-svcca"))


# ------------------------------------------------------------------------- Section 3.2


def test_disentanglement_axes_below_random_directions(out_dir: Path) -> None:
    numbers = _run("disentanglement", out_dir)
    rtd = numbers["rtd"]
    random = rtd["random"]["mean"]
    continuous = ("scale", "rotation", "x", "y")
    assert max(rtd[f]["mean"] for f in ("rotation", "x", "y")) < random
    assert np.mean([rtd[f]["mean"] for f in continuous]) < 0.75 * random
    # The entangled control: once the generator mixes the latents, the axes lose most of
    # their advantage over random directions.
    ratios = numbers["ratio_to_random"]
    assert np.mean(list(ratios["entangled"].values())) > 2 * np.mean(
        list(ratios["dsprites"].values())
    )


def test_position_shifts_are_isometries_without_the_grid() -> None:
    from rtdkit import rtd

    # Continuous rendering: a shift of x by 0.1 moves every sprite by exactly 4 pixels, a
    # permutation of the pixel coordinates, so all pairwise distances and RTD are unchanged.
    z = np.random.default_rng(0).uniform(size=(60, 5))
    z[:, 3] *= 0.9
    shifted = z.copy()
    shifted[:, 3] += 0.1
    assert rtd(render_sprites(z), render_sprites(shifted), batch=None).value == 0.0


# ------------------------------------------------------------------------- Section 3.4


def test_training_dynamics_converge_and_track_disagreement(out_dir: Path) -> None:
    _needs_torch()
    numbers = _run("training-dynamics", out_dir)
    for arch in numbers["architectures"].values():
        rtd = arch["series"]["rtd"]
        assert rtd[-1] == 0.0 and rtd[0] > rtd[-2] > 0.0
        assert kendall_tau(range(len(rtd)), rtd) <= -0.8
        assert arch["correlation"]["disagreement"]["rtd"]["pearson"] > 0.5
        # Quick mode trains 10 epochs: with 6, the ResNet-like network was still at 88 %
        # (deterministically: the epoch-6 snapshot falls in its learning-rate decay).
        assert arch["final_accuracy"] > 0.9
    for name, arch in numbers["noisy_digits"]["architectures"].items():
        # The harder task: every network is clearly less accurate than on the clean digits.
        clean = numbers["architectures"][name]["final_accuracy"]
        assert arch["final_accuracy"] < clean - 0.05
        assert arch["series"]["rtd"][-1] == 0.0


def test_torch_experiments_rerun_to_identical_json(tmp_path: Path) -> None:
    _needs_torch()
    import torch

    threads = torch.get_num_threads()
    first = run_experiment("training-dynamics", tmp_path / "a", quick=True, seed=3)
    torch.set_num_threads(2)  # the experiment must not depend on the caller's thread count
    try:
        second = run_experiment("training-dynamics", tmp_path / "b", quick=True, seed=3)
    finally:
        torch.set_num_threads(threads)
    assert torch.get_num_threads() == threads  # and it restores the caller's setting
    first.pop("runtime_s"), second.pop("runtime_s")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_layers_adjacent_blocks_closer_than_distant(out_dir: Path) -> None:
    _needs_torch()
    numbers = _run("layers", out_dir)
    noisy = numbers["noisy_digits"]["architectures"]
    for arch in [*numbers["architectures"].values(), *noisy.values()]:
        for key in ("rtd", "1-cka"):
            m = np.asarray(arch[key])
            assert np.allclose(m, m.T) and np.all(np.diag(m) == 0.0)
            adjacent = np.mean(np.diag(m, 1))
            assert m[0, -1] > adjacent
        # Kornblith et al.'s test: each block is closest to the same block of a twin network
        # trained from another seed (quick run: RTD identifies all 4 blocks of both networks
        # on the digits, 3 of 4 of the VGG-like one on the noisy digits).
        cross = np.asarray(arch["cross_seed"]["rtd"])
        assert cross.shape == (4, 4)
        assert arch["identification_accuracy"]["rtd"] >= 0.75
    # The harder task is harder for both architectures.
    for name, arch in numbers["architectures"].items():
        assert noisy[name]["final_accuracy"] < arch["final_accuracy"] - 0.05


def test_distribution_shift_grows_with_strength(out_dir: Path) -> None:
    _needs_torch()
    numbers = _run("distribution-shift", out_dir)
    noisy = numbers["noisy_digits"]
    for shift in [*numbers["shifts"].values(), *noisy["shifts"].values()]:
        rtd = shift["series"]["rtd"]
        assert rtd[0] == 0.0 and rtd[-1] > rtd[1] > 0.0
        assert shift["correlation"]["disagreement"]["rtd"]["pearson"] > 0.5
    assert noisy["clean_accuracy"] < numbers["clean_accuracy"] - 0.05


def test_classical_ensemble_more_diverse_than_fge(out_dir: Path) -> None:
    _needs_torch()
    numbers = _run("ensembles", out_dir)
    table = numbers["ensembles"]
    for key in ("rtd", "1-cka", "disagreement"):
        assert table["classical"][key]["mean"] > table["fge"][key]["mean"]
    for kind in ("classical", "fge"):
        members = np.mean(table[kind]["member_accuracy"])
        assert table[kind]["ensemble_gain"] == pytest.approx(
            table[kind]["ensemble_accuracy"] - members
        )
    # Diverse members help: the classical ensemble gains more over its members than FGE.
    assert table["classical"]["ensemble_gain"] > table["fge"]["ensemble_gain"]
    # The harder task really is harder (quick run: 84 % vs 97 % for the classical ensemble).
    hard = numbers["noisy_digits"]["ensembles"]
    assert hard["classical"]["ensemble_accuracy"] < table["classical"]["ensemble_accuracy"] - 0.05
    assert hard["classical"]["rtd"]["mean"] > hard["fge"]["rtd"]["mean"]


def test_transfer_representations_settle(out_dir: Path) -> None:
    _needs_torch()
    numbers = _run("transfer", out_dir)
    noisy = numbers["noisy_digits"]
    assert noisy["target_accuracy_after"] < numbers["target_accuracy_after"] - 0.05
    for task in [*numbers["tasks"].values(), *noisy["tasks"].values()]:
        rtd = task["series"]["rtd"]
        assert rtd[-1] == 0.0 and rtd[0] > rtd[len(rtd) // 2] > 0.0
        assert task["correlation"]["disagreement"]["rtd"]["pearson"] > 0.0


def test_architectures_pairwise_and_mds(out_dir: Path) -> None:
    _needs_torch()
    numbers = _run("architectures", out_dir)
    assert numbers["settings"]["replicates"] == 2
    for key in ("rtd", "1-cka"):
        m = np.asarray(numbers["pairwise"][key])
        assert m.shape == (8, 8) and np.allclose(m, m.T) and np.all(m[np.triu_indices(8, 1)] > 0)
        # Each cell is the mean over the replicates, inside its interval.
        runs = np.asarray(numbers["pairwise_per_replicate"][key])
        assert runs.shape == (2, 8, 8) and np.allclose(m, runs.mean(axis=0))
        low, high = (np.asarray(b) for b in numbers["pairwise_ci95"][key])
        assert np.all(low <= m) and np.all(m <= high)
        per_run = numbers["mantel_per_replicate"][key]
        assert len(per_run["spearman"]) == 2 and 0.0 <= per_run["replicates_p_below_0.05"] <= 2
        twins = numbers["twins"][key]
        assert len(twins["twin"]) == 8 and 0.0 <= twins["identification_accuracy"] <= 1.0
    test = numbers["mantel_dissimilarity_vs_log_loss_gap"]["rtd"]
    assert test["permutations"] == 999 and 0.0 < test["pvalue"] <= 1.0


def test_committed_architectures_support_the_docs() -> None:
    """The claims of docs/experiments.md's architectures section, checked against the
    committed default run (seed 0, 30 architectures x 5 training seeds)."""
    from rtdkit.stats import mantel

    record = json.loads((FIGURES / "architectures.json").read_text())
    assert record["quick"] is False and record["settings"]["replicates"] == 5
    loss = np.asarray(record["log_test_loss"]).mean(axis=0)
    gap = np.abs(loss[:, None] - loss[None, :])
    upper = np.triu_indices(30, 1)
    rho = {}
    for key in ("rtd", "1-cka"):
        runs = np.asarray(record["pairwise_per_replicate"][key])
        mean = np.asarray(record["pairwise"][key])
        assert np.allclose(mean, runs.mean(axis=0))
        # The Mantel test on the mean matrix, recomputed: both measures reject independence.
        test = mantel(mean, gap, method="spearman", seed=0)
        stored = record["mantel_dissimilarity_vs_log_loss_gap"][key]
        assert test.statistic == pytest.approx(stored["spearman"]) and stored["pvalue"] < 0.01
        assert record["mantel_per_replicate"][key]["replicates_p_below_0.05"] == 5
        rho[key] = np.asarray(record["mantel_per_replicate"][key]["spearman"])
        # Cells are well determined: the median 95 % half-width is about a tenth of the cell.
        low, high = (np.asarray(b) for b in record["pairwise_ci95"][key])
        half = np.median(((high - low) / 2)[upper] / mean[upper])
        assert 0.05 < half < 0.15
        # Twins (same architecture, another seed) are closer than a typical pair of
        # architectures, yet most are not closer than every other architecture.
        twins = record["twins"][key]
        assert twins["median_twin"] < 0.6 * twins["median_between_architectures"]
    assert record["twins"]["rtd"]["identification_accuracy"] == pytest.approx(12 / 30)
    assert record["twins"]["1-cka"]["identification_accuracy"] == pytest.approx(17 / 30)
    # 1 - CKA relates to the loss gap more strongly than RTD in every replicate.
    assert np.all(rho["1-cka"] > rho["rtd"] + 0.2)


# ---------------------------------------------------------------------------- helpers


def test_sprites_translate_with_the_position_factors() -> None:
    # x moves by exactly 4 pixels: from 12 + 0 * 40 to 12 + 0.1 * 40 on a 64-pixel image.
    a = render_sprites([[0.0, 1.0, 0.0, 0.0, 0.5]]).reshape(64, 64)
    b = render_sprites([[0.0, 1.0, 0.0, 0.1, 0.5]]).reshape(64, 64)
    assert a.sum() > 50
    assert np.array_equal(np.roll(a, 4, axis=1), b)
    shapes = render_sprites([[s, 1.0, 0.1, 0.5, 0.5] for s in (0.0, 0.5, 1.0)])
    assert len({img.tobytes() for img in shapes}) == 3
    grid = quantize_latents(np.random.default_rng(0).uniform(size=(50, 5)))
    assert len(np.unique(grid[:, 0])) <= 3 and len(np.unique(grid[:, 1])) <= 6


def test_slice_pairs_stay_in_the_cube_and_on_the_slice() -> None:
    from rtdkit.experiments.disentanglement import slice_pair

    n = np.array([1.0, 2.0, 0.0, -1.0, 0.5])
    n /= np.linalg.norm(n)
    z1, z2 = slice_pair(n, delta=0.1, size=40, rng=np.random.default_rng(1))
    assert np.all((z1 >= 0) & (z1 <= 1) & (z2 >= 0) & (z2 <= 1))
    assert np.ptp(z1 @ n) < 1e-12 and np.allclose(z2 - z1, 0.1 * n)


def test_schedules_compare_and_correlations() -> None:
    assert [paper_schedule(p) for p in (0.0, 0.5, 0.9, 0.99)] == pytest.approx(
        [1.0, 1.0, 0.01, 0.01]
    )
    fge = cyclic_schedule(4, 0.5, 0.005)
    assert fge(0.125) == pytest.approx(0.005) and fge(0.25) == pytest.approx(0.5)
    x = np.random.default_rng(0).normal(size=(90, 4))
    same = compare(x, 3 * x, batch=50, trials=2, seed=0, measures=("rtd", "cka", "svcca"))
    assert same == pytest.approx({"rtd": 0.0, "1-cka": 0.0, "1-svcca": 0.0}, abs=1e-9)
    assert correlation_entry([1, 1, 1, 1], [1, 2, 3, 4], seed=0) is None


def test_identification_accuracy_counts_rows_closest_to_their_own_index() -> None:
    from rtdkit.experiments._measures import identification_accuracy

    assert identification_accuracy(np.array([[0.0, 1.0], [1.0, 0.0]])) == 1.0
    assert identification_accuracy(np.array([[2.0, 1.0, 3.0], [1.0, 0.5, 2.0], [0, 1, 2]])) == (
        pytest.approx(1 / 3)
    )


def test_summary_averages_every_shared_number_over_seeds(tmp_path: Path) -> None:
    from rtdkit.experiments.summary import summarise_folder

    for seed, (r_rtd, p) in enumerate([(0.9, 0.01), (0.8, 0.2), (0.7, 0.03)]):
        record = {
            "experiment": "demo",
            "seed": seed,
            "runtime_s": 1.0 + seed,
            "settings": {"epochs": 3},
            "series": [1, 2, 3],
            "correlation": {
                "rtd": r_rtd,
                "rtd_vs_1-cka": {"difference": 0.1 - seed / 10, "pvalue": p},
            },
        }
        (tmp_path / f"seed-{seed}").mkdir()
        (tmp_path / f"seed-{seed}" / "demo.json").write_text(json.dumps(record))
    out = summarise_folder(tmp_path)["demo"]
    assert out["seeds"] == [0, 1, 2]
    rtd = out["summary"]["correlation/rtd"]
    assert rtd["mean"] == pytest.approx(0.8) and rtd["sd"] == pytest.approx(0.1)
    # Student t with 2 degrees of freedom: 0.8 ± 4.303 · 0.1 / sqrt(3).
    assert rtd["ci95"] == pytest.approx([0.8 - 0.24844, 0.8 + 0.24844], abs=1e-4)
    tests = out["summary"]["correlation/rtd_vs_1-cka/pvalue"]
    assert tests == {"seeds": 3, "p_below_0.05": 2, "of_which_positive_difference": 1}
    assert not any(k.startswith(("runtime_s", "settings", "series")) for k in out["summary"])


def test_summary_pairs_each_pvalue_with_its_own_seeds_difference() -> None:
    """A seed whose test is undefined has a difference but no p-value; the p-values of the
    other seeds must still be read with their own differences, not shifted onto earlier ones."""
    from rtdkit.experiments.summary import summarise

    tests = [
        {"difference": -0.1, "undefined": "degenerate"},  # seed 0: no p-value
        {"difference": 0.2, "pvalue": 0.01},  # seed 1: significant, favours RTD
        {"difference": 0.3, "pvalue": 0.5},  # seed 2: not significant
    ]
    records = [{"seed": seed, "spearman": test} for seed, test in enumerate(tests)]
    counted = summarise(records)["spearman/pvalue"]
    assert counted == {"seeds": 2, "p_below_0.05": 1, "of_which_positive_difference": 1}
    assert summarise(records)["spearman/difference"]["n"] == 3


def test_committed_summary_is_regenerated_from_the_seeds() -> None:
    from rtdkit.experiments.summary import summarise_folder

    committed = json.loads((FIGURES / "seeds" / "summary.json").read_text())
    assert json.dumps(summarise_folder(FIGURES / "seeds"), sort_keys=True) == json.dumps(
        committed, sort_keys=True
    )


def test_committed_noisy_digits_runs_support_the_docs() -> None:
    """The claims of docs/experiments.md on the layers (both tasks) and on the noisy digits in
    distribution shift and transfer, checked against the committed default runs (seeds 0-9)."""
    from rtdkit.experiments._stats import sign_flip_pvalue

    summary = json.loads((FIGURES / "seeds" / "summary.json").read_text())
    differences: dict[str, list[float]] = {}
    for seed in range(10):
        record = json.loads((FIGURES / "seeds" / f"seed-{seed}" / "layers.json").read_text())
        noisy = record["noisy_digits"]["architectures"]
        for task, archs in (("digits", record["architectures"]), ("noisy", noisy)):
            for name, arch in archs.items():
                assert (arch["final_accuracy"] < 0.9) == (task == "noisy")
                for key in ("rtd", "1-cka"):
                    m = np.asarray(arch[key])
                    assert m[0, -1] > np.mean(np.diag(m, 1))
                found = arch["identification_accuracy"]
                differences.setdefault(f"{task} {name}", []).append(found["rtd"] - found["1-cka"])
    # Cross-seed identification: RTD and 1 - CKA cannot be told apart on either task.
    for d in differences.values():
        assert abs(np.mean(d)) <= 0.05 and sign_flip_pvalue(d) >= 0.75
    layers = summary["layers"]["summary"]
    for prefix, arch, rtd, cka in (
        ("", "vgg-like", 0.925, 0.875),
        ("", "resnet-like", 0.75, 0.8),
        ("noisy_digits/", "vgg-like", 0.925, 0.875),
        ("noisy_digits/", "resnet-like", 0.85, 0.875),
    ):
        found = f"{prefix}architectures/{arch}/identification_accuracy"
        assert layers[f"{found}/rtd"]["mean"] == pytest.approx(rtd)
        assert layers[f"{found}/1-cka"]["mean"] == pytest.approx(cka)

    def williams(experiment: str, path: str) -> tuple[int, int]:
        """(seeds with Pearson Williams p < 0.05, how many of them favour RTD)."""
        entry = summary[experiment]["summary"][f"{path}/rtd_vs_1-cka/pearson/pvalue"]
        return entry["p_below_0.05"], entry["of_which_positive_difference"]

    for shift in ("noise", "gaussian blur", "rotation", "contrast"):
        base = f"noisy_digits/shifts/{shift}/correlation"
        significant, for_rtd = williams("distribution-shift", f"{base}/disagreement")
        assert significant >= 9 and for_rtd == significant
        rtd_r = summary["distribution-shift"]["summary"][f"{base}/disagreement/rtd/pearson"]
        assert rtd_r["mean"] > 0.985
        for target in ("raw_disagreement", "error"):
            significant, for_rtd = williams("distribution-shift", f"{base}/{target}")
            assert significant >= 6 and for_rtd == 0
        rho = summary["distribution-shift"]["summary"][
            f"{base}/disagreement/rtd_vs_1-cka/spearman/difference"
        ]
        assert abs(rho["mean"]) < 0.01
    # Williams' test on Spearman's rho: defined for blur (1 seed) and rotation (3 seeds) only;
    # significant 11 times, 2 of them for RTD (rotation, seed 3).
    spearman = {
        (shift, target): summary["distribution-shift"]["summary"].get(
            f"noisy_digits/shifts/{shift}/correlation/{target}/rtd_vs_1-cka/spearman/pvalue"
        )
        for shift in ("noise", "gaussian blur", "rotation", "contrast")
        for target in ("disagreement", "raw_disagreement", "error")
    }
    defined = {key: entry for key, entry in spearman.items() if entry is not None}
    assert {shift: entry["seeds"] for (shift, _), entry in defined.items()} == {
        "gaussian blur": 1,
        "rotation": 3,
    }
    assert sum(entry["p_below_0.05"] for entry in defined.values()) == 11
    assert {key: entry["of_which_positive_difference"] for key, entry in defined.items()} == {
        ("gaussian blur", "disagreement"): 0,
        ("gaussian blur", "raw_disagreement"): 0,
        ("gaussian blur", "error"): 0,
        ("rotation", "disagreement"): 1,
        ("rotation", "raw_disagreement"): 1,
        ("rotation", "error"): 0,
    }
    # Training dynamics on the noisy digits: rho is higher for 1 - CKA by 0.006-0.010, the
    # interval excluding 0 except for the VGG-like network against the disagreement.
    dynamics = summary["training-dynamics"]["summary"]
    for arch in ("vgg-like", "resnet-like"):
        for target in ("disagreement", "error"):
            base = f"noisy_digits/architectures/{arch}/correlation/{target}"
            rho = dynamics[f"{base}/rtd_vs_1-cka/spearman/difference"]
            assert -0.0105 < rho["mean"] < -0.0055
            crosses = rho["ci95"][0] < 0 < rho["ci95"][1]
            assert crosses == (arch == "vgg-like" and target == "disagreement")
    transfer = summary["transfer"]["summary"]
    source = "noisy_digits/tasks/source/correlation/disagreement"
    target = "noisy_digits/tasks/target/correlation"
    # Forgetting: 1 - CKA tracks it better (6 of 10 seeds significant, none for RTD).
    assert transfer[f"{source}/1-cka/pearson"]["mean"] > transfer[f"{source}/rtd/pearson"]["mean"]
    assert williams("transfer", source) == (6, 0)
    assert williams("transfer", f"{target}/disagreement") == (5, 5)
    assert williams("transfer", f"{target}/error") == (9, 0)


def test_hand_written_tables_match_the_committed_summary() -> None:
    """The across-seed correlation tables typed into docs/experiments.md (the others are
    generated when the site is built) are exactly what the committed summary renders."""
    from rtdkit.experiments.summary import correlation_table

    summary = json.loads((FIGURES / "seeds" / "summary.json").read_text())
    page = (FIGURES.parent / "experiments.md").read_text()
    archs = ("vgg-like", "resnet-like")
    shifts = ("noise", "gaussian blur", "rotation", "contrast")
    every_target = (
        ("disagreement", "disagreement"),
        ("raw_disagreement", "raw disagreement"),
        ("error", "error"),
    )
    tables = [
        correlation_table(
            summary["training-dynamics"]["summary"],
            [(a, f"{prefix}architectures/{a}") for a in archs],
        )
        for prefix in ("", "noisy_digits/")
    ]
    tables.append(
        correlation_table(
            summary["distribution-shift"]["summary"],
            [(s, f"shifts/{s}") for s in shifts],
            every_target,
        )
    )
    tables.append(
        correlation_table(
            summary["transfer"]["summary"],
            [("source (0–4)", "tasks/source"), ("target (5–9)", "tasks/target")],
        )
    )
    for table in tables:
        rows = table.splitlines()[2:]
        assert len(rows) >= 3
        for row in rows:
            assert row in page, row
