"""Shapes the engine's output into the JSON of docs/json.md, encoded once as bytes.

Adds what the engine leaves to the API: the run id and layout of a run, the MathML of each
step, the JSON of a tensor. Numpy types stop here. No math of the engine, no HTTP.
"""

from __future__ import annotations

import html
import io
import json
import math

import numpy as np
from latex2mathml.converter import convert as latex_to_mathml

from app.layout import layout


def encode_json(document: object) -> bytes:
    """Compact UTF-8 JSON; deterministic for equal input, refuses NaN (docs/json.md)."""
    return json.dumps(
        document, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def preset_summary(preset) -> dict:
    return {
        "id": preset.id,
        "title": preset.title,
        "description": preset.description,
        "params": [
            {
                "name": p.name,
                "kind": p.kind,
                "default": p.default,
                "min": p.min,
                "max": p.max,
                "description": p.description,
            }
            for p in preset.params
        ],
        "lr": preset.lr,
        "iterations": preset.iterations,
        "seed": preset.seed,
    }


def preset_detail(preset) -> dict:
    return {**preset_summary(preset), "source": preset.source}


def run_document(run_id: str, description: dict) -> dict:
    """The Run JSON: the engine's description with the id first and the layout filled in."""
    return {
        "run_id": run_id,
        **{key: layout(value) if key == "graph" else value for key, value in description.items()},
    }


def mathml(latex: str) -> str:
    """The same formula as MathML; a user's odd name must never turn a step into an error."""
    try:
        return latex_to_mathml(latex, display="block")
    except Exception:  # latex2mathml raises many kinds; the LaTeX is still in the step
        return f'<math display="block"><mtext>{html.escape(latex)}</mtext></math>'


def steps_document(iteration: int, steps: list[dict]) -> dict:
    """The Steps JSON: each step gets `mathml` right after its `latex`."""
    shaped = []
    for step in steps:
        with_mathml = {}
        for key, value in step.items():
            with_mathml[key] = value
            if key == "latex":
                with_mathml["mathml"] = mathml(value)
        shaped.append(with_mathml)
    return {"iteration": iteration, "steps": shaped}


def _finite_or_name(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _jsonable(values):
    if isinstance(values, list):
        return [_jsonable(v) for v in values]
    if isinstance(values, float):
        return _finite_or_name(values)
    return values


def losses_document(losses: list[float]) -> dict:
    """The Losses JSON; a diverged run's NaN/Inf losses become their names (docs/json.md)."""
    return {"iterations": len(losses), "losses": [_finite_or_name(x) for x in losses]}


def tensor_document(node: str, which: str, iteration: int, step: int, array) -> dict:
    array = np.asarray(array)
    values = array.tolist()
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        values = _jsonable(values)
    return {
        "node": node,
        "which": which,
        "iteration": iteration,
        "step": step,
        "shape": list(array.shape),
        "dtype": str(array.dtype),
        "values": values,
    }


def npy_bytes(array) -> bytes:
    """The `.npy` file of the array, read back bit for bit by `numpy.load`."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()
