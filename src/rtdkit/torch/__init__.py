"""PyTorch integration: capture layer representations, compare them, and train with RTD.

Tools for researchers who live in PyTorch:

* :func:`capture` runs a model over a tensor or a DataLoader and returns the outputs of named
  modules as ``(N, features)`` arrays, ready for :func:`rtdkit.rtd`;
* :func:`capture_hidden_states` gives every layer's hidden states of a Hugging Face
  transformer, pooled per sequence (mask-aware mean, first or last token) or per token, with
  padding removed by the attention mask;
* :func:`compare_layers` fills layer x layer matrices of RTD (and CKA, or any measure of
  :mod:`rtdkit.baselines`), and :func:`plot_layers` draws them as in Fig. 8 of the paper (both
  live in :mod:`rtdkit.layers`, which needs no torch);
* :class:`RTDLoss` is the RTD as a differentiable loss: the barcode engine runs on detached
  copies, and each bar's length is re-read from the torch distance matrices at the two critical
  entries the engine reports, so autograd reaches exactly the distances that define the bars.

Importing this package imports torch; ``import rtdkit`` alone never does.

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

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "rtdkit.torch needs PyTorch; install it with: pip install 'rtdkit[torch]'"
    ) from exc

from rtdkit.layers import compare_layers, plot_layers
from rtdkit.torch.capture import capture
from rtdkit.torch.loss import RTDLoss
from rtdkit.torch.transformers import HiddenStates, capture_hidden_states

__all__ = [
    "HiddenStates",
    "RTDLoss",
    "capture",
    "capture_hidden_states",
    "compare_layers",
    "plot_layers",
]
