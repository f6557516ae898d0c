"""The tape: arrays per (node, quantity, version), bounded in bytes, exact on demand."""

from __future__ import annotations

import tracemalloc

import numpy as np

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec


def fan_in_source(rows: int, cols: int, sums: int, w: float = 1.0) -> str:
    """An input feeding `sums` sum nodes whose results are added up: every sum sends a
    full-size contribution to the input's gradient."""
    lines = [f"x = input({rows}, {cols})", f"w = param(value={w})"]
    lines += [f"s{i} = sum(x * w)" if i == 0 else f"s{i} = sum(x)" for i in range(sums)]
    total = "s0"
    for i in range(1, sums):
        lines.append(f"a{i} = {total} + s{i}")
        total = f"a{i}"
    lines.append(f"loss = {total} * w")
    return "\n".join(lines) + "\n"


def test_partial_gradients_are_summarised_not_kept_and_come_back_bit_for_bit():
    # w = 1.5: a sum's contribution is ∂loss/∂s = w, the product's (x * w) is w · w
    run = Run(RunSpec(source=fan_in_source(60, 50, 12, w=1.5), iterations=1), Limits())
    trace = run.trace(0)
    tape = trace.tape
    assert trace.expected["x"] == 12
    # what the tape keeps: forward values, updated parameters, final gradients (once each)
    x_bytes = 60 * 50 * 8
    assert tape.nbytes < 8 * x_bytes + 200 * 4096
    # every partial sum of x's gradient, recomputed, equals the running sum made in order
    arrivals = run.schedule.arrivals()["x"]
    total = None
    for n, (k, send) in enumerate(arrivals, start=1):
        exact = trace.tensor(k, "x", "grad")
        product = run.graph.nodes[send.edge.target].op == "mul"
        c = np.full((60, 50), 1.5 * 1.5 if product else 1.5)
        total = c if total is None else total + c
        assert trace.grad_version(k, "x") == n
        np.testing.assert_array_equal(exact, tape.array("x", "grad", n))
        np.testing.assert_array_equal(exact, total)  # the running sum itself
    np.testing.assert_array_equal(trace.tensor(arrivals[-1][0], "x", "grad"), tape.grads["x"])


def test_memory_retained_by_a_traced_iteration_is_bounded():
    """The issue's graph shrunk: 150 sums of a 200×200 input keep about 2 arrays, not 150."""
    run = Run(RunSpec(source=fan_in_source(200, 200, 150), iterations=1), Limits(max_nodes=400))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        trace = run.trace(0)
        for k in range(0, len(trace.step_list), 7):
            trace.state(k)
        kept = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    x_bytes = 200 * 200 * 8
    # forward values (x and x * w) + final gradients (x once) + ~700 summaries of a few KiB;
    # keeping every contribution (as before the tape) retained 150 × x_bytes, 48 MiB
    assert kept < 20 * x_bytes, kept
    assert trace.nbytes < 20 * x_bytes


def test_the_state_after_every_step_matches_the_merge_of_changes():
    from app.api.present import state_json

    run = Run(RunSpec(source=fan_in_source(3, 4, 5), iterations=2), Limits())
    for t in (0, 1):
        trace = run.trace(t)
        nodes: dict = {}
        for k, changed in enumerate(trace.changes()):
            for nid, fields in changed.items():
                nodes.setdefault(nid, {}).update(fields)
            merged = {nid: {f: getattr(trace.state(k).nodes[nid], f) for f in fields}
                      for nid, fields in nodes.items()}
            assert state_json(trace.state(k))["nodes"].keys() == merged.keys()
            for nid, fields in merged.items():
                for f, v in fields.items():
                    assert nodes[nid][f] is v or nodes[nid][f] == v, (t, k, nid, f)
