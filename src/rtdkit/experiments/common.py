"""Machinery shared by the experiments: output files, measure tables, digits CNNs and sprites.

Everything an experiment repeats lives here once: writing ``NAME.json``/``NAME.png``, comparing
two representations on the same random held-out batches, the small CNNs trained on
scikit-learn's 8x8 digits (the paper's CIFAR protocol scaled down to a CPU), and the
dSprites-like image generator. PyTorch is imported only by the functions that need it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from rtdkit import __version__
from rtdkit.baselines import MEASURES
from rtdkit.divergence import subsample_indices

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

TORCH_HINT = "pip install 'rtdkit[torch]'  (or 'rtdkit[experiments]' for every experiment)"


# --------------------------------------------------------------------------------------------
# Output files
# --------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """``json.dumps`` fallback for numpy scalars and arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def new_figure(nrows: int = 1, ncols: int = 1, *, size: tuple[float, float] = (4.0, 3.0)) -> Any:
    """A pyplot-free figure (safe in threads and without a display) and its axes grid.

    Examples
    --------
    >>> fig, axes = new_figure(1, 2)
    >>> axes.shape
    (1, 2)
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def save_outputs(
    out_dir: Path | str,
    name: str,
    numbers: dict[str, Any],
    fig: Figure,
    *,
    started: float,
    quick: bool,
    seed: int,
) -> dict[str, Any]:
    """Write ``NAME.json`` and ``NAME.png`` into ``out_dir`` and return the numbers.

    The JSON records the experiment, the mode, the seed, the rtdkit version and the runtime
    so that a table can always be traced back to the run that produced it.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    record = {
        "experiment": name,
        "quick": quick,
        "seed": seed,
        "rtdkit_version": __version__,
        "runtime_s": round(time.perf_counter() - started, 2),
        **numbers,
    }
    (out / f"{name}.json").write_text(json.dumps(record, indent=2, default=_jsonable) + "\n")
    fig.savefig(out / f"{name}.png", dpi=100)
    return record


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b between two sequences.

    Examples
    --------
    >>> round(kendall_tau([1, 2, 3], [0.1, 0.5, 0.4]), 4)
    0.3333
    """
    return float(stats.kendalltau(x, y).statistic)


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson correlation, or None when either sequence is constant (it is undefined then).

    Examples
    --------
    >>> pearson([1, 2, 3], [2, 4, 7]) > 0.9, pearson([1, 1, 1], [1, 2, 3])
    (True, None)
    """
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if np.ptp(a) == 0.0 or np.ptp(b) == 0.0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def dissimilarity_key(measure: str) -> str:
    """The JSON key of a measure's dissimilarity: ``'rtd'``, ``'1-cka'``, ...

    Examples
    --------
    >>> dissimilarity_key("cka"), dissimilarity_key("imd")
    ('1-cka', 'imd')
    """
    return measure if MEASURES[measure].kind == "dissimilarity" else f"1-{measure}"


def compare(
    a: Any,
    b: Any,
    *,
    batch: int | None,
    trials: int,
    seed: int,
    measures: Iterable[str] = ("rtd", "cka"),
) -> dict[str, float]:
    """Mean dissimilarity of each measure over the same random batches of matched rows.

    This is the paper's protocol (Section 3.4: "we averaged values for five random batches of
    500 representations"): ``trials`` index sets of ``batch`` rows are drawn once with
    ``seed`` (exactly the sets :func:`rtdkit.rtd` would draw), and every measure sees the same
    sets; RTD then runs on each whole batch.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(80, 3))
    >>> compare(x, 2 * x, batch=40, trials=2, seed=0)
    {'rtd': 0.0, '1-cka': 0.0}
    """
    sets = subsample_indices(len(a), batch, trials, seed)
    out: dict[str, float] = {}
    for name in measures:
        options: dict[str, Any] = {"batch": None} if name == "rtd" else {}
        values = [MEASURES[name].dissimilarity(a[i], b[i], **options) for i in sets]
        out[dissimilarity_key(name)] = float(np.mean(values))
    return out


def scaled(values: Sequence[float]) -> FloatArray:
    """Values divided by their maximum (the paper's "scaled metrics"); zeros stay zeros."""
    v = np.asarray(values, dtype=float)
    top = float(np.max(np.abs(v))) if v.size else 0.0
    out: FloatArray = v / top if top > 0 else v
    return out


def plot_scaled(ax: Axes, x: Sequence[float], series: dict[str, Sequence[float]]) -> None:
    """One line per metric, each divided by its maximum, as in Figs. 1, 9 and 10."""
    for label, values in series.items():
        ax.plot(x, scaled(values), marker="o", markersize=3, label=label)
    ax.set_ylabel("scaled value")
    ax.legend(fontsize=8)


# --------------------------------------------------------------------------------------------
# dSprites-like images (Matthey et al., 2017)
# --------------------------------------------------------------------------------------------

SPRITE_FACTORS = ("shape", "scale", "rotation", "x", "y")
SPRITE_SHAPES = ("square", "ellipse", "heart")
# Values per factor in the dSprites dataset: 3 shapes, 6 scales, 40 orientations, 32 x 32 positions.
DSPRITES_STEPS = np.array([3, 6, 40, 32, 32])


def quantize_latents(latents: Any) -> FloatArray:
    """Round latents in [0, 1]^5 to the dSprites grid (each factor's equally spaced values).

    Looking an image up in the dataset does exactly this, so a latent shift that is not along
    an axis moves different images by different numbers of grid steps.

    Examples
    --------
    >>> quantize_latents([[0.3, 0.55, 0.0, 1.0, 0.49]])[0, :2]
    array([0.5, 0.6])
    """
    z = np.clip(np.asarray(latents, dtype=np.float64).reshape(-1, 5), 0.0, 1.0)
    out: FloatArray = np.round(z * (DSPRITES_STEPS - 1)) / (DSPRITES_STEPS - 1)
    return out


def _inside(shape: IntArray, u: FloatArray, v: FloatArray) -> NDArray[np.bool_]:
    """Whether sprite-frame coordinates (u, v), unit = half-size, fall inside each shape."""
    square = np.maximum(np.abs(u), np.abs(v)) <= 0.8
    ellipse = u**2 + (v / 0.5) ** 2 <= 1.0
    # The classic heart curve (x² + y² - 1)³ = x² y³, scaled into the unit box, point up.
    hu, hv = 1.15 * u, -1.15 * v + 0.12
    heart = (hu**2 + hv**2 - 1.0) ** 3 - hu**2 * hv**3 <= 0.0
    s = shape[:, None, None]
    out: NDArray[np.bool_] = np.where(s == 0, square, np.where(s == 1, ellipse, heart))
    return out


def render_sprites(latents: Any, *, size: int = 64) -> FloatArray:
    """Binary ``size`` x ``size`` images of sprites, one row of pixels per latent vector.

    Each latent row holds the five dSprites factors scaled to [0, 1]: shape (categorical:
    thirds of [0, 1] are square, ellipse, heart), scale (0.5 to 1), rotation (0 to 2π), and the
    x and y positions of the centre (kept 12/64 of the image from the border). Rendering is
    exact point-in-shape tests at pixel centres, so latents vary continuously.

    Examples
    --------
    >>> img = render_sprites([[0.9, 1.0, 0.0, 0.5, 0.5]])
    >>> img.shape, set(np.unique(img)) == {0.0, 1.0}
    ((1, 4096), True)
    """
    z = np.clip(np.asarray(latents, dtype=np.float64).reshape(-1, 5), 0.0, 1.0)
    shape = np.minimum((z[:, 0] * 3).astype(np.int64), 2)
    half = 10.0 / 64 * size * (0.5 + 0.5 * z[:, 1])
    angle = 2.0 * np.pi * z[:, 2]
    margin = 12.0 / 64 * size
    cx = margin + z[:, 3] * (size - 2 * margin)
    cy = margin + z[:, 4] * (size - 2 * margin)
    grid = np.arange(size) + 0.5
    dx = grid[None, None, :] - cx[:, None, None]
    dy = grid[None, :, None] - cy[:, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u = (cos * dx + sin * dy) / half[:, None, None]
    v = (-sin * dx + cos * dy) / half[:, None, None]
    return _inside(shape, u, v).reshape(len(z), -1).astype(np.float64)


# --------------------------------------------------------------------------------------------
# Digits and small CNNs (PyTorch, imported lazily)
# --------------------------------------------------------------------------------------------


def require_torch(experiment: str = "this experiment") -> Any:
    """Import and return torch, or fail with the command that installs it."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"{experiment} trains neural networks and needs PyTorch: {TORCH_HINT}"
        ) from exc
    return torch


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch on one thread, restoring the caller's setting afterwards.

    The networks and batches here are tiny: intra-op threads cost more than they save, and on a
    shared machine they multiply the run time (measured: about 10x on 2 busy cores).
    """
    torch = require_torch()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class DigitsSplit:
    """Train/held-out split of scikit-learn's 8x8 digits as (n, 1, 8, 8) float32 in [0, 1]."""

    x_train: NDArray[np.float32]
    y_train: IntArray
    x_test: NDArray[np.float32]
    y_test: IntArray

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def load_digits_split(
    seed: int, *, test_fraction: float = 0.45, classes: Sequence[int] | None = None
) -> DigitsSplit:
    """Stratified split of the 1797 digits (797 held out by default), optionally restricted
    to ``classes``, which are then relabelled 0, 1, ... in the given order.

    Examples
    --------
    >>> s = load_digits_split(0)
    >>> s.x_train.shape, s.x_test.shape
    ((988, 1, 8, 8), (809, 1, 8, 8))
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as exc:
        raise ImportError(
            "the digits experiments need scikit-learn: pip install 'rtdkit[experiments]'"
        ) from exc
    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None]
    y = data.target.astype(np.int64)
    if classes is not None:
        keep = np.isin(y, list(classes))
        relabel = {c: i for i, c in enumerate(classes)}
        x, y = x[keep], np.array([relabel[int(c)] for c in y[keep]], dtype=np.int64)
    parts = train_test_split(x, y, test_size=test_fraction, stratify=y, random_state=seed)
    x_train, x_test, y_train, y_test = parts
    return DigitsSplit(x_train, y_train, x_test, y_test)


@dataclass(frozen=True)
class CNNSpec:
    """Architecture of a small CNN for 8x8 images.

    One block per entry of ``channels``: conv → BN → activation, or with ``residual`` (all
    blocks but the first, the stem) conv → BN → act → conv → BN plus a skip connection, then
    the activation; a 2x2 max-pool follows where ``pool`` says. The "conv part" (the
    representation the paper compares) is the last block's output, flattened or globally
    average-pooled (``global_pool``); a linear classifier sits on top.
    """

    channels: tuple[int, ...] = (8, 16, 16, 32)
    pool: tuple[bool, ...] = (False, True, False, True)
    residual: bool = False
    kernel: int = 3
    activation: str = "relu"
    global_pool: bool = False

    def describe(self) -> str:
        kind = "res" if self.residual else "plain"
        pools = "".join("p" if p else "-" for p in self.pool)
        gap = "+gap" if self.global_pool else ""
        widths = "-".join(map(str, self.channels))
        return f"{kind} {widths} k{self.kernel} {self.activation} {pools}{gap}"


VGG_LIKE = CNNSpec()
RESNET_LIKE = CNNSpec(
    channels=(8, 8, 16, 32), pool=(False, False, True, True), residual=True, global_pool=True
)
ARCHITECTURES = {"vgg-like": VGG_LIKE, "resnet-like": RESNET_LIKE}


@functools.cache
def _cnn_class() -> Any:
    """The CNN module class, defined on first use so that importing this module needs no torch."""
    torch = require_torch()
    nn = torch.nn
    activations = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}

    class Block(nn.Module):  # type: ignore[name-defined]
        def __init__(self, c_in: int, c_out: int, spec: CNNSpec, residual: bool, pool: bool):
            super().__init__()
            pad = spec.kernel // 2
            layers = [nn.Conv2d(c_in, c_out, spec.kernel, padding=pad), nn.BatchNorm2d(c_out)]
            if residual:
                layers += [
                    activations[spec.activation](),
                    nn.Conv2d(c_out, c_out, spec.kernel, padding=pad),
                    nn.BatchNorm2d(c_out),
                ]
                self.skip = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1)
            self.residual = residual
            self.body = nn.Sequential(*layers)
            self.act = activations[spec.activation]()
            self.pool = nn.MaxPool2d(2) if pool else nn.Identity()

        def forward(self, x: Any) -> Any:
            y = self.body(x)
            if self.residual:
                y = y + self.skip(x)
            return self.pool(self.act(y))

    class DigitsCNN(nn.Module):  # type: ignore[name-defined]
        def __init__(self, spec: CNNSpec, n_classes: int):
            super().__init__()
            self.spec = spec
            widths = (1, *spec.channels)
            self.blocks = nn.ModuleList(
                Block(widths[i], widths[i + 1], spec, spec.residual and i > 0, spec.pool[i])
                for i in range(len(spec.channels))
            )
            with torch.no_grad():
                dim = self.features(torch.zeros(1, 1, 8, 8)).shape[1]
            self.classifier = nn.Linear(dim, n_classes)

        def block_outputs(self, x: Any) -> list[Any]:
            outs = []
            for block in self.blocks:
                x = block(x)
                outs.append(x)
            return outs

        def features(self, x: Any) -> Any:
            last = self.block_outputs(x)[-1]
            return last.mean(dim=(2, 3)) if self.spec.global_pool else last.flatten(1)

        def forward(self, x: Any) -> Any:
            return self.classifier(self.features(x))

    return DigitsCNN


def build_cnn(spec: CNNSpec, n_classes: int, *, seed: int) -> Any:
    """A freshly initialised CNN; the seed fixes the weights without touching global RNGs."""
    torch = require_torch()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _cnn_class()(spec, n_classes)


def paper_schedule(progress: float) -> float:
    """Learning-rate factor of Table 9: 1 for the first half, linear decay to 0.01 by 90 %,
    then 0.01.

    Examples
    --------
    >>> [round(paper_schedule(p), 3) for p in (0.2, 0.7, 0.95)]
    [1.0, 0.505, 0.01]
    """
    if progress < 0.5:
        return 1.0
    if progress < 0.9:
        return 1.0 - 0.99 * (progress - 0.5) / 0.4
    return 0.01


def cyclic_schedule(cycles: int, high: float, low: float) -> Callable[[float], float]:
    """Triangular cycles of Fast Geometric Ensembling (Garipov et al., 2018): each cycle goes
    linearly from ``high`` down to ``low`` at its middle (where snapshots are taken) and back.

    Examples
    --------
    >>> f = cyclic_schedule(2, 1.0, 0.0)
    >>> f(0.0), f(0.125), f(0.25)
    (1.0, 0.5, 0.0)
    """

    def factor(progress: float) -> float:
        phase = (progress * cycles) % 1.0
        return low + (high - low) * abs(2.0 * phase - 1.0)

    return factor


def random_shift(images: Any, generator: Any) -> Any:
    """Shift each image by -1, 0 or 1 pixel in x and y, zero-filling the border.

    The 8x8 counterpart of CIFAR's standard augmentation (pad 4, random 32x32 crop). Without
    it the 988 training digits are memorised, the loss and its gradients vanish, and a
    cyclic learning rate (FGE) no longer moves the network at all.
    """
    torch = require_torch()
    padded = torch.nn.functional.pad(images, (1, 1, 1, 1))
    offsets = torch.randint(0, 3, (len(images), 2), generator=generator)
    out = torch.empty_like(images)
    for dy in range(3):
        for dx in range(3):
            pick = (offsets[:, 0] == dy) & (offsets[:, 1] == dx)
            out[pick] = padded[pick, :, dy : dy + 8, dx : dx + 8]
    return out


def train(
    model: Any,
    x: NDArray[np.float32],
    y: IntArray,
    *,
    epochs: int,
    seed: int,
    lr: float = 0.1,
    schedule: Callable[[float], float] = paper_schedule,
    encoder_lr_factor: float = 1.0,
    batch_size: int = 128,
    on_epoch: Callable[[int, Any], None] | None = None,
) -> Any:
    """Train with SGD (momentum 0.9, weight decay 5e-4, batches of 128) as in Table 9, on
    randomly shifted images (:func:`random_shift`).

    ``schedule`` maps training progress in [0, 1) to a factor of ``lr``; the conv part's
    learning rate is further multiplied by ``encoder_lr_factor`` (Table 10's fine-tuning).
    ``on_epoch(epoch, model)`` is called after every epoch (epochs count from 1).
    """
    torch = require_torch()
    generator = torch.Generator().manual_seed(seed)
    groups = [
        {"params": model.blocks.parameters(), "factor": encoder_lr_factor},
        {"params": model.classifier.parameters(), "factor": 1.0},
    ]
    optimizer = torch.optim.SGD(groups, lr=lr, momentum=0.9, weight_decay=5e-4)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    steps = math.ceil(len(x) / batch_size)
    with one_torch_thread():
        for epoch in range(epochs):
            model.train()
            order = torch.randperm(len(x), generator=generator)
            for step in range(steps):
                factor = schedule((epoch * steps + step) / (epochs * steps))
                for group in optimizer.param_groups:
                    group["lr"] = lr * group["factor"] * factor
                idx = order[step * batch_size : (step + 1) * batch_size]
                optimizer.zero_grad()
                batch = random_shift(xt[idx], generator)
                torch.nn.functional.cross_entropy(model(batch), yt[idx]).backward()
                optimizer.step()
            if on_epoch is not None:
                on_epoch(epoch + 1, model)
    return model


def train_new(spec: CNNSpec, data: DigitsSplit, *, epochs: int, seed: int, **options: Any) -> Any:
    """A CNN of architecture ``spec`` initialised with ``seed`` and trained on ``data``.

    ``options`` go to :func:`train` (e.g. ``on_epoch``).
    """
    model = build_cnn(spec, data.n_classes, seed=seed)
    return train(model, data.x_train, data.y_train, epochs=epochs, seed=seed, **options)


@dataclass(frozen=True)
class Outputs:
    """What one network gives on a set of images: conv-part features, logits, block outputs."""

    features: FloatArray
    logits: FloatArray
    blocks: tuple[FloatArray, ...] = ()

    @property
    def predictions(self) -> IntArray:
        out: IntArray = self.logits.argmax(axis=1)
        return out

    def error(self, labels: IntArray) -> float:
        return float(np.mean(self.predictions != labels))

    def loss(self, labels: IntArray) -> float:
        """Mean cross-entropy, computed stably from the logits."""
        z = self.logits - self.logits.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-np.mean(log_p[np.arange(len(labels)), labels]))


def outputs(
    model: Any, x: NDArray[np.float32], *, blocks: bool = False, head: Any = None
) -> Outputs:
    """Evaluate ``model`` (in eval mode, without gradients) on ``x``.

    ``head`` replaces the model's classifier for the logits (the transfer experiment reads the
    source task's predictions off a fine-tuned encoder this way).
    """
    torch = require_torch()
    model.eval()
    with torch.no_grad(), one_torch_thread():
        xt = torch.from_numpy(x)
        feats = model.features(xt)
        logits = (model.classifier if head is None else head)(feats)
        outs = (
            tuple(b.flatten(1).double().numpy() for b in model.block_outputs(xt)) if blocks else ()
        )
    return Outputs(feats.double().numpy(), logits.double().numpy(), outs)


def disagreement_row(a: Outputs, b: Outputs, labels: IntArray) -> dict[str, float]:
    """Raw and normalised disagreement of two networks' predictions on the same images."""
    raw = MEASURES["disagreement"](a.predictions, b.predictions)
    norm = MEASURES["disagreement"](a.predictions, b.predictions, labels=labels)
    return {"disagreement": norm, "raw_disagreement": raw}


# --------------------------------------------------------------------------------------------
# Synthetic point-cloud families (Section 3.1)
# --------------------------------------------------------------------------------------------

SYNTHETIC_MEASURES = ("rtd", "cka", "svcca", "imd")


def compare_family(
    base: FloatArray,
    members: Sequence[FloatArray],
    *,
    imd_runs: int,
    seed: int,
    progress: bool,
    description: str,
) -> dict[str, Any]:
    """Compare ``base`` with each member by RTD, 1-CKA, 1-SVCCA and IMD (Figs. 4 and 5).

    RTD runs on the whole clouds (no subsampling: they have 300-500 points). IMD is averaged
    over ``imd_runs`` probe seeds, as the paper averages it over 100 runs because it is noisy.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=(40, 2))
    >>> out = compare_family(x, [x, 2 * x], imd_runs=2, seed=0, progress=False, description="")
    >>> out["values"]["rtd"], out["values"]["1-cka"]
    ([0.0, 0.0], [0.0, 0.0])
    """
    from rtdkit._progress import progress_iter

    values: dict[str, list[float]] = {dissimilarity_key(m): [] for m in SYNTHETIC_MEASURES}
    imd_std: list[float] = []
    for member in progress_iter(
        members, total=len(members), description=description, enabled=progress
    ):
        values["rtd"].append(MEASURES["rtd"](base, member, batch=None))
        values["1-cka"].append(MEASURES["cka"].dissimilarity(base, member))
        values["1-svcca"].append(MEASURES["svcca"].dissimilarity(base, member))
        runs = [MEASURES["imd"](base, member, seed=seed + r) for r in range(imd_runs)]
        values["imd"].append(float(np.mean(runs)))
        imd_std.append(float(np.std(runs)))
    return {"values": values, "imd_std": imd_std}


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


# --------------------------------------------------------------------------------------------
# Comparing networks (Section 3.4)
# --------------------------------------------------------------------------------------------


def drift_series(
    snapshots: Sequence[Outputs],
    reference: Outputs,
    labels: IntArray,
    *,
    batch: int,
    trials: int,
    seed: int,
    progress: bool,
    description: str,
) -> dict[str, list[float]]:
    """How far each snapshot is from ``reference`` on the same images.

    RTD and 1-CKA between conv-part features (averaged over the same random batches for every
    snapshot), the normalised and raw disagreement of predictions, and the snapshot's error.
    """
    from rtdkit._progress import progress_iter

    series: dict[str, list[float]] = {
        k: [] for k in ("rtd", "1-cka", "disagreement", "raw_disagreement", "error")
    }
    for snap in progress_iter(
        snapshots, total=len(snapshots), description=description, enabled=progress
    ):
        row = {
            **compare(snap.features, reference.features, batch=batch, trials=trials, seed=seed),
            **disagreement_row(snap, reference, labels),
            "error": snap.error(labels),
        }
        for key, value in row.items():
            series[key].append(value)
    return series


def correlation_table(
    series: dict[str, list[float]], against: Sequence[str] = ("disagreement", "error")
) -> dict[str, dict[str, float | None]]:
    """Pearson correlation of RTD and of 1-CKA with each series in ``against`` (Tables 2-8).

    Examples
    --------
    >>> s = {"rtd": [3, 2, 0], "1-cka": [1, 1, 0], "disagreement": [6, 4, 0]}
    >>> round(correlation_table(s, against=("disagreement",))["disagreement"]["rtd"], 12)
    1.0
    """
    return {
        target: {m: pearson(series[m], series[target]) for m in ("rtd", "1-cka")}
        for target in against
    }


def classical_mds(d: Any, dims: int = 2) -> FloatArray:
    """Classical (Torgerson) multidimensional scaling of a symmetric dissimilarity matrix.

    Double-centres ``-d²/2`` and keeps the leading eigenvectors scaled by the square roots of
    their (non-negative part of the) eigenvalues.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    >>> d = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    >>> emb = classical_mds(d)
    >>> bool(np.allclose(np.linalg.norm(emb[:, None] - emb[None], axis=2), d))
    True
    """
    d2 = np.asarray(d, dtype=np.float64) ** 2
    n = len(d2)
    h = np.eye(n) - 1.0 / n
    eigval, eigvec = np.linalg.eigh(-0.5 * h @ d2 @ h)
    top = np.argsort(eigval)[::-1][:dims]
    out: FloatArray = eigvec[:, top] * np.sqrt(np.clip(eigval[top], 0.0, None))
    return out
