"""A tensor indexed, `x[0]`, `x[:, 0]`, `x[1:3, ::2]`: constant whole numbers and slices only,
made one index op whose key is the text of the index; `W[i]` of a list is its element
(unroll.py).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from app.engine.core.errors import source_error
from app.engine.language.numbers import whole
from app.engine.language.unroll import element
from app.engine.language.vocabulary import MAX_AXES
from app.engine.ops.registry import REGISTRY

if TYPE_CHECKING:
    from app.engine.language.parser import Builder

#: the index op, by its syntax in the registry
INDEX = next(op.name for op in REGISTRY.values() if op.syntax == "x[…]")


def index(builder: Builder, node: ast.Subscript, name: str | None, sub) -> str:
    """x[0], x[:, 0], x[1:3, ::2]: constant whole numbers and slices only; W[i] of a
    list is its element."""
    if isinstance(node.value, ast.Name) and node.value.id in builder.lists:
        return element(builder, node)
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    if len(items) > MAX_AXES:
        raise source_error(node, f"at most {MAX_AXES} indices")
    parts = []
    for item in items:
        if isinstance(item, ast.Slice):
            ends = [None if e is None else index_number(builder, e)
                    for e in (item.lower, item.upper, item.step)]
            if ends[2] == 0:
                raise source_error(item, "a slice's step cannot be 0")
            text = ":".join("" if e is None else str(e) for e in ends[:2])
            parts.append(text + ("" if ends[2] is None else f":{ends[2]}"))
        else:
            parts.append(str(index_number(builder, item)))
    return builder.op(node, INDEX, [sub(node.value)], {"key": ", ".join(parts)}, name)


def index_number(builder: Builder, node: ast.expr) -> int:
    value = whole(builder, node)
    if value is None:
        raise source_error(node, "an index is a constant whole number or a slice like 1:3 "
                           "(no boolean masks, no tensor indices)")
    return value
