"""Summaries of values near the largest float stay finite where they summarise (issue 12):
block means of a heatmap summed past it, and 4-digit rounding rounded past it (1.7977e308 reads
1.798e308, which is Infinity), so every state of such a run was a 500."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.presenter.summary import round_significant, summarize

BIG = np.finfo(np.float64).max


@pytest.mark.parametrize("shape", [(40, 40), (17,), (3, 20), (2, 3, 40)])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_heatmap_cells_and_histogram_edges_of_the_largest_floats_are_finite(shape, sign):
    s = summarize(np.full(shape, sign * BIG))
    assert np.isfinite(s.heatmap.cells).all()
    np.testing.assert_allclose(s.heatmap.cells, sign * BIG, rtol=1e-3)
    assert all(np.isfinite(edge) for edge in s.histogram.edges)
    assert s.min == s.max == sign * BIG


def test_a_mix_of_huge_values_averages_without_overflow():
    a = np.full((40, 40), BIG)
    a[::2] = -BIG / 2
    cells = summarize(a).heatmap.cells
    assert np.isfinite(cells).all() and cells.shape == (16, 16)
    # the first block is rows 0 and 1: -BIG/2 and BIG, whose mean is BIG/4
    np.testing.assert_allclose(cells[0, 0], BIG / 4, rtol=1e-3)


def test_rounding_never_rounds_past_the_largest_float():
    assert round_significant(BIG) == BIG
    assert round_significant(-BIG) == -BIG
    assert round_significant(1.23456e300) == 1.235e300
