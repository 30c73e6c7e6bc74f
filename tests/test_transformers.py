"""Hidden states of Hugging Face models (rtdkit.torch.capture_hidden_states) on tiny randomly
initialised models built from a config: a BERT-like encoder and a GPT-like decoder. Nothing is
downloaded (HF_HUB_OFFLINE=1)."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers is imported: never reach the hub

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel, GPT2Config, GPT2Model

import rtdkit
from rtdkit import RTDInputError, RTDTypeError
from rtdkit.torch import HiddenStates, capture_hidden_states

VOCAB = 50
LENGTHS = (3, 5, 9, 1, 7, 4, 6)  # one sequence of a single token, none empty


def tiny_bert(seed: int = 0) -> BertModel:
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    return BertModel(config)


def tiny_gpt2(seed: int = 0) -> GPT2Model:
    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=VOCAB, n_embd=16, n_layer=2, n_head=2, n_positions=32, bos_token_id=0,
        eos_token_id=0,
    )  # fmt: skip
    return GPT2Model(config)


MODELS: dict[str, Callable[[], torch.nn.Module]] = {"bert": tiny_bert, "gpt2": tiny_gpt2}


@pytest.fixture(scope="module", params=list(MODELS))
def model(request: pytest.FixtureRequest) -> torch.nn.Module:
    return MODELS[request.param]()


def sequences(seed: int = 1) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(1, VOCAB, (length,), generator=g) for length in LENGTHS]


def padded(seqs: list[torch.Tensor], width: int, side: str, pad_id: int = 0) -> dict[str, Any]:
    """A tokenizer's output for ``seqs``, padded to ``width`` on ``side`` with ``pad_id``."""
    ids = torch.full((len(seqs), width), pad_id)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        span = slice(0, len(s)) if side == "right" else slice(width - len(s), width)
        ids[i, span], mask[i, span] = s, 1
    return {"input_ids": ids, "attention_mask": mask}


def direct_hidden_states(model: torch.nn.Module, batch: dict[str, Any]) -> list[np.ndarray]:
    """The model's own hidden states for the whole batch in one call, as (N, T, D) arrays."""
    model.eval()
    with torch.no_grad():
        out = model(**batch, output_hidden_states=True)
    return [h.double().numpy() for h in out.hidden_states]


def test_each_pooling_matches_a_loop_over_the_models_own_hidden_states(
    model: torch.nn.Module,
) -> None:
    batch = padded(sequences(), 11, "right")
    hidden = direct_hidden_states(model, batch)
    mask = batch["attention_mask"].numpy()
    valid = [np.flatnonzero(row) for row in mask]
    expected = {
        "mean": lambda h, i: h[i, valid[i]].mean(axis=0),
        "first": lambda h, i: h[i, valid[i][0]],
        "last": lambda h, i: h[i, valid[i][-1]],
    }
    for pooling, pick in expected.items():
        states = capture_hidden_states(model, batch, pooling=pooling, batch_size=3)
        assert list(states) == ["embeddings", "layer 1", "layer 2"]
        assert states.sequence.tolist() == list(range(len(LENGTHS)))
        assert states.lengths.tolist() == list(LENGTHS)
        for name, h in zip(states, hidden, strict=True):
            rows = np.stack([pick(h, i) for i in range(len(LENGTHS))])
            assert states[name].dtype == np.float64
            np.testing.assert_allclose(states[name], rows, rtol=0, atol=1e-6)
    # The three poolings are different numbers (the comparison above is not vacuous).
    pooled = {p: capture_hidden_states(model, batch, pooling=p)["layer 2"] for p in expected}
    assert not np.allclose(pooled["mean"], pooled["first"])
    assert not np.allclose(pooled["first"], pooled["last"])


def test_token_rows_are_the_valid_tokens_sequence_by_sequence(model: torch.nn.Module) -> None:
    batch = padded(sequences(), 10, "left")
    hidden = direct_hidden_states(model, padded(sequences(), 10, "right"))
    states = capture_hidden_states(model, batch, pooling="token", batch_size=2)
    expected_sequence = np.repeat(np.arange(len(LENGTHS)), LENGTHS)
    expected_token = np.concatenate([np.arange(n) for n in LENGTHS])
    np.testing.assert_array_equal(states.sequence, expected_sequence)
    assert states.token is not None
    np.testing.assert_array_equal(states.token, expected_token)
    for name, h in zip(states, hidden, strict=True):
        # Right-padded, token t of sequence i sits in column t of the model's own output.
        rows = h[states.sequence, states.token]
        np.testing.assert_allclose(states[name], rows, rtol=0, atol=1e-6)


@pytest.mark.parametrize("pooling", ["mean", "first", "last", "token"])
def test_padding_changes_nothing(model: torch.nn.Module, pooling: str) -> None:
    """The same sequences padded to different widths, on either side, with different padding
    ids and batch sizes, give the same rows."""
    seqs = sequences()
    reference = capture_hidden_states(model, padded(seqs, 9, "right"), pooling=pooling)
    variants = [
        (padded(seqs, 16, "right", pad_id=7), 2),
        (padded(seqs, 12, "left", pad_id=3), 4),
        (padded(seqs, 9, "left"), 32),
    ]
    for batch, batch_size in variants:
        states = capture_hidden_states(model, batch, pooling=pooling, batch_size=batch_size)
        for name in reference:
            np.testing.assert_allclose(states[name], reference[name], rtol=0, atol=1e-6)
        np.testing.assert_array_equal(states.sequence, reference.sequence)


def test_left_padding_shifts_positions_unless_they_are_counted_from_the_mask() -> None:
    """Why capture passes position ids for left padding: fed as is, a left-padded decoder
    reads each token at a shifted position and its last hidden state changes."""
    model, seqs = tiny_gpt2(), sequences()
    right, left = padded(seqs, 9, "right"), padded(seqs, 9, "left")
    as_is = direct_hidden_states(model, left)[-1][:, -1]  # the last column: each last token
    last = capture_hidden_states(model, right, pooling="last")["layer 2"]
    assert np.abs(as_is - last).max() > 1e-2
    captured = capture_hidden_states(model, left, pooling="last")["layer 2"]
    np.testing.assert_allclose(captured, last, rtol=0, atol=1e-6)


def test_an_iterable_of_batches_numbers_sequences_across_batches(model: torch.nn.Module) -> None:
    seqs = sequences()
    whole = capture_hidden_states(model, padded(seqs, 9, "right"), pooling="token")
    loader = [padded(seqs[:3], 10, "right"), padded(seqs[3:], 8, "left", pad_id=9)]
    states = capture_hidden_states(model, loader, pooling="token", progress=True)
    np.testing.assert_array_equal(states.sequence, whole.sequence)
    assert states.token is not None and whole.token is not None
    np.testing.assert_array_equal(states.token, whole.token)
    for name in whole:
        np.testing.assert_allclose(states[name], whole[name], rtol=0, atol=1e-6)
    generated = capture_hidden_states(model, iter(loader), pooling="mean")
    assert generated["layer 1"].shape == (len(LENGTHS), 16)
    # A tokenizer's output without return_tensors holds lists: cut into the same batches.
    as_lists = {key: value.tolist() for key, value in padded(seqs, 9, "right").items()}
    listed = capture_hidden_states(model, as_lists, pooling="token", batch_size=3)
    for name in whole:
        np.testing.assert_allclose(listed[name], whole[name], rtol=0, atol=1e-6)


def test_layers_select_hidden_states_and_extra_keys_reach_the_model() -> None:
    model = tiny_bert()
    batch = padded(sequences(), 9, "right")
    everything = capture_hidden_states(model, batch)
    chosen = capture_hidden_states(model, batch, layers=[-1, 0])
    assert list(chosen) == ["layer 2", "embeddings"]
    np.testing.assert_array_equal(chosen["layer 2"], everything["layer 2"])
    # token_type_ids travel to BERT: segment 1 embeddings change the embedding output.
    typed = capture_hidden_states(
        model, {**batch, "token_type_ids": torch.ones_like(batch["input_ids"])}, layers=[0]
    )
    assert not np.allclose(typed["embeddings"], everything["embeddings"])
    assert chosen.token is None and "2 layers of 7 x 16" in repr(chosen)
    assert repr(capture_hidden_states(model, batch, layers=-1)).startswith(
        "HiddenStates(1 layer of 7 x 16, pooling='mean', 7 sequences"
    )


def test_training_flags_are_restored_and_dropout_is_off() -> None:
    model = tiny_bert()
    model.train()
    model.encoder.layer[0].eval()  # a deliberately mixed model
    batch = padded(sequences(), 9, "right")
    first = capture_hidden_states(model, batch)
    second = capture_hidden_states(model, batch)
    assert model.training and not model.encoder.layer[0].training
    np.testing.assert_array_equal(first["layer 2"], second["layer 2"])  # no dropout noise


def test_two_models_compare_layer_by_layer() -> None:
    batch = padded(sequences(), 9, "right")  # 35 tokens: more rows than the 16 features
    a = capture_hidden_states(tiny_bert(0), batch, pooling="token")
    b = capture_hidden_states(tiny_bert(0), padded(sequences(), 12, "left"), pooling="token")
    assert rtdkit.rtd(a["layer 2"], b["layer 2"], batch=None).value == pytest.approx(0, abs=1e-6)
    scores = rtdkit.layers.compare_layers(a, b, ["cka"], batch=None)
    np.testing.assert_allclose(np.diag(scores["cka"].to_numpy()), 1.0, atol=1e-9)


# ------------------------------------------------------------------------------ bad input


class NoPositions(torch.nn.Module):
    """A model whose forward takes no position_ids."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = tiny_gpt2()

    def forward(self, input_ids: Any, attention_mask: Any, **kwargs: Any) -> Any:
        return self.inner(input_ids=input_ids, attention_mask=attention_mask, **kwargs)


class NoHiddenStates(torch.nn.Module):
    def forward(self, input_ids: Any, **kwargs: Any) -> torch.Tensor:
        return input_ids.float()


class PooledHiddenStates(torch.nn.Module):
    """A model whose hidden states are not one vector per token."""

    def forward(self, input_ids: Any, **kwargs: Any) -> dict[str, Any]:
        return {"hidden_states": (input_ids.float().unsqueeze(-1).mean(dim=1),)}


def test_bad_input_is_refused_naming_the_argument() -> None:
    model = tiny_bert()
    batch = padded(sequences(), 9, "right")
    ids, mask = batch["input_ids"], batch["attention_mask"]
    cases: list[tuple[Any, dict[str, Any], type[Exception], str]] = [
        ("bert", {}, RTDTypeError, "model must be a torch.nn.Module"),
        (model, {"pooling": "cls"}, RTDInputError, "pooling must be one of"),
        (model, {"batch_size": 0}, RTDInputError, "batch_size must be >= 1"),
        (model, {"layers": []}, RTDInputError, "layers must be a non-empty list"),
        (model, {"layers": [3]}, RTDInputError, r"layers \[3\] are out of range.*3 hidden"),
        (model, {"layers": [2, -1]}, RTDInputError, "names a hidden state twice"),
        (model, {"inputs": {"input_ids": ids}}, RTDInputError, "no 'attention_mask'"),
        (model, {"inputs": "some text"}, RTDTypeError, "inputs must be a tokenizer's output"),
        (model, {"inputs": [ids]}, RTDTypeError, "batch 0 is a Tensor"),
        (model, {"inputs": []}, RTDInputError, "yielded no batches"),
        (model, {"inputs": {**batch, "input_ids": ids.float()}}, RTDInputError, "integer"),
        (model, {"inputs": {**batch, "attention_mask": mask[:, :5]}}, RTDInputError, "shape"),
        (model, {"inputs": {**batch, "attention_mask": 2 * mask}}, RTDInputError, r"\[2\]"),
        (
            model,
            {"inputs": {**batch, "attention_mask": mask.index_fill(0, torch.tensor([4]), 0)}},
            RTDInputError,
            r"batch 0: sequence\(s\) \[4\] have no valid token",
        ),
        (NoPositions(), {"inputs": padded(sequences(), 9, "left")}, RTDInputError, "right"),
        (NoHiddenStates(), {}, RTDInputError, "returned no hidden_states"),
        (PooledHiddenStates(), {}, RTDInputError, r"hidden state 0 has shape \(7, 1\)"),
    ]
    for bad_model, options, error, message in cases:
        options = {"inputs": batch, **options}
        with pytest.raises(error, match=message):
            capture_hidden_states(bad_model, **options)
    assert isinstance(capture_hidden_states(NoPositions(), batch), HiddenStates)


def test_a_result_larger_than_the_memory_is_refused_naming_the_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import rtdkit.torch.transformers as module

    batch = padded(sequences(), 9, "right")
    rows, layers, width = sum(LENGTHS), 3, 16
    monkeypatch.setattr(module, "available_memory", lambda: 8 * rows * layers * width - 1)
    with pytest.raises(RTDInputError, match=r"layers=\[\.\.\.\]\), pool per sequence"):
        capture_hidden_states(tiny_bert(), batch, pooling="token")
    # The same budget holds one row per sequence, and the per-token rows of one layer.
    assert len(capture_hidden_states(tiny_bert(), batch, pooling="mean")) == layers
    assert len(capture_hidden_states(tiny_bert(), batch, pooling="token", layers=[-1])) == 1
