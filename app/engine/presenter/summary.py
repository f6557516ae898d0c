"""Tensor -> Summary: statistics, exact values when small, heatmap thumbnail, histogram.

A Summary is a plain dataclass of Python numbers and numpy arrays (NaN and ±Inf as they are:
the API makes JSON of it, app/api/present.py). NaN and Inf are counted, never a crash:
statistics are over the finite elements, `None` when there is none.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

#: tensors with at most this many elements are sent exactly
EXACT_MAX = 64
#: heatmap thumbnails have at most this many rows and columns
HEATMAP_MAX = 16
HISTOGRAM_BINS = 16
#: the largest float: a rounded or averaged number past it would read as Infinity
_FLOAT_MAX = float(np.finfo(np.float64).max)


@dataclass(frozen=True, eq=False)
class Heatmap:
    rows: int
    cols: int
    #: rows × cols block means, rounded to 4 significant digits
    cells: np.ndarray


@dataclass(frozen=True, eq=False)
class Histogram:
    #: 17 bin edges (4 significant digits) and 16 counts; both empty without a finite element
    edges: list[float]
    counts: list[int]


@dataclass(frozen=True, eq=False)
class Summary:
    """What the viewer shows of one tensor (docs/json.md, Summary)."""

    shape: tuple[int, ...]
    dtype: str
    size: int
    #: over the finite elements; None when there is none (may be ±Inf when they overflow)
    min: float | None
    max: float | None
    mean: float | None
    std: float | None
    norm: float | None
    nan: int
    inf: int
    #: the exact values when the tensor has at most EXACT_MAX elements
    values: np.ndarray | None
    heatmap: Heatmap | None
    histogram: Histogram

    #: a Summary's size in memory, roughly (for byte budgets)
    NBYTES = 4096


def round_significant(a, digits: int = 4) -> np.ndarray:
    """Round to `digits` significant digits, vectorised (an integer times or over a power of
    ten, so each result is the double nearest its short decimal and prints as that)."""
    a = np.asarray(a, dtype=np.float64)
    magnitude = np.abs(a)
    with np.errstate(all="ignore"):
        exponent = np.floor(np.log10(magnitude))
        # below 1e-290 the power of ten would overflow: such values are kept as they are
        shift = np.where(np.isfinite(exponent), digits - 1 - exponent, 0).clip(-400, 300)
        shift = shift.astype(int)
        if shift.size == 0 or shift.min() >= 0:  # every value under 10^digits: one branch
            up = np.power(10.0, shift)
            rounded = np.round(a * up) / up
        else:
            up = np.power(10.0, np.maximum(shift, 0))
            down = np.power(10.0, np.maximum(-shift, 0))
            rounded = np.where(shift >= 0, np.round(a * up) / up, np.round(a / down) * down)
        if magnitude.min(initial=np.inf) >= 1e-290 and np.isfinite(rounded).all():
            return rounded  # nothing to keep as it is (a NaN fails the test above)
    # below 1e-290 the power of ten would overflow; near the largest float rounding up would
    # (1.7977e308 -> 1.798e308 is past it): such values are kept as they are
    keep = (magnitude < 1e-290) | (np.isfinite(a) & ~np.isfinite(rounded))
    return np.where(keep, a, rounded)


def _as_2d(a: np.ndarray) -> np.ndarray:
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim == 4:  # (N, C, H, W): a row of C channel images (H × W) per example
        n, c, h, w = a.shape
        return a.transpose(0, 2, 1, 3).reshape(n * h, c * w)
    if a.ndim > 2:
        return a.reshape(-1, a.shape[-1])
    return a


@functools.lru_cache(maxsize=512)
def _blocks(n: int, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `cells` nearly equal blocks of `n` starts, and its length (the same few
    shapes come back in every summary of a run: made once)."""
    edges = np.linspace(0, n, cells + 1).astype(int)
    starts, counts = edges[:-1], np.diff(edges)
    starts.flags.writeable = counts.flags.writeable = False
    return starts, counts


def _block_means(a: np.ndarray, cells: int, axis: int) -> np.ndarray:
    """Means over `cells` nearly equal blocks along `axis` (blocks of whole rows/columns)."""
    n = a.shape[axis]
    if n <= cells:
        return a
    starts, counts = _blocks(n, cells)
    counts = counts.reshape((-1, 1) if axis == 0 else (1, -1))
    with np.errstate(over="ignore"):
        means = np.add.reduceat(a, starts, axis=axis) / counts
    if not np.isfinite(means).all():
        # values near the largest float: their sums overflow, not their means; `a` is finite
        # here (heatmap made it so), so average each block's values scaled down instead
        scale = np.abs(a).max()
        means = np.add.reduceat(a / scale, starts, axis=axis) / counts * scale
        means = np.clip(means, -_FLOAT_MAX, _FLOAT_MAX)
    return means


def _heatmap_means(a: np.ndarray, all_finite: bool) -> np.ndarray:
    """The heatmap's block means before rounding (non-finite elements count as 0)."""
    m = _as_2d(a)
    if not all_finite and not np.isfinite(m).all():
        m = np.nan_to_num(m, nan=0.0, posinf=0.0, neginf=0.0)
    return _block_means(_block_means(m, HEATMAP_MAX, 0), HEATMAP_MAX, 1)


def heatmap(a: np.ndarray, all_finite: bool = False) -> Heatmap:
    """At most 16x16 cells, each the mean of its block (non-finite elements count as 0)."""
    m = _heatmap_means(a, all_finite)
    return Heatmap(int(m.shape[0]), int(m.shape[1]), round_significant(m))


def _counts(finite: np.ndarray, lo: float, hi: float) -> tuple[list[int], float, float]:
    """The histogram's 16 counts, and the range its edges span (numpy's for a single value)."""
    counts = np.zeros(HISTOGRAM_BINS + 1, dtype=np.int64)
    span = hi / 2 - lo / 2  # halves: hi - lo may overflow
    if span > 0:
        per_unit = (HISTOGRAM_BINS / 2) / span  # bins per unit of x
        if np.isfinite(per_unit) and np.isfinite(lo * per_unit):
            # x in bin units by one multiply-add; x >= lo keeps it >= 0, x == hi gives 16
            # truncated as it is written into integers (x >= lo: truncation is floor)
            index = np.empty(finite.shape, dtype=np.intp)
            np.subtract(np.multiply(finite, per_unit), lo * per_unit, out=index,
                        casting="unsafe")
        else:  # a range among denormals: divide instead
            index = np.clip(((finite / 2 - lo / 2) / span * HISTOGRAM_BINS).astype(np.intp),
                            0, HISTOGRAM_BINS)
        counts += np.bincount(index, minlength=HISTOGRAM_BINS + 1)[: HISTOGRAM_BINS + 1]
        counts[HISTOGRAM_BINS - 1] += counts[HISTOGRAM_BINS]
    else:  # one value: numpy centres it in [v - 0.5, v + 0.5]
        counts[HISTOGRAM_BINS // 2] = finite.size
        lo, hi = lo - 0.5, hi + 0.5
    return counts[:HISTOGRAM_BINS].tolist(), lo, hi


def _edges(ranges: list[tuple[float, float]]) -> list[list[float]]:
    """The 17 bin edges of each (lo, hi): lo·(1 − i/16) + hi·(i/16) for every i at once (the
    same IEEE operations as one by one), kept within the largest float; each to 4 significant
    digits unless that rounds past it."""
    if not ranges:
        return []
    bounds = np.array(ranges, dtype=np.float64)
    every = np.clip(bounds[:, :1] * (1 - _FRACTIONS) + bounds[:, 1:] * _FRACTIONS,
                    -_FLOAT_MAX, _FLOAT_MAX).reshape(-1)
    # every edge written to 4 digits in one string and read back (float(f"{x:.4g}") each)
    short = np.array(("%.4g " * every.size % tuple(every.tolist())).split(), dtype=np.float64)
    short = np.where(np.abs(short) <= _FLOAT_MAX, short, every)
    return short.reshape(-1, HISTOGRAM_BINS + 1).tolist()


def histogram(finite: np.ndarray, lo: float, hi: float) -> Histogram:
    """Counts over 16 equal bins from the finite elements' min `lo` to max `hi` (the last bin
    closed, as numpy.histogram), safe for ranges near overflow or among denormals."""
    if finite.size == 0:
        return Histogram([], [])
    counts, lo, hi = _counts(finite, lo, hi)
    return Histogram(_edges([(lo, hi)])[0], counts)


#: i / 16 for the 17 bin edges
_FRACTIONS = np.arange(HISTOGRAM_BINS + 1) / HISTOGRAM_BINS


def _moments(finite: np.ndarray, total, squares, scale: float) -> tuple[float, float, float]:
    """(mean, std, L2 norm); divided by the largest magnitude `scale` first when squares
    would overflow or underflow."""
    n = finite.size
    if 1e-150 < scale < 1e150 or scale == 0:
        mean = total / n
        mean_square = squares / n
        if mean * mean <= 0.5 * mean_square:
            # well conditioned: E[x²] − mean² loses at most a few bits, and saves a pass
            variance = max(mean_square - mean * mean, 0.0)
        else:
            centred = finite - mean
            variance = np.dot(centred, centred) / n
        return float(mean), float(np.sqrt(variance)), float(np.sqrt(squares))
    unit = finite / scale
    mean = unit.sum() / n
    centred = unit - mean
    return (float(mean * scale), float(np.sqrt(np.dot(centred, centred) / n) * scale),
            float(np.sqrt(np.dot(unit, unit)) * scale))


def summarize(a) -> Summary:
    """The summary of one tensor (see docs/json.md, Summary)."""
    return summarize_many([a])[0]


def summarize_many(arrays) -> list[Summary]:
    """The summaries of several tensors, each bit for bit `summarize`'s: what every summary
    pays whatever its size (rounding its heatmap's cells, writing its histogram's edges) is
    done once for them all, in one vectorised pass (both are elementwise)."""
    with np.errstate(all="ignore"):  # overflow in std/norm of huge values reads as Infinity
        parts = [_summarize(np.asarray(a, dtype=np.float64)) for a in arrays]
        means = [p[-3] for p in parts if p[-3] is not None]
        cells = round_significant(np.concatenate([m.reshape(-1) for m in means])) \
            if means else None
        edges = iter(_edges([p[-1] for p in parts if p[-1] is not None]))
    out, at = [], 0
    for *fields, m, counts, span in parts:
        heat = None
        if m is not None:
            rows, cols = m.shape
            heat = Heatmap(rows, cols, cells[at:at + rows * cols].reshape(rows, cols))
            at += rows * cols
        out.append(Summary(*fields, heat, Histogram([], []) if span is None else
                           Histogram(next(edges), counts)))
    return out


def _summarize(a: np.ndarray) -> tuple:
    """A Summary's fields, with its heatmap's block means not yet rounded and its histogram's
    counts and range (edges not yet written)."""
    flat = a.reshape(-1)
    total, squares = flat.sum(), np.dot(flat, flat)
    if math.isfinite(total) and math.isfinite(squares):  # then no element is NaN or Inf
        finite, nan, inf = flat, 0, 0
    else:
        finite = flat[np.isfinite(flat)]
        nan = int(np.isnan(flat).sum())
        inf = flat.size - finite.size - nan
        total, squares = finite.sum(), np.dot(finite, finite)
    lo = hi = mean = std = norm = None
    counts = span = None
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        mean, std, norm = _moments(finite, total, squares, max(abs(lo), abs(hi)))
        counts, *span = _counts(finite, lo, hi)
    return (
        tuple(a.shape), "float64", int(a.size), lo, hi, mean, std, norm, nan, inf,
        a.copy() if a.size <= EXACT_MAX else None,
        _heatmap_means(a, nan + inf == 0) if a.ndim >= 1 and a.size > 1 else None,
        counts, span,
    )
