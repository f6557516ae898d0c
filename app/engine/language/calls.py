"""A call of a function of the language, `relu(x)`, `sum(x, axis=1)`, `clip(x, -1, 1)`,
`concatenate([a, b], axis=0)`, `reshape(x, (2, 3))`, `layer_norm(x, (d,), w, b)`, made an op:
its tensors, and its attributes by keyword or by position. A source's own function
(definitions.py), a call that draws its mask (masks.py) and PyTorch's argument lists
(torchforms.py) are read by their modules.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from app.engine.core.errors import source_error
from app.engine.language.attributes import attr_value, shape_item
from app.engine.language.definitions import custom_call
from app.engine.language.masks import drawn_call
from app.engine.language.torchforms import batch_norm_form, optional_call
from app.engine.language.vocabulary import FUNCTIONS, LEAVES
from app.engine.ops.registry import REGISTRY, VARIADIC

if TYPE_CHECKING:
    from app.engine.language.parser import Builder

#: tensors one concatenate or stack joins at most
MAX_PARTS = 64


def call(builder: Builder, node: ast.Call, name: str | None, sub) -> str:
    """The op node of `fn(…)` (named `name`, if given); `sub` reads each tensor argument."""
    fn = node.func.id
    if fn in LEAVES:
        raise source_error(node, f"{fn}(...) declares a leaf and must be assigned to a name "
                           f"on its own, like `x = {fn}(...)`")
    if fn == "group" and fn not in builder.defs:
        raise source_error(node, 'group(...) names a block of statements: write '
                           '`with group("name"):` and indent the statements under it')
    if fn in builder.defs:
        return custom_call(builder, node, fn, name, sub)
    if fn in FUNCTIONS and REGISTRY[FUNCTIONS[fn]].drawn:  # dropout(x, p=0.5): its mask
        return drawn_call(builder, node, fn, REGISTRY[FUNCTIONS[fn]], name, sub)
    if fn in builder.def_names:
        raise source_error(node.func, f"{fn} is defined later in the source (or is a backward, "
                                f"which the engine calls); define a function before it "
                                f"is called")
    if fn not in FUNCTIONS:
        known = sorted(FUNCTIONS) + sorted(d for d in builder.defs)
        raise source_error(node.func, f"unknown function {fn!r}; known: {', '.join(known)}")
    rule = REGISTRY[FUNCTIONS[fn]]
    if rule.name == "batch_norm":  # PyTorch's F.batch_norm(x, None, None, w, b, training=True)
        node = batch_norm_form(node)
    kw = builder.keywords(node, (*(a for a in rule.attrs if a != "n"),
                              *(k for k, _ in rule.optional)))
    args = node.args
    attrs = dict(rule.attrs)
    if rule.arity == VARIADIC:  # concatenate([a, b, c], axis=1)
        if len(args) != 1 or not isinstance(args[0], (ast.List, ast.Tuple)) \
                or not 2 <= len(args[0].elts) <= MAX_PARTS:
            raise source_error(node, f"{fn}() takes one list of 2 to {MAX_PARTS} tensors, like "
                               f"{fn}([a, b], axis=0)")
        args = args[0].elts
        attrs["n"] = len(args)
        for key, value in kw.items():
            attrs[key] = attr_value(builder, fn, key, value)
        return builder.op(node, rule.name, [sub(a) for a in args], attrs, name)
    if rule.positional_attrs and len(args) > rule.arity:  # clip(x, -1, 1), as numpy
        extra = args[rule.arity:]
        names = rule.positional_attrs[:len(extra)]
        if len(extra) > len(rule.positional_attrs) or any(n in kw for n in names):
            raise source_error(node, f"{fn}() takes {rule.arity} tensor(s), then "
                               f"{', '.join(rule.positional_attrs)} (by position or name, "
                               f"once each)")
        attrs.update({n: attr_value(builder, fn, n, v) for n, v in zip(names, extra, strict=True)})
        args = args[:rule.arity]
    if rule.positional_at is not None and len(args) > rule.positional_at:
        # layer_norm(x, (d,), w, b): the attribute stands among the tensors, as in PyTorch
        at = args[rule.positional_at]
        items = at.elts if isinstance(at, (ast.Tuple, ast.List)) else [at]
        attrs[rule.positional] = tuple(shape_item(builder, item) for item in items)
        args = args[:rule.positional_at] + args[rule.positional_at + 1:]
    elif rule.positional and len(args) > rule.arity:  # reshape(x, (2, 3)) or (x, 2, 3)
        extra = args[rule.arity:]
        items = extra[0].elts if len(extra) == 1 and isinstance(extra[0], ast.Tuple) \
            else extra
        attrs[rule.positional] = tuple(shape_item(builder, item) for item in items)
        args = args[:rule.arity]
    if rule.optional:  # batch_norm(x), layer_norm(x, (d,), bias=b): weight 1, bias 0
        return optional_call(builder, node, fn, rule, args, kw, attrs, name, sub)
    if len(args) != rule.arity:
        word = "argument" if rule.arity == 1 else "arguments"
        raise source_error(node, f"{fn}() takes {rule.arity} {word}, got {len(node.args)}")
    for key, value in kw.items():
        attrs[key] = attr_value(builder, fn, key, value)
    return builder.op(node, rule.name, [sub(a) for a in args], attrs, name)
