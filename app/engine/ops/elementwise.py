"""Elementwise ops: each states its forward and, per input, its local derivative once.

An entry is the op's numpy code and LaTeX, then per input ∂out/∂input as (numpy code, LaTeX)
in the inputs {0}, {1} and the output {out}; derivation.py writes all the rest. A pair whose
code holds {g} is a gate: the gradient is selected, so a NaN upstream stays blocked (PyTorch's).
"""

from __future__ import annotations

from app.engine.core.shapes import same_shape
from app.engine.ops.derivation import derived, elementwise, table_op
from app.engine.ops.registry import num

# ----- Arithmetic -----

elementwise("add", "{0} + {1}", "{0} + {1}", ("1", "1"), ("1", "1"), syntax="+",
            routes="add distributes the gradient unchanged to both inputs (summed over the axes "
                   "an input was broadcast along).")
elementwise("sub", "{0} - {1}", "{0} - {1}", ("1", "1"), ("-1", "-1"), syntax="-",
            routes="sub passes the gradient unchanged to the first input and negated to the second.")
elementwise("mul", "{0} * {1}", "{0} \\odot {1}", ("{1}", "{1}"), ("{0}", "{0}"), syntax="*",
            routes="mul swaps the inputs: each input's gradient is the upstream gradient times "
                   "the other input's value.")
elementwise("div", "{0} / {1}", "\\frac{{{0}}}{{{1}}}", ("1 / {1}", "\\frac{{1}}{{{1}}}"),
            ("-{0} / {1} ** 2", "-\\frac{{{0}}}{{{1}^2}}"), syntax="/", call_like=True,
            routes="div sends the gradient divided by the denominator to the numerator, and "
                   "−gradient·a/b² to the denominator.")
elementwise("neg", "-{0}", "-{0}", ("-1", "-1"), syntax="unary -",
            routes="neg passes the gradient back negated.")
elementwise("power", "{0} ** {1}", "{0}^{{{1}}}",
            # PyTorch's edges: an exponent of 0 sends the base 0 (not 0·0⁻¹), and a zero base
            # with an exponent ≥ 0 sends the exponent 0 (not 0·log 0)
            ("np.where({1} == 0, 0.0, {g} * {1} * {0} ** ({1} - 1))", "{1}\\,{0}^{{{1} - 1}}"),
            ("power_log({out}, {0}, {1})", "{out} \\log {0}"), names=("pow",), helpers=("power_log",),
            call_like=False, routes="a power aᵇ with a tensor exponent sends the gradient times "
                                    "b·aᵇ⁻¹ to the base and times aᵇ·log a to the exponent.")
for _name, _cmp, _sign, _word in (("maximum", "greater", ">", "larger"),
                                  ("minimum", "less", "<", "smaller")):
    # ties split the gradient evenly between the inputs, as torch.maximum/minimum
    _tie = "np.where({0} == {1}, 0.5 * {g}, 0.0)"
    elementwise(_name, f"np.{_name}({{0}}, {{1}})", f"\\{_name[:3]}({{0}}, {{1}})",
                (f"np.where(np.{_cmp}({{0}}, {{1}}), {{g}}, {_tie})",
                 f"\\mathbb{{{{1}}}}[{{0}} {_sign} {{1}}]"),
                (f"np.where(np.{_cmp}({{1}}, {{0}}), {{g}}, {_tie})",
                 f"\\mathbb{{{{1}}}}[{{1}} {_sign} {{0}}]"),
                routes=f"{_name} routes the gradient to the {_word} input, elementwise (split "
                       f"evenly on a tie, as PyTorch).")


def _dpow(p) -> tuple[str, str]:
    """d(a ** p)/da, exactly 0 for p = 0 (a ** 0 is 1 everywhere, even at a = 0, as PyTorch)."""
    if p in (0, 2):
        return ("0", "0") if p == 0 else ("2 * {0}", "2\\,{0}")
    return f"{num(p)} * {{0}} ** {num(p - 1)}", f"{num(p)}\\,{{0}}^{{{{{num(p - 1)}}}}}"


# a constant exponent: the derivative's form depends on it, so it is derived per exponent
table_op("pow", "{0} ** {p}", **{k: (f"{{{k}}}",) for k in derived([_dpow(2)])},
         shape=same_shape, latex="{0}^{{{p}}}", syntax="**", attrs={"p": 2.0},
         routes="pow scales the gradient by p·x^(p−1).",
         fmt=lambda p=2.0: {"p": num(p), **{k: v[0] for k, v in derived([_dpow(p)]).items()}})

# ----- Unary functions -----

for _name, _code, _latex, _d, _routes, _more in (
    ("relu", "np.maximum({0}, 0)", "\\mathrm{{relu}}({0})",
     ("np.where({0} > 0, {g}, 0.0)", "\\mathbb{{1}}[{0} > 0]"),
     "relu is a gate: it passes the gradient where x > 0 and blocks it elsewhere (at 0 too, as "
     "PyTorch).", {}),
    ("sigmoid", "1 / (1 + np.exp(-{0}))", "\\sigma({0})", ("{out} * (1 - {out})", "{out}\\,(1 - {out})"),
     "sigmoid scales the gradient by σ(x)(1 − σ(x)), at most 1/4: the gradient shrinks.", {}),
    ("tanh", "np.tanh({0})", "\\tanh({0})", ("1 - {out} ** 2", "1 - {out}^2"),
     "tanh scales the gradient by 1 − tanh²(x), at most 1: it shrinks where the unit saturates.", {}),
    ("exp", "np.exp({0})", "e^{{{0}}}", ("{out}", "{out}"),
     "exp scales the gradient by its own output eˣ.", {"call_like": False}),
    ("log", "np.log({0})", "\\log {0}", ("1 / {0}", "\\frac{{1}}{{{0}}}"),
     "log divides the gradient by x.", {}),
    ("sqrt", "np.sqrt({0})", "\\sqrt{{{0}}}", ("0.5 / {out}", "\\frac{{1}}{{2\\,{out}}}"),
     "sqrt divides the gradient by twice its output.", {}),
    ("abs", "np.abs({0})", "|{0}|", ("np.sign({0})", "\\operatorname{{sign}}({0})"),
     "abs passes the gradient with the sign of x (0 at x = 0, as PyTorch).", {}),
    ("sin", "np.sin({0})", "\\sin {0}", ("np.cos({0})", "\\cos {0}"),
     "sin scales the gradient by cos x.", {}),
    ("cos", "np.cos({0})", "\\cos {0}", ("-np.sin({0})", "-\\sin {0}"),
     "cos scales the gradient by −sin x.", {}),
    ("square", "np.square({0})", "{0}^2", ("2 * {0}", "2\\,{0}"),
     "square scales the gradient by 2x.", {"call_like": False}),
    ("softplus", "np.logaddexp(0, {0})", "\\operatorname{{softplus}}({0})",
     ("1 / (1 + np.exp(-{0}))", "\\sigma({0})"),
     "softplus scales the gradient by σ(x), the smooth step between 0 and 1.", {}),
    ("log1p", "np.log1p({0})", "\\log(1 + {0})", ("1 / (1 + {0})", "\\frac{{1}}{{1 + {0}}}"),
     "log1p divides the gradient by 1 + x.", {}),
    ("expm1", "np.expm1({0})", "(e^{{{0}}} - 1)", ("{out} + 1", "{out} + 1"),
     "expm1 scales the gradient by eˣ, its output plus one.", {}),
    ("log_sigmoid", "-np.logaddexp(0, -{0})", "\\log \\sigma({0})",
     ("1 / (1 + np.exp({0}))", "\\sigma(-{0})"),
     "log_sigmoid scales the gradient by σ(−x): large for negative x, near 0 for positive x.", {}),
    ("leaky_relu", "np.where({0} > 0, {0}, {slope} * {0})", "\\operatorname{{leaky\\_relu}}_{{{slope}}}({0})",
     ("np.where({0} > 0, 1.0, {slope})", "\\mathbb{{1}}[{0} > 0] + {slope}\\,\\mathbb{{1}}[{0} \\le 0]"),
     "leaky_relu passes the gradient where x > 0 and scales it by the slope elsewhere (at 0 too, as "
     "PyTorch).", {"attrs": {"slope": 0.01}}),
    ("elu", "np.where({0} > 0, {0}, {alpha} * np.expm1({0}))", "\\operatorname{{elu}}_{{{alpha}}}({0})",
     ("np.where({0} > 0, 1.0, {out} + {alpha})",
      "\\mathbb{{1}}[{0} > 0] + ({out} + {alpha})\\,\\mathbb{{1}}[{0} \\le 0]"),
     "elu passes the gradient where x > 0 and scales it by the output plus α elsewhere.",
     {"attrs": {"alpha": 1.0}}),
    ("gelu", "gelu({0})", "\\operatorname{{gelu}}({0})",
     ("gelu_grad({0})", "\\Phi({0}) + {0}\\,\\varphi({0})"),
     "gelu (exact, x·Φ(x)) scales the gradient by Φ(x) + x·φ(x).", {"helpers": ("gelu",)}),
    ("clip", "np.clip({0}, {min}, {max})", "\\operatorname{{clip}}_{{[{min}, {max}]}}({0})",
     ("np.where(({0} >= {min}) & ({0} <= {max}), {g}, 0.0)", "\\mathbb{{1}}[{min} \\le {0} \\le {max}]"),
     "clip passes the gradient where x is inside [min, max] (its ends included, as PyTorch) and blocks it "
     "outside.", {"attrs": {"min": -1.0, "max": 1.0}, "positional_attrs": ("min", "max")}),
    ("softsign", "{0} / (1 + np.abs({0}))", "\\frac{{{0}}}{{1 + |{0}|}}",
     ("1 / (1 + np.abs({0})) ** 2", "\\frac{{1}}{{(1 + |{0}|)^2}}"),
     "softsign scales the gradient by 1 / (1 + abs x)², at most 1: it shrinks far from 0.", {}),
):
    elementwise(_name, _code, _latex, _d, routes=_routes, **_more)
