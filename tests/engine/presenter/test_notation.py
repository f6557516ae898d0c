"""How names, numbers, shapes and nodes are written in LaTeX (app/engine/presenter/notation.py).

Only through the public functions and `Notation`'s symbols: the module's insides may change.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.language.parser import parse
from app.engine.presenter.notation import (
    MAX_INLINE,
    Notation,
    name_tex,
    num_tex,
    operand_tex,
    shape_tex,
    unwrap,
)


@pytest.mark.parametrize(("name", "tex"), [
    ("x", "x"),
    ("w1", "w_{1}"),
    ("W1", "W_{1}"),
    ("h_relu", "h_{\\mathrm{relu}}"),
    ("y_pred", "y_{\\mathrm{pred}}"),
    ("a_b_c", "a_{\\mathrm{b c}}"),
    ("alpha_t", "\\alpha_{t}"),
    ("sigma2", "\\sigma_{2}"),
    ("lam", "\\lambda"),
    ("eps", "\\epsilon"),
    ("loss", "\\mathrm{loss}"),
])
def test_name_tex(name, tex):
    assert name_tex(name) == tex


@pytest.mark.parametrize(("value", "tex"), [
    (2, "2"),
    (-3, "-3"),
    (0.5, "0.5"),
    (np.float64(2.0), "2"),
    (np.int64(7), "7"),
    (1e-7, "1\\times 10^{-7}"),
    (123456789, "1.23457\\times 10^{8}"),
    (float("nan"), "\\text{nan}"),
    (float("inf"), "\\text{inf}"),
])
def test_num_tex(value, tex):
    assert num_tex(value) == tex


def test_operand_tex_puts_negative_numbers_in_parentheses():
    assert operand_tex(2) == "2"
    assert operand_tex(0.5) == "0.5"
    assert operand_tex(-3) == "(-3)"
    assert operand_tex(-2.5e10) == "(-2.5\\times 10^{10})"
    assert operand_tex(1e-7) == num_tex(1e-7)


def test_shape_tex():
    assert shape_tex(()) == "1"
    assert shape_tex((3,)) == "3"
    assert shape_tex((64, 1000)) == "64\\times1000"


SOURCE = """\
x = input(3, 2)
w_out = param(2, 1)
lam = 0.5
h = relu(x @ w_out)
loss = sum(h ** 2) + lam * sum(w_out * w_out) - 2
"""


@pytest.fixture
def notation() -> Notation:
    return Notation(parse(SOURCE, Limits()))


def _by_label(notation: Notation) -> dict[str, str]:
    """Node ids by label: the user's name, or the source text of a nested sub-expression."""
    return {node.label: nid for nid, node in notation.graph.nodes.items()}


def test_named_nodes_are_written_by_name(notation):
    for name in ("x", "w_out", "lam", "h", "loss"):
        assert notation.symbol(name) == name_tex(name)


def test_an_unnamed_constant_is_its_number(notation):
    assert notation.symbol(_by_label(notation)["2"]) == "2"


def test_unnamed_sub_expressions_are_written_as_their_formula(notation):
    ids = _by_label(notation)
    matmul = notation.symbol(ids["x @ w_out"])
    # an operator's formula is parenthesised, so it reads as one operand wherever it goes
    assert matmul.startswith("\\left(") and matmul.endswith("\\right)")
    assert "x" in matmul and name_tex("w_out") in matmul
    # a call (sum) reads as one already and is written as it is, its operand inside it
    summed = notation.symbol(ids["sum(h ** 2)"])
    assert summed.startswith("\\sum") and notation.symbol(ids["h ** 2"]) in summed
    # a named node's formula is made of its inputs' symbols, without doubled brackets
    inside = matmul.removeprefix("\\left(").removesuffix("\\right)")
    assert notation.formula("h") == "\\mathrm{relu}(" + inside + ")"


def test_a_sub_expression_is_written_out_as_the_graph_shows_it(notation):
    ids = _by_label(notation)
    moderate = ids["sum(h ** 2) + lam * sum(w_out * w_out)"]
    assert not notation.abbreviated(moderate)
    # a sum first in a difference needs no brackets of its own: a + b - 2
    assert unwrap(notation.symbol(moderate)) + " - 2" == notation.formula("loss")
    assert "t_{" not in notation.formula("loss")


def test_only_a_sub_expression_too_long_to_write_out_is_abbreviated_and_the_step_says_so():
    terms = " + ".join(f"sum(relu(h - {k}) ** 2)" for k in range(1, 13))
    source = f"x = input(3, 2)\nw = param(2, 1)\nh = x @ w\nloss = 2 * ({terms})\n"
    run = Run(RunSpec(source=source), Limits())
    notation = Notation(run.graph)
    ids = _by_label(notation)
    # the chain of sums reads without brackets, so a part of it grows past the bound first
    long = next(nid for nid in ids.values() if notation.abbreviated(nid))
    assert notation.symbol(long).startswith("t_{") and len(notation.formula(long)) > MAX_INLINE
    assert not notation.abbreviated(ids["h - 1"])
    alias = notation.alias_text(long)
    forward = next(s for s in run.trace(0).step_list if s.phase == "forward" and s.node == long)
    # findable: the step that computes it defines it, in its formula and its narration
    assert forward.latex.startswith(notation.symbol(long) + " = ")
    assert f"(written {alias} in the formulas)" in forward.narration


def test_gradients_read_of_the_loss_with_respect_to_the_node(notation):
    assert notation.grad("h") == "\\frac{\\partial \\mathrm{loss}}{\\partial h}"
    assert notation.partial("h", "x") == "\\frac{\\partial h}{\\partial x}"
    # a backward step's contribution starts from the node's own upstream gradient
    assert notation.grad("h") in notation.contrib("h", 0)


def test_products_of_scalars_read_cdot_and_of_tensors_odot():
    scalars = Notation(parse("a = input(value=2.0)\nb = param(value=-3.0)\nloss = a * b\n",
                             Limits()))
    assert scalars.formula("loss") == "a \\cdot b"
    tensors = Notation(parse("a = input(2, 2)\nb = param(2, 2)\nc = a * b\nloss = sum(c)\n",
                             Limits()))
    assert tensors.formula("c") == "a \\odot b"


BRACKETS = """\
x = input(3, 2)
w_out = param(2, 1)
y = input(3, 1)
z = input(3, 1)
def my_softplus(a):
    return log(1 + exp(a))
s = my_softplus(x @ w_out)
r = sigmoid(-z)
loss = sum((x @ w_out - y) ** 2) + sum(s) + sum(r)
"""


def test_brackets_only_where_the_reading_needs_them():
    notation = Notation(parse(BRACKETS, Limits()))
    ids = _by_label(notation)
    xw = f"x\\,{name_tex('w_out')}"
    # a call's own parentheses hold its operand: my_softplus(x w), σ(−z), not ((…))
    assert notation.formula("s") == f"\\mathrm{{my\\_softplus}}({xw})"
    assert notation.formula("r") == "\\sigma(-z)"
    # a product inside a difference reads without brackets; the power still needs its own
    assert notation.symbol(ids["x @ w_out - y"]) == f"\\left({xw} - y\\right)"
    square = ids["(x @ w_out - y) ** 2"]
    assert notation.grad(square).endswith(f"{{\\partial \\left(\\left({xw} - y\\right)^{{2}}\\right)}}")
    # a sum's operand in a difference keeps its brackets: a - (b + c) is not a - b + c
    minus = Notation(parse("a = input(value=1.0)\nb = param(value=2.0)\nc = input(value=3.0)\n"
                           "loss = a - (b + c)\n", Limits()))
    assert minus.formula("loss") == "a - \\left(b + c\\right)"


def test_the_mean_sends_g_over_n_without_an_unexplained_one():
    notation = Notation(parse("x = input(3, 2)\nloss = mean(x)\n", Limits()))
    assert notation.contrib("loss", 0) == f"\\frac{{{notation.grad('loss')}}}{{n}}"
    assert notation.local("loss", 0) == "\\frac{1}{n}"
