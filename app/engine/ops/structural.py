"""Ops that move elements rather than compute them: matrix products, transpose, indexing,
reshape, concatenate and stack. Each rule is written once, by hand, as the code the script
runs (derivation.py turns it into the numbers); the LaTeX beside it says the same.
"""

from __future__ import annotations

from math import prod

from app.engine.core import shapes
from app.engine.ops.derivation import table_op
from app.engine.ops.registry import PerInput

_PRODUCT = {"latex": "{0}\\,{1}", "local": ("{1}^{{\\top}}", "{0}^{{\\top}}"),
            "contrib": ("{g}\\,{1}^{{\\top}}", "{0}^{{\\top}}\\,{g}"),
            "tangent": ("{t}\\,{1}", "{0}\\,{t}"), "code_jvp": ("{t} @ {1}", "{0} @ {t}"),
            "flops": lambda out, a, b: 2 * prod(out) * a[-1]}  # 2·m·k·n
# d(a @ b)/da = g @ b.T, d(a @ b)/db = a.T @ g
table_op("matmul", "{0} @ {1}", ("{g} @ {1}.T", "{0}.T @ {g}"), shape=shapes.matmul_shape, syntax="@",
         names=("dot",), **_PRODUCT,
         routes="matmul multiplies the gradient by the other operand transposed: g Bᵀ for the "
                "left, Aᵀ g for the right.")
# numpy's rules: 1-D operands promoted, batch axes summed back (the VJP reads only shapes of
# the operand it differentiates)
table_op("matmul_nd", "{0} @ {1}",
         ("matmul_grad({g}, {0}, {1}, 0)", "matmul_grad({g}, {0}, {1}, 1)"),
         shape=shapes.matmul_nd_shape, syntax="@ (vectors, batches)", helpers=("matmul_grad",),
         saves=("0", "1"), reads=(("1",), ("0",)), **_PRODUCT,
         routes="matmul (vectors and batches, numpy's rules) multiplies the gradient by the "
                "other operand transposed, and sums it over broadcast batch axes.")
table_op("transpose", "{0}.T", ("{g}.T",), ("{t}.T",), shapes.transpose_shape, "{0}^{{\\top}}",
         ("(\\cdot)^{{\\top}}",), ("{g}^{{\\top}}",), ("{t}^{{\\top}}",), syntax=".T",
         names=("transpose",), routes="transpose transposes the gradient back.")
table_op("index", "{0}[{key}]", ("scatter({g}, {0}.shape, {keytext})",), ("{t}[{key}]",),
         shapes.index_shape, "{0}_{{[{key}]}}", ("\\mathbb{{1}}[\\text{{picked}}]",),
         ("\\operatorname{{scatter}}({g})",), ("{t}_{{[{key}]}}",), syntax="x[…]",
         attrs={"key": ":"}, helpers=("scatter",),
         fmt=lambda key=":": {"key": key, "keytext": repr(key)},
         routes="an indexing op scatters the gradient back: the picked elements receive it, "
                "every other element of the input gets 0.")
table_op("reshape", "np.reshape({0}, {shape})", ("np.reshape({g}, {0}.shape)",),
         ("np.reshape({t}, {shape})",), shapes.reshape_shape, "\\operatorname{{reshape}}({0})",
         ("\\operatorname{{reshape}}^{{-1}}",), ("\\operatorname{{reshape}}^{{-1}}({g})",),
         ("\\operatorname{{reshape}}({t})",), attrs={"shape": ()},
         positional="shape", fmt=lambda shape=(): {"shape": repr(tuple(shape))},
         routes="reshape passes the gradient back reshaped to the input's shape: the same "
                "numbers in the same order.")


# ----- Several inputs: concatenate and stack (one list argument, axis=) -----


def _parts_fmt(axis=0, n=2) -> dict:
    """Template values of a variadic op over n inputs: the argument list, the inputs' sizes
    along the axis, and per input i the list with zeros in place of every other input."""
    return {"args": ", ".join(f"{{{i}}}" for i in range(n)), "axis": str(axis),
            "sizes": ", ".join(f"{{{i}}}.shape[{axis}]" for i in range(n)),
            **{f"with{i}": ", ".join("{t}" if j == i else f"np.zeros_like({{{j}}})"
                                     for j in range(n)) for i in range(n)}}


for _name, _vjp, _contrib, _routes in (
    ("concatenate", "np.split({{g}}, np.cumsum([{{sizes}}])[:-1], axis={{axis}})[{i}]",
     "{{g}}_{{{{({j})}}}}", "concatenate hands each input its own slice of the gradient."),
    ("stack", "np.take({{g}}, {i}, axis={{axis}})", "{{g}}_{{{{[{i}]}}}}",
     "stack hands each input its own slice of the gradient along the new axis."),
):
    _join = "np." + _name
    table_op(_name, _join + "([{args}], axis={axis})",
             PerInput(lambda i, v=_vjp: v.format(i=i, j=i + 1)),
             PerInput(lambda i, j=_join: f"{j}([{{with{i}}}], axis={{axis}})"),
             shapes.concat_shape if _name == "concatenate" else shapes.stack_shape,
             f"\\operatorname{{{{{_name[:6]}}}}}({{args}})",
             PerInput(lambda i: "\\text{{its slice}}"),
             PerInput(lambda i, c=_contrib: c.format(i=i, j=i + 1)),
             PerInput(lambda i, n=_name[:6]: f"\\operatorname{{{{{n}}}}}(\\dots, {{t}}, \\dots)"),
             attrs={"axis": 0, "n": 2}, fmt=_parts_fmt, routes=_routes)
