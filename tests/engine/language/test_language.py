"""The expression language: what it builds, and one test per error kind with line and column."""

from __future__ import annotations

import pytest

from app.engine.core.errors import LimitError, SourceError
from app.engine.core.limits import Limits
from app.engine.language.parser import parse

LIMITS = Limits()
HEAD = "x = input(3, 4)\nw = param(4, 2)\n"


def error_of(source: str, numbers=None) -> SourceError:
    with pytest.raises(SourceError) as info:
        parse(source, LIMITS, numbers)
    return info.value


def test_builds_nodes_in_declaration_order_with_labels():
    g = parse(HEAD + "loss = sum(relu(x @ w) * 2)\n", LIMITS)
    assert g.order == ["x", "w", "tmp1", "tmp2", "tmp3", "tmp4", "loss"]
    labels = {n: g.nodes[n].label for n in g.order}
    assert labels["tmp1"] == "x @ w" and labels["tmp2"] == "relu(x @ w)"
    assert labels["tmp3"] == "2" and g.nodes["tmp3"].kind == "const"
    assert g.nodes["tmp4"].shape == (3, 2) and g.nodes["loss"].shape == ()
    assert [(e.source, e.target, e.index) for e in g.edges_in["tmp4"]] == \
        [("tmp2", "tmp4", 0), ("tmp3", "tmp4", 1)]


def test_named_numbers_scalars_axis_keepdims_and_transpose():
    g = parse("N = 3\na = input(value=2.0)\nx = input(N, 4)\n"
              "z = x - logsumexp(x, axis=1, keepdims=True)\nloss = mean(z.T ** 2) * a / N\n",
              LIMITS)
    assert g.nodes["x"].shape == (3, 4)
    assert g.nodes["z"].shape == (3, 4)
    assert g.nodes["N"].kind == "const" and g.nodes["N"].init["value"] == 3.0


@pytest.mark.parametrize("source,line,column,message", [
    # bad syntax
    ("x = input(3\n", 1, 10, "invalid syntax"),
    # undefined name
    (HEAD + "loss = sum(x @ v)\n", 3, 16, "undefined name 'v'"),
    # unknown function
    (HEAD + "loss = sum(selu(x @ w))\n", 3, 12, "unknown function 'selu'"),
    # wrong argument count
    (HEAD + "loss = sum(x @ w, x)\n", 3, 8, "sum() takes 1 argument, got 2"),
    # shape mismatch, naming both shapes
    (HEAD + "loss = sum(w @ x)\n", 3, 12, "shapes (4, 2) and (3, 4) do not match"),
    (HEAD + "loss = sum(x + w)\n", 3, 12, "shapes (3, 4) and (4, 2) cannot be broadcast"),
    # a loss that is not a scalar
    (HEAD + "loss = x @ w\n", 3, 1, "must be a scalar, but its shape is (3, 2)"),
    # attributes other than .T
    (HEAD + "loss = sum(x.shape)\n", 3, 12, "attribute .shape is not allowed"),
    # imports
    ("import os\n", 1, 1, "imports are not allowed"),
    ("from os import system\n", 1, 1, "imports are not allowed"),
    # lambdas
    (HEAD + "loss = sum((lambda: x)())\n", 3, 13, "only function calls by name"),
    (HEAD + "f = lambda: x\n", 3, 5, "lambdas are not part of the language"),
    # subscripts
    (HEAD + "loss = sum(x[x > 0] @ w)\n", 3, 14,
     "an index is a constant whole number or a slice like 1:3 (no boolean masks"),
    # dunder names
    ("__class__ = input(3)\n", 1, 1, "dunder names"),
    (HEAD + "loss = sum(x.__class__)\n", 3, 12, "attribute .__class__ is not allowed"),
    # strings
    (HEAD + "loss = sum('x')\n", 3, 12, "strings are not allowed"),
    (HEAD + "loss = sum(f'{x}')\n", 3, 12, "strings are not part of the language"),
    # comprehensions
    (HEAD + "loss = sum([a for a in x])\n", 3, 12, "a list is assigned to a name on its own"),
    # keyword tricks
    (HEAD + "loss = sum(x, **{'axis': 0})\n", 3, 17, "** keyword unpacking is not allowed"),
    (HEAD + "loss = sum(*x)\n", 3, 12, "* argument unpacking is not allowed"),
    (HEAD + "loss = sum(x @ w, dtype=0)\n", 3, 25, "sum() takes axis=, keepdims=, not dtype="),
    # other statements and misuse
    (HEAD + "if x:\n    y = x\n", 3, 1, "a if statement is not part of the language"),
    ("N = 3\nN = 4\n", 2, 1, "'N' is already defined; a named number is assigned once"),
    (HEAD + "x = 3\n", 3, 1, "'x' is already defined; a named number is assigned once"),
    (HEAD + "sum = x @ w\n", 3, 1, "'sum' is reserved"),
    (HEAD + "grad_x = sum(x)\n", 3, 1, "'grad_x' is reserved"),
    (HEAD + "loss = sum(x[w] @ w)\n", 3, 14, "no tensor indices"),
    (HEAD + "x[0] = 1\nloss = sum(x @ w)\n", 3, 1, "assignment to a subscript"),
    (HEAD + "loss = sum(concatenate(x, w))\n", 3, 12, "takes one list of 2 to 64 tensors"),
    (HEAD + "loss = sum(x[5] @ w)\n", 3, 12, "does not index shape (3, 4)"),
    (HEAD + "loss = sum(reshape(x, (5, 2)) @ w)\n", 3, 12, "cannot reshape (3, 4)"),
    (HEAD + "loss = sum(x @ w, axis=(0, 0))\n", 3, 8, "names an axis twice"),
    (HEAD + "y = labels(3)\nloss = sum(x @ w)\n", 3, 5, "labels takes 2 sizes"),
    (HEAD + "loss = sum(relu(input(3)))\n", 3, 17, "must be assigned to a name"),
    (HEAD + "y = x @ w\nloss = sum(x @ w)\n", 3, 5, "'y' is never used by the loss"),
    (HEAD + "loss = 3.0\n", 3, 1, "must be computed by an operation"),
    ("", 1, 1, "the source is empty"),
    (HEAD + "loss = sum(x @ w) if x else 0\n", 3, 8, "conditional expressions"),
    (HEAD + "loss = sum(x @ w) * (2).T\n", 3, 21, ".T needs a tensor with at least 2 axes"),
    ("x = input(0, 3)\nloss = sum(x)\n", 1, 11, "a size must be a positive whole number"),
])
def test_errors_name_line_and_column(source, line, column, message):
    error = error_of(source)
    assert message in error.detail
    assert (error.line, error.column) == (line, column), error.message
    assert error.message.startswith(f"line {line}, column {column}: ")


def test_source_length_and_tensor_size_limits():
    limits = Limits(max_source_chars=50, max_tensor_elements=100)
    with pytest.raises(LimitError, match="max_source_chars is 50"):
        parse("x = input(3)\n" * 10, limits)
    with pytest.raises(LimitError, match="max_tensor_elements is 100 \\(got 101\\)"):
        parse("x = input(101)\nloss = sum(x)\n", limits)
    with pytest.raises(LimitError, match="shape \\(10, 20\\).*max_tensor_elements is 100"):
        parse("x = input(10, 1)\ny = input(1, 20)\nloss = sum(x * y)\n",
              Limits(max_tensor_elements=100))


def test_node_and_total_limits():
    with pytest.raises(LimitError, match="max_nodes is 4"):
        parse("x = input(2)\nloss = sum(exp(tanh(relu(x))))\n", Limits(max_nodes=4))
    with pytest.raises(LimitError, match="max_total_elements is 10"):
        parse("x = input(8)\nloss = sum(x * 2)\n", Limits(max_total_elements=10))


def test_deep_nesting_is_an_error_not_a_crash():
    source = "x = input(2)\nloss = sum(" + "relu(" * 80 + "x" + ")" * 80 + ")\n"
    assert "nested deeper" in error_of(source).detail
    assert "too many nested parentheses" in error_of("x = " + "(" * 5000 + "1" + ")" * 5000).detail
