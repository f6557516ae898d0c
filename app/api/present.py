"""Shapes the engine's output into the JSON of docs/json.md, encoded once as bytes.

The one place that makes JSON: the engine hands over numpy arrays and plain dataclasses
(Summary, Step, State); here they become JSON-ready data, NaN and ±Inf as the strings "NaN",
"Infinity", "-Infinity". Adds what the engine leaves to the API: the run id and layout of a
run, the MathML of each step, the iteration document. No math of the engine, no HTTP.
"""

from __future__ import annotations

import dataclasses
import html
import io
import json
import math

import numpy as np
from latex2mathml.converter import convert as latex_to_mathml

from app.api.cache import LRU
from app.api.compact import compact_steps, summary_row
from app.drawing.layout import layout
from app.engine.core.schedule import QUANTITIES
from app.engine.presenter.layernorms import layer_norms
from app.engine.presenter.summary import Summary

#: every quantity any run can declare (a node's field that holds a Summary)
_QUANTITIES = {q for quantities in QUANTITIES.values() for q in quantities}


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
                **({"options": list(p.options)} if p.kind == "choice" else {}),
            }
            for p in preset.params
        ],
        "lr": preset.lr,
        "iterations": preset.iterations,
        "seed": preset.seed,
        "input_grads": preset.input_grads,
    }


def preset_detail(preset) -> dict:
    return {**preset_summary(preset), "source": preset.source}


def run_document(run_id: str, description: dict, draw=None) -> dict:
    """The Run JSON: the engine's description with the id first and the layout filled in
    (`draw`: where its geometry is computed, as `layout` takes it)."""
    shaped = {"run_id": run_id}
    for key, value in description.items():
        if key == "graph":
            value = layout(value, draw) if draw else layout(value)
        elif key == "custom_ops":  # a backward's error may be infinite
            value = [{**op, "check": op["check"] and {
                **op["check"], "max_rel_error": _number(op["check"]["max_rel_error"])}}
                for op in value]
        shaped[key] = value
    return shaped


#: formulas already converted: most of an iteration's formulas are the same in the next one
#: (only those with numbers change), and converting them is most of an iteration document's
#: cost; bounded in bytes like every cache of the worker
MATHML_CACHE_BYTES = 4 << 20
_mathml_cache = LRU(MATHML_CACHE_BYTES)


def mathml(latex: str) -> str:
    """The same formula as MathML; a user's odd name must never turn a step into an error."""
    found = _mathml_cache.get(latex)
    if found is not None:
        return found
    try:
        converted = latex_to_mathml(latex, display="block")
    except Exception:  # latex2mathml raises many kinds; the LaTeX is still in the step
        converted = f'<math display="block"><mtext>{html.escape(latex)}</mtext></math>'
    return _mathml_cache.put(latex, converted, 2 * (len(latex) + len(converted)) + 100)


def steps_json(steps) -> list[dict]:
    """The engine's Steps as JSON: each gets `mathml` right after its `latex`."""
    shaped = []
    for step in steps:
        with_mathml = {}
        for key, value in dataclasses.asdict(step).items():
            with_mathml[key] = value
            if key == "latex":
                with_mathml["mathml"] = mathml(value)
        shaped.append(with_mathml)
    return shaped


def steps_document(iteration: int, steps) -> dict:
    """The Steps JSON."""
    return {"iteration": iteration, "steps": steps_json(steps)}


def _finite_or_name(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _number(x) -> float | str | None:
    return None if x is None else _finite_or_name(float(x))


def _jsonable(values):
    if isinstance(values, list):
        return [_jsonable(v) for v in values]
    if isinstance(values, float):
        return _finite_or_name(values)
    return values


def array_json(array):
    """Exact values as nested lists in the array's shape, non-finite numbers by name."""
    array = np.asarray(array)
    values = array.tolist()
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        values = _jsonable(values)
    return values


def summary_json(s) -> dict:
    """A Summary (docs/json.md)."""
    return {
        "shape": list(s.shape), "dtype": s.dtype, "size": s.size,
        "min": _number(s.min), "max": _number(s.max), "mean": _number(s.mean),
        "std": _number(s.std), "norm": _number(s.norm), "nan": s.nan, "inf": s.inf,
        "values": None if s.values is None else array_json(s.values),
        "heatmap": None if s.heatmap is None else {
            "rows": s.heatmap.rows, "cols": s.heatmap.cols, "cells": s.heatmap.cells.tolist()},
        "histogram": {"edges": s.histogram.edges, "counts": s.histogram.counts},
    }


class _Summaries:
    """Summary -> JSON, each Summary object made once (many states show the same one)."""

    def __init__(self):
        self.made: dict[int, tuple[object, dict]] = {}

    def __call__(self, s):
        if s is None:
            return None
        found = self.made.get(id(s))
        if found is None:
            found = self.made[id(s)] = (s, summary_json(s))
        return found[1]


def _node_json(node, summaries) -> dict:
    """A node's state: its fields in order, summaries as JSON."""
    out = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        out[f.name] = summaries(value) if isinstance(value, Summary) or (
            value is None and f.name in _QUANTITIES) else value
    return out


def state_json(state, summaries=None) -> dict:
    """A State (docs/json.md): the full state after one step."""
    summaries = summaries or _Summaries()
    return {
        "iteration": state.iteration, "step": state.step, "phase": state.phase,
        "node": state.node, "edges": state.edges, "loss": _number(state.loss),
        "memory_bytes": state.memory_bytes,
        "nodes": {nid: _node_json(node, summaries) for nid, node in state.nodes.items()},
    }


def iteration_document(trace) -> dict:
    """The Iteration JSON: every step, every summary once under an id, and per step the
    fields each node changed (summaries by id). Merging changes[0..k] gives state k."""
    ids: dict[int, str] = {}
    tensors: list[list] = []
    summaries = _Summaries()

    def ref(s):
        if s is None:
            return None
        if id(s) not in ids:
            ids[id(s)] = f"t{len(ids)}"
            tensors.append(summary_row(summaries(s)))
        return ids[id(s)]

    changes = [
        {nid: {key: ref(v) if key in trace.quantities else v for key, v in fields.items()}
         for nid, fields in step.items()}
        for step in trace.changes()
    ]
    loss = trace.values[trace.graph.loss]
    texts, steps = compact_steps(steps_json(trace.step_list))
    return {"iteration": trace.iteration, "loss": _number(loss), "texts": texts,
            "steps": steps, "tensors": tensors, "changes": changes,
            "layers": layers_json(trace)}


def layers_json(trace) -> list[dict]:
    """Per layer, ‖∂loss/∂(its parameters)‖ and the step it is known from (docs/json.md)."""
    return [{"name": layer.name, "params": list(layer.params), "norm": _number(layer.norm),
             "step": layer.step} for layer in layer_norms(trace)]


def gradcheck_document(check) -> dict:
    """The GradCheck JSON (non-finite errors by name)."""

    def numbers(d: dict) -> dict:
        return {k: _number(v) if isinstance(v, float) else v for k, v in d.items()}

    sweep = None
    if check.sweep is not None:
        s = check.sweep
        sweep = {"leaf": s.leaf, "h": s.h, "rel_error": [_number(e) for e in s.rel_error],
                 "best_h": s.best_h, "best_rel_error": _number(s.best_rel_error),
                 "truncation": s.truncation}
    return {
        "dtype": check.dtype, "h": check.h, "tolerance": check.tolerance,
        "params": [{"leaf": p.leaf, "direction": numbers(dataclasses.asdict(p.direction)),
                    "entries": [numbers(dataclasses.asdict(e)) for e in p.entries]}
                   for p in check.params],
        "sweep": sweep,
    }


def memory_document(ledger, graph) -> dict:
    """The Memory JSON of a run: the ledger, with each node's label."""
    return {
        "bytes_after": ledger.bytes_after, "peak_bytes": ledger.peak_bytes,
        "peak_step": ledger.peak_step,
        "nodes": [{"node": h.node, "label": graph.nodes[h.node].label, "bytes": h.bytes,
                   "first": h.first, "released": h.released} for h in ledger.nodes],
    }


def modes_document(costs) -> dict:
    """The Modes JSON: forward vs reverse mode for one Jacobian."""
    return {"of": costs.of, "wrt": costs.wrt, "outputs": costs.outputs,
            "inputs": costs.inputs, "forward": dataclasses.asdict(costs.forward),
            "reverse": dataclasses.asdict(costs.reverse)}


def losses_document(losses: list[float], start: int | None = None,
                    iterations: int | None = None) -> dict:
    """The Losses JSON; a diverged run's NaN/Inf losses become their names (docs/json.md).
    With `start`, a page: `losses` are the run's first ones, its iterations `start` to the end
    of `losses` are sent."""
    if start is None:
        return {"iterations": len(losses), "losses": [_finite_or_name(x) for x in losses]}
    return {"iterations": iterations, "start": start, "stop": len(losses),
            "losses": [_finite_or_name(x) for x in losses[start:]]}


def tensor_document(node: str, which: str, iteration: int, step: int, array) -> dict:
    array = np.asarray(array)
    values = array_json(array)
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
