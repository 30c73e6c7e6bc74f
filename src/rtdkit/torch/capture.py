"""Capture the outputs of named modules of a PyTorch model as ``(N, features)`` arrays."""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from rtdkit._validation import (
    RTDInputError,
    RTDTypeError,
    check_choice,
    check_int,
    check_optional_int,
)

__all__ = ["POOLS", "capture"]

POOLS = ("flatten", "avg", "max")


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
        if _is_numbers(batch[0]):
            raise RTDTypeError(
                "data looks like a nested Python list of numbers (a batch starts with "
                f"{type(batch[0]).__name__} {batch[0]!r:.40}); pass "
                "torch.tensor(data, dtype=torch.float32) instead"
            )
        model(_to_device(batch[0], device))
    elif isinstance(batch, (torch.Tensor, np.ndarray)):
        model(_to_device(batch, device))
    else:
        raise RTDTypeError(
            f"a batch must be a tensor, an (inputs, targets) tuple or a dict of model keyword "
            f"arguments; got {type(batch).__name__}. Wrap the loader in a generator that yields "
            "the model's input"
        )


def _is_numbers(value: Any) -> bool:
    """A Python number or a list of them: rows of a nested list, not a model input."""
    if isinstance(value, (list, tuple)):
        return bool(value) and all(isinstance(v, numbers.Number) for v in value)
    return isinstance(value, numbers.Number)


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
