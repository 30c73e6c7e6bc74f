"""RTDLoss at ties (duplicate points, lattices): what its two gradient paths guarantee.

Where distances tie the loss is continuous but not differentiable. The identity path and the
barcode path each return the gradient of the loss for one order of the tied distances (their
engines break ties differently), so the two vectors may differ; docs/gradients.md states the
guarantee tested here: equal loss values, finite gradients, the same derivative along every
direction that keeps the ties (so both respect the loss's symmetries), and equal gradients as
soon as a tiny generic perturbation removes the ties.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from rtdkit.torch import RTDLoss  # noqa: E402

OPTIONS = [{}, {"symmetric": False}, {"normalize": None}]


def _random(seed: int, n: int, d: int) -> torch.Tensor:
    return torch.randn(n, d, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def _grid() -> torch.Tensor:
    """4 x 3 integer lattice: many equal distances."""
    xx, yy = torch.meshgrid(torch.arange(4.0), torch.arange(3.0), indexing="ij")
    return torch.stack([xx.flatten(), yy.flatten()], 1).to(torch.float64)


def _with_duplicate(points: torch.Tensor, copy: int, of: int) -> torch.Tensor:
    out = points.clone()
    out[copy] = out[of]
    return out


# (x, z, duplicates): duplicates lists (copy, original) rows of x and of z
CASES = {
    "duplicate in x": (_with_duplicate(_random(4, 12, 4), 7, 3), _random(5, 12, 2), [(7, 3)], []),
    "duplicate in z": (_random(4, 12, 4), _with_duplicate(_random(5, 12, 2), 9, 1), [], [(9, 1)]),
    "lattice x": (_grid(), _random(5, 12, 2), None, None),
    "two lattices": (_grid(), _grid()[:, [1, 0]] * torch.tensor([1.0, 2.0]), None, None),
}


def _loss_and_grads(
    method: str, x: torch.Tensor, z: torch.Tensor, options: dict
) -> tuple[float, torch.Tensor, torch.Tensor]:
    x, z = x.clone().requires_grad_(), z.clone().requires_grad_()
    loss = RTDLoss(method=method, **options)(x, z)
    loss.backward()
    assert x.grad is not None and z.grad is not None
    return loss.item(), x.grad, z.grad


def _value(x: torch.Tensor, z: torch.Tensor, options: dict) -> float:
    with torch.no_grad():
        return float(RTDLoss(method="barcode", **options)(x, z))


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_equal_values_and_finite_gradients_at_ties(case: str, options: dict) -> None:
    x, z, _, _ = CASES[case]
    fast = _loss_and_grads("identity", x, z, options)
    slow = _loss_and_grads("barcode", x, z, options)
    assert fast[0] == pytest.approx(slow[0], rel=1e-12, abs=1e-14)
    for grad in (*fast[1:], *slow[1:]):
        assert torch.isfinite(grad).all()


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("case", ["duplicate in x", "duplicate in z"])
def test_both_gradients_give_the_derivative_along_directions_that_keep_the_ties(
    case: str, options: dict
) -> None:
    """Moving a duplicate and its original together keeps every tie: along such directions
    the loss is smooth, and both gradients give its derivative (central differences)."""
    x, z, dup_x, dup_z = CASES[case]
    grads = {m: _loss_and_grads(m, x, z, options)[1:] for m in ("identity", "barcode")}
    generator = torch.Generator().manual_seed(11)
    for _ in range(3):
        vx = torch.randn(x.shape, dtype=torch.float64, generator=generator)
        vz = torch.randn(z.shape, dtype=torch.float64, generator=generator)
        for v, pairs in ((vx, dup_x), (vz, dup_z)):
            for copy, original in pairs:
                v[copy] = v[original]
        eps = 1e-6
        central = (
            _value(x + eps * vx, z + eps * vz, options)
            - _value(x - eps * vx, z - eps * vz, options)
        ) / (2 * eps)
        for gx, gz in grads.values():
            directional = float((gx * vx).sum() + (gz * vz).sum())
            assert directional == pytest.approx(central, rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("case", ["lattice x", "two lattices"])
def test_both_gradients_respect_the_symmetries_of_the_loss(case: str, options: dict) -> None:
    """Translations and rotations keep every tie of a lattice and leave the loss unchanged;
    scaling a cloud keeps the ties too, and the loss is invariant to it (normalised) or
    homogeneous of degree 1 in both clouds together (normalize=None)."""
    x, z, _, _ = CASES[case]
    for method in ("identity", "barcode"):
        loss, gx, gz = _loss_and_grads(method, x, z, options)
        for g, cloud in ((gx, x), (gz, z)):
            torch.testing.assert_close(g.sum(0), torch.zeros(2, dtype=torch.float64))
            torque = (cloud[:, 0] * g[:, 1] - cloud[:, 1] * g[:, 0]).sum()
            assert abs(float(torque)) <= 1e-12
        if options.get("normalize", "quantile") is None:
            assert float((gx * x).sum() + (gz * z).sum()) == pytest.approx(loss, abs=1e-12)
        else:
            assert abs(float((gx * x).sum())) <= 1e-12 and abs(float((gz * z).sum())) <= 1e-12


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_agree_once_a_tiny_generic_perturbation_breaks_the_ties(
    case: str, options: dict
) -> None:
    x, z, _, _ = CASES[case]
    # 1e-3 relative: far above float32's resolution, in which the engines order distances
    x = x + 1e-3 * _random(21, *x.shape)
    z = z + 1e-3 * _random(22, *z.shape)
    fast = _loss_and_grads("identity", x, z, options)
    slow = _loss_and_grads("barcode", x, z, options)
    assert fast[0] == pytest.approx(slow[0], rel=1e-12)
    torch.testing.assert_close(fast[1:], slow[1:], rtol=1e-9, atol=1e-12)
