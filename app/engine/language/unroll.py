"""Loops and lists in the source: `for i in range(L):` (or over a list, `for w in W:`,
`enumerate(W)`, `zip(W, B)`) unrolled into the graph, and lists of tensors made by a
comprehension, `W = [param(8, 8) for i in range(L)]`, indexed `W[i]`.

The language (parser.py) hands each `for` statement, each comprehension and each index of a
list here. A loop's bounds are constant (numbers, named numbers, the variables of the loops
around it, and + - * // % of them); every pass is read again with its variable bound to a number
(or a list's node), inside a group of its own named after the variable's value (`i=3`, `w=W_3`; nested,
`i=3 j=0`), so a long loop collapses pass by pass. A list element is a node of its own, `W_0`, `W_1`, … (what
`W[0]`, `W[1]` pick). Before a loop is unrolled past its first pass, the nodes it would make are
counted: a loop past the node limit is refused then, never built.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from app.engine.core.errors import LimitError, position, source_error
from app.engine.language.groups import MAX_GROUP_DEPTH, MAX_GROUPS, in_group
from app.engine.language.leaves import leaf
from app.engine.language.numbers import whole
from app.engine.language.vocabulary import LEAVES

if TYPE_CHECKING:
    from app.engine.language.parser import Builder

#: statements loops and lists may read, per node of the node limit
UNROLLED = 2


def _range(builder: Builder, node: ast.expr) -> range:
    """`range(n)`, `range(a, b)` or `range(a, b, step)` with constant whole numbers."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "range" and 1 <= len(node.args) <= 3 and not node.keywords):
        raise source_error(node, "a loop runs over range(n) with a constant n, like "
                           "`for i in range(L):` (a named number or a literal)")
    ends = []
    for arg in node.args:
        value = whole(builder, arg)
        if value is None:
            raise source_error(arg, "range() takes constant whole numbers (literals, named numbers, "
                              "the variables of enclosing loops, and + - * // % of them)")
        ends.append(value)
    if len(ends) == 3 and ends[2] == 0:
        raise source_error(node.args[2], "range()'s step cannot be 0")
    return range(*ends)


def _check_variable(builder: Builder, target: ast.expr) -> str:
    if not isinstance(target, ast.Name):
        raise source_error(target, "a loop's variable is one name, like `for i in range(L):`")
    name = target.id
    if name in builder.loop_values or name in builder.loop_bindings:
        raise source_error(target, f"{name!r} is already the variable of an enclosing loop")
    builder.check_name(target, name)
    if name in builder.names or name in builder.numbers or name in builder.lists:
        raise source_error(target, f"{name!r} is already defined; a loop's variable needs a name of "
                             f"its own")
    return name


def _sequence(builder: Builder, node: ast.expr) -> range | list[str]:
    """What one loop variable runs over: a range's numbers, or a list's nodes."""
    if isinstance(node, ast.Name) and node.id in builder.lists:
        return builder.lists[node.id]
    return _range(builder, node)


def _passes(builder: Builder, stmt: ast.For) -> tuple[list[str], list[range | list[str]]]:
    """The loop's variables and what each runs over: `for i in range(L)`, `for w in W`,
    `for i, w in enumerate(W)`, `for w, b in zip(W, B)` (as long as the shortest)."""
    it, target = stmt.iter, stmt.target
    call = it.func.id if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) else ""
    if call in ("zip", "enumerate"):
        if it.keywords or not it.args or (call == "enumerate" and len(it.args) != 1):
            raise source_error(it, f"{call}() takes {'one list' if call == 'enumerate' else 'lists'}"
                             f" or ranges, like {call}(W{', B' if call == 'zip' else ''})")
        sequences = [_sequence(builder, a) for a in it.args]
        if call == "enumerate":
            sequences.insert(0, range(len(sequences[0])))
        if not isinstance(target, ast.Tuple) or len(target.elts) != len(sequences):
            raise source_error(target, f"this loop gives {len(sequences)} values per pass: name each, "
                                 f"like `for {', '.join('abcdefgh'[:len(sequences)])} in ...`")
        return [_check_variable(builder, t) for t in target.elts], sequences
    sequences = [_sequence(builder, it)]
    return [_check_variable(builder, target)], sequences


def _check_passes(builder: Builder, where: ast.AST, statements: int) -> None:
    """The statements loops and lists read again, counted before they are read: at most
    `UNROLLED` times the node limit (a statement that makes no node, `h = x`, is still read)."""
    builder.passes += statements
    limit = builder.limits.max_nodes
    if builder.passes > UNROLLED * limit:
        line, column = position(where)
        raise LimitError("max_nodes", limit, None,
                         f"(loops and lists read at most {UNROLLED} statements per node of "
                         f"the limit; the one at line {line}, column {column} would read "
                         f"{builder.passes})")


def _check_projection(builder: Builder, where: ast.AST, before: int, remaining: int) -> None:
    """After a loop's first pass: the nodes the remaining passes would make, counted before
    any of them is built (a named number's node is made on its first use only)."""
    made = builder.nodes[before:]
    per_pass = sum(1 for n in made if not (n.kind == "const" and n.named))
    projected = len(builder.nodes) + per_pass * remaining
    limit = builder.limits.max_nodes
    if projected > limit:
        line, column = position(where)
        raise LimitError("max_nodes", limit, projected,
                         f"(the loop at line {line}, column {column} would make "
                         f"{per_pass} nodes per pass, {per_pass * (remaining + 1)} in all)")


def read_for(builder: Builder, stmt: ast.For):
    """`for i in range(L):` — each pass read with `i` bound, in a group of its own. Returns
    the last assignment of the last pass, as `statement` does."""
    if stmt.orelse:
        raise source_error(stmt.orelse[0], "for … else is not part of the language")
    names, sequences = _passes(builder, stmt)
    passes = range(min(len(s) for s in sequences))
    for inner in stmt.body:
        if isinstance(inner, ast.With):
            raise source_error(inner, "a loop's passes are groups of their own (i=0, i=1, …): "
                                "write `with group(...)` around the loop, not inside it")
        if isinstance(inner, ast.FunctionDef):
            raise source_error(inner, "define functions outside loops")
    _check_passes(builder, stmt, len(passes) * len(stmt.body))
    if len(builder.group_path) >= MAX_GROUP_DEPTH:
        raise source_error(stmt, f"groups nest at most {MAX_GROUP_DEPTH} deep, and each pass of a "
                           f"loop is a group")
    if len(builder.group_at) + len(passes) > MAX_GROUPS:
        raise source_error(stmt, f"a source has at most {MAX_GROUPS} groups, and each pass of a "
                           f"loop is one: this loop would make {len(passes)} more")
    last = None
    try:
        for k in passes:
            for name, sequence in zip(names, sequences, strict=True):
                value = sequence[k]  # a number, or a node's id: the variable names that node
                (builder.loop_values if isinstance(sequence, range) else builder.names)[name] \
                    = value
                builder.loop_bindings[name] = str(value)
            group = " ".join(f"{v}={n}" for v, n in builder.loop_bindings.items())
            if group in builder.group_at:  # an earlier loop over the same variable
                group += f" (line {stmt.lineno})"
            if group in builder.group_at:
                line, column = position(builder.group_at[group])
                raise source_error(stmt, f"the group {group!r} of this loop's pass is already used "
                                   f"at line {line}, column {column}")
            before = len(builder.nodes)
            done = in_group(builder, group, stmt, stmt.body,
                            "a loop's body must compute or declare tensors")
            last = done if done is not None else last
            if k == 0:
                _check_projection(builder, stmt, before, len(passes) - 1)
    finally:
        for name in names:
            for bound in (builder.loop_values, builder.names, builder.loop_bindings):
                bound.pop(name, None)
    return last


def read_list(builder: Builder, name: str, comp: ast.ListComp, stmt: ast.stmt):
    """`W = [param(8, 8) for i in range(L)]`: one node per element, `W_0`, `W_1`, … Returns
    the last element, as `statement` does."""
    if len(comp.generators) != 1:
        raise source_error(comp, "a list is made by one `for`, like [param(8, 8) for i in range(L)]")
    generator = comp.generators[0]
    if generator.ifs or generator.is_async:
        raise source_error(comp, "a list's comprehension has no `if` and no `async`")
    variable = _check_variable(builder, generator.target)
    passes = _range(builder, generator.iter)
    if not passes:
        raise source_error(generator.iter, "a list holds at least one tensor")
    _check_passes(builder, comp, len(passes))
    elements = []
    try:
        for k, value in enumerate(passes):
            builder.loop_values[variable] = value
            nid = builder.element_id(name, k)
            before = len(builder.nodes)
            elt = comp.elt
            if isinstance(elt, ast.Call) and isinstance(elt.func, ast.Name) \
                    and elt.func.id in LEAVES:
                made = leaf(builder, nid, elt, stmt)
            else:
                made = builder.expr(elt, name=nid, line=stmt.lineno)
                if made != nid:
                    raise source_error(elt, "each element of a list is computed or declared, like "
                                      "[param(8, 8) for i in range(L)]; a name or a number "
                                      "only renames")
            elements.append(made)
            if k == 0:
                _check_projection(builder, comp, before, len(passes) - 1)
    finally:
        builder.loop_values.pop(variable, None)
    builder.lists[name] = elements
    return elements[-1], stmt


def element(builder: Builder, node: ast.Subscript) -> str:
    """`W[i]`, `W[0]`, `W[-1]`: the element's node."""
    elements = builder.lists[node.value.id]
    if isinstance(node.slice, (ast.Slice, ast.Tuple)):
        raise source_error(node.slice, f"{node.value.id} is a list: pick one element, like "
                                 f"{node.value.id}[i] or {node.value.id}[0]")
    index = whole(builder, node.slice)
    if index is None:
        raise source_error(node.slice, "a list's index is a constant whole number or a loop's "
                                 "variable, like W[i] or W[0]")
    if not -len(elements) <= index < len(elements):
        raise source_error(node.slice, f"{node.value.id}[{index}] is out of range: "
                                 f"{node.value.id} has {len(elements)} elements")
    return elements[index]
