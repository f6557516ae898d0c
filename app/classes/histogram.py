"""The room's answers to one question as a histogram the projector draws.

Numbers (gradient, value) are binned around the spread of the room's answers: equal bins from
the 5th to the 95th percentile (min to max under 20 answers), with the answers outside counted
as `below` and `above`, so one wild answer does not squash the rest into one bar. Choices (sign,
larger, rule) are counted per choice in the choices' order; shapes per distinct answer. After
the reveal each bin says how many of its answers are right and whether some student's right
answer lies in it (every student has their own numbers, so several bins may be right).
"""

from __future__ import annotations

import math

import numpy as np

from app.engine.presenter.notation import num_text, shape_text

BINS = 10
#: under this many answers, the bins span min to max
PERCENTILE_FROM = 20


def _edges(values: list[float]) -> tuple[float, float]:
    if len(values) >= PERCENTILE_FROM:
        low, high = (float(x) for x in np.percentile(values, [5, 95]))
    else:
        low, high = min(values), max(values)
    if high - low <= 1e-12 * max(abs(low), abs(high), 1e-300):
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    return low, high


def numbers(answers: list[tuple[float, bool, float]], revealed: bool) -> dict:
    """answers: (answer, correct, expected) per student who answered."""
    if not answers:
        return {"kind": "numbers", "bins": [], "below": 0, "above": 0}
    values = [a for a, _, _ in answers]
    low, high = _edges(values)
    n = min(BINS, max(1, len(values)))
    width = (high - low) / n
    bins = [{"label": f"{num_text(low + i * width)} … {num_text(low + (i + 1) * width)}",
             "low": low + i * width, "high": low + (i + 1) * width, "count": 0,
             "correct": 0 if revealed else None, "right": False if revealed else None}
            for i in range(n)]

    def where(x: float) -> int | None:
        if not math.isfinite(x) or x < low or x > high:
            return None
        return min(n - 1, int((x - low) / width))

    below = above = 0
    for answer, correct, expected in answers:
        i = where(answer)
        if i is None:
            below, above = (below + 1, above) if answer < low else (below, above + 1)
        else:
            bins[i]["count"] += 1
            if revealed and correct:
                bins[i]["correct"] += 1
        if revealed:
            j = where(expected)
            if j is not None:
                bins[j]["right"] = True
    return {"kind": "numbers", "bins": bins, "below": below, "above": above}


def categories(answers: list[tuple[object, bool, object]], choices: list[str] | None,
               revealed: bool) -> dict:
    """Counts per choice (or per distinct shape), in the choices' order."""

    def label(x) -> str:
        return shape_text(tuple(x)) if isinstance(x, list) else str(x)

    labels = list(choices or [])
    for answer, _, _ in sorted(answers, key=lambda a: label(a[0])):
        if label(answer) not in labels:
            labels.append(label(answer))
    bins = {name: {"label": name, "count": 0, "correct": 0 if revealed else None,
                   "right": False if revealed else None} for name in labels}
    for answer, correct, expected in answers:
        bins[label(answer)]["count"] += 1
        if revealed:
            bins[label(answer)]["correct"] += int(correct)
            bins[label(answer)]["right"] |= bool(correct)
            if label(expected) in bins:
                bins[label(expected)]["right"] = True
    return {"kind": "categories", "bins": list(bins.values()), "below": 0, "above": 0}
