"""Built-in synthetic point clouds of the paper's Section 3.1 ("clusters" and "rings").

Both families keep a one-to-one correspondence between points across members, which is what
RTD needs: point ``i`` of ``clusters(k)`` is point ``i`` of ``clusters(1)`` moved.
"""

from __future__ import annotations

import numpy as np

from rtdkit._validation import FloatArray, RTDInputError, check_int

__all__ = ["clusters", "ring_radii", "rings"]


def clusters(
    k: int,
    *,
    n_groups: int = 60,
    group_size: int = 5,
    radius: float = 10.0,
    seed: int = 7,
) -> FloatArray:
    """One Gaussian cloud (``k=1``) or the same points split into ``k`` clusters.

    ``n_groups * group_size`` points (300 by default) are drawn from a standard 2-D normal
    distribution in small groups; for ``k >= 2`` group ``g`` is translated to the ``g mod k``-th
    of ``k`` equally spaced centres on a circle of the given radius. The same ``seed`` gives the
    same base points for every ``k``, so ``clusters(1)`` and ``clusters(k)`` correspond.

    Examples
    --------
    >>> clusters(3).shape
    (300, 2)
    """
    k = check_int(k, "k", minimum=1)
    n_groups = check_int(n_groups, "n_groups", minimum=1)
    group_size = check_int(group_size, "group_size", minimum=1)
    rng = np.random.default_rng(seed)
    groups = rng.standard_normal((n_groups, group_size, 2))
    if k > 1:
        angles = 2.0 * np.pi * (np.arange(n_groups) % k) / k
        centres = radius * np.column_stack([np.cos(angles), np.sin(angles)])
        groups = groups + centres[:, None, :]
    out: FloatArray = groups.reshape(-1, 2)
    return out


def ring_radii(n_distinct: int, n_rings: int = 5) -> FloatArray:
    """Radii of the rings: ``n_rings - n_distinct + 1`` coincide at 1, the rest spread
    alternately outside and inside (1.25, 0.75, 1.5, 0.5, ... for steps of 0.25)."""
    n_unit = n_rings - n_distinct + 1
    radii = [1.0] * n_unit
    for j in range(n_distinct - 1):
        step = 0.25 * (j // 2 + 1)
        radii.append(1.0 + step if j % 2 == 0 else 1.0 - step)
    return np.asarray(radii, dtype=np.float64)


def rings(
    n_distinct: int,
    *,
    n_rings: int = 5,
    points_per_ring: int = 100,
    noise: float = 0.0,
    seed: int = 0,
) -> FloatArray:
    """``n_rings`` concentric rings of evenly spaced points, ``n_distinct`` of them distinct.

    With ``n_distinct = n_rings`` (5 by default) every ring has its own radius; with fewer,
    the surplus rings are placed on the unit circle and coincide point for point. Point ``i``
    of ring ``r`` sits at angle ``2 pi i / points_per_ring`` in every member of the family.

    Examples
    --------
    >>> rings(5).shape
    (500, 2)
    """
    n_rings = check_int(n_rings, "n_rings", minimum=1)
    n_distinct = check_int(n_distinct, "n_distinct", minimum=1)
    if n_distinct > n_rings:
        raise RTDInputError(f"n_distinct={n_distinct} cannot exceed n_rings={n_rings}")
    points_per_ring = check_int(points_per_ring, "points_per_ring", minimum=3)
    theta = 2.0 * np.pi * np.arange(points_per_ring) / points_per_ring
    circle = np.column_stack([np.cos(theta), np.sin(theta)])
    rng = np.random.default_rng(seed)
    out = [
        radius * (circle + noise * rng.standard_normal(circle.shape))
        for radius in ring_radii(n_distinct, n_rings)
    ]
    return np.concatenate(out)
