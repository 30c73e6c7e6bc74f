"""Result objects print one short line: sizes and ranges, not every value."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rtdkit._repr import summary_repr


@dataclass(frozen=True)
class _Result:
    statistic: float
    null: np.ndarray
    ci: tuple[float, float]
    method: str
    hidden: np.ndarray = field(default_factory=lambda: np.zeros(3), repr=False)
    __repr__ = summary_repr


def test_summary_repr_summarises_arrays_and_rounds_floats() -> None:
    null = np.random.default_rng(0).uniform(2.0, 3.0, size=999)
    text = repr(_Result(1.23456789, null, (0.111111, 0.999999), "rtd"))
    low, high = null.min(), null.max()
    assert text == (
        f"_Result(statistic=1.235, null=<999 values in [{low:.4g}, {high:.4g}]>, "
        "ci=(0.1111, 1), method='rtd')"
    )
    assert "hidden" not in text  # a field with repr=False stays out, as in dataclasses


def test_summary_repr_counts_values_that_are_not_finite() -> None:
    values = np.array([np.nan, 1.0, np.inf, 2.0])
    assert "null=<4 values in [1, 2], 2 not finite>" in repr(_Result(0.0, values, (0, 0), ""))
    assert "null=<1 value, none finite>" in repr(_Result(0.0, np.array([np.nan]), (0, 0), ""))
    assert "null=<no values>" in repr(_Result(0.0, np.array([]), (0, 0), ""))


def test_result_objects_print_one_short_line() -> None:
    import rtdkit
    from rtdkit.stats import compare_correlations, correlate, mantel

    rng = np.random.default_rng(0)
    p = rng.normal(size=(40, 3))
    q = p + 0.1 * rng.normal(size=p.shape)
    test = rtdkit.permutation_test(p, q, measure="cka", n_permutations=99, progress=False)
    low, high = test.null.min(), test.null.max()
    assert f"null=<99 values in [{low:.4g}, {high:.4g}]>" in repr(test)
    d = np.linalg.norm(p[:, None] - p[None], axis=-1)
    x, y, z = rng.normal(size=(3, 30))
    results = [
        test,
        mantel(d, d + 0.1, permutations=99),
        correlate(x, x + y, n_boot=200),
        compare_correlations(x, x + y, x + z, n_boot=200),
    ]
    for result in results:
        text = repr(result)
        assert "\n" not in text and len(text) < 250, text
        assert text.startswith(type(result).__name__ + "(")
