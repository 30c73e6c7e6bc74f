"""Figures are produced without error and draw what they should."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import rtdkit
from conftest import related_pair
from rtdkit.plot import (
    classical_mds,
    plot_cross_barcodes,
    plot_dynamics,
    plot_heatmap,
    plot_mds,
)


def test_barcode_plot_draws_one_line_per_bar() -> None:
    p, q = related_pair(40, 0)
    bc = rtdkit.cross_barcode(p, q)
    ax = bc.plot()
    drawn = sum(len(c.get_segments()) for c in ax.collections)
    assert drawn == len(bc[1]) > 0
    fig = plot_cross_barcodes(bc, rtdkit.cross_barcode(q, p))
    assert len(fig.axes) == 2


def test_empty_barcode_plot_says_so() -> None:
    p, _ = related_pair(20, 1)
    ax = rtdkit.cross_barcode(p, p).plot()
    assert any("empty" in t.get_text() for t in ax.texts)


def test_heatmap_labels_and_annotations() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(np.arange(9.0).reshape(3, 3), index=list("abc"), columns=list("abc"))
    ax = plot_heatmap(frame, title="t")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert len(ax.texts) == 9


def test_dynamics_scales_each_series_to_its_max() -> None:
    ax = plot_dynamics([1, 2, 3], {"rtd": [2.0, 4.0, 8.0], "cka": [0.1, 0.2, 0.1]})
    ys = [line.get_ydata() for line in ax.lines]
    assert max(ys[0]) == 1.0 and max(ys[1]) == 1.0
    with pytest.raises(rtdkit.RTDInputError):
        plot_dynamics([1, 2], {"bad": [1.0]})


def test_classical_mds_recovers_planar_distances() -> None:
    from scipy.spatial.distance import cdist

    pts = np.random.default_rng(0).normal(size=(10, 2))
    d = cdist(pts, pts)
    coords = classical_mds(d)
    np.testing.assert_allclose(cdist(coords, coords), d, atol=1e-8)
    ax = plot_mds(d, colors=np.arange(10))
    assert len(ax.collections) == 1


def test_mds_has_equal_aspect() -> None:
    # Points spread 40 x 1 must not be drawn as a square cloud.
    coords = np.array([[0.0, 0.0], [40.0, 0.0], [20.0, 1.0], [10.0, -1.0]])
    d = np.linalg.norm(coords[:, None] - coords[None], axis=-1)
    ax = plot_mds(d)
    ax.figure.canvas.draw()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width, height = ax.get_window_extent().width, ax.get_window_extent().height
    assert (x1 - x0) / width == pytest.approx((y1 - y0) / height, rel=1e-3)


@pytest.mark.parametrize(
    ("name", "match"),
    [("fig.xyz", "unknown figure format"), ("fig", "no suffix"), ("/nonexistent/f.png", "exist")],
)
def test_figure_paths_are_checked_before_drawing(name: str, match: str) -> None:
    from rtdkit.plot import check_figure_path

    with pytest.raises(rtdkit.RTDInputError, match=match):
        check_figure_path(name)


def test_figure_paths_are_probed_by_creating_the_file(tmp_path: Path) -> None:
    """Where permission bits say nothing (/proc, a root user), creating the file tells; the
    probe leaves no new file behind and an existing one as it was."""
    from rtdkit.plot import check_figure_path

    with pytest.raises(rtdkit.RTDInputError, match=r"'/proc/x.png': cannot create the file"):
        check_figure_path("/proc/x.png", "--plot")
    (tmp_path / "taken.png").mkdir()
    with pytest.raises(rtdkit.RTDInputError, match="cannot create the file there"):
        check_figure_path(tmp_path / "taken.png")
    new = tmp_path / "new.png"
    assert check_figure_path(new) == new and not new.exists()
    old = tmp_path / "old.png"
    old.write_bytes(b"an earlier figure")
    assert check_figure_path(old) == old and old.read_bytes() == b"an earlier figure"


def _cell_labels(ax) -> dict[tuple[int, int], str]:
    return {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts
    }


def test_heatmap_cell_labels_are_short_faithful_and_fit_their_cells() -> None:
    import matplotlib.pyplot as plt

    values = np.array([[0.0, 132.4, 13.25], [1.3, 13250.0, 2.4e6], [-0.4, np.nan, 7.0]])
    # A narrow axes: the labels must shrink to their cells rather than overflow them.
    _, ax = plt.subplots(figsize=(1.1, 2.0))
    plot_heatmap(values, ax=ax)
    labels = _cell_labels(ax)
    assert labels == {
        (0, 0): "0", (0, 1): "132", (0, 2): "13",
        (1, 0): "1", (1, 1): "13k", (1, 2): "2.4M",
        (2, 0): "0", (2, 2): "7",  # -0.4 is 0 at this precision, not "-0"
    }  # fmt: skip
    ax.figure.canvas.draw()
    cell_width = ax.get_window_extent().width / values.shape[1]
    for text in ax.texts:
        assert "e" not in text.get_text()
        assert text.get_window_extent().width < cell_width


def test_heatmap_labels_share_one_precision_below_ten_thousand() -> None:
    values = np.array([[0.0, 0.4512], [0.0504, 0.9]])
    labels = _cell_labels(plot_heatmap(values))
    assert labels == {(0, 0): "0.00", (0, 1): "0.45", (1, 0): "0.05", (1, 1): "0.90"}
    for (i, j), text in labels.items():  # each label is its value rounded, nothing else
        assert float(text) == pytest.approx(values[i, j], abs=0.005)


def test_mds_labels_of_coincident_points_neither_repeat_nor_overlap() -> None:
    # As in a study where rotations and rescalings are at RTD 0 from the original.
    points = np.array(
        [[0, 0], [0, 0], [0, 1e-9], [0.3, 0.1], [0.35, 0.05], [5, 5], [5, 5], [-3, 2]]
    )
    names = ["x", "rotated", "scaled", "tanh", "noisy", "other", "other copy", "far"]
    d = np.linalg.norm(points[:, None] - points[None], axis=-1)
    ax = plot_mds(d, labels=names)
    texts = [t.get_text() for t in ax.texts]
    assert sorted(name for text in texts for name in text.split("\n")) == sorted(names)
    assert "x\nrotated\nscaled" in texts and "other\nother copy" in texts
    ax.figure.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.texts]
    frame = ax.get_window_extent()
    for i, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[:i]), texts[i]
        assert frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1), texts[i]
    with pytest.raises(rtdkit.RTDInputError, match="7 labels for 8 points"):
        plot_mds(d, labels=names[:-1])


@pytest.mark.parametrize(
    ("largest", "shown"),
    [(14.2, "14.2"), (9.41, "9.41"), (132.4, "132"), (0.452, "0.45"), (0.0452, "0.045")],
)
def test_heatmap_labels_show_three_digits_of_the_largest_value(largest: float, shown: str) -> None:
    labels = _cell_labels(plot_heatmap(np.array([[0.0, largest]])))
    assert labels[(0, 1)] == shown
