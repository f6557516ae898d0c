"""Writes the golden record of every preset's documents and every op's rules (golden.json).

Run from the project root to refresh it: `python -m tests.engine.golden.make_golden`. The record
holds a sha256 per document (iteration documents in reverse and forward mode, the run
description, the script, the memory ledger, the gradient check) and the text parts of every
step (narration, LaTeX, code) so a difference can be explained; and per op case the rendered
templates and a sha256 of every forward, VJP and JVP result. test_golden.py compares the tree
against it: a refactor that changes a number, a formula or a script line fails there.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).with_name("golden.json")
#: iterations of each preset traced: the first, and one after an SGD update
ITERATIONS = (0, 1)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _array_sha(a) -> str:
    a = np.ascontiguousarray(np.asarray(a, dtype=np.float64))
    return _sha(repr(a.shape).encode() + a.tobytes())


def preset_record(preset_id: str) -> dict:
    from app.api.compact import decode_iteration
    from app.api.present import (
        encode_json,
        gradcheck_document,
        iteration_document,
        memory_document,
    )
    from app.engine.core.limits import Limits
    from app.engine.core.run import Run, RunSpec

    record = {}
    for mode in ("reverse", "forward"):
        run = Run(RunSpec(preset=preset_id, mode=mode, iterations=2), Limits())
        doc = {"describe": _sha(encode_json(run.describe()))}
        if mode == "reverse":
            doc["script"] = _sha(run.script().encode())
            doc["memory"] = _sha(encode_json(memory_document(run.memory(), run.graph)))
            doc["gradcheck"] = _sha(encode_json(gradcheck_document(run.gradcheck(0))))
            doc["losses"] = _sha(encode_json(run.losses()))
        for t in ITERATIONS:
            trace = run.trace(t)
            # the document's meaning: as a client decodes it (the record was made before the
            # compact form, docs/json.md's Iteration), so the form's change is no difference
            document = decode_iteration(iteration_document(trace))
            doc[f"iteration{t}"] = _sha(encode_json(document))
            doc[f"values{t}"] = _sha(encode_json(document["tensors"]))
            if t == 0:  # the words, formulas and code of each step, to explain a difference
                doc["steps"] = [
                    {k: s[k] for k in ("narration", "latex", "code") if k in s}
                    for s in document["steps"]]
        record[mode] = doc
    return record


def op_record() -> dict:
    from app.engine.ops.registry import REGISTRY, apply_jvp, apply_vjp, render

    from ..conftest import op_cases, sample_inputs

    record = {}
    for case in op_cases():
        name, shapes, attrs = case.values
        op = REGISTRY[name]
        rng = np.random.default_rng(0)
        inputs = sample_inputs(name, shapes, attrs, rng)
        out = op.forward(*inputs, **attrs)
        g = rng.normal(size=np.shape(out))
        n = len(inputs)
        fmt = op.fmt(**attrs)
        names = [f"x{i}" for i in range(n)]
        entry = {"out": _array_sha(out), "latex": render(op.latex, fmt, names),
                 "code": render(op.code, fmt, names)}
        for i in range(n):
            entry[f"vjp{i}"] = _array_sha(apply_vjp(op, g, out, inputs, attrs, i))
            t = rng.normal(size=np.shape(inputs[i]))
            tangents = [t if j == i else None for j in range(n)]
            entry[f"jvp{i}"] = _array_sha(apply_jvp(op, tangents, out, inputs, attrs))
            for field in ("local", "contrib", "tangent", "code_vjp", "code_jvp"):
                entry[f"{field}{i}"] = render(getattr(op, field)[i], fmt, names, g="g", t="t",
                                              out="y")
        entry["saves"] = list(op.saves)
        entry["reads"] = None if op.reads is None else [list(r) for r in op.reads]
        record[case.id] = entry
    return record


def blas_fingerprint() -> str:
    """How this machine's BLAS rounds a matmul (its kernels and threads decide the order of the
    sums): the record's hashes hold only where this is the recorded one."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(64, 1000)), rng.normal(size=(1000, 100))
    return _array_sha(a @ b) + _array_sha(b.T @ a.T) + _array_sha(a[:7] @ b[:, :3])


def golden() -> dict:
    from app.engine.ops.helpers import SCRIPT_HELPERS
    from app.engine.presets import PRESETS

    return {"presets": {p: preset_record(p) for p in sorted(PRESETS)},
            "ops": op_record(),
            "helpers": {k: _sha(v.encode()) for k, v in sorted(SCRIPT_HELPERS.items())}}


if __name__ == "__main__":
    record = {**golden(), "blas": blas_fingerprint()}
    GOLDEN.write_text(json.dumps(record, ensure_ascii=False, indent=0, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
