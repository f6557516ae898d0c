"""The numbers of the source, read as constants (nothing is evaluated): a literal, a negated
one, a named number or a loop's variable; a whole number, and + - * // % of them (a loop's
bounds, an index, a size); a number where an argument wants one; and the element limit every
tensor's shape is checked against.
"""

from __future__ import annotations

import ast
import math
import sys
from math import prod
from typing import TYPE_CHECKING

from app.engine.core.errors import LimitError, position, source_error
from app.engine.language.sourcetext import segment
from app.engine.language.vocabulary import MAX_DEPTH

if TYPE_CHECKING:
    from app.engine.language.parser import Builder

#: the largest magnitude a number of the language may have: a float's
MAX_NUMBER = sys.float_info.max
#: the operators whole-number arithmetic of bounds and indices may use
_WHOLE_OPS = {ast.Add: int.__add__, ast.Sub: int.__sub__, ast.Mult: int.__mul__,
              ast.FloorDiv: int.__floordiv__, ast.Mod: int.__mod__}
#: the largest whole number a bound or an index may reach
MAX_WHOLE = 2 ** 53


def is_number(value) -> bool:
    return type(value) in (int, float)


def constant_number(builder: Builder, node: ast.expr):
    """A literal number, a negated one, or a named number; else None. A literal no
    float can hold (400 digits, 1e999) is a SourceError."""
    negative = False
    inner = node
    # a loop, not recursion: thousands of signs must not reach the recursion limit
    while isinstance(inner, ast.UnaryOp) and isinstance(inner.op, (ast.USub, ast.UAdd)):
        negative ^= isinstance(inner.op, ast.USub)
        inner = inner.operand
    if isinstance(inner, ast.Constant) and is_number(inner.value):
        value = inner.value
        if not (math.isfinite(value) if isinstance(value, float) else
                abs(value) <= MAX_NUMBER):
            text = segment(builder, inner)
            shown = text if len(text) <= 24 else f"{text[:12]}… ({len(text)} digits)"
            raise source_error(inner, f"the number {shown} is too large: numbers must be finite "
                                f"and at most {MAX_NUMBER:.4g} in size")
    elif isinstance(inner, ast.Name) and inner.id in builder.numbers:
        value = builder.numbers[inner.id]
    elif isinstance(inner, ast.Name) and inner.id in builder.loop_values:
        value = builder.loop_values[inner.id]
    else:
        return None
    return -value if negative else value


def number_arg(builder: Builder, node: ast.expr, what: str):
    value = constant_number(builder, node)
    if value is None:
        raise source_error(node, f"{what} must be a number")
    return value


def check_size(builder: Builder, node: ast.AST, shape: tuple[int, ...]) -> None:
    size = prod(shape)
    if size > builder.limits.max_tensor_elements:
        line, column = position(node)
        # a size past any float is not written out (nor formatted as one)
        raise LimitError("max_tensor_elements", builder.limits.max_tensor_elements,
                         size if size <= MAX_NUMBER else None,
                         f"(a tensor of shape {shape} at line {line}, column {column})")


def whole(builder: Builder, node: ast.expr, depth: int = 0) -> int | None:
    """A constant whole number: a literal, a named number, a loop's variable, or + - * // %
    of them (`L - 1`, `i + 1`, `2 * i`); None when it is not one."""
    if depth > MAX_DEPTH:
        raise source_error(node, f"expression nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, ast.BinOp) and type(node.op) in _WHOLE_OPS:
        left, right = whole(builder, node.left, depth + 1), whole(builder, node.right, depth + 1)
        if left is None or right is None:
            return None
        if type(node.op) in (ast.FloorDiv, ast.Mod) and right == 0:
            raise source_error(node, "division by zero")
        value = _WHOLE_OPS[type(node.op)](left, right)
        if abs(value) > MAX_WHOLE:
            raise source_error(node, f"a whole number here is at most {MAX_WHOLE} in size")
        return value
    value = constant_number(builder, node)
    return value if type(value) is int else None
