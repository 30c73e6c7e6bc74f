"""Figures of the command line: paths checked before any work, and where they were written."""

from __future__ import annotations

import os
from pathlib import Path

import typer

__all__ = ["checked_figure_path", "save_demo_figure", "wrote"]


def checked_figure_path(path: str | os.PathLike[str] | None, option: str) -> Path | None:
    """A figure path checked before any work (:func:`rtdkit.plot.check_figure_path`: format,
    folder, and that the file can really be created there), or None."""
    from rtdkit.plot import check_figure_path

    return None if path is None else check_figure_path(path, option)


def wrote(path: Path | str) -> None:
    """Tell the user, on stderr, where a figure went."""
    typer.echo(f"figure written to {path}", err=True)


def save_demo_figure(path: Path, ks: tuple[int, ...], values: list[float]) -> None:
    """The demo's figure: the two extreme clouds, and RTD against the number of clusters."""
    from rtdkit.datasets import clusters
    from rtdkit.experiments._output import new_figure
    from rtdkit.experiments._plots import scatter_clouds
    from rtdkit.plot import save_figure

    fig, axes = new_figure(1, 3, size=(4.0, 3.6))
    scatter_clouds(
        axes[0, :2], {"1 cluster": clusters(1), f"{ks[-1]} clusters": clusters(ks[-1])}, size=4
    )
    axes[0, 2].plot(ks, values, marker="o")
    axes[0, 2].set_xlabel("number of clusters k")
    axes[0, 2].set_ylabel("RTD(1 cluster, k clusters)")
    save_figure(fig, path)
    wrote(path)
