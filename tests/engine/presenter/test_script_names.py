"""The exported script is the run for every name the language allows: the script's own
names (np, its helpers, rs, t, learning_rate, grad_…, a definition's f_vjp and f_jvp_0, the
g and t of those) give way to the user's. A property test draws names from the script's
vocabulary and Python's builtins. Each listed case was seen failing on the code before its fix
(a crash, a SyntaxError, other losses or a 422)."""

from __future__ import annotations

import builtins
import contextlib
import io
import keyword

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine.core.errors import InvalidRequestError, SourceError
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.ops.helpers import SCRIPT_HELPERS


def printed_losses(script: str) -> list[float]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), np.errstate(all="ignore"):
        exec(compile(script, "<script>", "exec"), {"__name__": "__main__"})  # noqa: S102
    return [float(line.split()[1]) for line in out.getvalue().strip().splitlines()]


def same_losses(source: str, **spec) -> Run:
    run = Run(RunSpec(source=source, iterations=3, lr=0.05, seed=3, **spec), Limits())
    np.testing.assert_allclose(printed_losses(run.script()), run.losses(), rtol=1e-12,
                               equal_nan=True)
    return run


EXP = "def {name}(x):\n    return exp(x) * 0.5\n\n"


@pytest.mark.parametrize("source", [
    # a temporary of the graph named like a definition
    EXP.format(name="tmp1") + "w = param(3)\nloss = sum(tmp1(w) * 2 + w)\n",
    # a variable named like a definition's VJP, its backward, its JVP
    EXP.format(name="f") + "w = param(3)\nf_vjp = f(w) * 2\nloss = sum(f_vjp)\n",
    EXP.format(name="f") + "w = param(3)\nf_jvp_0 = f(w) * 2\nloss = sum(f_jvp_0)\n",
    # an argument named like the JVP's tangent and the VJP's upstream gradient
    "def f(t):\n    return sin(t) * t\n\nw = param(3)\nloss = sum(f(w))\n",
    "def f(g, x):\n    return g * x\n\nw = param(3)\nv = param(3)\nloss = sum(f(w, v))\n",
    # the script's learning rate, its RandomState, its loop variable, its helpers
    "learning_rate = param(value=0.5)\nloss = learning_rate ** 2\n",
    "rs = param(3)\nt = param(3)\nloss = sum(rs * t)\n",
    "w = param(2, 3)\nwinners = max(w, axis=1)\nselect = std(w)\nloss = sum(winners) + select\n",
    "w = param(3)\nover = norm(w)\nmath = gelu(w)\nloss = over + sum(math)\n",
    # an argument named like a helper, in a body that needs it
    "def f(winners):\n    return max(winners, axis=0)\n\nw = param(2, 3)\nloss = sum(f(w))\n",
])
def test_the_script_prints_the_runs_losses_whatever_the_names(source):
    same_losses(source)


@pytest.mark.parametrize("name", ["np", "range", "print", "float", "grad_x", "dot_x",
                                  "learning_rate", "rs", "t", "winners", "math", "over"])
def test_a_named_number_may_have_any_name(name):
    """RunSpec params are named numbers: `np = 3` in the script broke numpy itself."""
    same_losses(f"x = input(3)\nw = param(3)\nloss = sum(w * x * {name} + w * w)\n",
                params={name: 0.5})


def test_a_function_named_like_a_gradient_is_refused_with_a_reason():
    """Before: `def grad_a` beside a param `a` was accepted and the script overwrote it."""
    with pytest.raises(SourceError, match="grad_"):
        Run(RunSpec(source=EXP.format(name="grad_a") + "a = param(3)\nloss = sum(grad_a(a))\n"),
            Limits())


def _helper_names() -> set[str]:
    import re

    return {name for text in SCRIPT_HELPERS.values()
            for groups in re.findall(r"^def (\w+)|^(\w+) =|^import (\w+)", text, re.M)
            for name in groups if name}


#: names the script uses itself (its variables, temporaries, helpers, a definition's
#: functions): every one a name a user may give
SCRIPT_NAMES = sorted({"rs", "rng", "random_state", "t", "it", "iteration", "g", "out",
                       "learning_rate", "lr", "step_size", "tmp1", "tmp2", "tmp3", "tmp4",
                       "f_vjp", "f_backward", "f_jvp_0", "f_jvp_1", "x", "w", "f"}
                      | _helper_names())
#: a named number may also be a builtin, numpy's alias or a gradient's name
NUMBER_NAMES = sorted(set(SCRIPT_NAMES) | {"np", "range", "print", "float", "grad_w",
                                           "dot_w", "grad_loss", "n_grad_w"}
                      | {n for n in dir(builtins) if n[0].isalpha()} - set(keyword.kwlist))
#: bodies that make the script use its helpers (winners, over, power_log, scatter, …)
BODIES = ["max({a}, axis=0) * {b}", "std({a}) + norm({b})", "relu({a}) ** (1 + sigmoid({b}))",
          "{a}[0:2] * {b}[1:3]", "gelu({a}) * logsumexp({b})", "{a} * {b} + 1"]


@st.composite
def programs(draw):
    f, p, q, v = draw(st.lists(st.sampled_from(SCRIPT_NAMES), min_size=4, max_size=4,
                               unique=True))
    a1, a2 = draw(st.lists(st.sampled_from(SCRIPT_NAMES), min_size=2, max_size=2,
                           unique=True))
    k = draw(st.sampled_from(NUMBER_NAMES))
    body = draw(st.sampled_from(BODIES))
    backward = draw(st.booleans())
    source = f"def {f}({a1}, {a2}):\n    return {body.format(a=a1, b=a2)}\n\n"
    if backward:
        source += (f"def {f}_backward(g, out, {a1}, {a2}):\n"
                   f"    return g * {a2}, g * {a1}\n\n")
    source += (f"{p} = param(3)\n{q} = param(3)\n{v} = {f}({p}, {q}) * {k}\n"
               f"loss = sum({v} * {v})\n")
    return source, {k: 0.75}


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs())
def test_every_accepted_program_prints_the_runs_losses(program):
    source, params = program
    try:
        run = Run(RunSpec(source=source, params=params, iterations=2, lr=0.01, seed=1),
                  Limits())
    except (SourceError, InvalidRequestError):  # refused: not a program of the language
        return
    np.testing.assert_allclose(printed_losses(run.script()), run.losses(), rtol=1e-10,
                               equal_nan=True)
