"""The leaves a source declares, `x = input(N, D)`, `W = param(D, H, scale=0.1)`, `y =
labels(N, C)`, …: their shapes, how they are drawn, whether they are trained. And the inputs
that must be such a leaf of whole numbers: cross_entropy's labels, embedding's ids.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from app.engine.core.errors import position, source_error
from app.engine.core.graph import Node
from app.engine.language.numbers import check_size, number_arg, whole
from app.engine.language.vocabulary import LEAVES, MAX_AXES

if TYPE_CHECKING:
    from app.engine.language.parser import Builder

#: ops that read whole numbers: op -> (their role, the leaf they must be, the other input
#: and its verb, its axis that the count of classes may not pass, what that axis counts)
_WHOLE = {"cross_entropy": ("labels", "labels(N, C) leaf (one class index per row)",
                            "logits", "have", 1, "columns"),
          "embedding": ("ids", "labels(…, V) leaf (whole numbers 0 … V-1, like ids = "
                        "labels(B, T, V))", "table", "has", 0, "rows")}


def leaf(builder: Builder, name: str, call: ast.Call, stmt: ast.stmt) -> str:
    """The leaf `name = input(…)` (or param, …) declares: `name` is its node's id."""
    kind_fn = call.func.id
    dist = LEAVES[kind_fn]
    allowed = {"normal": ("scale", "value"), "onehot": (), "bernoulli": (),
               "zeros": ("trained",), "ones": ("trained",),
               "uniform": ("low", "high", "trained"), "labels": ()}[dist]
    kw = builder.keywords(call, allowed)
    trained = kind_fn == "param" or kind_fn in ("zeros", "ones", "uniform")
    if "trained" in kw:
        flag = kw.pop("trained")
        if not (isinstance(flag, ast.Constant) and isinstance(flag.value, bool)):
            raise source_error(flag, "trained must be True or False")
        trained = flag.value
    init: dict = {"dist": dist}
    if "value" in kw:
        if call.args or "scale" in kw:
            raise source_error(call, f"{kind_fn}(value=...) takes no sizes and no scale")
        shape: tuple[int, ...] = ()
        init = {"dist": "value", "value": float(number_arg(builder, kw["value"], "value"))}
    else:
        shape = tuple(size_arg(builder, a) for a in call.args)
        if dist == "onehot" and len(shape) != 2:
            raise source_error(call, f"onehot takes 2 sizes (rows, classes), got {len(shape)}")
        if dist == "bernoulli" and not shape:
            raise source_error(call, "bernoulli takes at least one size, like bernoulli(N, 1)")
        if len(shape) > MAX_AXES:
            raise source_error(call, f"a tensor has at most {MAX_AXES} axes; "
                               f"{kind_fn}(...) asks for {len(shape)}")
        if "scale" in kw:
            init["scale"] = float(number_arg(builder, kw["scale"], "scale"))
        if dist == "uniform":
            init["low"] = float(number_arg(builder, kw["low"], "low")) if "low" in kw else -1.0
            init["high"] = float(number_arg(builder, kw["high"], "high")) if "high" in kw \
                else 1.0
            if not init["low"] < init["high"]:
                raise source_error(call, "uniform needs low < high")
        if dist == "labels":  # labels(N, C): one class index in 0 … C-1 per row
            if len(shape) < 2:  # labels(B, T, V): ids of shape (B, T), for embedding
                raise source_error(call, f"labels takes 2 sizes (rows, classes) or more "
                                   f"(…, classes), got {len(shape)}")
            if shape[-1] > builder.limits.max_tensor_elements:  # no logits or table that wide
                raise source_error(call, f"labels count at most "
                                   f"{builder.limits.max_tensor_elements} classes (a tensor's "
                                   f"elements), got {shape[-1]}")
            init["classes"] = shape[-1]
            shape = shape[:-1]
    check_size(builder, call, shape)
    line, column = position(stmt)
    kind = "labels" if dist == "labels" else "param" if trained else "input"
    builder.nodes.append(Node(name, kind, name, shape, line, column, init=init, named=True))
    return name


def size_arg(builder: Builder, node: ast.expr) -> int:
    value = whole(builder, node)  # 64, N, 2 * H, or i + 1 in a loop
    if value is None or value < 1:
        raise source_error(node, "a size must be a positive whole number (like 64, N or 2 * N)")
    return value


def check_whole(builder: Builder, node: ast.expr, op: str, inputs: list[Node]) -> None:
    """cross_entropy's labels and embedding's ids are whole numbers: a labels leaf (a
    definition's argument inside its body) counting no more classes than the other input
    has along an axis (the logits' columns, the table's rows). Other ops: nothing to check."""
    if op not in _WHOLE:
        return
    wholes, other = (inputs[0], inputs[1]) if op == "embedding" else (inputs[1], inputs[0])
    role, must_be, other_role, verb, axis, counted = _WHOLE[op]
    inside_def = getattr(builder, "nesting", 0) > 0 and wholes.kind == "input"
    if wholes.kind != "labels" and not inside_def:
        raise source_error(node, f"{op}'s {role} must be a {must_be}, not {wholes.label}")
    classes = (wholes.init or {}).get("classes")
    if classes is not None and len(other.shape) == 2 and classes > other.shape[axis]:
        raise source_error(node, f"the {role} {wholes.label} count {classes} classes but "
                           f"the {other_role} {other.label} {verb} {other.shape[axis]} "
                           f"{counted}")
