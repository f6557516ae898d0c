"""Reductions (axis=None or an axis or a tuple of axes, keepdims), the softmax family and
cross-entropy: each rule written once, by hand, as the code the script runs.

A reduction states its VJP once as a template in {g}: the backward puts the reduced axis back
into g ({gx}), the forward mode sums the same product of the tangent over the axis. Its LaTeX
is the local derivative, the contribution and (where it is not Σ local ⊙ t) the tangent.
"""

from __future__ import annotations

from app.engine.core.shapes import ShapeError, reduce_shape, softmax_shape
from app.engine.ops.derivation import table_op


def _kw(axis, keepdims=False, default_axis=None) -> str:
    return (f", axis={axis}" if axis != default_axis else "") + (", keepdims=True" if keepdims else "")


def _count_code(axis) -> str:
    """numpy code of how many elements each reduced value is over."""
    if axis is None or not isinstance(axis, tuple):
        return "{0}.size" if axis is None else f"{{0}}.shape[{axis}]"
    return "(" + " * ".join(f"{{0}}.shape[{a}]" for a in axis) + ")"


def _reduce_fmt(axis=None, keepdims=False) -> dict:
    """Template values of a reduction: its keywords, g and out with the reduced axis put back
    ({gx}, {outx}), the count, and the keywords of the helpers' calls."""
    expand = "{g}" if axis is None or keepdims else f"np.expand_dims({{g}}, {axis})"
    return {"kw": _kw(axis, keepdims), "gx": expand, "outx": expand.replace("{g}", "{out}"),
            "count": _count_code(axis),
            "kwk": f", axis={axis}, keepdims=True" if axis is not None else ", keepdims=True",
            "axis_kw": "" if axis is None else f", axis={axis}",
            "wkw": (f", {axis}" if axis is not None else ", None")
            + (", True" if keepdims else ", False")}


_CENTERED = "({0} - np.mean({0}{kwk}))"
for _name, _code, _vjp, _jvp, _latex, _local, _contrib, _tangent, _routes, _more in (
    ("sum", "np.sum({0}{kw})", "{g} * np.ones_like({0})", "np.sum({t}{kw})", "\\sum {0}",
     "\\mathbf{{1}}", "{g}\\,\\mathbf{{1}}", "\\textstyle\\sum {t}",
     "a reduction (sum) broadcasts the gradient back: every summed element gets it "
     "unchanged.", {}),
    ("mean", "np.mean({0}{kw})", "{g} * np.ones_like({0}) / {count}", "np.mean({t}{kw})",
     "\\operatorname{{mean}} {0}", "\\frac{{1}}{{n}}",
     "\\frac{{{g}}}{{n}}", "\\operatorname{{mean}} {t}",
     "a reduction (mean) broadcasts the gradient back divided by n: every element gets an "
     "equal share.", {}),
    ("logsumexp", "logsumexp({0}{kw})", "{g} * np.exp({0} - {outx})", None,
     "\\log \\sum e^{{{0}}}", "e^{{{0} - {out}}}", "{g} \\odot e^{{{0} - {out}}}", None,
     "logsumexp sends each element the gradient times its softmax weight.",
     {"helpers": ("logsumexp",)}),
    ("prod", "np.prod({0}{kw})", "{g} * prod_others({0}{axis_kw})", None, "\\prod {0}",
     "\\textstyle\\prod_{{j \\ne i}} {0}_j", "{g}\\,\\textstyle\\prod_{{j \\ne i}} {0}_j",
     "\\textstyle\\sum_i {t}_i \\prod_{{j \\ne i}} {0}_j",
     "prod sends each element the gradient times the product of the other elements.",
     {"helpers": ("prod_others",)}),
    ("var", "np.var({0}{kw})", "{g} * 2 * " + _CENTERED + " / {count}", None,
     "\\operatorname{{var}} {0}", "\\frac{{2}}{{n}}({0} - \\bar{{{0}}})",
     "{g}\\,\\frac{{2}}{{n}}({0} - \\bar{{{0}}})", None,
     "var (numpy's, ddof 0) sends each element the gradient times 2/n times its distance "
     "from the mean.", {}),
    ("std", "np.std({0}{kw})", "over({g} * " + _CENTERED + ", {count} * {outx})", None,
     "\\operatorname{{std}} {0}", "\\frac{{{0} - \\bar{{{0}}}}}{{n\\,{out}}}",
     "{g}\\,\\frac{{{0} - \\bar{{{0}}}}}{{n\\,{out}}}", None,
     "std (numpy's, ddof 0) sends each element the gradient times its distance from the mean "
     "over n·std (0 where the std is 0, as PyTorch).", {"helpers": ("over",)}),
    ("norm", "np.sqrt(np.sum({0} * {0}{kw}))", "over({g} * {0}, {outx})", None,
     "\\lVert {0} \\rVert", "\\frac{{{0}}}{{{out}}}", "{g}\\,\\frac{{{0}}}{{{out}}}", None,
     "norm (L2) sends each element the gradient times the element over the norm: along the "
     "direction of the vector (0 for a zero vector, as PyTorch).", {"helpers": ("over",)}),
    *((_m, f"np.{_m}({{0}}{{kw}})", "select({g}, winners({0}, {out}{wkw}))", None,
       f"\\{_m} {{0}}", f"\\mathbb{{{{1}}}}[{{0}} = \\{_m}] / \\#",
       f"{{g}} \\odot \\mathbb{{{{1}}}}[{{0}} = \\{_m}] / \\#", None,
       f"{_m} routes the gradient to the {_w} element (split evenly among ties, as "
       f"torch.a{_m}); the others get 0.", {"helpers": ("winners", "select")})
      for _m, _w in (("max", "largest"), ("min", "smallest"))),
):
    table_op(_name, _code, (_vjp.replace("{g}", "{gx}"),),
             (_jvp or "np.sum(" + _vjp.replace("{g}", "{t}") + "{kw})",), reduce_shape, _latex,
             (_local,), (_contrib,), (_tangent or f"\\textstyle\\sum {_local} \\odot {{t}}",),
             routes=_routes, call_like=True, attrs={"axis": None, "keepdims": False},
             fmt=_reduce_fmt, **_more)

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
             (_tangent or _contrib.replace("{g}", "{t}"),), routes=_routes, call_like=True,
             helpers=_helpers, attrs={"axis": -1},
             fmt=lambda axis=-1: {"kw": _kw(axis, default_axis=-1), "axis": str(axis)})

# ----- Cross-entropy with integer class labels -----


def _cross_entropy_shape(logits, labels, **_):
    if len(logits) != 2 or labels != logits[:1]:
        raise ShapeError(f"cross_entropy takes logits (N, C) and labels (N,) from "
                         f"labels(N, C), got {logits} and {labels}")
    return ()


_CE = "\\frac{{1}}{{N}}(\\operatorname{{softmax}}({0}) - \\mathbb{{1}}_{{{1}}})"
table_op("cross_entropy", "cross_entropy({0}, {1})",
         # ∂ mean cross-entropy / ∂ logits = (softmax(logits) − onehot(labels)) / N
         ("{g} * cross_entropy_grad({0}, {1})", "np.zeros_like({1}) * {g}"),
         ("np.sum({t} * cross_entropy_grad({0}, {1}))", "0.0 * np.sum({t})"),
         _cross_entropy_shape, "\\operatorname{{CE}}({0}, {1})", (_CE, "0"),
         ("{g}\\," + _CE, "0 \\cdot {g}"), ("\\textstyle\\sum " + _CE + " \\odot {t}",
                                             "0 \\cdot {t}"),
         call_like=True, helpers=("logsumexp", "softmax", "cross_entropy"),
         routes="cross_entropy sends the logits the gradient times (softmax − one-hot of the "
                "label) / N: up for every wrong class, down for the right one; labels get none.")
