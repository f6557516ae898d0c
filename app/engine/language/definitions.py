"""Definitions in the source: `def name(x): return …` and `def name_backward(g, out, x): …`.

The language (parser.py) hands each `def` statement and each call of a defined name here. A
definition's form is checked when it is read; its body is built per call, for the call's
shapes, by a builder of the same language that knows the named numbers and the earlier
definitions. A body is built once per argument shapes and reused by every call (a
definition that calls an earlier one twice costs two nodes to build, not two bodies), and
definitions nest at most MAX_NESTING deep. The first call makes the op (custom.py); its
hand-written backward is checked when the run is built, inside the compute budget (run.py).
A definition never reaches itself, not through its backward either.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from app.engine.core.errors import SourceError, position, source_error
from app.engine.core.graph import Graph, Node
from app.engine.language.custom import Definition, make_op
from app.engine.language.sourcetext import segment
from app.engine.language.vocabulary import RESERVED
from app.engine.ops.registry import REGISTRY
from app.engine.presenter.codegen import definition_functions

if TYPE_CHECKING:
    from app.engine.language.parser import Builder

#: definitions calling definitions, at most this deep (each level is a body inside a body)
MAX_NESTING = 32


def define(builder: Builder, stmt: ast.FunctionDef) -> None:
    """Check a definition's form and record it (its body is built per call, for the call's
    shapes)."""
    name = stmt.name
    if stmt.decorator_list or stmt.returns is not None or getattr(stmt, "type_params", None):
        raise source_error(stmt, f"def {name}: decorators and annotations are not part of the language")
    a = stmt.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults or a.kw_defaults:
        raise source_error(stmt, f"def {name}: plain arguments only (no defaults, *args, **kwargs)")
    if any(arg.annotation is not None for arg in a.args):
        raise source_error(stmt, f"def {name}: annotations are not part of the language")
    args = [arg.arg for arg in a.args]
    if len(stmt.body) != 1 or not isinstance(stmt.body[0], ast.Return) \
            or stmt.body[0].value is None:
        where = stmt.body[1] if len(stmt.body) > 1 else stmt.body[0]
        raise source_error(where, f"def {name}: the body is one statement, `return expression`")
    body = stmt.body[0].value
    base = name.removesuffix("_backward") if name.endswith("_backward") else None
    _check_def_name(builder, stmt, name, is_backward=base is not None and base in builder.defs)
    if len(args) != len(set(args)):
        raise source_error(stmt, f"def {name}: each argument is named once")
    for arg in args:
        if arg in RESERVED or arg.startswith("__") or arg in builder.defs:
            raise source_error(stmt, f"def {name}: {arg!r} cannot name an argument (a function of "
                               f"the language or a reserved name)")
    called = {n.func.id for n in ast.walk(body)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    if name in called:
        raise source_error(stmt, f"def {name} calls itself: recursion is not part of the language")
    later = sorted(c for c in called if c in builder.def_names and c not in builder.defs)
    if later:
        raise source_error(stmt, f"def {name} calls {', '.join(later)}, defined later: define a "
                           f"function before the functions that call it")
    read = {n.id for n in ast.walk(body) if isinstance(n, ast.Name)}
    if base is not None and base in builder.defs:
        _define_backward(builder, stmt, base, args, body, read)
        return
    calls = {c for c in called if c in builder.defs}
    unused = [arg for arg in args if arg not in read]
    if not args or unused:
        raise source_error(stmt, f"def {name}: every argument must be used"
                     + (f" ({', '.join(unused)} is not)" if unused else " (it has none)"))
    builder.defs[name] = Definition(name, args,
                                    _instantiator(builder, stmt, args, [body], backward=False),
                                    calls=calls)


def _check_def_name(builder: Builder, stmt: ast.FunctionDef, name: str, is_backward: bool):
    if name.startswith("__") or name in RESERVED or name in REGISTRY:
        raise source_error(stmt, f"def {name}: {name!r} is a function of the language or a reserved "
                           f"name; choose another name")
    if name in builder.defs or name in builder.taken or name in builder.names \
            or name in builder.numbers:
        raise source_error(stmt, f"def {name}: {name!r} is already a variable or a function; "
                           f"choose another name")
    for prefix, what in (("grad_", "the gradients"), ("dot_", "forward mode's tangents")):
        if name.startswith(prefix):
            raise source_error(stmt, f"def {name}: names starting with {prefix} are {what} of the "
                               f"exported script; choose another name")
    if not is_backward:
        arity = len(stmt.args.args)
        clash = sorted(
            other for other, d in builder.defs.items()
            if name in definition_functions(other, len(d.args))
            or other in definition_functions(name, arity))
        if clash:
            raise source_error(stmt, f"def {name}: the exported script names {clash[0]}'s backward, "
                               f"VJP and JVPs {clash[0]}_backward, {clash[0]}_vjp, "
                               f"{clash[0]}_jvp_0 …; choose a name apart from them")
    if name.endswith("_backward") and not is_backward:
        raise source_error(stmt, f"def {name}: a backward comes after the function it is for "
                           f"(def {name.removesuffix('_backward')}(...) first)")


def _define_backward(builder: Builder, stmt: ast.FunctionDef, base: str, args: list[str],
                     body: ast.expr, read: set[str]) -> None:
    d = builder.defs[base]
    if d.has_backward:
        raise source_error(stmt, f"{base} has a backward already")
    if base in builder.called:
        raise source_error(stmt, f"def {stmt.name} comes after a call of {base}: define the backward "
                           f"before the function is first called")
    if len(args) != 2 + len(d.args):
        raise source_error(stmt, f"def {stmt.name} takes (g, out, {', '.join(d.args)}): the upstream "
                           f"gradient, the output, then {base}'s {len(d.args)} argument(s); it "
                           f"has {len(args)}")
    returns = list(body.elts) if isinstance(body, ast.Tuple) else [body]
    if len(returns) != len(d.args):
        raise source_error(body, f"{stmt.name} returns {len(returns)} gradient(s); {base} has "
                           f"{len(d.args)} argument(s): return one gradient per argument "
                           f"(a tuple for several)")
    calls = [n for n in ast.walk(body) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id in builder.defs]
    for call in calls:
        if base in _reached(builder, call.func.id):
            via = "" if call.func.id == base else f" (through {call.func.id})"
            raise source_error(call, f"{stmt.name} calls {base}{via}, whose backward is this one: "
                               f"recursion is not part of the language; write the gradient "
                               f"with ops and earlier functions")
    d.calls |= {call.func.id for call in calls}
    d.backward_args = args
    d.instantiate_backward = _instantiator(builder, stmt, args, returns, backward=True)
    d.backward_text = [segment(builder, r) for r in returns]
    d.backward_reads = read


def _reached(builder: Builder, name: str) -> set[str]:
    """The definitions `name` reaches through its body and its backward, itself included."""
    seen, stack = set(), [name]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(builder.defs[current].calls)
    return seen


def _instantiator(builder: Builder, stmt: ast.FunctionDef, args: list[str],
                  returns: list[ast.expr], backward: bool):
    """(shapes) -> the body's graph for arguments of those shapes, built by a builder that
    knows the named numbers and earlier definitions; a backward's comes with the nodes it
    returns, one per argument of its function. Built once per shapes."""
    numbers = dict(builder.numbers)
    defs = dict(builder.defs)
    line, column = position(stmt)
    built: dict[tuple, object] = {}

    def once(shapes):
        shapes = tuple(tuple(s) for s in shapes)
        if shapes not in built:
            built[shapes] = instantiate(shapes)
        return built[shapes]

    def instantiate(shapes):
        depth = getattr(builder, "nesting", 0) + 1
        if depth > MAX_NESTING:
            raise source_error(stmt, f"definitions nested more than {MAX_NESTING} deep "
                               f"(a function calling a function … calling {stmt.name})")
        # an argument shadows a named number of the same name (as in Python)
        sub = type(builder)(builder.source, builder.limits,
                            {k: v for k, v in numbers.items() if k not in args})
        sub.defs, sub.custom, sub.def_names = defs, builder.custom, builder.def_names
        sub.called, sub.nesting = builder.called, depth
        for arg, shape in zip(args, shapes, strict=True):
            sub.nodes.append(Node(arg, "input", arg, tuple(shape), line, column,
                                  init={"dist": "value", "value": 0.0}, named=True))
            sub.names[arg] = arg
        sub.taken.update(args)
        outputs = [sub.expr(r, line=r.lineno) for r in returns]
        if backward:
            return Graph(sub.nodes, outputs[-1], builder.limits, custom=builder.custom,
                         outputs=outputs), outputs
        if sub.nodes[-1].id != outputs[0] or sub.nodes[-1].kind != "op":
            raise source_error(returns[0], f"def {stmt.name} must compute something from its "
                                     f"arguments, not return one of them or a number")
        return Graph(sub.nodes, outputs[0], builder.limits, custom=builder.custom)

    return once


def custom_call(builder: Builder, node: ast.Call, fn: str, name: str | None, sub) -> str:
    d = builder.defs[fn]
    if node.keywords:
        raise source_error(node, f"{fn}() takes no keywords")
    if len(node.args) != len(d.args):
        raise source_error(node, f"{fn}() takes {len(d.args)} argument(s) ({', '.join(d.args)}), "
                           f"got {len(node.args)}")
    inputs = [sub(a) for a in node.args]
    by_id = {n.id: n for n in builder.nodes}
    shapes = tuple(by_id[i].shape for i in inputs)
    line = node.lineno
    try:
        graph = _instantiate(builder, node, d, shapes)
        if d.has_backward:
            out_shape = graph.nodes[graph.loss].shape
            bgraph, outputs = d.instantiate_backward((out_shape, out_shape, *shapes))
            for arg, o, shape in zip(d.args, outputs, shapes, strict=True):
                got = bgraph.nodes[o].shape
                if got != shape:
                    raise SourceError(f"{fn}_backward returns a gradient of shape {got} for "
                                      f"{arg}, whose shape is {shape}", bgraph.nodes[o].line,
                                      bgraph.nodes[o].column)
    except SourceError as e:
        raise SourceError(f"in {fn}(...) called at line {line}: {e.detail}", e.line,
                          e.column) from None
    if fn not in builder.custom:
        helpers = tuple(dict.fromkeys(h for n in graph.ops for h in graph.op(n.id).helpers))
        builder.custom[fn] = make_op(d, shapes, helpers)
        d.shapes = shapes
    builder.called.add(fn)
    return builder.op(node, fn, inputs, {}, name)



def _instantiate(builder: Builder, node: ast.Call, d: Definition, shapes: tuple) -> Graph:
    """The body of `d` for `shapes`; the outermost call turns a stack too deep for Python
    (bodies nested in bodies, each with deep expressions) into a SourceError."""
    if getattr(builder, "nesting", 0):
        return d.instantiate(shapes)
    try:
        return d.instantiate(shapes)
    except RecursionError:
        raise source_error(node, f"{d.name}(...): definitions and expressions nested too deeply "
                           f"to build; flatten them") from None
