"""One notation everywhere (issue 10): what the steps write is what the graph shows.

The broadcast sum is in the formula as in the code line, a gradient is ∂ of the loss under its
own name, operator expressions are parenthesised in narration, every symbol of every formula
of every preset names a node of the graph, and the load step says which leaves were drawn and
which were given. Only through runs and their steps, as a client sees them.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.presenter.notation import Notation, bare_text, reduce_tex
from app.engine.presets import PRESETS


def _trace(preset: str, **spec):
    run = Run(RunSpec(preset=preset, **spec), Limits())
    return run, run.trace(0)


def _sent_to(trace, target: str):
    """The backward step and contribution that send to `target` (its first)."""
    for step in trace.step_list:
        for c in step.contributions:
            if c.to == target:
                return step, c
    raise AssertionError(f"nothing is sent to {target}")


# ----- the broadcast reduction -----

def test_softmax_bias_gradient_sums_the_rows_in_the_formula_as_in_the_code():
    run, trace = _trace("softmax-classifier")
    step, to_b = _sent_to(trace, "b")
    assert step.node == "logits" and step.index == 14  # the step the issue names
    upstream = "\\frac{\\partial \\mathrm{loss}}{\\partial \\mathrm{logits}}"
    assert to_b.latex.endswith(f"= \\sum_{{\\text{{rows}}}} {upstream}\\quad [1\\times3]")
    assert to_b.code == "grad_b = (grad_logits).sum(axis=0, keepdims=True)"
    # the other input has the node's shape: nothing is summed
    _, to_xw = _sent_to(trace, "tmp1")
    assert "\\sum" not in to_xw.latex and to_xw.latex.endswith(f"= {upstream}\\quad [16\\times3]")
    # and it is what the numbers do
    k = step.index
    np.testing.assert_array_equal(trace.tensor(k, "b", "grad"),
                                  trace.tensor(k, "logits", "grad").sum(axis=0, keepdims=True))


def test_logistic_scalar_bias_gradient_sums_over_the_batch():
    run, trace = _trace("logistic-regression")
    step, to_b = _sent_to(trace, "b")
    assert run.graph.nodes[step.node].shape == (32, 1) and run.graph.nodes["b"].shape == ()
    assert "= \\sum_{\\text{rows}} \\frac{\\partial \\mathrm{loss}}" in to_b.latex
    assert to_b.code == f"grad_b = (grad_{step.node}).sum(axis=(0, 1))"


def test_a_summand_that_is_not_one_operand_is_parenthesised_and_axes_are_named():
    g = "\\frac{\\partial L}{\\partial y}"
    assert reduce_tex(g, (16, 6), (1, 6), operand=True) == f"\\sum_{{\\text{{rows}}}} {g}"
    assert reduce_tex(f"{g} \\odot z", (16, 6), (1, 6)) == \
        f"\\sum_{{\\text{{rows}}}} \\left({g} \\odot z\\right)"
    assert reduce_tex(g, (16, 6), (16, 1), operand=True) == f"\\sum_{{\\text{{columns}}}} {g}"
    assert reduce_tex(g, (16, 6), (), operand=True) == f"\\sum_{{\\text{{rows, columns}}}} {g}"
    assert reduce_tex(g, (5,), (), operand=True) == f"\\sum_{{\\text{{elements}}}} {g}"
    assert reduce_tex(g, (2, 3, 4), (3, 1), operand=True) == f"\\sum_{{\\text{{axes 0, 2}}}} {g}"
    # nothing summed: as it was (an axis of length 1 sums nothing)
    assert reduce_tex(g, (16, 6), (16, 6), operand=True) == g
    assert reduce_tex(g, (1, 6), (6,), operand=True) == g


def test_every_broadcast_contribution_of_every_preset_writes_its_sum():
    for preset in PRESETS:
        run, trace = _trace(preset)
        for step in trace.step_list:
            for c in step.contributions:
                summed = ".sum(axis=" in c.code
                node = run.graph.nodes[step.node]
                if run.graph.op(step.node).broadcasts:
                    assert summed == ("\\sum_{\\text{" in c.latex), (preset, step.index, c.to)
                    assert summed == (tuple(c.shape) != node.shape), (preset, step.index)


# ----- one notation: the loss's own name, parentheses, symbols found on the graph -----

def _gradients(text: str) -> list[tuple[str, str]]:
    """Every ∂OF/∂WRT written in a text, WRT read up to the first space outside parentheses."""
    found = []
    for m in re.finditer(r"∂([^/\s]+)/∂", text):
        rest = text[m.end():]
        depth, end = 0, len(rest)
        for i, ch in enumerate(rest):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0 and ch in " ,:;":
                end = i
                break
        found.append((m.group(1), rest[:end].rstrip(".")))
    return found


def test_contributions_and_narration_parenthesise_operator_expressions():
    run, trace = _trace("pytorch-numpy-two-layer")
    step, to_y_pred = _sent_to(trace, "y_pred")
    assert to_y_pred.gradient == "∂loss/∂y_pred"
    assert "Backward through (y_pred - y): the gradient of the loss with respect to " \
           "(y_pred - y) is complete" in step.narration
    _, to_tmp1 = _sent_to(trace, "tmp1")
    assert to_tmp1.gradient == "∂loss/∂(y_pred - y)"
    graph = run.describe()["graph"]
    assert {n["id"]: n["gradient"] for n in graph["nodes"]}["tmp2"] == "∂loss/∂((y_pred - y) ** 2)"
    for preset in PRESETS:
        run, trace = _trace(preset)
        texts = [c.gradient for s in trace.step_list for c in s.contributions]
        texts += [n["gradient"] for n in run.describe()["graph"]["nodes"] if n["gradient"]]
        texts += [s.narration for s in trace.step_list]
        for text in texts:
            for _, wrt in _gradients(text):
                assert (wrt.startswith("(") and wrt.endswith(")")) or bare_text(wrt), \
                    (preset, text)
        for s in trace.step_list:
            for phrase in re.findall(r"with respect to (.+?) is complete", s.narration):
                assert (phrase.startswith("(") and phrase.endswith(")")) or bare_text(phrase)


@pytest.mark.parametrize(("preset", "loss"), [("d2l-mlp-l2", "J"), ("colah-sum-of-paths", "e"),
                                              ("micrograd-neuron", "o")])
def test_the_loss_is_called_by_its_own_name(preset, loss):
    run, trace = _trace(preset)
    notation = Notation(run.graph)
    texts = [s.narration for s in trace.step_list]
    texts += [c.gradient for s in trace.step_list for c in s.contributions]
    for text in texts:
        assert "∂loss" not in text
        assert all(of == loss for of, _ in _gradients(text)), text
    latex = " ".join(s.latex for s in trace.step_list)
    assert "\\mathrm{loss}" not in latex
    assert f"\\frac{{\\partial {notation.symbol(loss)}}}" in latex
    seed = next(s for s in trace.step_list if s.phase == "seed")
    assert f"the gradient of the loss {loss} with respect to itself, ∂{loss}/∂{loss}, is 1" \
        in seed.narration
    update = [s for s in trace.step_list if s.phase == "update"]
    assert all(f"lr · ∂{loss}/∂{s.node}:" in s.narration for s in update)


#: the notation the op registry's templates write besides node symbols: LaTeX commands,
#: \operatorname / \mathrm / \text words of ops and sums, \mathbb{R} of the load formula
_COMMANDS = re.compile(r"\\(?:operatorname|mathrm|text|mathbb|mathbf|begin|end)\{[^{}]*\}"
                       r"(?:\{l\})?|\\[A-Za-z]+")
#: letters of the registry's own templates: n (N) counts the elements a mean or a
#: cross-entropy averages over, e is Euler's number (log_softmax's e^{log softmax})
_TEMPLATE_LETTERS = {"n", "N", "e"}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_symbol_in_every_formula_is_a_node_of_the_graph(preset):
    run, trace = _trace(preset)
    notation = Notation(run.graph)
    named = sorted({notation.symbol(n) for n, node in run.graph.nodes.items() if node.named},
                   key=len, reverse=True)
    for step in trace.step_list:
        formulas = [step.latex] + [c.latex for c in step.contributions]
        for tex in formulas:
            assert "t_{" not in tex, (step.index, tex)  # no alias the graph does not show
            for symbol in named:  # not inside a command: b is no part of \\mathbb
                tex = re.sub(r"(?<![\\A-Za-z])" + re.escape(symbol) + r"(?![A-Za-z])", " ", tex)
            residue = _COMMANDS.sub(" ", tex)
            letters = set(re.findall(r"[A-Za-z]+", residue)) - _TEMPLATE_LETTERS
            assert not letters, (preset, step.index, letters, residue)


# ----- the load step -----

def test_load_says_which_leaves_were_drawn_and_which_were_given():
    _, colah = _trace("colah-sum-of-paths")
    assert colah.step_list[0].narration == \
        "Load: the leaves hold their initial values. Given in the source: a = 2 and b = 1."
    _, logistic = _trace("logistic-regression")
    assert logistic.step_list[0].narration == (
        "Load: the leaves hold their initial values. Drawn from RandomState(0) in declaration "
        "order: x (32×4), y (32×1) and w (4×1). Given in the source: b = 0.")
    _, batch = _trace("batch-standardise")
    assert "Given in the source: gamma (1×6, ones) and beta (1×6, zeros)." \
        in batch.step_list[0].narration
    _, seed = _trace("pytorch-numpy-two-layer")
    assert seed.step_list[0].narration == (
        "Load: the leaves hold their initial values. Drawn from RandomState(0) in declaration "
        "order: x (64×1000), y (64×10), w1 (1000×100) and w2 (100×10).")
    later = Run(RunSpec(preset="micrograd-neuron", seed=3), Limits()).trace(2)
    assert later.step_list[0].narration.startswith(
        "Load: the leaves hold their values at iteration 2: w1, w2 and b after 2 updates, the "
        "others as at the start. Given in the source: x1 = 2, x2 = 0, w1 = ")
    assert "RandomState" not in later.step_list[0].narration
