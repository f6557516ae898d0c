"""Assignments beyond `name = expression`: `c += e` (a new version of c) and the seed
script's `N, D_in, H, D_out = 64, 1000, 100, 10` (named numbers).

The language (parser.py) hands each such statement here; an update is read as the assignment
`c = c + e` at the same place in the source, its text written as the versions it reads
(`c_2 + (e)`), so the narration, the labels and the exported script agree.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from app.engine.core.errors import source_error
from app.engine.language.labels import versioned_text
from app.engine.language.numbers import constant_number
from app.engine.language.sourcetext import segment

if TYPE_CHECKING:
    from app.engine.language.parser import Builder

#: the updates the language reads, as written
_AUGMENTED = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/=", ast.MatMult: "@=",
              ast.Pow: "**="}


def augmented(builder: Builder, stmt: ast.AugAssign) -> ast.Assign:
    """`c += e` is `c = c + e`: a new version of c, its text `c_2 + (e)`."""
    target = stmt.target
    if not isinstance(target, ast.Name):
        raise source_error(stmt, "augmented assignment to a subscript or an attribute (x[0] += …) "
                           "is not part of the language: every value is computed once; "
                           "write `x = x + …`")
    if target.id not in builder.names:
        if target.id in builder.numbers or target.id in builder.loop_values:
            raise source_error(target, f"{target.id!r} is a number; only a tensor can be updated "
                                 f"with {_AUGMENTED.get(type(stmt.op), '+=')}")
        raise source_error(target, f"undefined name {target.id!r}: `{target.id} += …` updates a "
                             f"tensor defined before")
    if type(stmt.op) not in _AUGMENTED:
        raise source_error(stmt, f"the operator {type(stmt.op).__name__} is not allowed; use "
                           f"{' '.join(_AUGMENTED.values())}")
    left = ast.Name(id=target.id, ctx=ast.Load())
    value = ast.BinOp(left=ast.copy_location(left, target), op=stmt.op, right=stmt.value)
    for key in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        setattr(value, key, getattr(stmt, key))
        setattr(left, key, getattr(target, key))
    right = versioned_text(builder, stmt.value, segment(builder, stmt.value))
    if not isinstance(stmt.value, (ast.Name, ast.Call, ast.Constant, ast.Subscript,
                                   ast.Attribute)):
        right = f"({right})"
    value.written = f"{builder.names[target.id]} {_AUGMENTED[type(stmt.op)][:-1]} {right}"
    return ast.copy_location(ast.Assign(targets=[target], value=value), stmt)


def numbers_unpacked(builder: Builder, stmt: ast.Assign):
    """`N, D_in, H, D_out = 64, 1000, 100, 10`: named numbers, as the seed script writes
    them."""
    targets, value = stmt.targets[0].elts, stmt.value
    numbers = [constant_number(builder, v) for v in getattr(value, "elts", [])]
    if not isinstance(value, ast.Tuple) or len(numbers) != len(targets) \
            or any(n is None for n in numbers) \
            or not all(isinstance(t, ast.Name) for t in targets):
        raise source_error(stmt, "unpacking assigns named numbers only, like "
                           "`N, D_in = 64, 1000`; declare tensors one per line")
    for target, number in zip(targets, numbers, strict=True):
        builder.check_name(target, target.id)
        builder.check_number(target, target.id)
        builder.numbers[target.id] = number
    return None, stmt
