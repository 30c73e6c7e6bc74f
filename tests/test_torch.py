"""Tests of rtdkit.torch: layer capture, layer comparison, and the differentiable RTD loss."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import rtdkit  # noqa: E402
from rtdkit import RTDInputError  # noqa: E402
from rtdkit.engines import DEFAULT_ENGINE  # noqa: E402
from rtdkit.torch import RTDLoss, capture, compare_layers, plot_layers  # noqa: E402

# The reference engine is the yardstick; the default engine is what users get.
ENGINES = sorted({"reference", DEFAULT_ENGINE})


def _clouds(seed: int, n: int = 10, dims: tuple[int, int] = (4, 3)) -> tuple:
    """Two unrelated random clouds: distances in general position (no ties) almost surely."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dims[0], dtype=torch.float64, generator=g, requires_grad=True)
    z = torch.randn(n, dims[1], dtype=torch.float64, generator=g, requires_grad=True)
    return x, z


def _central_differences(loss_fn, tensors, eps: float = 1e-6) -> list:
    grads = []
    with torch.no_grad():
        for t in tensors:
            fd = torch.zeros_like(t)
            for idx in np.ndindex(*t.shape):
                orig = t[idx].item()
                t[idx] = orig + eps
                up = loss_fn().item()
                t[idx] = orig - eps
                down = loss_fn().item()
                t[idx] = orig
                fd[idx] = (up - down) / (2 * eps)
            grads.append(fd)
    return grads


# ----------------------------------------------------------------------------------------------
# RTDLoss
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"symmetric": False},
        {"normalize": None, "p": 2.0},
        {"dim": (1, 2)},
    ],
)
def test_gradient_matches_central_differences(engine, options):
    x, z = _clouds(seed=3)
    loss_fn = RTDLoss(engine=engine, **options)
    loss = loss_fn(x, z)
    loss.backward()
    assert loss.item() > 0
    fd_x, fd_z = _central_differences(lambda: loss_fn(x, z), [x, z])
    for grad, fd in ((x.grad, fd_x), (z.grad, fd_z)):
        scale = fd.abs().max().item()
        assert scale > 0
        assert (grad - fd).abs().max().item() <= 1e-6 * scale


@pytest.mark.parametrize("engine", ENGINES)
def test_loss_equals_rtd_on_the_whole_batch(engine):
    x, z = _clouds(seed=5, n=16)
    for symmetric in (True, False):
        value = RTDLoss(engine=engine, symmetric=symmetric)(x, z).item()
        ref = rtdkit.rtd(x, z, batch=None, symmetric=symmetric, engine=engine).value
        assert value == pytest.approx(ref, rel=1e-5)


@pytest.mark.parametrize("engine", ENGINES)
def test_identical_inputs_give_zero_loss_and_zero_gradient(engine):
    x, _ = _clouds(seed=1, n=20)
    for z in (x.detach().clone(), 3.0 * x.detach()):  # normalisation makes scale irrelevant
        z.requires_grad_(True)
        loss = RTDLoss(engine=engine)(x, z)
        loss.backward()
        assert loss.item() == 0.0
        assert torch.count_nonzero(x.grad) == 0 and torch.count_nonzero(z.grad) == 0
        x.grad = None


@pytest.mark.parametrize("options", [{}, {"symmetric": False}, {"normalize": None}])
@pytest.mark.parametrize("kind", ["unrelated", "projection"])
def test_identity_gradient_matches_central_differences_and_the_barcode(options, kind):
    x, z = _clouds(seed=4, n=12)
    if kind == "projection":  # z a noisy 2-d image of x: a hard pair for the barcode
        with torch.no_grad():
            z = (x @ torch.randn(4, 2, dtype=torch.float64) + 0.05 * z[:, :2]).requires_grad_()
    fast = RTDLoss(**options)
    assert fast.method == "identity"
    loss = fast(x, z)
    loss.backward()
    fd_x, fd_z = _central_differences(lambda: fast(x, z), [x, z])
    for grad, fd in ((x.grad, fd_x), (z.grad, fd_z)):
        scale = fd.abs().max().item()
        assert scale > 0
        assert (grad - fd).abs().max().item() <= 1e-6 * scale
    grads = (x.grad.clone(), z.grad.clone())
    x.grad = z.grad = None
    slow = RTDLoss(method="barcode", **options)(x, z)
    slow.backward()
    assert loss.item() == pytest.approx(slow.item(), rel=1e-12)
    torch.testing.assert_close(grads, (x.grad, z.grad), rtol=1e-9, atol=1e-12)


def test_identity_method_needs_the_total_length_of_h1():
    assert RTDLoss(p=2.0).method == "barcode"
    assert RTDLoss(dim=(1, 2)).method == "barcode"
    assert RTDLoss(engine="reference").method == "barcode"
    for kwargs in ({"p": 2.0}, {"dim": 2}, {"engine": "cone"}):
        with pytest.raises(RTDInputError, match="identity"):
            RTDLoss(method="identity", **kwargs)


def test_gradient_is_orthogonal_to_rescaling():
    # The loss is invariant to z -> c z, so d/dc L(c z) = <grad_z, z> must vanish.
    x, z = _clouds(seed=7, n=14)
    RTDLoss()(x, z).backward()
    assert abs(torch.sum(z.grad * z).item()) < 1e-10 * z.grad.norm().item() * z.norm().item()


@pytest.mark.parametrize(
    ("dtype", "computed_in"),
    [
        (torch.float32, torch.float32),
        (torch.float64, torch.float64),
        # Half precision loses the bars' ends (and CPU cdist rejects it): float32 inside.
        (torch.float16, torch.float32),
        (torch.bfloat16, torch.float32),
    ],
)
def test_floating_dtypes(dtype, computed_in):
    x64, z64 = _clouds(seed=11, n=24)
    x = x64.detach().to(dtype).requires_grad_(True)
    z = z64.detach().to(dtype).requires_grad_(True)
    loss = RTDLoss()(x, z)
    loss.backward()
    assert loss.dtype == computed_in and loss.ndim == 0
    assert torch.isfinite(x.grad.float()).all() and torch.isfinite(z.grad.float()).all()
    assert x.grad.dtype == dtype
    expected = RTDLoss()(x.detach().double(), z.detach().double()).item()
    assert loss.item() == pytest.approx(expected, rel=1e-4)


def test_coincident_points_have_finite_gradient():
    x, z = _clouds(seed=2, n=12)
    x = torch.cat([x, x[:3]]).detach().requires_grad_(True)  # three duplicated rows
    z = torch.cat([z, z[:3] + 0.1]).detach().requires_grad_(True)
    RTDLoss()(x, z).backward()
    assert torch.isfinite(x.grad).all() and torch.isfinite(z.grad).all()


def test_learnable_scale_gets_the_right_gradient():
    x, z = _clouds(seed=4, n=12)
    log_s = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    loss_fn = RTDLoss()
    loss_fn(x, z, scale=log_s.exp()).backward()
    (fd,) = _central_differences(lambda: loss_fn(x, z, scale=log_s.exp()), [log_s])
    assert log_s.grad.item() == pytest.approx(fd.item(), rel=1e-6)


def test_no_graph_is_kept_between_steps():
    loss_fn = RTDLoss()
    assert not list(loss_fn.parameters()) and not list(loss_fn.buffers())
    x, z = _clouds(seed=8, n=12)
    probe = weakref.ref(z)
    loss_fn(x, z).backward()
    del z
    gc.collect()
    assert probe() is None  # nothing (module, engine, cache) still references the step's graph


def test_standard_training_loop_lowers_the_loss():
    x, _ = _clouds(seed=9, n=24, dims=(6, 2))
    z = torch.randn(24, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    z.requires_grad_(True)
    loss_fn = RTDLoss()
    optimizer = torch.optim.Adam([z], lr=0.05)
    losses = []
    for _ in range(30):
        loss = loss_fn(x.detach(), z)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dim": 0}, "dim"),
        ({"p": -1.0}, "p must"),
        ({"normalize": "max"}, "normalize"),
        ({"engine": "nope"}, "unknown engine"),
    ],
)
def test_rtdloss_rejects_bad_options(kwargs, match):
    with pytest.raises(RTDInputError, match=match):
        RTDLoss(**kwargs)


@pytest.mark.parametrize("method", ["identity", "barcode"])
def test_rtdloss_refuses_a_batch_that_cannot_fit_before_allocating(monkeypatch, method):
    """The guard sees the batch size before torch builds any B x B matrix, and names the fix."""
    import rtdkit.torch.loss as loss_module

    seen = []

    def refuse(n, bytes_per_n2, *, what, fix):
        seen.append((n, what))
        raise RTDInputError(f"{what} on {n} points needs more memory than is available; {fix}")

    monkeypatch.setattr(loss_module, "check_memory", refuse)
    monkeypatch.setattr(loss_module, "_normalized_distances", None)  # must not be reached
    x, z = torch.randn(50, 4), torch.randn(50, 2)
    with pytest.raises(RTDInputError, match="batch_size"):
        RTDLoss(method=method)(x, z)
    assert seen == [(50, f"RTDLoss (method {method!r})")]


def test_rtdloss_rejects_bad_batches():
    loss_fn = RTDLoss()
    x = torch.randn(10, 3)
    with pytest.raises(RTDInputError, match="same batch"):
        loss_fn(x, torch.randn(9, 2))
    with pytest.raises(RTDInputError, match="floating-point"):
        loss_fn(x, torch.ones(10, 2, dtype=torch.int64))
    with pytest.raises(RTDInputError, match="cannot be normalised"):
        loss_fn(x, torch.zeros(10, 2))
    with pytest.raises(RTDInputError, match="scale"):
        loss_fn(x, torch.randn(10, 2), scale=-1.0)


def test_import_rtdkit_does_not_import_torch():
    code = "import sys, rtdkit; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------------------------
# capture
# ----------------------------------------------------------------------------------------------


def _mlp() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3)
    )


def _no_hooks(model: nn.Module) -> bool:
    return all(not m._forward_hooks for m in model.modules())


def test_capture_shapes_eval_mode_and_training_flags_restored():
    model = _mlp()
    model.train()
    model[2].eval()  # a deliberately mixed model must get its mixed flags back
    x = torch.randn(70, 5)
    reps = capture(model, x, ["0", "3", "5"], batch_size=32)
    assert list(reps) == ["0", "3", "5"]
    assert {k: v.shape for k, v in reps.items()} == {"0": (70, 16), "3": (70, 8), "5": (70, 3)}
    assert reps["5"].dtype == np.float32
    with torch.no_grad():
        expected = model.eval()(x).numpy()  # eval mode: dropout off, so outputs must match
    np.testing.assert_allclose(reps["5"], expected, rtol=1e-5, atol=1e-6)
    model.train()
    model[2].eval()
    capture(model, x, "3")
    assert model.training and model[0].training and not model[2].training
    assert _no_hooks(model)


def test_unknown_layer_lists_valid_names():
    with pytest.raises(RTDInputError) as info:
        capture(_mlp(), torch.randn(8, 5), ["3", "layer4"])
    message = str(info.value)
    assert "'layer4'" in message and "'0', '1', '2', '3', '4', '5'" in message


def test_hooks_removed_and_mode_restored_when_forward_fails():
    class Broken(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first = nn.Linear(4, 4)

        def forward(self, x):
            self.first(x)
            raise RuntimeError("boom")

    model = Broken().train()
    with pytest.raises(RuntimeError, match="boom"):
        capture(model, torch.randn(6, 4), "first")
    assert _no_hooks(model) and model.training


def test_capture_conv_flatten_and_pool():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 6, 3, stride=2))
    x = torch.randn(10, 1, 8, 8)
    flat = capture(model, x, ["0", "2"])
    assert flat["0"].shape == (10, 4 * 8 * 8) and flat["2"].shape == (10, 6 * 3 * 3)
    avg = capture(model, x, "0", pool="avg")["0"]
    top = capture(model, x, "0", pool="max")["0"]
    grid = flat["0"].reshape(10, 4, 64)
    np.testing.assert_allclose(avg, grid.mean(axis=2), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(top, grid.max(axis=2))
    with pytest.raises(RTDInputError, match="pool"):
        capture(model, x, "0", pool="mean")


class _Block(nn.Module):
    """A transformer-like block returning (hidden, attention) or a dict of them."""

    def __init__(self, as_dict: bool) -> None:
        super().__init__()
        self.proj = nn.Linear(6, 6)
        self.as_dict = as_dict

    def forward(self, x):
        hidden = self.proj(x)  # (B, T, C)
        attention = torch.softmax(hidden @ hidden.transpose(1, 2), dim=-1)  # (B, T, T)
        if self.as_dict:
            return {"attention": attention, "hidden": hidden}
        return hidden, attention


@pytest.mark.parametrize("as_dict", [False, True])
def test_capture_tuple_and_dict_outputs(as_dict):
    torch.manual_seed(0)
    model = nn.Sequential(_Block(as_dict))
    x = torch.randn(9, 5, 6)  # 9 sequences of 5 tokens
    key = "hidden" if as_dict else 0
    reps = capture(model, x, "0", pool="avg", channel_dim=-1, output_key=key)["0"]
    with torch.no_grad():
        hidden = model[0].proj(x)
    np.testing.assert_allclose(reps, hidden.mean(dim=1).numpy(), rtol=1e-5, atol=1e-6)
    both = capture(model, x, ["0", "0.proj"], output_key=key)  # a plain tensor ignores the key
    assert both["0.proj"].shape == (9, 30)
    first = capture(model, x, "0")["0"]  # default: the first tensor of the output
    assert first.shape == (9, 25 if as_dict else 30)
    with pytest.raises(RTDInputError, match="output_key"):
        capture(model, x, "0", output_key="missing" if as_dict else 5)


def test_capture_dataloader_batches_with_targets_and_dicts():
    model = _mlp()
    x, y = torch.randn(50, 5), torch.randint(0, 3, (50,))
    direct = capture(model, x, "3")["3"]
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    np.testing.assert_allclose(capture(model, loader, "3")["3"], direct, rtol=1e-6)
    dicts = ({"input": xb} for xb in x.split(20))
    np.testing.assert_allclose(capture(model, dicts, "3")["3"], direct, rtol=1e-6)
    head = capture(model, loader, "3", max_samples=20)["3"]
    np.testing.assert_allclose(head, direct[:20], rtol=1e-6)


def test_capture_rejects_modules_called_twice_or_never():
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.shared = nn.Linear(4, 4)
            self.unused = nn.Linear(4, 4)

        def forward(self, x):
            return self.shared(self.shared(x))

    with pytest.raises(RTDInputError, match="called 2 times"):
        capture(Twice(), torch.randn(5, 4), "shared")
    with pytest.raises(RTDInputError, match="not called"):
        capture(Twice(), torch.randn(5, 4), "unused")


# ----------------------------------------------------------------------------------------------
# compare_layers, plot_layers
# ----------------------------------------------------------------------------------------------


def test_compare_layers_on_a_tiny_mlp():
    model = _mlp()
    x = torch.randn(60, 5, generator=torch.Generator().manual_seed(1))
    reps = capture(model, x, ["0", "3", "5"])
    scores = compare_layers(reps, batch=None)
    rtd_matrix, cka_matrix = scores["rtd"], scores["cka"]
    assert list(rtd_matrix.index) == ["0", "3", "5"] and list(rtd_matrix.columns) == ["0", "3", "5"]
    np.testing.assert_array_equal(rtd_matrix.to_numpy(), rtd_matrix.to_numpy().T)
    np.testing.assert_allclose(np.diag(rtd_matrix), 0.0)
    np.testing.assert_allclose(np.diag(cka_matrix), 1.0)
    cell = rtdkit.rtd(reps["0"], reps["5"], batch=None).value
    assert rtd_matrix.loc["0", "5"] == pytest.approx(cell)

    other = capture(_mlp().apply(_reinit), x, ["3", "5"])  # a second "seed"
    cross = compare_layers(reps, other, measures="cka")
    assert cross["cka"].shape == (3, 2) and list(cross["cka"].columns) == ["3", "5"]

    fig = plot_layers(scores)
    titles = [ax.get_title() for ax in fig.axes]
    assert "RTD" in titles and "1 − CKA" in titles


def _reinit(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, generator=torch.Generator().manual_seed(5))


def test_compare_layers_validates_inputs():
    reps = {"a": np.random.default_rng(0).normal(size=(20, 3))}
    with pytest.raises(TypeError, match="batchh"):  # keyword-only options, as any function
        compare_layers(reps, batchh=10)
    with pytest.raises(RTDInputError, match="measure"):
        compare_layers(reps, measures="disagreement")
    with pytest.raises(RTDInputError, match="row counts differ"):
        compare_layers(reps, {"b": np.zeros((10, 3))}, measures="cka")


def test_capture_refuses_a_nested_list_with_advice():
    net = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(rtdkit.RTDTypeError, match=r"torch.tensor\(data"):
        capture(net, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], layers="0")
