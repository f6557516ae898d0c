"""Groups in the source: `with group("layer 1"):` blocks of statements, nested or not.

The language (parser.py) hands each `with` statement here. Every node the block's statements
make carries the block's group and the groups around it (`Node.groups`, outermost first); the
layout endpoint draws a group collapsed into one node whose id is the group's name, so a name
is short, printable, without commas and unlike any node's id.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import TYPE_CHECKING

from app.engine.core.errors import position, source_error

if TYPE_CHECKING:
    from app.engine.language.parser import Builder

#: `with group("…"):` blocks: the longest name, the deepest nesting, the most blocks
MAX_GROUP_CHARS = 40
MAX_GROUP_DEPTH = 8
MAX_GROUPS = 256


def read_group(builder: Builder, stmt: ast.With):
    """`with group("layer 1"):` — every node its statements make carries the group (and
    the groups around it). Returns the block's last assignment, as `statement` does."""
    name = group_name(stmt)
    if len(builder.group_path) >= MAX_GROUP_DEPTH:
        raise source_error(stmt, f"groups nest at most {MAX_GROUP_DEPTH} deep")
    if name in builder.group_at:
        line, column = position(builder.group_at[name])
        raise source_error(stmt.items[0].context_expr.args[0],
                     f"the group {name!r} is already used at line {line}, column {column}; "
                     "each group has its own name")
    if len(builder.group_at) >= MAX_GROUPS:
        raise source_error(stmt, f"a source has at most {MAX_GROUPS} groups")
    return in_group(builder, name, stmt, stmt.body,
                    f"the group {name!r} holds no node: put assignments that compute or "
                    "declare tensors in it")


def in_group(builder: Builder, name: str, where: ast.stmt, body: list[ast.stmt],
             empty: str):
    """Read `body` inside the group `name` (a `with` block, or one pass of a loop): every
    node its statements make carries the group and the groups around it. `empty`: the error
    when they make none. Returns the last assignment, as `statement` does."""
    builder.group_at[name] = where
    first = len(builder.nodes)
    builder.group_path += (name,)
    last = None
    try:
        for inner in body:
            made = len(builder.nodes)
            done = builder.statement(inner)
            last = done if done is not None else last
            if not isinstance(inner, (ast.With, ast.For)):  # a nested block tags its own
                for i in range(made, len(builder.nodes)):
                    builder.nodes[i] = dataclasses.replace(builder.nodes[i],
                                                        groups=builder.group_path)
    finally:
        builder.group_path = builder.group_path[:-1]
    if not any(name in n.groups for n in builder.nodes[first:]):
        raise source_error(where, empty)
    return last


def group_name(stmt: ast.With) -> str:
    """The name in `with group("name"):`, checked: a short, printable, one-line string
    without commas (the layout endpoint lists groups separated by commas)."""
    if len(stmt.items) != 1:
        raise source_error(stmt, 'one group per `with`: nest them, `with group("a"):` and '
                           'inside it `with group("b"):`')
    item = stmt.items[0]
    call = item.context_expr
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and call.func.id == "group"):
        raise source_error(call, '`with` is only for groups of the graph, like '
                           '`with group("layer 1"):`')
    if item.optional_vars is not None:
        raise source_error(item.optional_vars, '`with group("name"):` takes no `as`')
    if call.keywords or len(call.args) != 1:
        raise source_error(call, 'group() takes one name, like group("layer 1")')
    arg = call.args[0]
    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
        raise source_error(arg, "a group's name is a string in quotes, like group(\"layer 1\")")
    name = arg.value
    if not name.strip():
        raise source_error(arg, "a group's name cannot be empty")
    if len(name) > MAX_GROUP_CHARS:
        raise source_error(arg, f"a group's name has at most {MAX_GROUP_CHARS} characters; "
                          f"this one has {len(name)}")
    if name != name.strip():
        raise source_error(arg, "a group's name cannot start or end with a space")
    if "," in name:
        raise source_error(arg, "a group's name cannot contain a comma (the layout endpoint "
                          "lists collapsed groups separated by commas)")
    if not name.isprintable():
        raise source_error(arg, "a group's name is printable text on one line (no tabs, no "
                          "line breaks)")
    return name


def check_group_names(builder: Builder) -> None:
    """No group may have the name of a node (a collapsed group is drawn as a node of that id)."""
    ids = {n.id for n in builder.nodes}
    for name, stmt in builder.group_at.items():
        if name in ids:
            raise source_error(stmt, f"the group {name!r} has the name of a node; name it "
                                "differently (a collapsed group is drawn as one node whose "
                                "id is the group's name)")
