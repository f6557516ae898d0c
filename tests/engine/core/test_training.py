"""Training: SGD from the schedule, checkpoints, any iteration's parameters."""

from __future__ import annotations

import numpy as np

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.core.schedule import Schedule
from app.engine.core.training import SPARSE, Training, init_leaves

SOURCE = "x = input(4, 3)\nw = param(3, 2)\nb = param(2)\nloss = sum(tanh(x @ w + b) ** 2)\n"


def test_one_iteration_is_forward_backward_and_sgd_by_hand():
    run = Run(RunSpec(source=SOURCE, lr=0.1, iterations=2, seed=4), Limits())
    x, w, b = (run.leaves[n] for n in ("x", "w", "b"))
    z = x @ w + b
    h = np.tanh(z)
    grad_z = 2 * h * (1 - h ** 2)
    losses = run.losses()
    assert losses[0] == np.sum(h ** 2)
    after = run.training().leaves_at(1)
    np.testing.assert_allclose(after["w"], w - 0.1 * (x.T @ grad_z), rtol=1e-13)
    np.testing.assert_allclose(after["b"], b - 0.1 * grad_z.sum(axis=0), rtol=1e-13)
    np.testing.assert_array_equal(after["x"], x)  # inputs are not trained


def test_leaves_are_drawn_in_declaration_order():
    g = Run(RunSpec(source=SOURCE), Limits()).graph
    rs = np.random.RandomState(9)
    leaves = init_leaves(g, 9)
    for nid in ("x", "w", "b"):
        np.testing.assert_array_equal(leaves[nid], rs.randn(*g.nodes[nid].shape))


def test_any_iteration_from_checkpoints_equals_the_straight_loop():
    run = Run(RunSpec(source=SOURCE, lr=0.05, iterations=40, seed=1), Limits())
    schedule = Schedule(run.graph)
    few = Training(schedule, run.leaves, 0.05, 40, Limits())
    assert few.trained == 0  # lazily: nothing until an iteration is asked for
    lazy = Training(schedule, run.leaves, 0.05, 40, Limits())
    few.losses  # noqa: B018 (trains every iteration)
    assert few.every >= 1 and len(few.checkpoints) >= 1
    values = {n: v.copy() for n, v in run.leaves.items()}
    for t in range(40):
        if t in (0, 13, 39):
            for p in ("w", "b"):
                np.testing.assert_array_equal(few.leaves_at(t)[p], values[p])
                np.testing.assert_array_equal(lazy.leaves_at(t)[p], values[p])
        few.plan.step(values, 0.05)
    assert lazy.trained == 39


def test_checkpoints_are_counted_in_bytes():
    run = Run(RunSpec(source=SOURCE, iterations=10), Limits())
    run.losses()
    training = run.training()
    per = sum(run.leaves[p].nbytes for p in ("w", "b"))
    # the checkpoints and the parameters after the last iteration trained
    assert training.nbytes == per * (len(training.checkpoints) + 1)
    assert run.nbytes == sum(v.nbytes for v in run.leaves.values()) + training.nbytes


def test_straight_training_keeps_few_checkpoints_and_a_replay_keeps_the_rest():
    """Each checkpoint is a copy into fresh memory: a run trained straight through (its losses)
    keeps one in SPARSE; visiting an iteration keeps the ones its replay passes, so a later
    visit near it replays fewer than `every` iterations, and every one is exact."""
    run = Run(RunSpec(source=SOURCE, lr=0.05, iterations=200, seed=2), Limits())
    training = Training(Schedule(run.graph), run.leaves, 0.05, 200, Limits())
    training.losses  # noqa: B018 (trains every iteration)
    every = training.every
    assert 1 < every and every * SPARSE < 200
    assert sorted(training.checkpoints) == list(range(0, 200, every * SPARSE))
    straight = [{p: run.leaves[p].copy() for p in ("w", "b")}]
    values = {n: v.copy() for n, v in run.leaves.items()}
    for _ in range(199):
        training.plan.step(values, 0.05)
        straight.append({p: values[p].copy() for p in ("w", "b")})

    t = every * (SPARSE - 1) + 1  # from checkpoint 0, past every dense one of its window
    leaves = training.leaves_at(t)
    for p in ("w", "b"):
        np.testing.assert_array_equal(leaves[p], straight[t][p])
    assert training.replayed == t
    assert {every * k for k in range(SPARSE)} <= set(training.checkpoints)
    before = training.replayed
    leaves = training.leaves_at(t + 1)
    for p in ("w", "b"):
        np.testing.assert_array_equal(leaves[p], straight[t + 1][p])
    assert training.replayed - before < every
    assert sum(a.nbytes for c in training.checkpoints.values() for a in c.values()) <= \
        len(range(0, 200, every)) * sum(run.leaves[p].nbytes for p in ("w", "b"))
