"""Per-layer hidden states of Hugging Face transformers, pooled per sequence or kept per token.

Language-model representations are compared in three ways in the literature: one vector per
sequence as the mean over its tokens, as its first (CLS) token or as its last token (the one a
decoder has read everything by), or one vector per token. :func:`capture_hidden_states` gives
each of them for every layer, from ``output_hidden_states=True``, with padding taken out by
the attention mask so that how a batch was padded never changes a number.

``transformers`` itself is never imported here: any ``torch.nn.Module`` whose output carries
``hidden_states`` (every ``transformers.PreTrainedModel``) is accepted.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from rtdkit._progress import progress_iter
from rtdkit._validation import RTDInputError, RTDTypeError, check_choice, check_int
from rtdkit.distances import available_memory
from rtdkit.torch.capture import _default_device, _eval_mode

__all__ = ["POOLINGS", "HiddenStates", "capture_hidden_states"]

POOLINGS = ("mean", "first", "last", "token")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)  # compared as a mapping, like a dict of arrays
class HiddenStates(Mapping[str, FloatArray]):
    """Per-layer representations: a mapping of layer name to an ``(rows, hidden)`` array.

    Use it wherever a dict of layers is expected (:func:`rtdkit.layers.compare_layers`,
    ``rtdkit.rtd(states["layer 2"], ...)``). Layer names are ``'embeddings'`` for the
    embedding output (``hidden_states[0]``) and ``'layer i'`` for the output of block ``i``.

    Attributes
    ----------
    layers : dict of str to ndarray
        The float64 arrays, in the order of ``hidden_states``.
    pooling : str
        How each row was made (see :func:`capture_hidden_states`).
    sequence : ndarray of int
        For each row, the index of its sequence in the input order.
    token : ndarray of int or None
        For each row, the position of its token among its sequence's valid (unmasked) tokens,
        0 being the first, whatever the padding; None for ``pooling='mean'``, whose rows
        average every valid token.
    lengths : ndarray of int
        The number of valid tokens of each sequence.
    """

    layers: dict[str, FloatArray]
    pooling: str
    sequence: IntArray
    token: IntArray | None
    lengths: IntArray

    def __getitem__(self, name: str) -> FloatArray:
        try:
            return self.layers[name]
        except KeyError:
            raise KeyError(f"{name!r}: the layers are {list(self.layers)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        rows, width = next(iter(self.layers.values())).shape
        layers = f"{len(self.layers)} layer{'s' if len(self.layers) > 1 else ''}"
        return (
            f"HiddenStates({layers} of {rows} x {width}, "
            f"pooling={self.pooling!r}, {len(self.lengths)} sequences)"
        )


def capture_hidden_states(
    model: nn.Module,
    inputs: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    *,
    pooling: str = "mean",
    layers: int | Sequence[int] | None = None,
    batch_size: int = 32,
    device: str | torch.device | None = None,
    progress: bool = False,
) -> HiddenStates:
    """Every layer's hidden states of a Hugging Face model, one row per sequence or per token.

    The model runs with ``output_hidden_states=True`` in eval mode under ``torch.no_grad()``
    (each module's training flag is restored afterwards). Padding is removed with the
    attention mask before any pooling, so the same sequences padded to any length, on either
    side, give the same rows (up to the model's float rounding).

    Parameters
    ----------
    model : torch.nn.Module
        A ``transformers`` model (e.g. ``AutoModel.from_pretrained(...)``), or any module whose
        output has ``hidden_states`` when called with ``output_hidden_states=True``. It is not
        moved; inputs are sent to ``device``.
    inputs : mapping or iterable of mappings
        A tokenizer's output for all sequences (``tokenizer(texts, padding=True,
        return_tensors="pt")``): ``input_ids`` and ``attention_mask`` of shape (N, T), cut into
        batches of ``batch_size`` sequences; or an iterable of such mappings (e.g. a
        DataLoader), each one batch, padded to its own length. Other keys (``token_type_ids``,
        ...) are passed to the model unchanged.
    pooling : {'mean', 'first', 'last', 'token'}, default 'mean'
        One row per sequence: 'mean' averages its valid tokens (mask 1), 'first' takes its
        first valid token (BERT's CLS), 'last' its last valid token (where a decoder has read
        the whole sequence), wherever the padding is. 'token' keeps one row per valid token:
        sequence 0's tokens in order, then sequence 1's, and so on; ``sequence`` and ``token``
        of the result say which row is which.
    layers : int or sequence of int, optional
        Indices into ``hidden_states`` to keep (0: the embeddings, -1: the last layer);
        default all.
    batch_size : int, default 32
        Sequences per forward pass when ``inputs`` is one mapping.
    device : str or torch.device, optional
        Where inputs are sent; default: the device of the model's first parameter.
    progress : bool, default False
        Progress bar over the batches, on stderr.

    Returns
    -------
    HiddenStates
        A mapping of layer name to a float64 ``(rows, hidden)`` array, ready for
        :func:`rtdkit.rtd` and :func:`rtdkit.layers.compare_layers`.

    Notes
    -----
    Models number positions from the first column unless told otherwise, so a left-padded
    sequence would be read at shifted positions. When some sequence of a batch is padded on
    the left and the batch has no ``position_ids``, they are counted from each sequence's
    first valid token and passed to the model (as ``transformers``' ``generate`` does), if its
    ``forward`` takes them; otherwise left padding is refused. Right padding needs nothing.

    Examples
    --------
    >>> import torch
    >>> from transformers import BertConfig, BertModel
    >>> from rtdkit.torch import capture_hidden_states
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2,
    ...                     num_attention_heads=2, intermediate_size=32)
    >>> ids = torch.randint(1, 50, (40, 12))
    >>> mask = (torch.arange(12) < torch.randint(4, 13, (40, 1))).long()  # right padding
    >>> states = capture_hidden_states(BertModel(config), {"input_ids": ids,
    ...                                "attention_mask": mask}, pooling="first")
    >>> states
    HiddenStates(3 layers of 40 x 16, pooling='first', 40 sequences)
    >>> list(states)
    ['embeddings', 'layer 1', 'layer 2']
    """
    if not isinstance(model, nn.Module):
        raise RTDTypeError(
            f"model must be a torch.nn.Module such as a transformers model, got "
            f"{type(model).__name__}"
        )
    check_choice(pooling, "pooling", POOLINGS)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    wanted = _check_layer_indices(layers)
    # Every batch is checked before the first forward pass, so bad input costs no compute.
    batches = [_prepare(batch, number) for number, batch in enumerate(_batches(inputs, batch_size))]
    if not batches:
        raise RTDInputError("inputs yielded no batches; nothing was captured")
    rows = sum(int(mask.sum()) if pooling == "token" else len(mask) for _, mask, _ in batches)
    target = _default_device(model) if device is None else torch.device(device)
    takes_positions = _forward_takes(model, "position_ids")
    parts: list[_Pooled] = []
    names: list[str] = []
    with _eval_mode(model), torch.no_grad():
        numbered = progress_iter(
            enumerate(batches), total=len(batches), description="hidden states", enabled=progress
        )
        for number, (ids, mask, kwargs) in numbered:
            if "position_ids" not in kwargs and _left_padded(mask):
                kwargs["position_ids"] = _positions_from_mask(mask, takes_positions, number)
            hidden = _hidden_states(model, ids, mask, kwargs, target)
            indices = _resolve_layers(wanted, len(hidden))
            if not parts:
                _check_output_memory(rows, [hidden[i].shape[-1] for i in indices], pooling)
            names = [_layer_name(i) for i in indices]
            parts.append(_pool_batch([hidden[i] for i in indices], mask, pooling))
    return _assemble(parts, names, pooling)


def _check_output_memory(rows: int, widths: list[int], pooling: str) -> None:
    """Refuse, after one batch, a result that cannot fit (per-token rows of every layer of a
    large corpus easily exceed the memory)."""
    needed = 8 * rows * sum(widths)
    available = available_memory()
    if available is not None and needed > available:
        raise RTDInputError(
            f"the hidden states would take {needed / 2**30:.1f} GiB ({rows} rows of "
            f"{len(widths)} layers, pooling={pooling!r}) but only {available / 2**30:.1f} GiB "
            "are available; keep fewer layers (layers=[...]), pool per sequence "
            "(pooling='mean') or pass fewer sequences"
        )


def _check_layer_indices(layers: int | Sequence[int] | None) -> list[int] | None:
    if layers is None:
        return None
    chosen: list[int] = [layers] if isinstance(layers, int) else list(layers)
    if not chosen or not all(isinstance(i, int) and not isinstance(i, bool) for i in chosen):
        raise RTDInputError(
            f"layers must be a non-empty list of indices into hidden_states (0: embeddings, "
            f"-1: last layer), got {layers!r}"
        )
    return chosen


def _resolve_layers(wanted: list[int] | None, count: int) -> list[int]:
    """Non-negative indices into ``hidden_states``, checked against its length."""
    if wanted is None:
        return list(range(count))
    bad = [i for i in wanted if not -count <= i < count]
    if bad:
        raise RTDInputError(
            f"layers {bad} are out of range: this model has {count} hidden states "
            f"(0: embeddings, 1 to {count - 1}: its layers; -1 is the last)"
        )
    resolved = [i % count for i in wanted]
    if len(set(resolved)) != len(resolved):
        raise RTDInputError(f"layers names a hidden state twice: {wanted}")
    return resolved


def _layer_name(index: int) -> str:
    return "embeddings" if index == 0 else f"layer {index}"


def _batches(
    inputs: Mapping[str, Any] | Iterable[Mapping[str, Any]], batch_size: int
) -> Sequence[Mapping[str, Any]]:
    """The batches to run. An iterable of batches is read into a list first, so that the
    progress bar knows its length; token ids take far less memory than the hidden states
    they are turned into."""
    if isinstance(inputs, Mapping):
        ids = _as_tensor(inputs, "input_ids", "inputs")
        rows = ids.shape[0] if ids.ndim else 0
        return [
            {k: _split_rows(v, start, batch_size, rows) for k, v in inputs.items()}
            for start in range(0, rows, batch_size)
        ]
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
        raise RTDTypeError(
            "inputs must be a tokenizer's output (a mapping with input_ids and attention_mask) "
            f"or an iterable of such batches, e.g. a DataLoader; got {type(inputs).__name__}"
        )
    return list(inputs)


def _split_rows(value: Any, start: int, size: int, rows: int) -> Any:
    """Rows ``start:start + size`` of a per-sequence tensor, array or list (a tokenizer's
    output without return_tensors); anything else is passed whole."""
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim and value.shape[0] == rows:
        return value[start : start + size]
    if isinstance(value, list) and len(value) == rows:
        return value[start : start + size]
    return value


def _as_tensor(batch: Mapping[str, Any], key: str, where: str) -> torch.Tensor:
    if key not in batch:
        raise RTDInputError(
            f"{where} has no {key!r} (keys: {list(batch)}); pass a tokenizer's output with "
            "padding and return_tensors='pt', which holds input_ids and attention_mask"
        )
    value = batch[key]
    try:
        return torch.as_tensor(np.asarray(value) if isinstance(value, list) else value)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise RTDTypeError(
            f"{where}[{key!r}] could not be read as a tensor ({exc}); pass equal-length rows, "
            "padded by the tokenizer (padding=True, return_tensors='pt')"
        ) from exc


def _prepare(batch: Any, number: int) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """``input_ids``, ``attention_mask`` and the other model arguments of one batch, checked:
    integer (B, T) ids, a 0/1 mask of the same shape, no sequence without a valid token."""
    where = f"batch {number}"
    if not isinstance(batch, Mapping):
        raise RTDTypeError(
            f"{where} is a {type(batch).__name__}; each batch must be a mapping with input_ids "
            "and attention_mask, as a tokenizer returns"
        )
    ids = _as_tensor(batch, "input_ids", where)
    mask = _as_tensor(batch, "attention_mask", where)
    if ids.ndim != 2 or ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
        raise RTDInputError(
            f"{where}: input_ids must be a 2-D tensor of integer token ids (sequences, tokens), "
            f"got dtype {ids.dtype} and shape {tuple(ids.shape)}"
        )
    if mask.shape != ids.shape:
        raise RTDInputError(
            f"{where}: attention_mask has shape {tuple(mask.shape)} but input_ids has "
            f"{tuple(ids.shape)}; they must match (1 for a token, 0 for padding)"
        )
    if not bool(((mask == 0) | (mask == 1)).all()):
        raise RTDInputError(
            f"{where}: attention_mask must hold only 0 (padding) and 1 (token); found "
            f"{sorted(set(mask.unique().tolist()) - {0, 1})[:5]}"
        )
    mask = mask.to(torch.long)
    empty = torch.nonzero(mask.sum(dim=1) == 0).flatten().tolist()
    if empty:
        raise RTDInputError(
            f"{where}: sequence(s) {empty[:10]} have no valid token (attention_mask all 0); "
            "remove empty sequences before capturing"
        )
    others = {k: v for k, v in batch.items() if k not in ("input_ids", "attention_mask")}
    return ids, mask, others


def _left_padded(mask: torch.Tensor) -> bool:
    """Whether some sequence has padding before one of its tokens."""
    return bool((mask.cummin(dim=1).values < mask).any())


def _forward_takes(model: nn.Module, name: str) -> bool:
    try:
        return name in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):  # a forward without a readable signature
        return False


def _positions_from_mask(mask: torch.Tensor, takes_positions: bool, number: int) -> torch.Tensor:
    """Position ids counted from each sequence's first valid token (padding gets 0)."""
    if not takes_positions:
        raise RTDInputError(
            f"batch {number} is padded on the left, but this model's forward takes no "
            "position_ids, so its tokens would be read at shifted positions; pad on the "
            "right (tokenizer.padding_side = 'right')"
        )
    return (mask.cumsum(dim=1) - 1) * mask


def _hidden_states(
    model: nn.Module,
    ids: torch.Tensor,
    mask: torch.Tensor,
    kwargs: dict[str, Any],
    device: torch.device,
) -> Sequence[torch.Tensor]:
    moved = {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in kwargs.items()}
    output = model(
        input_ids=ids.to(device),
        attention_mask=mask.to(device),
        output_hidden_states=True,
        return_dict=True,
        **moved,
    )
    hidden = getattr(output, "hidden_states", None)
    if hidden is None and isinstance(output, Mapping):
        hidden = output.get("hidden_states")
    if not hidden:
        raise RTDInputError(
            f"{type(model).__name__} returned no hidden_states with output_hidden_states=True; "
            "pass a transformers model (a PreTrainedModel)"
        )
    for index, states in enumerate(hidden):
        if states.ndim != 3 or tuple(states.shape[:2]) != tuple(ids.shape):
            raise RTDInputError(
                f"hidden state {index} has shape {tuple(states.shape)}, not (sequences, tokens, "
                f"hidden) for input_ids of shape {tuple(ids.shape)}, so its rows cannot be "
                "matched to the tokens; capture_hidden_states needs one hidden vector per token"
            )
    return tuple(hidden)


@dataclass(frozen=True)
class _Pooled:
    """One batch's rows per layer, with the (sequence, token) each row comes from."""

    layers: list[FloatArray]
    sequence: IntArray
    token: IntArray | None
    lengths: IntArray


def _pool_batch(hidden: list[torch.Tensor], mask: torch.Tensor, pooling: str) -> _Pooled:
    """Rows of one batch by ``pooling``; padded positions are dropped by indexing, never
    multiplied by 0, so that whatever a model leaves there (even NaN) cannot leak in."""
    valid = mask.to("cpu", torch.bool)
    lengths = valid.sum(dim=1)
    rows, columns = torch.nonzero(valid, as_tuple=True)  # row-major: sequence, then position
    rank = (valid.cumsum(dim=1) - 1)[rows, columns]  # position among the valid tokens
    if pooling == "token":
        keep, token = (rows, columns), rank
        sequence = rows
    else:
        sequence = torch.arange(valid.shape[0])
        token = None
        if pooling in ("first", "last"):
            token = torch.zeros_like(lengths) if pooling == "first" else lengths - 1
            keep = (sequence, columns[rank == token[rows]])
    layers = []
    for states in hidden:
        values = states.detach().to("cpu", torch.float64)
        if pooling == "mean":
            sums = torch.zeros(values.shape[0], values.shape[2], dtype=torch.float64)
            sums.index_add_(0, rows, values[rows, columns])
            layers.append((sums / lengths.unsqueeze(1)).numpy())
        else:
            layers.append(values[keep].numpy())
    return _Pooled(
        layers=layers,
        sequence=sequence.numpy().astype(np.int64),
        token=None if token is None else token.numpy().astype(np.int64),
        lengths=lengths.numpy().astype(np.int64),
    )


def _assemble(parts: list[_Pooled], names: list[str], pooling: str) -> HiddenStates:
    """Concatenate the batches, numbering sequences across them."""
    offsets = np.cumsum([0] + [len(p.lengths) for p in parts[:-1]])
    tokens = [p.token for p in parts]
    return HiddenStates(
        layers={name: np.concatenate([p.layers[k] for p in parts]) for k, name in enumerate(names)},
        pooling=pooling,
        sequence=np.concatenate([p.sequence + off for p, off in zip(parts, offsets, strict=True)]),
        token=None if tokens[0] is None else np.concatenate(tokens),  # type: ignore[arg-type]
        lengths=np.concatenate([p.lengths for p in parts]),
    )
