"""Every entry of the op registry, checked by finite differences, its code templates and saves.

The cases come from the registry itself, so a newly registered op is tested at once.
"""

from __future__ import annotations

import numpy as np
import pytest
from latex2mathml.converter import convert as latex_to_mathml

from app.engine.core.shapes import reduce_code, reduce_to
from app.engine.ops.helpers import SCRIPT_HELPERS
from app.engine.ops.registry import REGISTRY, MissingRuleError, apply_jvp, apply_vjp, get_op, render
from tests.engine.conftest import INTEGER_INPUTS, op_cases, sample_inputs

CASES = op_cases()


def test_every_op_has_cases():
    assert {c.values[0] for c in CASES} == set(REGISTRY)


def test_missing_rule_is_loud():
    with pytest.raises(MissingRuleError, match="VJP of 'selu' not defined"):
        get_op("selu")


def _finite_difference(op, inputs, attrs, index, weights, eps=1e-6):
    x = inputs[index]
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        shifted = []
        for sign in (1, -1):
            moved = [a.copy() for a in inputs]
            moved[index][i] += sign * eps
            shifted.append(np.sum(op.forward(*moved, **attrs) * weights))
        grad[i] = (shifted[0] - shifted[1]) / (2 * eps)
    return grad


@pytest.mark.parametrize("name,shapes,attrs", CASES)
def test_vjp_matches_finite_differences(name, shapes, attrs):
    rng = np.random.default_rng(0)
    op = get_op(name)
    inputs = sample_inputs(name, shapes, attrs, rng)
    out = op.forward(*inputs, **attrs)
    assert out.shape == op.shape(*shapes, **attrs)
    weights = rng.normal(size=np.shape(out))
    for index in range(len(inputs)):
        got = apply_vjp(op, weights, out, inputs, attrs, index)
        assert got.shape == inputs[index].shape
        if (name, index) in INTEGER_INPUTS:  # class labels: piecewise constant, gradient 0
            assert not np.any(got)
            continue
        want = _finite_difference(op, inputs, attrs, index, weights)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=f"input {index}")


@pytest.mark.parametrize("name,shapes,attrs", CASES)
def test_vjp_reads_only_what_it_saves(name, shapes, attrs):
    """The memory ledger counts `saves`, and of them, per input, what that input's VJP
    `reads`: a VJP must not need anything else (its values may be NaN: the shapes stay)."""
    rng = np.random.default_rng(1)
    op = get_op(name)
    inputs = sample_inputs(name, shapes, attrs, rng)
    out = op.forward(*inputs, **attrs)
    g = rng.normal(size=np.shape(out))
    for index in range(len(inputs)):
        reads = op.saves if op.reads is None else op.reads[index]
        poisoned_inputs = [x if str(i) in reads else np.full_like(x, np.nan)
                           for i, x in enumerate(inputs)]
        poisoned_out = out if "out" in reads else np.full_like(out, np.nan)
        want = apply_vjp(op, g, out, inputs, attrs, index)
        got = apply_vjp(op, g, poisoned_out, poisoned_inputs, attrs, index)
        np.testing.assert_array_equal(got, want, err_msg=f"input {index} reads more than {reads}")


@pytest.mark.parametrize("name,shapes,attrs", CASES)
def test_code_templates_compute_what_the_rules_compute(name, shapes, attrs):
    """The exported script runs the code templates: they must equal forward and VJP exactly."""
    rng = np.random.default_rng(2)
    op = get_op(name)
    inputs = sample_inputs(name, shapes, attrs, rng)
    out = op.forward(*inputs, **attrs)
    g = rng.normal(size=np.shape(out))
    scope = {"np": np}
    for helper in SCRIPT_HELPERS.values():
        exec(helper, scope)  # the script's helpers, as the generated script defines them
    names = [f"a{i}" for i in range(len(inputs))]
    scope.update({n: x for n, x in zip(names, inputs, strict=True)}, out=out, g=g)
    fmt = op.fmt(**attrs)
    forward = eval(render(op.code, fmt, names), scope)
    np.testing.assert_array_equal(forward, out)
    for index in range(len(inputs)):
        expr = render(op.code_vjp[index], fmt, names, g="g", out="out")
        raw_shape = np.shape(out) if op.broadcasts else inputs[index].shape
        expr = reduce_code(expr, raw_shape, inputs[index].shape)
        got = np.asarray(eval(expr, scope))
        np.testing.assert_array_equal(got, apply_vjp(op, g, out, inputs, attrs, index))


#: a name no template contains, so finding it in a rendered contribution means the template
#: used its upstream gradient {g} (a bare "g" is found in \operatorname{sign} or \log)
UPSTREAM = "UPSTREAMGRAD"


#: the same for a tangent {t}
TANGENT = "TANGENTDOT"


def _math(tex: str) -> str:
    """The formula as the API serves it: MathML (malformed LaTeX raises or leaves a brace)."""
    assert tex.count("{") == tex.count("}"), f"unbalanced braces: {tex}"
    mathml = latex_to_mathml(tex)
    assert "<mi>}</mi>" not in mathml and "<mi>{</mi>" not in mathml and "merror" not in mathml, tex
    return mathml


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_latex_templates_render(name):
    op = get_op(name)
    fmt = op.fmt(**op.attrs)
    inputs = ["a", "b", "c"][: op.arity] if op.arity >= 0 else ["a", "b"]  # variadic: two
    _math(render(op.latex, fmt, inputs))
    for index in range(len(inputs)):
        _math(render(op.local[index], fmt, inputs, out="o"))
        # A contribution is upstream gradient x local derivative: it must use the upstream one.
        contribution = render(op.contrib[index], fmt, inputs, g=UPSTREAM, out="o")
        assert UPSTREAM in contribution and _math(contribution), f"input {index}: {contribution}"
        assert UPSTREAM in render(op.code_vjp[index], fmt, inputs, g=UPSTREAM, out="o")
        # A tangent term is local derivative x the input's tangent: it must use the tangent.
        tangent = render(op.tangent[index], fmt, inputs, t=TANGENT, out="o")
        assert TANGENT in tangent and _math(tangent), f"input {index}: {tangent}"
        assert TANGENT in render(op.code_jvp[index], fmt, inputs, t=TANGENT, out="o")
    assert op.routes.endswith(".") and len(op.routes) > 20, "every op says how it routes"


def test_reduce_to_sums_broadcast_axes():
    g = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(reduce_to(g, (4,)), g.sum(axis=0))
    np.testing.assert_array_equal(reduce_to(g, (3, 1)), g.sum(axis=1, keepdims=True))
    assert reduce_to(g, ()) == 66.0
    assert reduce_code("g", (3, 4), (3, 1)) == "(g).sum(axis=1, keepdims=True)"
    assert reduce_code("g", (3, 4), (4,)) == "(g).sum(axis=0)"
    assert reduce_code("g", (3, 4), ()) == "(g).sum(axis=(0, 1))"


# ----- Forward mode: one JVP rule per input, next to the VJP -----


@pytest.mark.parametrize("name,shapes,attrs", CASES)
def test_jvp_is_the_transpose_of_the_vjp(name, shapes, attrs):
    """⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ for every input, broadcasting included."""
    rng = np.random.default_rng(4)
    op = get_op(name)
    inputs = sample_inputs(name, shapes, attrs, rng)
    out = op.forward(*inputs, **attrs)
    u = rng.normal(size=np.shape(out))
    for index in range(len(inputs)):
        v = rng.normal(size=inputs[index].shape)
        tangents = [v if i == index else None for i in range(len(inputs))]
        jv = apply_jvp(op, tangents, out, inputs, attrs)
        assert np.shape(jv) == np.shape(out)
        jtu = apply_vjp(op, u, out, inputs, attrs, index)
        np.testing.assert_allclose(np.sum(jv * u), np.sum(v * jtu), rtol=1e-10, atol=1e-12,
                                   err_msg=f"input {index}")


@pytest.mark.parametrize("name,shapes,attrs", CASES)
def test_jvp_matches_finite_differences_of_the_forward(name, shapes, attrs):
    rng = np.random.default_rng(5)
    op = get_op(name)
    inputs = sample_inputs(name, shapes, attrs, rng)
    out = op.forward(*inputs, **attrs)
    tangents = [np.zeros(x.shape) if (name, i) in INTEGER_INPUTS else rng.normal(size=x.shape)
                for i, x in enumerate(inputs)]
    eps = 1e-6
    ahead = op.forward(*(x + eps * t for x, t in zip(inputs, tangents, strict=True)), **attrs)
    behind = op.forward(*(x - eps * t for x, t in zip(inputs, tangents, strict=True)), **attrs)
    np.testing.assert_allclose(apply_jvp(op, tangents, out, inputs, attrs),
                               (ahead - behind) / (2 * eps), rtol=1e-6, atol=1e-7)
    assert apply_jvp(op, [None] * len(inputs), out, inputs, attrs) is None


@pytest.mark.parametrize("name,shapes,attrs", CASES)
def test_jvp_code_templates_compute_what_the_rules_compute(name, shapes, attrs):
    rng = np.random.default_rng(6)
    op = get_op(name)
    inputs = sample_inputs(name, shapes, attrs, rng)
    out = op.forward(*inputs, **attrs)
    names = [f"a{i}" for i in range(len(inputs))]
    scope = {"np": np, "out": out, **dict(zip(names, inputs, strict=True))}
    for helper in SCRIPT_HELPERS.values():
        exec(helper, scope)  # the script's helpers, as the generated script defines them
    fmt = op.fmt(**attrs)
    for index in range(len(inputs)):
        t = rng.normal(size=inputs[index].shape)
        scope["t"] = t
        expr = render(op.code_jvp[index], fmt, names, t="t", out="out")
        got = np.asarray(eval(expr, scope))
        want = op.jvp[index](t, out, *inputs, **attrs)
        np.testing.assert_array_equal(got, want)
        assert UPSTREAM in render(op.tangent[index], fmt, names, t=UPSTREAM, out="o")


def test_an_op_without_a_jvp_rule_cannot_be_registered():
    from dataclasses import replace

    from app.engine.ops.registry import register

    with pytest.raises(AssertionError, match="a rule per input"):
        register(replace(get_op("mul"), name="mul_without_jvp", jvp=(get_op("mul").jvp[0],)))
    assert "mul_without_jvp" not in REGISTRY
