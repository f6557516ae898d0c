"""Forward vs reverse mode: both sweeps give the same Jacobian; their counts and FLOPs."""

from __future__ import annotations

import numpy as np

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.core.schedule import Schedule, Update
from app.engine.core.tape import Tape
from app.engine.instruments import modes

SOURCE = ("x = input(3, 2)\nw = param(2, 4)\nb = param(4)\nz = tanh(x @ w + b)\n"
          "loss = sum(z * z)\n")


def test_forward_columns_and_reverse_rows_are_the_same_jacobian():
    run = Run(RunSpec(source=SOURCE, seed=2), Limits())
    graph, leaves = run.graph, run.leaves
    columns = []
    for index in np.ndindex(2, 4):
        tape = Tape(Schedule.forward_mode(graph, "w"), leaves, 0.0, ("w", index),
                    summaries=False)
        columns.append(tape.tangents["z"].reshape(-1))
    forward = np.stack(columns, axis=1)  # (12 outputs, 8 inputs)
    backward = Schedule(graph, ["w"], output="z")
    assert not backward.of(Update)  # only the loss's schedule updates parameters
    rows = []
    for index in np.ndindex(3, 4):
        u = np.zeros((3, 4))
        u[index] = 1.0
        rows.append(Tape(backward, leaves, 0.0, cotangent=u, summaries=False).grads["w"]
                    .reshape(-1))
    np.testing.assert_allclose(forward, np.stack(rows), rtol=1e-12, atol=1e-14)


def test_counts_and_flops_from_the_shapes():
    run = Run(RunSpec(source=SOURCE), Limits())
    costs = modes.costs(run.graph, run.leaves, "z", ["w", "b"])
    assert (costs.outputs, costs.inputs) == (12, 12)
    assert costs.forward.sweeps == 12 and costs.reverse.sweeps == 12
    assert costs.forward.measured_all and costs.reverse.measured_all
    # the forward pass: x @ w (2·3·2·4 = 48), + b and tanh (12 each); forward mode adds one
    # term per input that depends on w or b (x @ w: w only; + b: both; tanh: one), reverse
    # mode one contribution per edge that needs a gradient (the same edges)
    matmul, forward = 2 * 3 * 2 * 4, 2 * 3 * 2 * 4 + 12 + 12
    assert costs.forward.flops_per_sweep == forward + matmul + 2 * 12 + 12
    assert costs.reverse.flops_per_sweep == forward + matmul + 2 * 12 + 12
    loss = modes.costs(run.graph, run.leaves)
    assert (loss.of, loss.wrt, loss.outputs, loss.inputs) == ("loss", ["w", "b"], 1, 12)
    assert loss.reverse.sweeps == 1 and loss.forward.sweeps == 12
