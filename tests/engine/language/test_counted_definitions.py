"""Definitions cost what their expansion costs, counted before any numerics: a body is built
once per shapes, a nested definition is charged for every op it runs, a hand-written backward
is checked only inside the budget, and recursion (through a backward too) is a 422. Each test
was seen failing on the code before its fix."""

from __future__ import annotations

import pytest

from app.engine.core.errors import LimitError, SourceError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.language import custom, definitions
from app.engine.language.parser import Builder, parse


def nested(depth: int, leaf: str = "w = param(3)", backward: str = "") -> str:
    """f1 calls f0 twice, f2 calls f1 twice, …: f_depth runs 2**depth copies of f0."""
    lines = ["def f0(x):\n    return sin(x)\n", backward]
    for i in range(1, depth + 1):
        lines.append(f"def f{i}(x):\n    return f{i - 1}(f{i - 1}(x))\n")
    lines += [leaf, f"loss = sum(f{depth}(w))"]
    return "\n".join(lines)


def test_a_definitions_body_is_built_once_per_shapes(monkeypatch):
    """Before: every call rebuilt the callee's body, 2**depth bodies for depth nested defs."""
    built = []
    expr = Builder.expr
    monkeypatch.setattr(Builder, "expr", lambda self, node, *a, **k: (
        built.append(node), expr(self, node, *a, **k))[1])
    parse(nested(12), Limits())
    assert len(built) < 200


def test_deeply_nested_definitions_are_over_the_budget_at_once():
    """Before: f40 never finished parsing (2**40 bodies); now it is counted, 413."""
    with pytest.raises(LimitError, match="max_compute") as error:
        Run(RunSpec(source=nested(40), iterations=1), Limits())
    assert "per training iteration" in str(error.value)


def test_a_nested_definition_is_charged_for_every_op_it_runs():
    small = Run(RunSpec(source=nested(2), iterations=1), Limits()).cost.per_iteration
    large = Run(RunSpec(source=nested(8), iterations=1), Limits()).cost.per_iteration
    assert large > 30 * small  # 256 sines against 4


def test_a_backward_is_checked_inside_the_budget_never_before(monkeypatch):
    """Before: the finite-difference check of f1's backward ran while parsing, on 1000×1000
    matrices (30 CPU s), before the budget refused the run."""
    checked = []
    monkeypatch.setattr(custom, "check_backward",
                        lambda *a, **k: checked.append(a) or custom.BackwardCheck(True, 0.0))
    monkeypatch.setattr(definitions, "check_backward", custom.check_backward, raising=False)
    source = ("def f1(x):\n    return (x @ x) @ x\n\n"
              "def f1_backward(g, out, x):\n    return g @ x\n\n"
              "def f2(x):\n    return f1(f1(x))\n\n"
              "w = param(1000, 1000)\nloss = sum(f2(w))\n")
    with pytest.raises(LimitError, match="max_compute"):
        Run(RunSpec(source=source, iterations=1), Limits())
    assert checked == []


def test_the_backward_check_is_counted_in_the_runs_cost():
    source = ("def f(x):\n    return x @ x\n\ndef f_backward(g, out, x):\n"
              "    return g @ x.T + x.T @ g\n\nw = param(300, 300)\nloss = sum(f(w))\n")
    run = Run(RunSpec(source=source, iterations=1), Limits())
    assert run.cost.checks > 2 * custom.CHECK_ELEMENTS * 2 * 300 ** 3
    assert run.describe()["custom_ops"][0]["check"]["ok"]


@pytest.mark.parametrize("source,line,column", [
    # the backward calls its own function, whose backward calls it again
    ("def f(x):\n    return sin(x)\n\ndef f_backward(g, out, x):\n    return g * f(x)\n\n"
     "w = param(3)\nloss = sum(f(w))\n", 5, 16),
    # through another definition
    ("def f(x):\n    return sin(x)\n\ndef h(x):\n    return f(x) * 2\n\n"
     "def f_backward(g, out, x):\n    return g * h(x)\n\nw = param(3)\nloss = sum(f(w))\n",
     8, 16),
])
def test_recursion_through_a_backward_is_a_source_error(source, line, column):
    """Before: RecursionError (a 500)."""
    with pytest.raises(SourceError, match="recursion") as error:
        Run(RunSpec(source=source), Limits())
    assert (error.value.line, error.value.column) == (line, column)


def test_a_long_chain_of_definitions_is_a_source_error_not_a_crash():
    lines = ["def f0(x):\n    return sin(x)\n"]
    for i in range(1, 400):
        lines.append(f"def f{i}(x):\n    return f{i - 1}(x) + 1\n")
    lines += ["w = param(3)", "loss = sum(f399(w))"]
    with pytest.raises(SourceError, match="nested"):
        parse("\n".join(lines), Limits())
