"""Prediction disagreement of two classifiers, raw or normalised by their error (Fort et al.)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rtdkit._validation import RTDInputError, as_float_matrix, check_same_rows, to_numpy

__all__ = ["disagreement"]


def _as_predictions(p: Any, name: str) -> NDArray[Any]:
    """Class labels from a 1-D label array or a 2-D array of scores (argmax over columns)."""
    arr = to_numpy(p, name)
    if arr.ndim == 2 and np.issubdtype(arr.dtype, np.number):
        arr = as_float_matrix(arr, name, min_rows=1).argmax(axis=1)
    if arr.ndim != 1 or arr.size == 0:
        raise RTDInputError(
            f"{name} must be a non-empty 1-D array of labels or a 2-D (n, classes) array of "
            f"scores, got shape {arr.shape}"
        )
    return arr


def disagreement(pred_a: Any, pred_b: Any, labels: Any = None) -> float:
    """Fraction of objects on which two classifiers predict different classes.

    With ``labels``, the disagreement is divided by ``1 - a``, ``a`` the mean accuracy of the
    two classifiers (Fort et al., 2019; Section 3.4 of the paper): wrong answers disagree more
    easily, so raw disagreement overstates the difference between weak models.

    Parameters
    ----------
    pred_a, pred_b : array-like or torch.Tensor, shape (n,) or (n, classes)
        Predicted labels, or scores/logits whose argmax is the prediction.
    labels : array-like, shape (n,), optional
        True labels; when given, the normalised disagreement is returned.

    Returns
    -------
    float
        Raw disagreement in [0, 1], or normalised disagreement in [0, 2]. When both
        classifiers are perfect they cannot disagree and 0.0 is returned.

    Examples
    --------
    >>> disagreement([0, 1, 2, 2], [0, 1, 1, 2])
    0.25
    >>> disagreement([0, 1, 2, 2], [0, 1, 1, 2], labels=[0, 1, 2, 0])
    0.6666666666666666
    """
    a = _as_predictions(pred_a, "pred_a")
    b = _as_predictions(pred_b, "pred_b")
    check_same_rows(a, b, "pred_a", "pred_b")
    raw = float(np.mean(a != b))
    if labels is None:
        return raw
    y = to_numpy(labels, "labels")
    if y.ndim != 1:
        raise RTDInputError(f"labels must be a 1-D array of classes, got shape {y.shape}")
    check_same_rows(a, y, "pred_a", "labels")
    error = 1.0 - (float(np.mean(a == y)) + float(np.mean(b == y))) / 2.0
    return raw / error if error > 0.0 else 0.0
