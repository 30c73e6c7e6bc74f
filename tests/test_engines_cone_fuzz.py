"""Differential check of the cone engine against the reference on many small random pairs.

The kinds of pair are the ones on which the cone engine's shortcuts matter: a cloud against a
low-dimensional projection of it (the cut shortcut pairs most columns there, and some of its
cuts are materialised), coordinates rounded to a few levels (ties in both matrices),
both clouds on small integer grids (many pairs with w = mu: edges of L, which cuts contain),
duplicated points, and one-hot labels against features. The bars must equal the reference's
exactly. ``differences(count)`` runs any number of cases (the suite runs a moderate count).
"""

from __future__ import annotations

import numpy as np

from rtdkit.distances import cross_matrices, normalized_distances
from rtdkit.engines import get_engine
from rtdkit.engines.cone import cone_diagnostics

KINDS = ("projection", "rounded", "grid", "duplicates", "one-hot")


def random_pair(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A pair of clouds on the same 6-40 objects; either may come first."""
    n = int(rng.integers(6, 41))
    p = rng.normal(size=(n, int(rng.integers(2, 9))))
    if kind == "projection":
        k = int(rng.integers(1, 3))
        q = p @ rng.normal(size=(p.shape[1], k)) + 0.05 * rng.normal(size=(n, k))
    elif kind == "rounded":
        levels = int(rng.integers(1, 4))
        p = np.round(p * levels)
        q = np.round(p[:, :2] * levels + rng.normal(size=(n, 2)))
    elif kind == "grid":  # both on small integer grids: edges of L inside the cuts
        p = rng.integers(0, 3, size=(n, 3)).astype(float)
        q = rng.integers(0, 3, size=(n, 2)).astype(float)
    elif kind == "duplicates":
        p = p[rng.integers(0, max(2, n // 2), size=n)]
        q = p[:, :2] + 0.1 * rng.normal(size=(n, 2))
    else:
        classes = int(rng.integers(2, 6))
        p = np.eye(classes)[rng.integers(0, classes, size=n)]
        q = rng.normal(size=(n, 3))
    return (q, p) if rng.integers(0, 4) == 0 else (p, q)


def _bars(engine: str, w: np.ndarray, mu: np.ndarray) -> np.ndarray:
    bars = np.asarray(get_engine(engine).function(w, mu, maxdim=1).bars[1], dtype=np.float32)
    bars = bars[bars[:, 1] > bars[:, 0]]
    return bars[np.lexsort((bars[:, 1], bars[:, 0]))]


def differences(count: int, seed: int = 0) -> tuple[list[str], dict[str, int]]:
    """Runs ``count`` cases; returns the cases whose bars differ and the summed counters."""
    rng = np.random.default_rng(seed)
    failed: list[str] = []
    totals = {"cases": 0, "shortcut": 0, "materialised": 0, "removals": 0}
    for case in range(count):
        kind = KINDS[case % len(KINDS)]
        p, q = random_pair(kind, rng)
        # unnormalised: the quantile of a cloud of duplicates can be 0
        w, mu = cross_matrices(
            normalized_distances(p, normalize=None), normalized_distances(q, normalize=None)
        )
        ours, theirs = _bars("cone", w, mu), _bars("reference", w, mu)
        if ours.shape != theirs.shape or not np.array_equal(ours, theirs):
            failed.append(f"case {case} ({kind}, N={len(p)}, seed {seed})")
        stats = cone_diagnostics(w, mu)
        assert stats["essential"] == 0
        totals["cases"] += 1
        for key in ("shortcut", "materialised", "removals"):
            totals[key] += int(stats[key])
    return failed, totals


def test_cone_engine_equals_the_reference_on_random_small_pairs() -> None:
    failed, totals = differences(400)
    assert failed == []
    # the shortcut and both of its follow-ups (a cut materialised, removals in its addition)
    # are taken, not only compiled
    assert totals["shortcut"] > 0 and totals["materialised"] > 0 and totals["removals"] > 0
