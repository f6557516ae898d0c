"""Reductions (axis=None or an axis or a tuple of axes, keepdims), the softmax family and
cross-entropy: each rule written once, by hand, as the code the script runs.

A reduction states its VJP once as a template in {g}: the backward puts the reduced axis back
into g ({gx}), the forward mode sums the same product of the tangent over the axis. Its LaTeX is
the local derivative; the contribution is g times it, the tangent Σ local ⊙ t, unless given.
"""

from __future__ import annotations

from app.engine.core.shapes import cross_entropy_shape, reduce_shape, softmax_shape
from app.engine.ops.derivation import table_op


def _kw(axis, keepdims=False, default_axis=None) -> str:
    return (f", axis={axis}" if axis != default_axis else "") + (", keepdims=True" if keepdims else "")


def _reduce_fmt(axis=None, keepdims=False) -> dict:
    """Template values of a reduction: its keywords, g and out with the reduced axis put back
    ({gx}, {outx}), how many elements each value is over, and the keywords of the helpers."""
    expand = "{g}" if axis is None or keepdims else f"np.expand_dims({{g}}, {axis})"
    count = " * ".join(f"{{0}}.shape[{a}]" for a in (axis if isinstance(axis, tuple) else [axis]))
    count = f"({count})" if isinstance(axis, tuple) else "{0}.size" if axis is None else count
    return {"kw": _kw(axis, keepdims), "gx": expand, "outx": expand.replace("{g}", "{out}"),
            "count": count, "kwk": _kw(axis) + ", keepdims=True", "axis_kw": _kw(axis),
            "wkw": f", {axis}, {bool(keepdims)}"}


def _reduction(name: str, vjp: str, latex: str, local: str, *, code: str = "", jvp: str = "",
               contrib: str = "{g}\\,{local}", tangent: str = "\\textstyle\\sum {local} \\odot {t}",
               **more) -> None:
    table_op(name, code or f"np.{name}({{0}}{{kw}})", (vjp.replace("{g}", "{gx}"),),
             (jvp or "np.sum(" + vjp.replace("{g}", "{t}") + "{kw})",), reduce_shape, latex,
             (local,), (contrib.replace("{local}", local),), (tangent.replace("{local}", local),),
             attrs={"axis": None, "keepdims": False}, fmt=_reduce_fmt, **more)


_CENTERED = "({0} - np.mean({0}{kwk}))"
_reduction("sum", "{g} * np.ones_like({0})", "\\sum {0}", "\\mathbf{{1}}", jvp="np.sum({t}{kw})",
           tangent="\\textstyle\\sum {t}", routes="a reduction (sum) broadcasts the gradient back: "
           "every summed element gets it unchanged.")
_reduction("mean", "{g} * np.ones_like({0}) / {count}", "\\operatorname{{mean}} {0}",
           "\\frac{{1}}{{n}}", jvp="np.mean({t}{kw})", contrib="\\frac{{{g}}}{{n}}",
           tangent="\\operatorname{{mean}} {t}", routes="a reduction (mean) broadcasts the "
           "gradient back divided by n: every element gets an equal share.")
_reduction("logsumexp", "{g} * np.exp({0} - {outx})", "\\log \\sum e^{{{0}}}", "e^{{{0} - {out}}}",
           code="logsumexp({0}{kw})", contrib="{g} \\odot {local}", helpers=("logsumexp",),
           routes="logsumexp sends each element the gradient times its softmax weight.")
_reduction("prod", "{g} * prod_others({0}{axis_kw})", "\\prod {0}",
           "\\textstyle\\prod_{{j \\ne i}} {0}_j", helpers=("prod_others",),
           tangent="\\textstyle\\sum_i {t}_i \\prod_{{j \\ne i}} {0}_j",
           routes="prod sends each element the gradient times the product of the other elements.")
_reduction("var", "{g} * 2 * " + _CENTERED + " / {count}", "\\operatorname{{var}} {0}",
           "\\frac{{2}}{{n}}({0} - \\bar{{{0}}})", routes="var (numpy's, ddof 0) sends each "
           "element the gradient times 2/n times its distance from the mean.")
_reduction("std", "over({g} * " + _CENTERED + ", {count} * {outx})", "\\operatorname{{std}} {0}",
           "\\frac{{{0} - \\bar{{{0}}}}}{{n\\,{out}}}", helpers=("over",),
           routes="std (numpy's, ddof 0) sends each element the gradient times its distance from "
           "the mean over n·std (0 where the std is 0, as PyTorch).")
_reduction("norm", "over({g} * {0}, {outx})", "\\lVert {0} \\rVert", "\\frac{{{0}}}{{{out}}}",
           code="np.sqrt(np.sum({0} * {0}{kw}))", helpers=("over",),
           routes="norm (L2) sends each element the gradient times the element over the norm: "
           "along the direction of the vector (0 for a zero vector, as PyTorch).")
for _m, _w in (("max", "largest"), ("min", "smallest")):
    _reduction(_m, "select({g}, winners({0}, {out}{wkw}))", f"\\{_m} {{0}}",
               f"\\mathbb{{{{1}}}}[{{0}} = \\{_m}] / \\#", contrib="{g} \\odot {local}",
               helpers=("winners", "select"), routes=f"{_m} routes the gradient to the {_w} "
               f"element (split evenly among ties, as torch.a{_m}); the others get 0.")

# ----- The softmax family (along one axis, -1 unless given) -----

for _name, _vjp, _jvp, _latex, _local, _contrib, _tangent, _routes, _helpers in (
    ("softmax", "{out} * ({g} - np.sum({g} * {out}, axis={axis}, keepdims=True))", None,
     "\\operatorname{{softmax}}({0})", "\\operatorname{{diag}}({out}) - {out}\\,{out}^{{\\top}}",
     "{out} \\odot ({g} - \\textstyle\\sum {g} \\odot {out})", None,
     "softmax mixes the gradient across its axis: out ⊙ (g − Σ g ⊙ out).", ("softmax",)),
    ("log_softmax", "{g} - np.exp({out}) * np.sum({g}, axis={axis}, keepdims=True)",
     "{t} - np.sum(np.exp({out}) * {t}, axis={axis}, keepdims=True)",
     "\\log \\operatorname{{softmax}}({0})", "I - \\operatorname{{softmax}}({0})",
     "{g} - e^{{{out}}} \\textstyle\\sum {g}", "{t} - \\textstyle\\sum e^{{{out}}} \\odot {t}",
     "log_softmax passes the gradient minus softmax times its sum over the axis.",
     ("logsumexp", "log_softmax")),
):
    table_op(_name, _name + "({0}{kw})", (_vjp,), (_jvp or _vjp.replace("{g}", "{t}"),),
             softmax_shape, _latex, (_local,), (_contrib,),
             (_tangent or _contrib.replace("{g}", "{t}"),), routes=_routes,
             helpers=_helpers, attrs={"axis": -1},
             fmt=lambda axis=-1: {"kw": _kw(axis, default_axis=-1), "axis": str(axis)})

# ----- Cross-entropy with integer class labels -----

_CE = "\\frac{{1}}{{N}}(\\operatorname{{softmax}}({0}) - \\mathbb{{1}}_{{{1}}})"
table_op("cross_entropy", "cross_entropy({0}, {1})",
         # ∂ mean cross-entropy / ∂ logits = (softmax(logits) − onehot(labels)) / N
         ("{g} * cross_entropy_grad({0}, {1})", "np.zeros_like({1}) * {g}"),
         ("np.sum({t} * cross_entropy_grad({0}, {1}))", "0.0 * np.sum({t})"),
         cross_entropy_shape, "\\operatorname{{CE}}({0}, {1})", (_CE, "0"),
         ("{g}\\," + _CE, "0 \\cdot {g}"), ("\\textstyle\\sum " + _CE + " \\odot {t}",
                                             "0 \\cdot {t}"),
         helpers=("logsumexp", "softmax", "cross_entropy"),
         routes="cross_entropy sends the logits the gradient times (softmax − one-hot of the "
                "label) / N: up for every wrong class, down for the right one; labels get none.")
