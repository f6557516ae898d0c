"""A call's attributes, by keyword or by position: axis (a whole number, None or a tuple),
keepdims, a window's kernel_size, stride, padding and dilation (a whole number or a pair),
start_dim and end_dim, a size of a shape, and plain numbers (slope=, alpha=, min=, max=).
Constants only: nothing is evaluated.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from app.engine.core.errors import source_error
from app.engine.language.numbers import constant_number, number_arg, whole
from app.engine.language.vocabulary import MAX_AXES

if TYPE_CHECKING:
    from app.engine.language.parser import Builder

#: attributes that are a whole number or a pair of them (the shape rules hold their limits)
_WINDOW_ATTRS = ("kernel_size", "stride", "padding", "dilation")


def attr_value(builder: Builder, fn: str, key: str, node: ast.expr):
    """A keyword attribute: axis (a whole number, None or a tuple of them), keepdims (True
    or False), or a number (slope=, alpha=, min=, max=)."""
    if key == "axis":
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        items = node.elts if isinstance(node, ast.Tuple) else [node]
        axes = [constant_number(builder, item) for item in items]
        if not all(isinstance(a, int) and not isinstance(a, bool) and abs(a) <= MAX_AXES
                   for a in axes) or not axes:
            raise source_error(node, "axis must be a whole number, None, or a tuple of whole "
                               "numbers, like axis=(0, 1)")
        return tuple(axes) if isinstance(node, ast.Tuple) else axes[0]
    if key == "keepdims":
        if not (isinstance(node, ast.Constant) and isinstance(node.value, bool)):
            raise source_error(node, "keepdims must be True or False")
        return node.value
    if key in _WINDOW_ATTRS:  # stride=2, padding=(1, 0); a pool's stride=None
        if key == "stride" and isinstance(node, ast.Constant) and node.value is None:
            return None
        items = node.elts if isinstance(node, ast.Tuple) else [node]
        sizes = [whole(builder, item) for item in items]
        if None in sizes or len(sizes) != (2 if isinstance(node, ast.Tuple) else 1):
            raise source_error(node, f"{fn}()'s {key}= is a whole number or a pair of them, "
                               f"like {key}=2 or {key}=(2, 1)")
        return tuple(sizes) if isinstance(node, ast.Tuple) else sizes[0]
    if key in ("start_dim", "end_dim"):
        dim = whole(builder, node)
        if dim is None or abs(dim) > MAX_AXES:
            raise source_error(node, f"{fn}()'s {key}= is a whole number (an axis)")
        return dim
    return float(number_arg(builder, node, f"{fn}()'s {key}="))


def shape_item(builder: Builder, node: ast.expr) -> int:
    value = constant_number(builder, node)
    if not isinstance(value, int) or isinstance(value, bool) or not (value >= 1 or value == -1):
        raise source_error(node, "a size must be a positive whole number, or -1 for the rest")
    return value
