"""Ops the source defines: one node each, a hand-written backward checked (never refused)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from app.engine.core.errors import SourceError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.language.parser import parse

SMOOTH = ("def smooth_relu(x):\n    return log(1 + exp(x))\n\n"
          "def smooth_relu_backward(g, out, x):\n    return g * sigmoid(x)\n\n")
BODY = "z = input(8, 4)\nw = param(4, 3)\nh = smooth_relu(z @ w)\nloss = sum(h ** 2)\n"
TWO_ARGS = ("def gate(a, b):\n    return a * sigmoid(b)\n\n"
            "def gate_backward(g, out, a, b):\n"
            "    return g * sigmoid(b), sum(g * a * sigmoid(b) * (1 - sigmoid(b)), axis=1,"
            " keepdims=True)\n\n"
            "x = input(5, 3)\nu = param(3)\nv = param(5, 1)\n"
            "loss = mean(gate(x + u, v) ** 2)\n")


def run_of(source: str, **kw) -> Run:
    return Run(RunSpec(source=source, seed=1, **kw), Limits())


def test_a_custom_op_is_one_node_labelled_by_its_call():
    run = run_of(SMOOTH + BODY)
    h = run.graph.nodes["h"]
    assert (h.kind, h.op, h.inputs) == ("op", "smooth_relu", ("tmp1",))
    assert [n.op for n in run.graph.ops] == ["matmul", "smooth_relu", "pow", "sum"]
    assert run.describe()["custom_ops"] == [
        {"name": "smooth_relu", "has_backward": True,
         "check": {"ok": True, "max_rel_error": pytest.approx(0, abs=1e-7)}}]


def test_the_users_backward_is_the_vjp_and_its_latex_is_the_card():
    run = run_of(SMOOTH + BODY)
    trace = run.trace(0)
    step = next(s for s in trace.step_list if s.phase == "backward" and s.node == "h")
    assert "\\sigma" in step.latex and "smooth_relu_backward" in step.code
    assert "your smooth_relu_backward: g * sigmoid(x)" in step.narration
    z, w = run.leaves["z"], run.leaves["w"]
    a = z @ w
    h = np.log1p(np.exp(a))
    grad_a = 2 * h / (1 + np.exp(-a))
    np.testing.assert_allclose(trace.tensor(len(trace.step_list) - 1, "w", "grad"),
                               z.T @ grad_a, rtol=1e-12)


def test_a_wrong_backward_is_flagged_not_refused_and_training_uses_it():
    wrong = SMOOTH.replace("g * sigmoid(x)", "g * sigmoid(-x)")
    run = run_of(wrong + BODY, iterations=3)
    check = run.describe()["custom_ops"][0]["check"]
    assert not check["ok"] and check["max_rel_error"] >= 1e-2
    right = run_of(SMOOTH + BODY, iterations=3)
    assert run.losses()[0] == right.losses()[0] and run.losses()[1] != right.losses()[1]
    step = next(s for s in run.trace(0).step_list if s.phase == "backward" and s.node == "h")
    assert "FAILS the gradient check" in step.narration


def test_without_a_backward_gradwalk_differentiates_through_the_definition():
    plain = SMOOTH.split("def smooth_relu_backward")[0]
    without, with_right = run_of(plain + BODY, iterations=4), run_of(SMOOTH + BODY, iterations=4)
    assert without.describe()["custom_ops"][0] == {"name": "smooth_relu",
                                                   "has_backward": False, "check": None}
    np.testing.assert_allclose(without.losses(), with_right.losses(), rtol=1e-12)
    step = next(s for s in without.trace(0).step_list if s.phase == "backward" and s.node == "h")
    assert "differentiates through its definition" in step.narration
    assert "smooth_relu_vjp(" in step.code


def test_several_arguments_return_a_tuple_and_forward_mode_agrees_with_a_right_backward():
    run = run_of(TWO_ARGS, iterations=3, lr=0.1)
    assert run.describe()["custom_ops"][0]["check"]["ok"]
    trace = run.trace(1)
    last = len(trace.step_list) - 1
    grad = trace.tensor(last, "v", "grad")
    forward = Run(RunSpec(source=TWO_ARGS, seed=1, iterations=3, lr=0.1, mode="forward",
                          direction={"leaf": "v", "index": [2, 0]}), Limits()).trace(1)
    tangent = forward.tensor(len(forward.step_list) - 1, "loss", "tangent")
    np.testing.assert_allclose(tangent, grad[2, 0], rtol=1e-10)


def test_forward_mode_goes_through_the_definition_so_a_wrong_backward_disagrees():
    wrong = SMOOTH.replace("g * sigmoid(x)", "g * sigmoid(-x)")
    grad = run_of(wrong + BODY).trace(0)
    grad = grad.tensor(len(grad.step_list) - 1, "w", "grad")[1, 2]
    fwd = Run(RunSpec(source=wrong + BODY, seed=1, mode="forward",
                      direction={"leaf": "w", "index": [1, 2]}), Limits()).trace(0)
    tangent = float(fwd.tensor(len(fwd.step_list) - 1, "loss", "tangent"))
    right = run_of(SMOOTH + BODY).trace(0)
    assert tangent == pytest.approx(right.tensor(len(right.step_list) - 1, "w", "grad")[1, 2],
                                    rel=1e-10)
    assert abs(tangent - grad) > 1e-3 * abs(tangent)


@pytest.mark.parametrize("source", [SMOOTH + BODY, TWO_ARGS,
                                    SMOOTH.replace("g * sigmoid(x)", "g * sigmoid(-x)") + BODY,
                                    SMOOTH.split("def smooth_relu_backward")[0] + BODY])
def test_the_exported_script_defines_the_functions_and_prints_the_runs_losses(source):
    run = run_of(source, iterations=5, lr=0.05)
    out = subprocess.run([sys.executable, "-c", run.script()], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    printed = [float(line.split()[1]) for line in out.strip().splitlines()]
    np.testing.assert_allclose(printed, run.losses(), rtol=1e-12)


@pytest.mark.parametrize("source,words", [
    ("def f(x):\n    return f(x)\nx = input(2)\nloss = sum(f(x))\n", "calls itself"),
    ("def f(x):\n    return g(x)\ndef g(x):\n    return exp(x)\nx = input(2)\n"
     "loss = sum(f(x))\n", "calls g, defined later"),
    ("def f(x, y):\n    return x * y\nx = input(2)\nloss = sum(f(x))\n",
     "f() takes 2 argument(s) (x, y), got 1"),
    ("def f(x):\n    return exp(x)\ndef f_backward(g, out):\n    return g\n"
     "x = input(2)\nloss = sum(f(x))\n", "takes (g, out, x)"),
    ("def f(x, y):\n    return x * y\ndef f_backward(g, out, x, y):\n    return g * y\n"
     "x = input(2)\nloss = sum(f(x, x))\n", "returns 1 gradient(s); f has 2"),
    ("def f(x):\n    return sum(x)\ndef f_backward(g, out, x):\n    return g\n"
     "x = input(2)\nloss = f(x)\n", "returns a gradient of shape () for x, whose shape is (2,)"),
    ("def relu(x):\n    return exp(x)\nx = input(2)\nloss = sum(relu(x))\n",
     "a function of the language"),
    ("x = input(2)\ndef x(a):\n    return exp(a)\nloss = sum(x)\n", "already a variable"),
    ("def f(x):\n    y = exp(x)\n    return y\nx = input(2)\nloss = sum(f(x))\n",
     "one statement, `return expression`"),
    ("def f_backward(g, out, x):\n    return g\nx = input(2)\nloss = sum(exp(x))\n",
     "a backward comes after the function"),
    ("def f(x):\n    return exp(x)\nx = input(2)\na = f(x)\n"
     "def f_backward(g, out, x):\n    return g\nloss = sum(a)\n", "before the function is first"),
    ("def f(x, y):\n    return exp(x)\nx = input(2)\nloss = sum(f(x, x))\n", "y is not"),
    ("def f(x):\n    return x\nx = input(2)\nloss = sum(f(x) * 2)\n", "must compute something"),
    ("def f(x=1):\n    return exp(x)\nx = input(2)\nloss = sum(f(x))\n", "no defaults"),
])
def test_definition_errors_name_the_line_and_what_is_wrong(source, words):
    with pytest.raises(SourceError, match="line") as error:
        parse(source, Limits())
    assert words in str(error.value)


def test_an_error_inside_a_body_names_the_call():
    source = ("def f(x):\n    return x @ x\nx = input(2, 3)\nloss = sum(f(x))\n")
    with pytest.raises(SourceError, match="in f\\(...\\) called at line 4") as error:
        parse(source, Limits())
    assert error.value.line == 2


def test_definitions_may_call_earlier_ones_and_use_named_numbers():
    source = ("k = 3\ndef sq(x):\n    return x * x * k\n\ndef quad(x):\n    return sq(sq(x))\n\n"
              "w = param(2, scale=0.5)\nloss = sum(quad(w))\n")
    run = run_of(source, iterations=2, lr=0.001)
    w = run.leaves["w"]
    assert run.losses()[0] == pytest.approx(np.sum(3 * (3 * w * w) ** 2), rel=1e-12)
    assert list(run.graph.custom) == ["sq", "quad"]


def test_an_argument_shadows_a_named_number_of_the_same_name():
    """Before: inside `def f(t, u)` with a run number `t`, std(t) read the number (std of 0.75
    is 0), so the run's losses were not the script's (test_script_names found it)."""
    source = ("def f(t, u):\n    return std(t) + norm(u)\n\np = param(3)\nq = param(3)\n"
              "v = f(p, q) * t\nloss = sum(v * v)\n")
    run = Run(RunSpec(source=source, params={"t": 0.75}, iterations=1, seed=1), Limits())
    rs = np.random.RandomState(1)
    p, q = rs.randn(3), rs.randn(3)
    assert run.losses()[0] == pytest.approx(((np.std(p) + np.linalg.norm(q)) * 0.75) ** 2,
                                            rel=1e-12)
