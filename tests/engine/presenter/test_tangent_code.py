"""The forward steps' numpy code computes the tangents the API serves: each forward-mode step's
code is run in order, on the run's leaves, and every tangent compared — on generated programs
whose ops broadcast (a tangent only the smaller input carries takes the output's shape, as the
tape's). Seen failing on the code before its fix (`dot_v = dot_a` kept a's shape: −3.071
where the API, PyTorch and the gradient say −9.214; on a scalar an IndexError)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.core.errors import SourceError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.ops.helpers import SCRIPT_HELPERS
from app.engine.presenter import codegen


def check_steps(source: str, leaf: str, index: list[int]) -> None:
    run = Run(RunSpec(source=source, iterations=1, mode="forward",
                      direction={"leaf": leaf, "index": index}), Limits())
    graph = run.graph
    names = codegen.names(graph)
    space: dict = {"np": np}
    for helper in dict.fromkeys(h for n in graph.ops for h in graph.op(n.id).helpers):
        exec(SCRIPT_HELPERS[helper], space)  # noqa: S102
    for nid, value in run.leaves.items():
        space[names.of[nid]] = value
    unit = np.zeros(graph.nodes[leaf].shape)
    unit[tuple(index)] = 1.0
    space[codegen.tangent_var(graph, leaf)] = unit
    trace = run.trace(0)
    with np.errstate(all="ignore"):
        for step in trace.step_list:
            if step.phase != "forward":
                continue
            exec(step.code, space)  # noqa: S102
            expected = trace.tensor(step.index, step.node, "tangent")
            got = space.get(codegen.tangent_var(graph, step.node))
            if got is None:  # no tangent: the node does not depend on the direction
                np.testing.assert_array_equal(expected, np.zeros_like(expected))
                continue
            assert np.shape(got) == np.shape(expected), (step.code, np.shape(got))
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300,
                                       equal_nan=True, err_msg=step.code)


def test_the_issues_program_broadcasts_the_tangent():
    source = ("a = param(1, 2)\nb = input(3, 2)\nv = a + b\ns = sum(v, axis=0)\n"
              "loss = sum(s * s)\n")
    check_steps(source, "a", [0, 1])


def test_a_scalars_tangent_takes_the_outputs_shape():
    check_steps("a = param(value=2.0)\nb = input(3)\nv = a * b\nloss = v[0] + sum(v)\n",
                "a", [])


SHAPES = [(), (2,), (1, 2), (3, 1), (3, 2)]
OPS = ["{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / (2 + {b} * {b})", "maximum({a}, {b})",
       "minimum({a}, {b})", "(1 + {a} * {a}) ** {b}"]


@st.composite
def programs(draw):
    shapes = [draw(st.sampled_from(SHAPES)) for _ in range(3)]
    lines = [f"p{i} = param({', '.join(map(str, s))})" if s else f"p{i} = param(value=0.5)"
             for i, s in enumerate(shapes)]
    names = ["p0", "p1", "p2"]
    for k in range(draw(st.integers(2, 4))):
        a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
        lines.append(f"v{k} = {draw(st.sampled_from(OPS)).format(a=a, b=b)}")
        names.append(f"v{k}")
    # every value reaches the loss (an unused one is refused)
    lines.append(f"loss = sum({names[-1]} * {names[-1]}) + "
                 + " + ".join(f"sum({n})" for n in names[:-1]))
    leaf = draw(st.integers(0, 2))
    index = [draw(st.integers(0, n - 1)) for n in shapes[leaf]]
    return "\n".join(lines) + "\n", f"p{leaf}", index


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs())
def test_every_forward_steps_code_computes_the_apis_tangent(program):
    source, leaf, index = program
    try:
        Run(RunSpec(source=source, iterations=1), Limits())
    except SourceError:  # shapes that do not broadcast
        return
    check_steps(source, leaf, index)


@pytest.mark.parametrize("body", ["relu(a) * b", "clip(a, -0.5, 0.5) + b", "std(a + b)",
                                  "norm(a * b)", "max(a + b, axis=0)"])
def test_the_changed_rules_code_computes_the_apis_tangent(body):
    check_steps(f"a = param(1, 3)\nb = input(2, 3)\nv = {body}\nloss = sum(v * v)\n",
                "a", [0, 1])
