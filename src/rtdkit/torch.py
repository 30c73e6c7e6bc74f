"""PyTorch integration: capture layer representations, compare them, and train with RTD.

Three tools for researchers who live in PyTorch:

* :func:`capture` runs a model over a tensor or a DataLoader and returns the outputs of named
  modules as ``(N, features)`` arrays, ready for :func:`rtdkit.rtd`;
* :func:`compare_layers` fills layer x layer matrices of RTD (and CKA, or any measure of
  :mod:`rtdkit.baselines`), and :func:`plot_layers` draws them as in Fig. 8 of the paper;
* :class:`RTDLoss` is the RTD as a differentiable loss: the barcode engine runs on detached
  copies, and each bar's length is re-read from the torch distance matrices at the two critical
  edges the engine reports, so autograd reaches exactly the distances that define the bars.

Importing this module imports torch; ``import rtdkit`` alone never does.

Examples
--------
>>> import torch, rtdkit.torch as rt
>>> x = torch.randn(32, 10, dtype=torch.float64)
>>> z = torch.randn(32, 2, dtype=torch.float64, requires_grad=True)
>>> loss = rt.RTDLoss()(x, z)
>>> loss.backward()
>>> bool(z.grad.abs().sum() > 0)
True
"""

from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    RTDTypeError,
    as_float_matrix,
    check_choice,
    check_int,
    check_optional_int,
)
from rtdkit.baselines import MEASURES, Measure
from rtdkit.distances import DEFAULT_QUANTILE, cross_matrices
from rtdkit.divergence import rtd
from rtdkit.engines import EngineInfo, get_engine

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "rtdkit.torch needs PyTorch; install it with: pip install 'rtdkit[torch]'"
    ) from exc

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["RTDLoss", "capture", "compare_layers", "plot_layers"]

POOLS = ("flatten", "avg", "max")

# ---------------------------------------------------------------------------------------------
# capture
# ---------------------------------------------------------------------------------------------


def capture(
    model: nn.Module,
    data: Any,
    layers: str | Sequence[str],
    *,
    pool: str | None = None,
    channel_dim: int = 1,
    output_key: int | str | None = None,
    device: str | torch.device | None = None,
    batch_size: int = 256,
    max_samples: int | None = None,
) -> dict[str, NDArray[np.floating[Any]]]:
    """Outputs of named modules of ``model`` over ``data``, one ``(N, features)`` array each.

    The model runs in eval mode under ``torch.no_grad()``; every module's training flag is
    restored afterwards and the forward hooks are removed even if the forward pass fails.

    Parameters
    ----------
    model : torch.nn.Module
        The network; it is not moved (inputs are sent to ``device`` instead).
    data : Tensor, numpy array or iterable of batches (e.g. a DataLoader)
        A tensor is cut into batches of ``batch_size`` rows. A batch may be a tensor, an
        ``(inputs, targets, ...)`` tuple or list (the first element is fed to the model) or a
        dict of keyword arguments (``model(**batch)``, as for Hugging Face models). For other
        layouts pass a generator, e.g. ``(b["image"] for b in loader)``.
    layers : str or sequence of str
        Module names as ``model.named_modules()`` gives them (``''`` is the whole model).
    pool : {None, 'flatten', 'avg', 'max'}, default None
        How outputs with more than two dimensions become vectors: None and 'flatten' keep every
        value (``reshape(B, -1)``); 'avg' and 'max' pool over all dimensions except the batch
        and ``channel_dim``, giving ``(B, channels)``.
    channel_dim : int, default 1
        The channel axis for pooling: 1 for convolutions (B, C, H, W); -1 for token sequences
        (B, T, C), which then pool over tokens.
    output_key : int or str, optional
        Which element of a tuple or dict output to keep (e.g. ``0`` or ``'last_hidden_state'``).
        By default the first tensor found.
    device : str or torch.device, optional
        Where inputs are sent; default: the device of the model's first parameter (else CPU).
    batch_size : int, default 256
        Rows per forward pass when ``data`` is a tensor or array.
    max_samples : int, optional
        Stop after this many samples (RTD subsamples a few hundred anyway).

    Returns
    -------
    dict of str to ndarray
        In the order of ``layers``; float32 (float64 if the module outputs float64).

    Examples
    --------
    >>> import torch
    >>> from rtdkit.torch import capture
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    >>> reps = capture(net, torch.randn(50, 4), ["0", "2"])
    >>> {name: r.shape for name, r in reps.items()}
    {'0': (50, 8), '2': (50, 2)}
    """
    if not isinstance(model, nn.Module):
        raise RTDTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    names = _check_layer_names(model, layers)
    if pool is not None:
        check_choice(pool, "pool", POOLS)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    max_samples = check_optional_int(max_samples, "max_samples", minimum=1)
    target = _default_device(model) if device is None else torch.device(device)
    modules = dict(model.named_modules())
    seen: dict[str, list[Any]] = {name: [] for name in names}
    collected: dict[str, list[NDArray[np.floating[Any]]]] = {name: [] for name in names}
    total = 0
    with _eval_mode(model), _hooks(modules, seen), torch.no_grad():
        for batch in _batches(data, batch_size):
            for outputs in seen.values():
                outputs.clear()
            _forward(model, batch, target)
            rows = _collect_batch(seen, collected, pool, channel_dim, output_key, batch)
            total += rows
            if max_samples is not None and total >= max_samples:
                break
    return _concatenate(collected, max_samples)


def _check_layer_names(model: nn.Module, layers: str | Sequence[str]) -> list[str]:
    """The requested names, checked against ``named_modules()`` with suggestions."""
    names = [layers] if isinstance(layers, str) else list(layers)
    if not names or not all(isinstance(n, str) for n in names):
        raise RTDInputError(
            "layers must be a module name or a non-empty list of names from "
            f"model.named_modules(); got {layers!r}"
        )
    if len(set(names)) != len(names):
        raise RTDInputError(f"layers lists a name twice: {names}")
    valid = [name for name, _ in model.named_modules()]
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise RTDInputError(_unknown_layers_message(unknown, valid))
    return names


def _unknown_layers_message(unknown: list[str], valid: list[str]) -> str:
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, valid, n=3)
        if close:
            hints.append(f"{name!r}: did you mean {', '.join(repr(c) for c in close)}?")
    shown = valid[:100]
    listing = ", ".join(repr(v) for v in shown)
    more = f" ... and {len(valid) - len(shown)} more" if len(valid) > len(shown) else ""
    text = f"unknown layer name(s) {', '.join(repr(u) for u in unknown)}. "
    if hints:
        text += " ".join(hints) + " "
    return (
        text + f"Valid names (from model.named_modules(); '' is the whole model): {listing}{more}"
    )


def _default_device(model: nn.Module) -> torch.device:
    for tensor in model.parameters():
        return tensor.device
    for buffer in model.buffers():
        return buffer.device
    return torch.device("cpu")


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode for the duration; afterwards each module gets back its own training flag.

    Flags are saved per module because models are often deliberately mixed (e.g. frozen
    batch-norm layers in a training model); ``model.train()`` would overwrite that.
    """
    flags = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, flag in flags:
            module.training = flag


@contextmanager
def _hooks(modules: Mapping[str, nn.Module], seen: dict[str, list[Any]]) -> Iterator[None]:
    """Forward hooks that record each named module's output; always removed on exit."""
    handles = []
    try:
        for name, outputs in seen.items():
            handles.append(modules[name].register_forward_hook(_recorder(outputs)))
        yield
    finally:
        for handle in handles:
            handle.remove()


def _recorder(outputs: list[Any]) -> Callable[[nn.Module, Any, Any], None]:
    def hook(module: nn.Module, inputs: Any, output: Any) -> None:
        outputs.append(output)

    return hook


def _batches(data: Any, batch_size: int) -> Iterable[Any]:
    if isinstance(data, np.ndarray):
        data = torch.as_tensor(data)
    if isinstance(data, torch.Tensor):
        if data.ndim == 0:
            raise RTDInputError("data is a 0-d tensor; pass a batch of inputs (N, ...)")
        return data.split(batch_size)
    if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Iterable):
        raise RTDTypeError(
            f"data must be a tensor, a numpy array or an iterable of batches such as a "
            f"DataLoader; got {type(data).__name__}"
        )
    return data


def _to_device(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, np.ndarray):
        return torch.as_tensor(value).to(device)
    return value


def _forward(model: nn.Module, batch: Any, device: torch.device) -> None:
    """Feed one batch: a tensor, ``(inputs, targets, ...)``, or a dict of keyword arguments."""
    if isinstance(batch, Mapping):
        model(**{key: _to_device(value, device) for key, value in batch.items()})
    elif isinstance(batch, (tuple, list)):
        if not batch:
            raise RTDInputError("data yielded an empty batch tuple; expected (inputs, ...)")
        model(_to_device(batch[0], device))
    elif isinstance(batch, (torch.Tensor, np.ndarray)):
        model(_to_device(batch, device))
    else:
        raise RTDTypeError(
            f"a batch must be a tensor, an (inputs, targets) tuple or a dict of model keyword "
            f"arguments; got {type(batch).__name__}. Wrap the loader in a generator that yields "
            "the model's input"
        )


def _batch_rows(batch: Any) -> int | None:
    """The number of samples in a batch, when it can be read off the input."""
    first = batch[0] if isinstance(batch, (tuple, list)) else batch
    if isinstance(first, (torch.Tensor, np.ndarray)) and first.ndim > 0:
        return int(first.shape[0])
    return None


def _collect_batch(
    seen: Mapping[str, list[Any]],
    collected: dict[str, list[NDArray[np.floating[Any]]]],
    pool: str | None,
    channel_dim: int,
    output_key: int | str | None,
    batch: Any,
) -> int:
    """Turn this batch's hooked outputs into feature rows; returns the batch's sample count."""
    expected = _batch_rows(batch)
    for name, outputs in seen.items():
        if len(outputs) != 1:
            raise RTDInputError(_call_count_message(name, len(outputs)))
        tensor = _select_output(outputs[0], output_key, name)
        features = _features(tensor, pool, channel_dim, name)
        if expected is None:
            expected = features.shape[0]
        if features.shape[0] != expected:
            raise RTDInputError(
                f"layer {name!r} returned {features.shape[0]} rows for a batch of {expected} "
                "samples; its first dimension is not the batch (e.g. an RNN without "
                "batch_first=True). Capture a module whose output is batch-first"
            )
        collected[name].append(features)
    return int(expected or 0)


def _call_count_message(name: str, calls: int) -> str:
    if calls == 0:
        return (
            f"layer {name!r} was not called during the forward pass, so it has no output; "
            "choose a module that the model's forward() uses"
        )
    return (
        f"layer {name!r} was called {calls} times in one forward pass (a shared or recurrent "
        "module), so its outputs cannot be matched to samples; capture a module used once"
    )


def _select_output(output: Any, key: int | str | None, name: str) -> torch.Tensor:
    """The tensor to keep from a module output that may be a tuple, list or dict."""
    if isinstance(output, torch.Tensor):
        # output_key is for tuple and dict outputs; other captured layers may return tensors.
        return output
    if key is not None:
        try:
            chosen = output[key]
        except (KeyError, IndexError, TypeError) as exc:
            raise RTDInputError(
                f"output_key={key!r} does not select anything in the output of layer {name!r} "
                f"({_describe(output)})"
            ) from exc
        if isinstance(chosen, torch.Tensor):
            return chosen
        raise RTDInputError(
            f"output_key={key!r} selects a {type(chosen).__name__} in layer {name!r}, not a tensor"
        )
    values = output.values() if isinstance(output, Mapping) else output
    if isinstance(values, Iterable):
        for value in values:
            if isinstance(value, torch.Tensor):
                return value
    raise RTDInputError(
        f"layer {name!r} returned {_describe(output)} with no tensor in it; capture another "
        "module or pass output_key"
    )


def _describe(output: Any) -> str:
    if isinstance(output, Mapping):
        return f"a {type(output).__name__} with keys {list(output.keys())}"
    if isinstance(output, (tuple, list)):
        kinds = [type(v).__name__ for v in output]
        return f"a {type(output).__name__} of {kinds}"
    return f"a {type(output).__name__}"


def _features(
    tensor: torch.Tensor, pool: str | None, channel_dim: int, name: str
) -> NDArray[np.floating[Any]]:
    """``(B, ...)`` module output to ``(B, F)`` rows on the CPU."""
    if tensor.ndim == 0:
        raise RTDInputError(f"layer {name!r} returned a scalar; it has no per-sample output")
    if tensor.ndim == 1:
        tensor = tensor.unsqueeze(1)
    elif tensor.ndim > 2:
        tensor = _pool(tensor, pool, channel_dim, name)
    dtype = torch.float64 if tensor.dtype == torch.float64 else torch.float32
    out: NDArray[np.floating[Any]] = tensor.detach().to("cpu", dtype).numpy()
    return out


def _pool(tensor: torch.Tensor, pool: str | None, channel_dim: int, name: str) -> torch.Tensor:
    if pool in (None, "flatten"):
        return tensor.reshape(tensor.shape[0], -1)
    if not -tensor.ndim <= channel_dim < tensor.ndim or channel_dim % tensor.ndim == 0:
        raise RTDInputError(
            f"channel_dim={channel_dim} is not a feature axis of layer {name!r}'s output "
            f"(shape {tuple(tensor.shape)}); use 1 for (B, C, ...) or -1 for (B, T, C)"
        )
    axis = channel_dim % tensor.ndim
    moved = tensor.movedim(axis, 1).reshape(tensor.shape[0], tensor.shape[axis], -1)
    return moved.mean(dim=2) if pool == "avg" else moved.amax(dim=2)


def _concatenate(
    collected: Mapping[str, list[NDArray[np.floating[Any]]]], max_samples: int | None
) -> dict[str, NDArray[np.floating[Any]]]:
    if not any(collected.values()):
        raise RTDInputError("data yielded no batches; nothing was captured")
    return {name: np.concatenate(parts)[:max_samples] for name, parts in collected.items()}


# ---------------------------------------------------------------------------------------------
# compare_layers and plot_layers
# ---------------------------------------------------------------------------------------------


def compare_layers(
    reps_a: Mapping[str, Any],
    reps_b: Mapping[str, Any] | None = None,
    measures: str | Sequence[str] = ("rtd", "cka"),
    *,
    measure_options: Mapping[str, Mapping[str, Any]] | None = None,
    **rtd_options: Any,
) -> dict[str, pd.DataFrame]:
    """Layer x layer matrices of representation measures.

    With one set of representations (``reps_b=None``) every layer is compared with every
    layer of the same model; with two, each layer of ``reps_a`` (rows) with each layer of
    ``reps_b`` (columns), e.g. two seeds or two checkpoints. All arrays must describe the same
    samples in the same order (as :func:`capture` on the same data gives). Symmetric measures
    fill only the upper triangle of a self-comparison and mirror it.

    Parameters
    ----------
    reps_a, reps_b : mapping of str to array-like (N, features)
        Layer representations, e.g. from :func:`capture`.
    measures : str or sequence of str, default ('rtd', 'cka')
        Names from :data:`rtdkit.baselines.MEASURES` that compare representations.
    measure_options : mapping of str to mapping, optional
        Options per measure, e.g. ``{"cka": {"debiased": True}}``.
    **rtd_options
        Passed to :func:`rtdkit.rtd` (``batch``, ``trials``, ``seed``, ``engine``, ...). The
        same ``seed`` draws the same subsamples for every cell, so cells are comparable.

    Returns
    -------
    dict of str to pandas.DataFrame
        One matrix of raw values per measure (CKA as a similarity), index = layers of
        ``reps_a``, columns = layers of ``reps_b``; ``df.attrs["measure"]`` holds the name.

    Examples
    --------
    >>> import numpy as np
    >>> from rtdkit.torch import compare_layers
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 5))
    >>> reps = {"in": x, "out": np.tanh(x @ rng.normal(size=(5, 3)))}
    >>> scores = compare_layers(reps, batch=None)
    >>> scores["rtd"].shape, round(float(scores["cka"].loc["in", "in"]), 6)
    ((2, 2), 1.0)
    """
    import pandas as pd

    names = [measures] if isinstance(measures, str) else list(measures)
    if not names:
        raise RTDInputError("measures is empty; pass e.g. ('rtd', 'cka')")
    options = _measure_options(names, measure_options, rtd_options)
    left = _representations(reps_a, "reps_a")
    right = left if reps_b is None else _representations(reps_b, "reps_b")
    _check_same_samples(left, right)
    results = {}
    for name in names:
        measure = _representation_measure(name)
        opts = options.get(name, {})
        symmetric = measure.symmetric and bool(opts.get("symmetric", True))
        matrix = _fill(partial(measure, **opts), left, right, reps_b is None and symmetric)
        frame = pd.DataFrame(matrix, index=list(left), columns=list(right))
        frame.attrs["measure"] = name
        results[name] = frame
    return results


def _measure_options(
    names: list[str],
    measure_options: Mapping[str, Mapping[str, Any]] | None,
    rtd_options: Mapping[str, Any],
) -> dict[str, dict[str, Any]]:
    """Options per measure; ``**rtd_options`` join those given for 'rtd'."""
    options = {k: dict(v) for k, v in (measure_options or {}).items()}
    stray = sorted(set(options) - set(names))
    if stray:
        raise RTDInputError(f"measure_options names {stray}, which are not among measures {names}")
    if rtd_options:
        if "rtd" not in names:
            raise RTDInputError(
                f"RTD options {sorted(rtd_options)} were given but 'rtd' is not among measures"
            )
        _check_rtd_options(rtd_options)
        options["rtd"] = {**options.get("rtd", {}), **rtd_options}
    return options


def _check_rtd_options(rtd_options: Mapping[str, Any]) -> None:
    allowed = set(inspect.signature(rtd).parameters) - {"P", "Q"}
    unknown = sorted(set(rtd_options) - allowed)
    if unknown:
        raise RTDInputError(
            f"unknown RTD option(s) {unknown}; rtdkit.rtd accepts {', '.join(sorted(allowed))}"
        )


def _representation_measure(name: str) -> Measure:
    valid = [k for k, m in MEASURES.items() if m.inputs == "representations"]
    check_choice(name, "measure", valid)
    return MEASURES[name]


def _representations(reps: Mapping[str, Any], arg: str) -> dict[str, FloatArray]:
    if not isinstance(reps, Mapping) or not reps:
        raise RTDTypeError(
            f"{arg} must be a non-empty dict of layer name -> (N, features) array, as "
            f"capture() returns; got {type(reps).__name__}"
        )
    return {str(name): as_float_matrix(value, f"{arg}[{name!r}]") for name, value in reps.items()}


def _check_same_samples(left: Mapping[str, FloatArray], right: Mapping[str, FloatArray]) -> None:
    sizes = {name: len(x) for name, x in [*left.items(), *right.items()]}
    if len(set(sizes.values())) > 1:
        raise RTDInputError(
            f"all representations must describe the same samples, but their row counts differ: "
            f"{sizes}; capture them on the same data with the same max_samples"
        )


def _fill(
    measure: Callable[[Any, Any], float],
    left: Mapping[str, FloatArray],
    right: Mapping[str, FloatArray],
    mirror: bool,
) -> FloatArray:
    rows, cols = list(left.values()), list(right.values())
    matrix = np.full((len(rows), len(cols)), np.nan)
    for i, x in enumerate(rows):
        for j, y in enumerate(cols):
            matrix[i, j] = matrix[j, i] if mirror and j < i else measure(x, y)
    return matrix


def plot_layers(
    scores: Mapping[str, Any],
    *,
    dissimilarity: bool = True,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """One heatmap per measure, side by side, as in Fig. 8 of the paper.

    Parameters
    ----------
    scores : mapping of str to DataFrame
        The output of :func:`compare_layers` (keys are measure names).
    dissimilarity : bool, default True
        Draw similarity measures (CKA, SVCCA, PWCCA) as ``1 - value`` so that every panel
        reads the same way (0 = identical), as the paper shows 1 - CKA next to RTD.
    figsize : (float, float), optional
        Figure size in inches; by default it grows with the number of layers.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from rtdkit.torch import compare_layers, plot_layers
    >>> x = np.random.default_rng(0).normal(size=(40, 4))
    >>> fig = plot_layers(compare_layers({"a": x, "b": x**2}, measures="cka"))
    >>> len(fig.axes)  # one heatmap and its colorbar
    2
    """
    import matplotlib.pyplot as plt

    from rtdkit.plot import plot_heatmap

    if not isinstance(scores, Mapping) or not scores:
        raise RTDInputError("scores must be the non-empty dict that compare_layers returns")
    rows, cols = np.shape(next(iter(scores.values())))
    size = figsize or (5.0 * len(scores), 1.5 + 0.45 * max(rows, cols))
    fig, axes = plt.subplots(1, len(scores), figsize=size, squeeze=False)
    for ax, (name, matrix) in zip(axes[0], scores.items(), strict=True):
        measure = _representation_measure(name)
        flip = dissimilarity and measure.kind == "similarity"
        title = measure.label if flip else measure.name.upper()
        # 1 - CKA of a layer with itself is ~1e-16 of round-off; show it as the 0 it is.
        values = (1.0 - matrix).round(12) if flip else matrix
        plot_heatmap(values, ax=ax, title=title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# RTDLoss
# ---------------------------------------------------------------------------------------------


class RTDLoss(nn.Module):
    """Representation Topology Divergence as a differentiable loss.

    ``loss(x, z)`` is RTD_dim(x, z) = the sum of ``length ** p`` over R-Cross-Barcode_dim(x, z)
    of the whole batch (no subsampling), averaged with RTD_dim(z, x) when ``symmetric``. The
    barcode engine runs on detached float64 copies of the distance matrices; each bar's birth
    and death are then read back from the torch matrices at the bar's critical edges, so the
    gradient is the exact (almost-everywhere) gradient of the loss: it reaches precisely the
    distances that define the bars (and, with normalisation, the two order statistics behind
    each 0.9-quantile). The module keeps no tensors between calls.

    Parameters
    ----------
    dim : int or sequence of int, default 1
        Homology dimension(s) whose bars are summed (the paper's RTD uses 1).
    p : float, default 1.0
        Exponent of the bar lengths (1: the RTD; 2 weights long bars more).
    symmetric : bool, default True
        Average both directions, as the paper's RTD score.
    normalize : {'quantile', True, None, False} or float, default 'quantile'
        Divide each distance matrix by its 0.9-quantile ('quantile' or True), by another
        quantile (float in (0, 1]), or not at all (None or False). The gradient flows through
        the quantile, so the normalised loss is invariant to rescaling x or z and its gradient
        has no component along that rescaling.
    engine : str, optional
        Barcode engine (must report critical edges); default: rtdkit's default engine.
    n_jobs : int, default 1
        Threads the engine may use.

    Examples
    --------
    >>> import torch
    >>> from rtdkit.torch import RTDLoss
    >>> x = torch.randn(40, 8)
    >>> z = torch.randn(40, 2, requires_grad=True)
    >>> loss = RTDLoss(dim=1)(x, z)
    >>> loss.backward()
    >>> loss.ndim, z.grad.shape
    (0, torch.Size([40, 2]))
    """

    def __init__(
        self,
        dim: int | Sequence[int] = 1,
        p: float = 1.0,
        symmetric: bool = True,
        normalize: str | float | bool | None = "quantile",
        engine: str | None = None,
        n_jobs: int = 1,
    ) -> None:
        super().__init__()
        self.dims = _check_dims(dim)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p < math.inf:
            raise RTDInputError(f"p must be a positive finite number, got {p!r}")
        self.p = float(p)
        if not isinstance(symmetric, bool):
            raise RTDInputError(f"symmetric must be True or False, got {symmetric!r}")
        self.symmetric = symmetric
        self.quantile = _quantile_level(normalize)
        info = _edge_engine(engine, max(self.dims))
        self.engine = info.name
        self.n_jobs = check_int(n_jobs, "n_jobs", minimum=1)

    def forward(
        self, x: torch.Tensor, z: torch.Tensor, *, scale: torch.Tensor | float | None = None
    ) -> torch.Tensor:
        """RTD between the batch ``x`` (B x D) and the batch ``z`` (B x D'), a scalar tensor.

        ``scale`` multiplies z's (normalised) distances. The quantile normalisation equates the
        large distances of both clouds; clouds of very different intrinsic dimension (a 64-d
        input and its 2-d code) cannot then also agree on small distances, and that mismatch
        dominates the RTD whatever the layout. A learnable scale, e.g. ``log_s.exp()`` with
        ``log_s`` a parameter (as in RTD-AE), lets training pick the scale where the two
        clouds' structures are compared.
        """
        x, z = _check_batches(x, z)
        dtype = torch.promote_types(x.dtype, z.dtype)
        wx = _normalized_distances(x, self.quantile, "x").to(dtype)
        wz = _normalized_distances(z, self.quantile, "z").to(dtype)
        if scale is not None:
            wz = wz * _check_scale(scale, wz)
        info = get_engine(self.engine)
        forward = _directed_rtd(wx, wz, self.dims, self.p, info, self.n_jobs)
        if not self.symmetric:
            return forward
        backward = _directed_rtd(wz, wx, self.dims, self.p, info, self.n_jobs)
        return (forward + backward) / 2.0

    def extra_repr(self) -> str:
        return (
            f"dim={self.dims}, p={self.p}, symmetric={self.symmetric}, "
            f"quantile={self.quantile}, engine={self.engine!r}"
        )


def _check_dims(dim: int | Sequence[int]) -> tuple[int, ...]:
    dims = [dim] if not isinstance(dim, Sequence) else list(dim)
    if not dims:
        raise RTDInputError("dim must be a homology dimension >= 1 or a non-empty list of them")
    checked = [check_int(d, "dim", minimum=1) for d in dims]
    return tuple(sorted(set(checked)))


def _quantile_level(normalize: str | float | bool | None) -> float | None:
    """The quantile the distances are divided by, or None for no normalisation."""
    if normalize is None or normalize is False:
        return None
    if normalize is True or normalize == "quantile":
        return DEFAULT_QUANTILE
    if isinstance(normalize, (int, float)) and not isinstance(normalize, bool):
        if 0.0 < float(normalize) <= 1.0:
            return float(normalize)
    raise RTDInputError(
        f"normalize must be 'quantile' (or True), a quantile in (0, 1], or None (or False); "
        f"got {normalize!r}"
    )


def _edge_engine(name: str | None, maxdim: int) -> EngineInfo:
    info = get_engine(name)
    if not info.supports_edges:
        raise RTDInputError(
            f"engine {info.name!r} does not report critical edges, which RTDLoss needs for "
            "gradients; choose engine='reference'"
        )
    if maxdim > info.max_supported_dim:
        raise RTDInputError(
            f"dim={maxdim} is above what engine {info.name!r} computes "
            f"({info.max_supported_dim}); lower dim or choose another engine"
        )
    return info


def _check_batches(x: Any, z: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Both batches as (B, features) floating tensors with the same B, on the same device."""
    out = []
    for tensor, name in ((x, "x"), (z, "z")):
        if not isinstance(tensor, torch.Tensor):
            raise RTDTypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
        if not tensor.is_floating_point():
            raise RTDTypeError(f"{name} must be a floating-point tensor; use {name}.float()")
        if tensor.ndim < 2 or tensor.shape[0] < 3:
            raise RTDInputError(
                f"{name} must be a batch of at least 3 samples (B, features...), got shape "
                f"{tuple(tensor.shape)}"
            )
        out.append(tensor.reshape(tensor.shape[0], -1))
    if out[0].shape[0] != out[1].shape[0]:
        raise RTDInputError(
            f"x has {out[0].shape[0]} samples but z has {out[1].shape[0]}; RTD compares two "
            "representations of the same batch"
        )
    if out[0].device != out[1].device:
        raise RTDInputError(f"x is on {out[0].device} but z on {out[1].device}; move one")
    return out[0], out[1]


def _check_scale(scale: torch.Tensor | float, like: torch.Tensor) -> torch.Tensor:
    """A positive finite scalar, as a tensor on ``like``'s device (keeping its graph)."""
    if isinstance(scale, bool) or not isinstance(scale, (torch.Tensor, int, float)):
        raise RTDTypeError(f"scale must be a positive number or scalar tensor, got {scale!r}")
    value = torch.as_tensor(scale, device=like.device)
    if value.numel() != 1 or not 0.0 < float(value.detach()) < math.inf:
        raise RTDInputError(f"scale must be one positive finite number, got {scale!r}")
    return value.reshape(()).to(like.dtype)


def _normalized_distances(x: torch.Tensor, quantile: float | None, name: str) -> torch.Tensor:
    """Euclidean distances, divided by their ``quantile`` (differentiably) if asked.

    ``donot_use_mm_for_euclid_dist`` sums squared differences like scipy, so coincident points
    get an exact 0 (the Gram-matrix shortcut leaves round-off there) and torch's cdist backward
    gives such zero distances a zero subgradient instead of the NaN of a naive sqrt.
    """
    if not torch.isfinite(x).all():
        raise RTDInputError(f"{name} contains NaN or infinite values")
    d = torch.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist")
    if quantile is None:
        return d
    scale = _linear_quantile(d.reshape(-1), quantile)
    if not float(scale.detach()) > 0.0:
        raise RTDInputError(
            f"the {quantile}-quantile of {name}'s pairwise distances is 0 (most points "
            "coincide), so it cannot be normalised; pass normalize=None or use a higher quantile"
        )
    return d / scale


def _linear_quantile(values: torch.Tensor, q: float) -> torch.Tensor:
    """numpy's default ('linear') quantile; unlike ``torch.quantile`` it has no size limit."""
    ordered = torch.sort(values).values
    position = q * (ordered.numel() - 1)
    lo = int(np.floor(position))
    hi = min(lo + 1, ordered.numel() - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)


def _directed_rtd(
    w: torch.Tensor,
    w_tilde: torch.Tensor,
    dims: tuple[int, ...],
    p: float,
    info: EngineInfo,
    n_jobs: int,
) -> torch.Tensor:
    """Sum of bar lengths ** p of R-Cross-Barcode(P, P̃), differentiable in ``w`` and ``w_tilde``."""
    w_np = w.detach().to("cpu", torch.float64).numpy()
    wt_np = w_tilde.detach().to("cpu", torch.float64).numpy()
    w_used, mu_used = cross_matrices(w_np, wt_np)
    out = info.function(w_used, mu_used, maxdim=max(dims), return_edges=True, n_threads=n_jobs)
    if out.edges is None:
        raise RuntimeError(f"engine {info.name!r} returned no critical edges")
    entries = _DoubledEntries(w, w_tilde, w_np < wt_np, w_used, mu_used)
    total = w.new_zeros(())
    for d in dims:
        lengths = entries.lengths(out.edges[d])
        _check_lengths(lengths, out.bars[d], info.name, scale=float(w_used.max(initial=1.0)))
        total = total + (lengths if p == 1.0 else lengths**p).sum()
    return total


class _DoubledEntries:
    """Reads entries of the doubled matrix ``[[0, w], [w, mu]]`` from the torch matrices.

    ``mu`` is never formed in torch: an entry of it is taken from ``w`` or ``w_tilde``
    according to which one the engine saw as smaller, so the gradient goes to that one only.
    Entries the engine saw as 0 (the round-off floor of :func:`cross_matrices`) read as a
    constant 0, exactly as the engine used them.
    """

    def __init__(
        self,
        w: torch.Tensor,
        w_tilde: torch.Tensor,
        w_smaller: NDArray[np.bool_],
        w_used: FloatArray,
        mu_used: FloatArray,
    ) -> None:
        self.w, self.w_tilde = w, w_tilde
        self.w_smaller, self.w_used, self.mu_used = w_smaller, w_used, mu_used
        self.n = w.shape[0]

    def lengths(self, edges: NDArray[np.int64]) -> torch.Tensor:
        """``death - birth`` of each bar, from its (birth pair, death pair) row."""
        births = self.values(edges[:, 0], edges[:, 1])
        deaths = self.values(edges[:, 2], edges[:, 3])
        return deaths - births

    def values(self, a: NDArray[np.int64], b: NDArray[np.int64]) -> torch.Tensor:
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        i, j = lo % self.n, hi % self.n
        cross = (lo < self.n) & (hi >= self.n)  # A'-A pairs: entries of w
        inner = lo >= self.n  # A-A pairs: entries of mu; A'-A' pairs are the constant 0
        kept = np.where(cross, self.w_used[i, j], self.mu_used[i, j]) > 0
        from_w = kept & (cross | (inner & self.w_smaller[i, j]))
        from_wt = kept & inner & ~self.w_smaller[i, j]
        device = self.w.device
        it = torch.as_tensor(i, device=device)
        jt = torch.as_tensor(j, device=device)
        zero = self.w.new_zeros(())
        picked_wt = torch.where(torch.as_tensor(from_wt, device=device), self.w_tilde[it, jt], zero)
        return torch.where(torch.as_tensor(from_w, device=device), self.w[it, jt], picked_wt)


def _check_lengths(lengths: torch.Tensor, bars: FloatArray, engine: str, *, scale: float) -> None:
    """Guard against an engine whose critical edges do not match its own bars."""
    got = lengths.detach().to("cpu", torch.float64).numpy()
    expected = bars[:, 1] - bars[:, 0]
    # 1e-5 relative covers engines that compute in float32 (the reference one does).
    if got.shape != expected.shape or not np.allclose(got, expected, rtol=0.0, atol=1e-5 * scale):
        raise RuntimeError(
            f"engine {engine!r} reported critical edges whose distances do not give its bar "
            "lengths; the gradient would be wrong. Please report this with engine='reference'"
        )
