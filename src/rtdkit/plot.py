"""Figures: barcodes (paper Fig. 3), heatmaps (Fig. 8), dynamics (Fig. 1) and MDS maps (Fig. 7).

Plotting is kept apart from the maths: every function takes plain results and an optional
matplotlib ``Axes`` and returns the axes it drew on, so figures compose into paper layouts.
matplotlib is imported lazily and with the non-interactive backend when none is chosen yet.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from rtdkit._validation import RTDInputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from rtdkit.barcode import CrossBarcode

__all__ = [
    "check_figure_path",
    "classical_mds",
    "plot_barcode",
    "plot_cross_barcodes",
    "plot_dynamics",
    "plot_heatmap",
    "plot_mds",
    "save_figure",
]

DIM_COLORS = ("tab:gray", "tab:blue", "tab:green", "tab:orange")


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def plot_barcode(
    barcode: CrossBarcode,
    *,
    ax: Axes | None = None,
    dims: Sequence[int] | None = None,
    title: str | None = None,
) -> Axes:
    """Horizontal bars, one per interval, longest at the top, coloured by dimension.

    Examples
    --------
    >>> import numpy as np, rtdkit
    >>> P = np.random.default_rng(0).normal(size=(40, 3))
    >>> ax = rtdkit.cross_barcode(P, P[::-1]).plot()
    """
    ax = _axes(ax)
    dims = [d for d in range(barcode.maxdim + 1) if len(barcode[d])] if dims is None else dims
    row = 0
    for dim in dims:
        bars = barcode[dim]
        color = DIM_COLORS[dim % len(DIM_COLORS)]
        if len(bars):
            # One LineCollection per dimension: one legend entry, fast for thousands of bars.
            rows = np.arange(row, row + len(bars))
            ax.hlines(rows, bars[::-1, 0], bars[::-1, 1], color=color, lw=2, label=f"H{dim}")
            row += len(bars)
    ax.set_xlabel("threshold α (normalised distance)")
    ax.set_ylabel("bar")
    ax.set_yticks([])
    if row:
        ax.legend(loc="lower right")
    else:
        ax.text(0.5, 0.5, "empty barcode", ha="center", va="center", transform=ax.transAxes)
    total = ", ".join(f"RTD{d} = {barcode.total_length(d):.3f}" for d in dims)
    ax.set_title(title if title is not None else total)
    return ax


def plot_cross_barcodes(
    forward: CrossBarcode,
    backward: CrossBarcode,
    *,
    names: tuple[str, str] = ("P", "Q"),
    figsize: tuple[float, float] = (10.0, 4.0),
) -> Figure:
    """R-Cross-Barcode(P, Q) and R-Cross-Barcode(Q, P) side by side (as in Figs. 11–12)."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=figsize, sharex=True)
    a, b = names
    plot_barcode(forward, ax=left, title=f"R-Cross-Barcode({a}, {b})")
    plot_barcode(backward, ax=right, title=f"R-Cross-Barcode({b}, {a})")
    fig.tight_layout()
    return fig


def plot_heatmap(
    matrix: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str = "viridis",
    annotate: bool | None = None,
    colorbar_label: str | None = None,
    row_label: str | None = None,
    col_label: str | None = None,
) -> Axes:
    """A labelled matrix of scores (e.g. layer x layer RTD, as in Fig. 8).

    Accepts a numpy array or a pandas DataFrame (its index/columns become the labels).
    Cells are annotated with their values when the matrix is small (<= 12 x 12) unless
    ``annotate`` says otherwise. ``row_label`` and ``col_label`` name what the rows and
    columns are (e.g. the two models of a cross-model comparison).
    """
    if labels is None and hasattr(matrix, "index") and hasattr(matrix, "columns"):
        labels = [str(x) for x in getattr(matrix, "index")]  # noqa: B009 - a DataFrame
        col_labels = [str(x) for x in getattr(matrix, "columns")]  # noqa: B009
    values = np.asarray(matrix, dtype=np.float64)
    if values.ndim != 2:
        raise RTDInputError(f"matrix must be 2-D, got shape {values.shape}")
    rows, cols = values.shape
    col_labels = labels if col_labels is None else col_labels
    ax = _axes(ax, figsize=(1.0 + 0.5 * cols, 0.8 + 0.45 * rows))
    image = ax.imshow(values, cmap=cmap, aspect="auto")
    cbar = ax.figure.colorbar(image, ax=ax)
    if colorbar_label:
        cbar.set_label(colorbar_label)
    if labels is not None:
        ax.set_yticks(range(rows), labels=list(labels))
    if col_labels is not None:
        ax.set_xticks(range(cols), labels=list(col_labels), rotation=45, ha="right")
    if annotate if annotate is not None else max(rows, cols) <= 12:
        _annotate(ax, values)
    if row_label:
        ax.set_ylabel(row_label)
    if col_label:
        ax.set_xlabel(col_label)
    if title:
        ax.set_title(title)
    return ax


def _annotate(ax: Axes, values: np.ndarray) -> None:
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    texts = _cell_texts(values)
    fontsize = _fitting_fontsize(ax, values.shape[1], max(map(len, texts.values()), default=1))
    for (i, j), text in texts.items():
        color = "white" if values[i, j] < middle else "black"
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=color)


def _cell_texts(values: np.ndarray) -> dict[tuple[int, int], str]:
    """The finite cells as short numbers: at most four digits, never exponent notation.

    Below 10 000 one number of decimals for the whole matrix, chosen from its largest such
    value, keeps the cells comparable at a glance (``0.45`` beside ``0.05``, ``13.2`` beside
    ``9.4``); from 10 000 up each cell gets a suffix (``13k``, ``1.2M``) instead of the
    ``1.3e+04`` that overflows a cell.
    """
    finite = np.abs(values[np.isfinite(values)])
    plain = finite[finite < 1e4]
    largest = float(plain.max()) if plain.size else 0.0
    decimals = _decimals(largest)
    texts = {}
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            texts[(i, j)] = _with_suffix(v) if abs(v) >= 1e4 else _plain(v, decimals)
    return texts


def _decimals(largest: float) -> int:
    """Three significant digits for the largest value (``13.2``, ``1.32``, ``132``) in at most
    four digits: ``0.45`` below 1, ``0.045`` below 0.1, and never more than three decimals."""
    if largest == 0:
        return 0
    exponent = int(np.floor(np.log10(largest)))
    return max(2 - exponent, 0) if exponent >= 0 else min(1 - exponent, 3)


def _plain(v: float, decimals: int) -> str:
    text = f"{v:.{decimals}f}"
    # "-0.00": a tiny negative value is zero at this precision, not a sign.
    return text.lstrip("-") if float(text) == 0 else text


def _with_suffix(v: float) -> str:
    thousands = min(int(np.log10(abs(v)) // 3), 4)
    scaled = v / 10.0 ** (3 * thousands)
    return f"{scaled:.{0 if abs(scaled) >= 10 else 1}f}{' kMGT'[thousands]}"


def _fitting_fontsize(ax: Axes, cols: int, chars: int) -> float:
    """At most 8 points, smaller when ``chars`` digits would not fit in a cell's width."""
    cell_points = ax.bbox.width * 72.0 / ax.figure.dpi / max(cols, 1)
    # A digit is about 0.62 em wide in matplotlib's default font; keep a 15% margin.
    return float(min(8.0, max(4.0, 0.85 * cell_points / (0.62 * chars))))


def plot_dynamics(
    x: ArrayLike,
    series: Mapping[str, ArrayLike],
    *,
    ax: Axes | None = None,
    scale_to_max: bool = True,
    xlabel: str = "epoch",
    title: str | None = None,
) -> Axes:
    """Several measures against one axis, each divided by its maximum (as in Fig. 1)."""
    ax = _axes(ax)
    xs = np.asarray(x, dtype=np.float64)
    for name, ys in series.items():
        y = np.asarray(ys, dtype=np.float64)
        if y.shape != xs.shape:
            raise RTDInputError(f"series {name!r} has {y.shape[0]} values for {xs.shape[0]} x's")
        peak = np.nanmax(np.abs(y)) if y.size else 0.0
        ax.plot(xs, y / peak if scale_to_max and peak > 0 else y, marker="o", ms=3, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("value / max" if scale_to_max else "value")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def plot_mds(
    matrix: ArrayLike,
    *,
    labels: Sequence[str] | None = None,
    colors: ArrayLike | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    colorbar_label: str | None = None,
) -> Axes:
    """2-D classical multidimensional scaling of a symmetric dissimilarity matrix (Fig. 7).

    Both axes share one scale (equal aspect): distances on the page are the embedded
    dissimilarities, whatever the spread along each axis.
    """
    if labels is None and hasattr(matrix, "index"):
        labels = [str(x) for x in getattr(matrix, "index")]  # noqa: B009 - a DataFrame
    coords = classical_mds(np.asarray(matrix, dtype=np.float64))
    ax = _axes(ax, figsize=(5.0, 4.5))
    if colors is None:
        ax.scatter(coords[:, 0], coords[:, 1], s=25)
    else:
        points = ax.scatter(coords[:, 0], coords[:, 1], c=np.asarray(colors), s=25)
        cbar = ax.figure.colorbar(points, ax=ax)
        if colorbar_label:
            cbar.set_label(colorbar_label)
    ax.set_aspect("equal", adjustable="datalim")
    if labels is not None and len(labels) <= 30:
        _label_points(ax, coords, [str(name) for name in labels])
    ax.set_xlabel("MDS 1")
    ax.set_ylabel("MDS 2")
    if title:
        ax.set_title(title)
    return ax


def _label_points(ax: Axes, coords: np.ndarray, labels: list[str]) -> None:
    """Name each point without two names overlapping.

    Points within 1% of the map's extent of each other, whose markers overlap (coincident
    ones, such as representations at RTD 0), share one label listing their names; each label
    then takes the first of a few spots around its point where it overlaps no label placed
    before it.
    """
    if len(labels) != len(coords):
        raise RTDInputError(f"{len(labels)} labels for {len(coords)} points")
    # Fix the limits and the equal aspect now: the spots are measured on the page.
    ax.autoscale_view()
    ax.apply_aspect()
    placed: list[Any] = []
    for group in _coincident_groups(coords):
        text = ax.annotate(
            "\n".join(labels[i] for i in group),
            coords[group[0]],
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
            ha="left",
            va="bottom",
        )
        _move_to_free_spot(text, placed)
        placed.append(text.get_window_extent())


def _coincident_groups(coords: np.ndarray) -> list[list[int]]:
    """Indices of points within 1% of the map's extent of a group's first point, in order."""
    extent = float(np.ptp(coords, axis=0).max()) if len(coords) else 0.0
    groups: list[list[int]] = []
    for i, point in enumerate(coords):
        near = (g for g in groups if np.linalg.norm(coords[g[0]] - point) <= 0.01 * extent)
        group = next(near, None)
        if group is None:
            groups.append([i])
        else:
            group.append(i)
    return groups


def _move_to_free_spot(text: Any, placed: list[Any]) -> None:
    """Offset ``text`` to the first spot around its point that overlaps nothing in ``placed``
    and stays inside the axes.

    Spots go round the point (upper right first, as matplotlib users expect) and then further
    out; when none is free the label keeps the spot that overlaps least.
    """
    box = text.get_window_extent()
    width, height = (np.array([box.width, box.height]) * 72.0 / text.figure.dpi).tolist()
    spots = [
        (dx, dy)
        for step in range(4)
        for dx, dy in (
            (3, 3 + step * height),
            (-3 - width, 3 + step * height),
            (3, -3 - height - step * height),
            (-3 - width, -3 - height - step * height),
        )
    ]
    frame = text.axes.get_window_extent()

    def overlap(spot: tuple[float, float]) -> float:
        shifted = box.translated(*((np.array(spot) - 3) * text.figure.dpi / 72.0))
        outside = shifted.width * shifted.height - _overlap_area(shifted, frame)
        return outside + sum(_overlap_area(shifted, other) for other in placed)

    text.xyann = min(spots, key=overlap)  # the first free spot, else the least overlap


def _overlap_area(a: Any, b: Any) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return float(max(width, 0.0) * max(height, 0.0))


def classical_mds(d: np.ndarray, n_components: int = 2) -> np.ndarray:
    """Torgerson MDS: eigenvectors of the double-centred squared dissimilarities."""
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise RTDInputError(f"an MDS needs a square dissimilarity matrix, got shape {d.shape}")
    if not np.all(np.isfinite(d)):
        raise RTDInputError("the dissimilarity matrix has missing (NaN) entries; finish the run")
    sym = (d + d.T) / 2.0
    n = sym.shape[0]
    centre = np.eye(n) - np.full((n, n), 1.0 / n)
    b = -0.5 * centre @ (sym**2) @ centre
    eigval, eigvec = np.linalg.eigh(b)
    top = np.argsort(eigval)[::-1][:n_components]
    out: np.ndarray = eigvec[:, top] * np.sqrt(np.clip(eigval[top], 0.0, None))
    return out


def check_figure_path(path: str | os.PathLike[str], name: str = "path") -> Path:
    """A figure file that can be written: a format matplotlib knows, in an existing folder,
    where the file can really be created.

    Checked before any computation, so that a typo does not cost a finished result. The
    file is opened for appending (nothing is written) and removed again if it did not exist:
    permission bits say nothing of /proc, read-only mounts, a full quota or a root user.

    Examples
    --------
    >>> import tempfile, os
    >>> out = check_figure_path(os.path.join(tempfile.mkdtemp(), "fig.png"))
    >>> out.name, out.exists()
    ('fig.png', False)
    """
    from matplotlib.backend_bases import FigureCanvasBase

    out = Path(path)
    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = out.suffix.lower().lstrip(".")
    if suffix not in formats:
        raise RTDInputError(
            f"{name} {str(out)!r}: unknown figure format {out.suffix or '(no suffix)'!r}; "
            f"end the name with one of {', '.join('.' + f for f in sorted(formats))}"
        )
    folder = out.parent
    if not folder.is_dir():
        raise RTDInputError(f"{name} {str(out)!r}: folder {str(folder)!r} does not exist")
    existed = out.exists()
    try:
        with out.open("ab"):
            pass
    except OSError as exc:
        raise RTDInputError(
            f"{name} {str(out)!r}: cannot create the file there ({exc.strerror}); choose "
            "another file"
        ) from None
    if not existed:
        out.unlink()
    return out


def save_figure(fig: Figure, path: Any, *, dpi: int = 150) -> None:
    """Save with tight bounding box; the format follows the suffix (.png, .pdf, .svg)."""
    fig.savefig(check_figure_path(path), dpi=dpi, bbox_inches="tight")
