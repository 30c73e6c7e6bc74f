"""Figure panels the experiments share (pyplot-free, drawn on given axes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rtdkit._validation import FloatArray
from rtdkit.experiments._stats import scaled
from rtdkit.measures import MEASURES

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_scaled(ax: Axes, x: Sequence[float], series: dict[str, Sequence[float]]) -> None:
    """One line per metric, each divided by its maximum, as in Figs. 1, 9 and 10."""
    for label, values in series.items():
        ax.plot(x, scaled(values), marker="o", markersize=3, label=label)
    ax.set_ylabel("scaled value")
    ax.legend(fontsize=8)


def scatter_clouds(axes: Sequence[Axes], clouds: dict[str, FloatArray], *, size: float) -> None:
    """One 2-D point cloud per axes, titled, with equal aspect (the top rows of Figs. 2-5)."""
    for ax, (title, cloud) in zip(axes, clouds.items(), strict=True):
        ax.scatter(cloud[:, 0], cloud[:, 1], s=size)
        ax.set_title(title)
        ax.set_aspect("equal", adjustable="datalim")


def plot_family(
    axes: Sequence[Axes],
    x: Sequence[int],
    values: dict[str, list[float]],
    taus: dict[str, float],
    xlabel: str,
) -> None:
    """One panel per measure against the family parameter, Kendall tau in the title."""
    for ax, (key, series) in zip(axes, values.items(), strict=True):
        ax.plot(x, series, marker="o")
        ax.set_title(f"{MEASURES[key.removeprefix('1-')].label}   τ = {taus[key]:.2f}")
        ax.set_xlabel(xlabel)
