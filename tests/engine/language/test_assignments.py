"""app.engine.language.assignments: `c += e` as a new version of c, and named numbers unpacked."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.errors import SourceError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.language.parser import parse


@pytest.mark.parametrize("op, numpy", [("+=", np.add), ("-=", np.subtract), ("*=", np.multiply),
                                       ("/=", np.divide), ("**=", np.power)])
def test_an_update_is_the_operation_on_the_previous_version(op, numpy):
    source = f"x = input(3)\nc = x * 2 + 3\nc {op} x + 1\nloss = sum(c)\n"
    run = Run(RunSpec(source=source, iterations=1, seed=4), Limits())
    x = run.leaves_at(0)["x"]
    assert run.losses()[0] == pytest.approx(np.sum(numpy(x * 2 + 3, x + 1)), rel=1e-12)
    graph = run.graph
    assert graph.nodes["c_2"].inputs[0] == "c"
    assert graph.nodes["c_2"].expr == f"c {op[:-1]} (x + 1)"


def test_a_name_call_or_constant_on_the_right_is_not_bracketed_and_names_its_version():
    graph = parse("x = input(3)\nc = x + 1\nc += x\nc *= tanh(c)\nloss = sum(c)\n", Limits())
    assert graph.nodes["c_2"].expr == "c + x"
    assert graph.nodes["c_3"].expr == "c_2 * tanh(c_2)"


def test_matmul_update():
    graph = parse("x = input(2, 3)\nW = param(3, 3)\nh = x @ W\nh @= W\nloss = sum(h)\n", Limits())
    assert graph.nodes["h_2"].op == "matmul" and graph.nodes["h_2"].inputs == ("h", "W")


@pytest.mark.parametrize("source, words, line", [
    ("x = input(3)\nx[0] += 1\nloss = sum(x)\n", "augmented assignment to a subscript", 2),
    ("x = input(3)\nc += x\nloss = sum(c)\n", "undefined name 'c'", 2),
    ("x = input(3)\nn = 2\nn += 1\nloss = sum(x)\n", "'n' is a number", 3),
    ("x = input(3)\nc = x + 1\nc //= 2\nloss = sum(c)\n", "the operator FloorDiv is not allowed", 3),
    ("N, x = 3, input(3)\nloss = sum(x)\n", "unpacking assigns named numbers only", 1),
    ("N, D = 3\nx = input(N)\nloss = sum(x)\n", "unpacking assigns named numbers only", 1),
])
def test_what_the_language_does_not_read_is_refused_at_its_line(source, words, line):
    with pytest.raises(SourceError) as error:
        parse(source, Limits())
    assert words in str(error.value) and error.value.line == line


def test_named_numbers_unpacked_size_the_tensors():
    graph = parse("N, D = 4, 3\nx = input(N, D)\nw = param(D)\nloss = sum(x @ w)\n", Limits())
    assert graph.nodes["x"].shape == (4, 3) and graph.nodes["w"].shape == (3,)
