"""Scikit-learn's 8x8 digits and the small CNNs trained on them (PyTorch, imported lazily).

The paper's CIFAR protocol scaled down to a CPU: train/held-out splits, VGG- and ResNet-like
networks, the learning-rate schedules of its Tables 9-10, and what a network outputs.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import FloatArray

IntArray = NDArray[np.int64]

TORCH_HINT = "pip install 'rtdkit[torch]'  (or 'rtdkit[experiments]' for every experiment)"


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
    """Run torch on one thread with deterministic algorithms, restoring the caller's settings.

    One thread because the networks and batches here are tiny: intra-op threads cost more than
    they save, and on a shared machine they multiply the run time (measured: about 10x on 2
    busy cores). It also makes the results independent of the machine's core count: a
    reduction split over a different number of threads sums in a different order, and SGD
    amplifies those last-bit differences into different networks. Deterministic algorithms
    rule out the remaining nondeterministic kernels (an error, not a silent difference).
    """
    torch = require_torch()
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


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
class StudySizes:
    """What every per-task study of a network experiment shares: training epochs, the
    held-out batches (size, count) each measure is averaged over, the seed, and whether to
    show progress bars."""

    epochs: int
    batch: int
    trials: int
    seed: int
    progress: bool

    @property
    def measuring(self) -> dict[str, Any]:
        """The keyword arguments of ``drift_series`` and ``dissimilarity_matrices``."""
        return {
            "batch": self.batch,
            "trials": self.trials,
            "seed": self.seed,
            "progress": self.progress,
        }


# Pixel noise of the harder task: held-out accuracy falls from about 99 % to about 85 %.
NOISY_DIGITS_SIGMA = 0.3


def with_pixel_noise(data: DigitsSplit, sigma: float, *, seed: int) -> DigitsSplit:
    """A harder task from the same digits: every image gets its own fixed Gaussian pixel
    noise of standard deviation ``sigma``, clipped to [0, 1].

    At ``sigma = 0.3`` held-out accuracy of the ResNet-like CNN falls from about 99 % to
    about 85 % (measured: 0.25 gives 91 %, 0.35 gives 78-80 %), so disagreement between
    networks rests on a hundred images rather than a handful.

    Examples
    --------
    >>> hard = with_pixel_noise(load_digits_split(0), 0.3, seed=0)
    >>> hard.x_test.dtype, float(hard.x_test.min()) >= 0.0
    (dtype('float32'), True)
    """
    rng = np.random.default_rng([seed, 1])

    def noisy(x: NDArray[np.float32]) -> NDArray[np.float32]:
        return np.clip(x + sigma * rng.standard_normal(x.shape), 0.0, 1.0).astype(np.float32)

    return DigitsSplit(noisy(data.x_train), data.y_train, noisy(data.x_test), data.y_test)


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
    encoder_lr: float | None = None,
    batch_size: int = 128,
    on_epoch: Callable[[int, Any], None] | None = None,
) -> Any:
    """Train with SGD (momentum 0.9, weight decay 5e-4, batches of 128) as in Table 9, on
    randomly shifted images (:func:`random_shift`).

    ``schedule`` maps training progress in [0, 1) to a factor of ``lr``. With ``encoder_lr``
    the conv part instead learns at that constant rate (Table 10's fine-tuning: 0.001 for the
    encoder, no scheduler) while the classifier follows the schedule. ``on_epoch(epoch,
    model)`` is called after every epoch (epochs count from 1). Batches, shifts and the order
    of the images come from a generator seeded with ``seed``; torch runs on one thread with
    deterministic algorithms (:func:`one_torch_thread`), so a rerun gives the same network.
    """
    torch = require_torch()
    generator = torch.Generator().manual_seed(seed)
    groups = [
        {"params": model.blocks.parameters(), "constant": encoder_lr},
        {"params": model.classifier.parameters(), "constant": None},
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
                    constant = group["constant"]
                    group["lr"] = lr * factor if constant is None else constant
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
