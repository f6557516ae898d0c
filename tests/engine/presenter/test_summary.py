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


def test_summaries_made_together_are_each_one_made_alone():
    """summarize_many pays a summary's fixed costs once for several tensors (issue 24): each of
    its summaries is the one summarize makes of that tensor alone, to the last bit (rounded
    heatmap cells and histogram edges included; NaN, ±Inf, overflow and denormals too)."""
    from app.engine.presenter.summary import summarize_many

    rng = np.random.default_rng(24)
    big = float(np.finfo(np.float64).max)
    tensors = [rng.standard_normal((64, 1000)), rng.standard_normal((1000, 100)) * 1e-6,
               rng.standard_normal((64, 10)) * 1e300, np.array(2.5), np.array([]),
               np.full((3, 4), 7.0), np.array([np.nan, np.inf, -np.inf]),
               np.array([big, -big, 1.0]), np.array([5e-324, 1e-310, -2e-320]),
               rng.standard_normal((2, 3, 5, 7)), np.array([[1e-300, 1.0], [12345.6789, -0.0]])]
    together = summarize_many(tensors)
    for a, made in zip(tensors, together, strict=True):
        alone = summarize_engine(a)
        assert repr(summary_json(made)) == repr(summary_json(alone))
        if alone.heatmap is not None:
            assert made.heatmap.cells.tobytes() == alone.heatmap.cells.tobytes()


def test_a_runs_inputs_are_summarised_once_for_all_its_iterations():
    """An input no update changes is the same array in every iteration: its summary is made
    once per run (issue 24) and equals the one made from the array itself."""
    from app.engine.core.limits import Limits
    from app.engine.core.run import Run, RunSpec

    run = Run(RunSpec(preset="pytorch-numpy-two-layer", iterations=3), Limits())
    first, second = run.trace(0), run.trace(2)
    last = len(first.schedule.events) - 1
    x0, x2 = first.state(last).nodes["x"].value, second.state(last).nodes["x"].value
    assert x0 is x2
    assert repr(summary_json(x0)) == repr(summary_json(summarize_engine(run.leaves["x"])))
    w0, w2 = first.state(0).nodes["w1"].value, second.state(0).nodes["w1"].value
    assert w0 is not w2 and w0.mean != w2.mean  # a parameter's is its iteration's own
