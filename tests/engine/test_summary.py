"""Tensor summaries: statistics, exact values, heatmap, histogram, NaN/Inf."""

from __future__ import annotations

import numpy as np
import pytest

from app.api.present import summary_json
from app.engine.presenter.summary import summarize as summarize_engine


def summarize(a) -> dict:
    """The engine's Summary as the API serves it."""
    return summary_json(summarize_engine(a))


def test_small_tensor_is_exact():
    s = summarize(np.array([[1.0, -2.0], [3.0, 4.0]]))
    assert s["values"] == [[1.0, -2.0], [3.0, 4.0]]
    assert (s["min"], s["max"], s["mean"]) == (-2.0, 4.0, 1.5)
    assert s["norm"] == np.sqrt(30.0) and s["size"] == 4 and s["shape"] == [2, 2]
    assert sum(s["histogram"]["counts"]) == 4 and len(s["histogram"]["edges"]) == 17


def test_large_tensor_has_a_block_mean_heatmap():
    a = np.arange(64 * 1000, dtype=float).reshape(64, 1000)
    s = summarize(a)
    assert s["values"] is None
    hm = s["heatmap"]
    assert (hm["rows"], hm["cols"]) == (16, 16)
    assert hm["cells"][0][0] == float(f"{a[:4, :62].mean():.4g}")
    assert s["std"] == pytest.approx(a.std(), rel=1e-12)
    counts, edges = np.histogram(a, bins=16)
    assert s["histogram"]["counts"] == counts.tolist()
    assert s["histogram"]["edges"] == [float(f"{e:.4g}") for e in edges]


def test_a_convolutions_tensor_is_a_row_of_channel_images_per_example():
    """(N, C, H, W) = (2, 3, 4, 5): cell (row, col) is example row // H, channel col // W,
    pixel (row % H, col % W)."""
    a = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    hm = summarize(a)["heatmap"]
    assert (hm["rows"], hm["cols"]) == (8, 15)
    for row, col in np.ndindex(8, 15):
        assert hm["cells"][row][col] == a[row // 4, col // 5, row % 4, col % 5]


def test_nan_and_inf_are_counted():
    s = summarize(np.array([1.0, np.nan, np.inf, -np.inf, 3.0]))
    assert (s["nan"], s["inf"]) == (1, 2)
    assert (s["min"], s["max"], s["mean"]) == (1.0, 3.0, 2.0)
    assert s["values"] == [1.0, "NaN", "Infinity", "-Infinity", 3.0]
    empty = summarize(np.array([np.nan, np.nan]))
    assert empty["min"] is None and empty["histogram"] == {"edges": [], "counts": []}


def test_scalar():
    s = summarize(np.float64(2.5))
    assert s["values"] == 2.5 and s["shape"] == [] and s["heatmap"] is None


@pytest.mark.parametrize("values", [
    [1e-320, 2e-320, 3e-320],  # denormals: squares underflow, the range is tiny
    [1e308, -1e308, 0.0],  # the range overflows
    [1e308, 1.2e308],  # the sum and the squares overflow
    [5e-324, 0.0],
    [1e308, 1e308],  # one value, where v ± 0.5 == v
])
def test_extreme_values_are_summarised(values):
    a = np.array(values)
    s = summarize(a)
    assert sum(s["histogram"]["counts"]) == a.size
    assert s["min"] == a.min() and s["max"] == a.max()
    assert s["mean"] == pytest.approx(np.mean(a / 4) * 4, rel=1e-9)
    assert s["norm"] == pytest.approx(np.linalg.norm(a / a.max()) * a.max(), rel=1e-9)
    assert s["nan"] == 0 and s["inf"] == 0


def test_histogram_matches_numpy_on_ordinary_data():
    a = np.random.default_rng(0).normal(size=(30, 40))
    counts, _ = np.histogram(a, bins=16)
    assert summarize(a)["histogram"]["counts"] == counts.tolist()
    assert summarize(np.full(5, 3.0))["histogram"]["counts"] == \
        np.histogram(np.full(5, 3.0), bins=16)[0].tolist()


def test_heatmap_of_denormals_and_huge_values_is_finite():
    for a in (np.array([1e-320, 3e-320, 2e-320]), np.array([1e308, -1.5e308, 1e300])):
        cells = summarize(a)["heatmap"]["cells"][0]
        assert all(np.isfinite(cells)) and cells[0] == pytest.approx(a[0], rel=1e-3)
