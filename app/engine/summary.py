"""Tensor -> summary: statistics, exact values when small, heatmap thumbnail, histogram.

Everything returned is JSON-ready: python ints and floats, with NaN and ±Inf as the strings
"NaN", "Infinity", "-Infinity" (JSON has no such numbers). NaN and Inf are counted, never a
crash: statistics are over the finite elements, `None` when there is none.
"""

from __future__ import annotations

import math

import numpy as np

#: tensors with at most this many elements are sent exactly
EXACT_MAX = 64
#: heatmap thumbnails have at most this many rows and columns
HEATMAP_MAX = 16
HISTOGRAM_BINS = 16


def jsonable(v: float) -> float | str:
    """A float as JSON can carry it."""
    v = float(v)
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def values_json(a: np.ndarray):
    """Exact values as nested lists in the tensor's shape."""
    a = np.asarray(a, dtype=np.float64)
    if np.isfinite(a).all():
        return a.tolist()
    return np.vectorize(jsonable, otypes=[object])(a).tolist() if a.ndim else jsonable(a)


def _round4(v: float) -> float:
    return float(f"{v:.4g}")


def _as_2d(a: np.ndarray) -> np.ndarray:
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim > 2:
        return a.reshape(-1, a.shape[-1])
    return a


def _block_means(a: np.ndarray, cells: int, axis: int) -> np.ndarray:
    """Means over `cells` nearly equal blocks along `axis` (blocks of whole rows/columns)."""
    n = a.shape[axis]
    if n <= cells:
        return a
    edges = np.linspace(0, n, cells + 1).astype(int)
    sums = np.add.reduceat(a, edges[:-1], axis=axis)
    counts = np.diff(edges).reshape((-1, 1) if axis == 0 else (1, -1))
    return sums / counts


def heatmap(a: np.ndarray) -> dict:
    """At most 16x16 cells, each the mean of its block (non-finite elements count as 0)."""
    m = _as_2d(np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0))
    m = _block_means(_block_means(m, HEATMAP_MAX, 0), HEATMAP_MAX, 1)
    return {"rows": int(m.shape[0]), "cols": int(m.shape[1]),
            "cells": [[_round4(v) for v in row] for row in m.tolist()]}


def histogram(finite: np.ndarray) -> dict:
    if finite.size == 0:
        return {"edges": [], "counts": []}
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS, range=(lo, hi))
    return {"edges": [_round4(e) for e in edges.tolist()], "counts": counts.tolist()}


def summarize(a) -> dict:
    """The summary of one tensor (see docs/json.md, Summary)."""
    with np.errstate(all="ignore"):  # overflow in std/norm of huge values reads as Infinity
        return _summarize(np.asarray(a, dtype=np.float64))


def _summarize(a: np.ndarray) -> dict:
    flat = a.reshape(-1)
    finite_mask = np.isfinite(flat)
    n_finite = int(finite_mask.sum())
    finite = flat if n_finite == flat.size else flat[finite_mask]
    nan = int(np.isnan(flat).sum()) if n_finite != flat.size else 0
    inf = flat.size - n_finite - nan
    if n_finite:
        mean = float(finite.mean())
        stats = {
            "min": float(finite.min()), "max": float(finite.max()), "mean": mean,
            "std": float(finite.std()), "norm": float(np.sqrt(np.dot(finite, finite))),
        }
        stats = {k: jsonable(v) for k, v in stats.items()}
    else:
        stats = dict.fromkeys(("min", "max", "mean", "std", "norm"))
    return {
        "shape": list(a.shape), "dtype": str(a.dtype), "size": int(a.size), **stats,
        "nan": nan, "inf": inf,
        "values": values_json(a) if a.size <= EXACT_MAX else None,
        "heatmap": heatmap(a) if a.ndim >= 1 and a.size > 1 else None,
        "histogram": histogram(finite),
    }
