"""RTD as a differentiable loss for PyTorch.

The barcode engine runs on detached copies of the distance matrices
(:func:`rtdkit.critical.critical_barcode`); each bar's birth and death are then read back from
the torch matrices at the entries that define them, so autograd reaches exactly those
distances.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from rtdkit._validation import (
    FloatArray,
    RTDInputError,
    RTDTypeError,
    check_bool,
    check_int,
    check_n_jobs,
)
from rtdkit.critical import (
    FROM_W,
    FROM_W_TILDE,
    RESOLVE_BYTES_PER_N2,
    CriticalTotal,
    CriticalValues,
    critical_barcode,
    critical_identity,
)
from rtdkit.distances import check_memory
from rtdkit.memory_checks import IDENTITY_TRIAL_BYTES_PER_N2
from rtdkit.options import RTDOptions

__all__ = ["RTDLoss"]


class RTDLoss(nn.Module):
    """Representation Topology Divergence as a differentiable loss.

    ``loss(x, z)`` is RTD_dim(x, z) = the sum of ``length ** p`` over R-Cross-Barcode_dim(x, z)
    of the whole batch (no subsampling), averaged with RTD_dim(z, x) when ``symmetric``. The
    barcode engine runs on detached float64 copies of the distance matrices; each bar's birth
    and death are then read back from the torch matrices at the bar's critical edges, so the
    gradient is the exact (almost-everywhere) gradient of the loss: it reaches precisely the
    distances that define the bars (and, with normalisation, the two order statistics behind
    each 0.9-quantile). At tied distances it is the gradient for one order of the ties, so
    ``method='identity'`` and ``'barcode'`` may then differ (``docs/gradients.md``). The module
    keeps no tensors between calls.

    Parameters
    ----------
    dim : int or sequence of int, default 1
        Homology dimension(s) whose bars are summed (the paper's RTD uses 1).
    p : float, default 1.0
        Exponent of the bar lengths (1: the RTD; 2 weights long bars more).
    symmetric : bool, default True
        Average both directions, as the paper's RTD score.
    normalize : {'quantile', None} or float, default 'quantile'
        Divide each distance matrix by its 0.9-quantile ('quantile'), by another quantile
        (float in (0, 1]), or not at all (None), as in :func:`rtdkit.rtd`. The gradient flows
        through the quantile, so the normalised loss is invariant to rescaling x or z and its
        gradient has no component along that rescaling.
    engine : str, optional
        Barcode engine (must report critical edges); default: rtdkit's default engine.
    n_threads : int, default 1
        Threads the engine may use for each barcode (-1: every core).
    method : {'identity', 'barcode'}, optional
        'identity' computes RTD_1 as the exact identity of :func:`rtdkit.rtd` (spanning trees,
        H1 of Rips(mu) and an image term; ``docs/score.md``) and differentiates it through the
        same kind of critical entries: the same loss and gradient as the barcode, without the
        barcode (milliseconds where the barcode of a batch against its low-dimensional code
        takes seconds or minutes). It needs ``dim=1`` and ``p=1``. Default: 'identity' when
        those hold and no engine is named, else 'barcode'.

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
        normalize: str | float | None = "quantile",
        engine: str | None = None,
        n_threads: int = 1,
        method: str | None = None,
    ) -> None:
        super().__init__()
        self.dims = _check_dims(dim)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p < math.inf:
            raise RTDInputError(f"p must be a positive finite number, got {p!r}")
        self.p = float(p)
        self.symmetric = check_bool(symmetric, "symmetric")
        self.n_threads = check_n_jobs(n_threads, "n_threads")
        # The identity gives the total bar length of H1, i.e. the loss with dim=1 and p=1.
        total_of_h1 = self.dims == (1,) and self.p == 1.0
        if method == "identity" and not total_of_h1:
            raise RTDInputError(
                "method='identity' gives the total bar length of H1 (dim=1, p=1) only; got "
                f"dim={self.dims}, p={self.p}. Use method='barcode'"
            )
        self.options = RTDOptions.check(
            dim=max(self.dims),
            normalize=normalize,
            engine=engine,
            method=method,
            edges=True,
            identity=total_of_h1,
            purpose=", which RTDLoss needs for gradients",
        )
        self.quantile = self.options.quantile
        self.method = self.options.method
        self.engine = self.options.engine  # None with the identity, which uses no engine

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
        _check_batch_memory(len(x), self.method, self.options)
        dtype = torch.promote_types(x.dtype, z.dtype)
        wx = _normalized_distances(x, self.quantile, "x").to(dtype)
        wz = _normalized_distances(z, self.quantile, "z").to(dtype)
        if scale is not None:
            wz = wz * _check_scale(scale, wz)
        if self.method == "identity":
            return _identity_rtd(wx, wz, self.symmetric)
        forward = _directed_rtd(wx, wz, self.dims, self.p, self.engine, self.n_threads)
        if not self.symmetric:
            return forward
        backward = _directed_rtd(wz, wx, self.dims, self.p, self.engine, self.n_threads)
        return (forward + backward) / 2.0

    def extra_repr(self) -> str:
        return (
            f"dim={self.dims}, p={self.p}, symmetric={self.symmetric}, "
            f"quantile={self.quantile}, method={self.method!r}, engine={self.engine!r}"
        )


# Torch's two distance matrices and the quantile's sorted copy (float64: 24 bytes per B²) and
# their detached float64 numpy copies (16), on top of what the critical entries need.
TORCH_BYTES_PER_N2 = 40.0


def _check_batch_memory(batch: int, method: str, options: RTDOptions) -> None:
    """Refuse a batch whose matrices cannot fit before torch allocates them."""
    if method == "identity":
        engine_bytes = IDENTITY_TRIAL_BYTES_PER_N2
    else:
        engine_bytes = options.info.bytes_per_n2 or 16.0
    per_n2 = TORCH_BYTES_PER_N2 + RESOLVE_BYTES_PER_N2 + engine_bytes
    check_memory(
        batch,
        per_n2,
        what=f"RTDLoss (method {method!r})",
        fix="lower your DataLoader's batch_size to {fitting} or less (RTDLoss computes on the "
        "whole batch, without subsampling)",
    )


def _check_dims(dim: int | Sequence[int]) -> tuple[int, ...]:
    dims = [dim] if not isinstance(dim, Sequence) else list(dim)
    if not dims:
        raise RTDInputError("dim must be a homology dimension >= 1 or a non-empty list of them")
    checked = [check_int(d, "dim", minimum=1) for d in dims]
    return tuple(sorted(set(checked)))


def _check_batches(x: Any, z: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Both batches as (B, features) floating tensors with the same B, on the same device."""
    out = []
    for tensor, name in ((x, "x"), (z, "z")):
        if not isinstance(tensor, torch.Tensor):
            raise RTDTypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
        if not tensor.is_floating_point():
            raise RTDTypeError(f"{name} must be a floating-point tensor; use {name}.float()")
        if tensor.dtype in (torch.float16, torch.bfloat16):
            # Half-precision distances lose the bars' ends (and CPU cdist rejects them): the
            # loss is computed in float32, and gradients flow back to the half tensor.
            tensor = tensor.float()
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
    engine: str | None,
    n_threads: int,
) -> torch.Tensor:
    """Sum of bar lengths ** p of R-Cross-Barcode(P, P̃), differentiable in ``w`` and ``w_tilde``."""
    w_np = w.detach().to("cpu", torch.float64).numpy()
    wt_np = w_tilde.detach().to("cpu", torch.float64).numpy()
    bc, critical = critical_barcode(
        w_np, wt_np, maxdim=max(dims), engine=engine, n_threads=n_threads
    )
    total = w.new_zeros(())
    for d in dims:
        values = _read(critical[d], w, w_tilde)
        lengths = values[:, 1] - values[:, 0]
        _check_lengths(lengths, bc[d], bc.engine, scale=float(w_np.max(initial=1.0)))
        total = total + (lengths if p == 1.0 else lengths**p).sum()
    return total


def _identity_rtd(w: torch.Tensor, w_tilde: torch.Tensor, symmetric: bool) -> torch.Tensor:
    """RTD_1 through the identity, differentiable in ``w`` and ``w_tilde``."""
    w_np = w.detach().to("cpu", torch.float64).numpy()
    wt_np = w_tilde.detach().to("cpu", torch.float64).numpy()
    forward, backward = critical_identity(w_np, wt_np, symmetric=symmetric)
    scale = float(max(w_np.max(initial=1.0), wt_np.max(initial=1.0)))
    total = _signed_sum(forward, w, w_tilde, scale)
    if backward is None:
        return total
    return (total + _signed_sum(backward, w_tilde, w, scale)) / 2.0


def _signed_sum(
    entries: CriticalTotal, w: torch.Tensor, w_tilde: torch.Tensor, scale: float
) -> torch.Tensor:
    sign = torch.as_tensor(entries.sign, device=w.device, dtype=w.dtype)
    total = (sign * _read(entries, w, w_tilde)).sum()
    # The engine adds float32 roundings of these entries; more than round-off apart would
    # mean critical entries that do not give its total, i.e. a wrong gradient.
    if abs(float(total.detach()) - entries.value) > 1e-6 * scale * max(len(entries.sign), 1):
        raise RuntimeError(
            "the identity's critical entries do not give its total; the gradient would be "
            "wrong. Please report this; method='barcode' avoids the identity"
        )
    return total


def _read(
    entries: CriticalValues | CriticalTotal, w: torch.Tensor, w_tilde: torch.Tensor
) -> torch.Tensor:
    """``CriticalValues.read`` on torch tensors, so that autograd reaches those entries only."""
    device = w.device
    rows = torch.as_tensor(entries.rows, device=device)
    cols = torch.as_tensor(entries.cols, device=device)
    source = torch.as_tensor(entries.source, device=device)
    zero = w.new_zeros(())
    from_wt = torch.where(source == FROM_W_TILDE, w_tilde[rows, cols], zero)
    return torch.where(source == FROM_W, w[rows, cols], from_wt)


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
