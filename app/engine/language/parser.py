"""The expression language: Python syntax -> Graph, through `ast` and a whitelist.

Nothing here is ever evaluated: every syntax node is checked against what the language allows
and turned into graph nodes by hand. Every error names the line and column and what was
expected. Shapes are inferred with the op registry's shape rules, so a mismatch is reported at
the expression that causes it, naming both shapes.

Here: the statements, the names they assign, expressions and the op they make. Beside it, each
with a Builder: leaves.py (the leaves declared), calls.py (a call, with attributes.py,
torchforms.py, masks.py and definitions.py), indexing.py, numbers.py (constants), unroll.py
(loops and lists), groups.py, assignments.py, spellings.py (numpy's and PyTorch's names).
"""

from __future__ import annotations

import ast
import re

from app.engine.core.errors import LimitError, SourceError, position, source_error
from app.engine.core.graph import Graph, Node
from app.engine.core.limits import Limits
from app.engine.core.shapes import ShapeError
from app.engine.language.assignments import augmented, numbers_unpacked
from app.engine.language.calls import call
from app.engine.language.custom import Definition
from app.engine.language.definitions import define
from app.engine.language.groups import check_group_names, read_group
from app.engine.language.indexing import index
from app.engine.language.labels import versioned_text
from app.engine.language.leaves import check_whole, leaf
from app.engine.language.numbers import check_size, constant_number
from app.engine.language.repeats import with_found_groups
from app.engine.language.sourcetext import segment
from app.engine.language.spellings import spelled
from app.engine.language.unroll import read_for, read_list
from app.engine.language.vocabulary import (
    FUNCTIONS,
    LEAVES,
    MAX_AXES,
    MAX_DEPTH,
    MODULES,
    NOT_ALLOWED,
    RESERVED,
    RESERVED_PREFIXES,
)
from app.engine.ops.registry import REGISTRY, Op

#: operators, from the op registry's `syntax`
_BINARY = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "@": ast.MatMult}
BINOPS = {_BINARY[op.syntax]: op.name for op in REGISTRY.values() if op.syntax in _BINARY}
_BY_SYNTAX = {op.syntax: op.name for op in REGISTRY.values()}
MATMUL, MATMUL_ND = _BY_SYNTAX["@"], _BY_SYNTAX["@ (vectors, batches)"]
POW, NEG, TRANSPOSE = _BY_SYNTAX["**"], _BY_SYNTAX["unary -"], _BY_SYNTAX[".T"]
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(source: str) -> None:
    """SourceError at the first lone surrogate (`\\ud800`): a JSON string may hold one, but
    it is not a character, and no UTF-8 (an id, a response, the script) can carry it."""
    bad = _SURROGATE.search(source)
    if bad is not None:
        start = bad.start()
        line = source.count("\n", 0, start) + 1
        column = start - (source.rfind("\n", 0, start) + 1) + 1
        raise SourceError(f"a lone surrogate (\\u{ord(bad.group()):04x}) is not a character; "
                          "the source must be Unicode text", line, column)


def parse(source: str, limits: Limits, numbers: dict[str, float] | None = None) -> Graph:
    """Build the graph of `source`; `numbers` are named numbers (a preset's parameters)."""
    if len(source) > limits.max_source_chars:
        raise LimitError("max_source_chars", limits.max_source_chars, len(source),
                         "(characters of source)")
    check_text(source)
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as e:
        detail = e.msg if e.msg.startswith("invalid syntax") else f"invalid syntax: {e.msg}"
        raise SourceError(detail, e.lineno or 1, e.offset or 1) from None
    except (RecursionError, MemoryError, ValueError):
        raise SourceError("the source is nested too deeply or is not valid text", 1, 1) from None
    return Builder(source, limits, numbers or {}).build(tree)


def _statements(body: list[ast.stmt]):
    """Every statement, those inside `with` blocks and loops too (a loop: nesting has no
    depth limit before the group check)."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, (ast.With, ast.For)):
            stack.extend(reversed(stmt.body))


def _assigned(stmt: ast.stmt):
    """The names a statement assigns: its targets (a tuple's too), a loop's variable, a
    comprehension's."""
    targets = [*getattr(stmt, "targets", []), getattr(stmt, "target", None)]
    if isinstance(getattr(stmt, "value", None), ast.ListComp):
        targets += [g.target for g in stmt.value.generators]
    for target in targets:
        for node in target.elts if isinstance(target, ast.Tuple) else [target]:
            if isinstance(node, ast.Name):
                yield node.id


class Builder:
    def __init__(self, source: str, limits: Limits, numbers: dict[str, float]):
        self.source = source
        #: the source's lines, each with its line ending (split on the first `segment`)
        self.lines: list[str] | None = None
        self.limits = limits
        self.numbers = dict(numbers)
        self.nodes: list[Node] = []
        self.names: dict[str, str] = {}
        self.number_nodes: dict[str, str] = {}
        self.taken: set[str] = set(numbers)
        self.counter = 0
        #: the source's definitions by name, and the ops made of them (shared with the
        #: builders of their bodies, so a definition may call an earlier one)
        self.defs: dict[str, Definition] = {}
        self.custom: dict[str, Op] = {}
        #: every name a `def` of the source defines, and the forward ops already called
        self.def_names: set[str] = set()
        self.called: set[str] = set()
        #: the `with group` blocks around the statement being read, outermost first, and
        #: where each group was opened
        self.group_path: tuple[str, ...] = ()
        self.group_at: dict[str, ast.AST] = {}
        #: how many times each tensor's name was assigned (`h = relu(h)` makes h_2)
        self.versions: dict[str, int] = {}
        #: lists of tensors by name (`W = [param(8, 8) for i in range(L)]`): their nodes
        self.lists: dict[str, list[str]] = {}
        #: the variables of the loops being read (and of a comprehension), with their values
        self.loop_values: dict[str, int] = {}
        #: the variables of the loops being read, as their passes' groups name them (`i=3`,
        #: `w=W_3`: a loop over a list binds its variable to a node)
        self.loop_bindings: dict[str, str] = {}
        #: statements loops and lists read so far (unroll.py bounds them)
        self.passes = 0

    # ----- statements -----

    def build(self, tree: ast.Module) -> Graph:
        if not tree.body:
            raise SourceError("the source is empty: expected assignments ending with the loss", 1, 1)
        for stmt in _statements(tree.body):
            self.taken.update(_assigned(stmt))
            if isinstance(stmt, ast.FunctionDef):
                self.def_names.add(stmt.name)
        last = None
        for stmt in tree.body:
            done = self.statement(stmt)
            last = done if done is not None else last
        if last is None:
            raise SourceError("the source defines functions but assigns nothing: expected "
                              "assignments ending with the loss", 1, 1)
        loss_id, stmt = last
        if loss_id is None:
            raise source_error(stmt, "the last assignment is the loss and must be computed by an "
                               "operation, not a number or another name")
        loss = next(n for n in self.nodes if n.id == loss_id)
        if loss.kind != "op":
            raise source_error(stmt, f"the loss {loss_id!r} must be computed by an operation, "
                               f"not declared as a leaf")
        if loss.shape != ():
            raise source_error(stmt, f"the loss {loss_id!r} must be a scalar, but its shape is "
                               f"{loss.shape}; wrap it in sum(...) or mean(...)")
        found: list[str] = []
        if self.group_at:
            check_group_names(self)
        else:
            self.nodes, found = with_found_groups(self.nodes)
        graph = Graph(self.nodes, loss_id, self.limits, custom=self.custom)
        graph.definitions = list(self.defs.values())
        graph.found_groups = found
        return graph

    def statement(self, stmt: ast.stmt):
        if isinstance(stmt, ast.With):
            return read_group(self, stmt)
        if isinstance(stmt, ast.FunctionDef):
            if self.group_path:
                raise source_error(stmt, "define functions outside any `with group(...)` block")
            define(self, stmt)
            return None
        if isinstance(stmt, ast.For):
            return read_for(self, stmt)
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            raise source_error(stmt, "imports are not allowed; np., torch. and F. are known without "
                               "them; expected `name = expression`")
        if isinstance(stmt, ast.AugAssign):
            stmt = augmented(self, stmt)
        if not isinstance(stmt, ast.Assign):
            kind = type(stmt).__name__.lower()
            raise source_error(stmt, f"a {kind} statement is not part of the language; "
                               "expected `name = expression`")
        if any(isinstance(t, ast.Subscript) for t in stmt.targets):
            raise source_error(stmt, "assignment to a subscript (x[0] = …) is not part of the "
                               "language: every value is computed once")
        if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Tuple):
            return numbers_unpacked(self, stmt)
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            raise source_error(stmt, "expected one plain name on the left of `=` (like `h = x @ w1`)")
        target = stmt.targets[0]
        name = target.id
        self.check_name(target, name)
        value = stmt.value
        number = constant_number(self, value)
        if number is not None:
            self.check_number(target, name)
            self.numbers[name] = number
            return None, stmt
        if name in self.numbers or name in self.lists:
            kind = "a named number" if name in self.numbers else "a list"
            raise source_error(target, f"{name!r} is {kind} and is assigned once; only a tensor's "
                                 f"name may be assigned again")
        if isinstance(value, ast.ListComp):
            if name in self.names:
                raise source_error(target, f"{name!r} is a tensor; a list needs a name of its own")
            return read_list(self, name, value, stmt)
        if isinstance(value, ast.Name) and value.id in self.names:
            # `h = x`, as before a loop: h names x's node (the loss cannot be a name)
            self.names[name] = self.names[value.id]
            return None, stmt
        nid = self.next_id(name)
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                and value.func.id in LEAVES:
            self.names[name] = leaf(self, nid, value, stmt)
            return nid, stmt
        made = self.expr(value, name=nid, line=stmt.lineno)
        if made != nid:  # `loss = +x`: a unary plus changes nothing
            raise source_error(value, f"`{name} = {segment(self, value)}` only renames; assign a "
                                f"computation")
        self.names[name] = nid
        return nid, stmt

    def next_id(self, name: str) -> str:
        """The node id of `name`'s next assignment: `h` first, then `h_2`, `h_3`, … (with `_`
        appended while the source uses that name itself)."""
        version = self.versions.get(name, 0) + 1
        self.versions[name] = version
        return name if version == 1 else self.unused(f"{name}_{version}")

    def element_id(self, name: str, index: int) -> str:
        """The node id of a list's element: `W_0` is W[0] (with `_` appended while the
        source uses that name itself)."""
        return self.unused(f"{name}_{index}")

    def unused(self, nid: str) -> str:
        while nid in self.taken:
            nid += "_"
        self.taken.add(nid)
        return nid

    def check_number(self, target: ast.Name, name: str) -> None:
        if name in self.names or name in self.numbers or name in self.lists:
            raise source_error(target, f"{name!r} is already defined; a named number is assigned "
                                 f"once")
        if self.loop_bindings:
            raise source_error(target, "named numbers are assigned outside loops (a loop's passes "
                                 "would assign them again)")

    def check_name(self, target: ast.Name, name: str) -> None:
        if name.startswith("__"):
            raise source_error(target, f"dunder names like {name!r} are not allowed")
        if name in RESERVED:
            why = ("a function of the language" if name in LEAVES or name in FUNCTIONS else
                   "a module prefix, as in F.relu(x)" if name in MODULES - {"np"} else
                   "a name the exported numpy script uses (a Python builtin or numpy's np)")
            raise source_error(target, f"{name!r} is reserved: {why}; choose another name")
        for prefix, why in RESERVED_PREFIXES.items():
            if name.startswith(prefix):
                raise source_error(target, f"{name!r} is reserved: names starting with {prefix} are "
                                     f"{why}; choose another name")
        if name in self.loop_values or name in self.loop_bindings:
            raise source_error(target, f"{name!r} is the variable of a loop; choose another name")

    # ----- a call's keywords (leaves.py and calls.py read them) -----

    def keywords(self, call: ast.Call, allowed: tuple[str, ...]) -> dict[str, ast.expr]:
        out = {}
        for k in call.keywords:
            if k.arg is None:
                raise source_error(k.value, "** keyword unpacking is not allowed")
            if k.arg not in allowed:
                what = ", ".join(f"{a}=" for a in allowed) or "no keywords"
                raise source_error(k.value, f"{call.func.id}() takes {what}, not {k.arg}=")
            out[k.arg] = k.value
        for a in call.args:
            if isinstance(a, ast.Starred):
                raise source_error(a, "* argument unpacking is not allowed")
        return out

    # ----- expressions -----

    def expr(self, node: ast.expr, name: str | None = None, line: int = 1, depth: int = 0) -> str:
        if depth > MAX_DEPTH:
            raise source_error(node, f"expression nested deeper than {MAX_DEPTH} levels")
        sub = lambda n: self.expr(n, line=line, depth=depth + 1)  # noqa: E731
        number = constant_number(self, node)
        if number is not None:
            return self.const(node, number)
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if node.id in self.lists:
                raise source_error(node, f"{node.id} is a list of {len(self.lists[node.id])} tensors: "
                                   f"pick one, like {node.id}[i] or {node.id}[0]")
            if node.id in LEAVES or node.id in FUNCTIONS or node.id in self.defs:
                raise source_error(node, f"{node.id} is a function; call it, like {node.id}(...)")
            raise source_error(node, f"undefined name {node.id!r}; defined so far: "
                               f"{', '.join(self.names) or 'nothing'}")
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                p = constant_number(self, node.right)
                if p is None:  # a tensor exponent: x ** y, 2 ** x
                    return self.op(node, FUNCTIONS["pow"], [sub(node.left), sub(node.right)],
                                   {}, name)
                return self.op(node, POW, [sub(node.left)], {"p": float(p)}, name)
            op = BINOPS.get(type(node.op))
            if op is None:
                raise source_error(node, f"the operator {type(node.op).__name__} is not allowed; "
                                   "use + - * / @ **")
            return self.op(node, op, [sub(node.left), sub(node.right)], {}, name)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return self.op(node, NEG, [sub(node.operand)], {}, name)
            if isinstance(node.op, ast.UAdd):  # changes nothing: the operand keeps the name
                return self.expr(node.operand, name=name, line=line, depth=depth + 1)
            raise source_error(node, "only unary - and + are allowed")
        if isinstance(node, ast.Attribute):
            if node.attr != "T":
                raise source_error(node, f"attribute .{node.attr} is not allowed; only .T (transpose)")
            return self.op(node, TRANSPOSE, [sub(node.value)], {}, name)
        if isinstance(node, ast.Call):
            normal = spelled(self, node)  # np.exp(x), x.sum(axis=1), x.dot(w): the same op
            if normal is not node:
                return self.expr(normal, name=name, line=line, depth=depth + 1)
            return call(self, node, name, sub)
        if isinstance(node, ast.Subscript):
            return index(self, node, name, sub)
        if isinstance(node, ast.Constant):
            what = "strings" if isinstance(node.value, (str, bytes)) else repr(node.value)
            raise source_error(node, f"{what} are not allowed here; expected a number or an expression"
                         if what == "strings" else f"{what} is not allowed; expected a number")
        if isinstance(node, ast.ListComp):
            raise source_error(node, "a list is assigned to a name on its own, like `W = [param(8, 8) "
                               "for i in range(L)]`, and its elements picked, like W[i]")
        what = NOT_ALLOWED.get(type(node), type(node).__name__)
        raise source_error(node, f"{what} are not part of the language")

    def op(self, node: ast.expr, op: str, inputs: list[str], attrs: dict, name: str | None):
        by_id = {n.id: n for n in self.nodes}
        shapes = [by_id[i].shape for i in inputs]
        label = segment(self, node)
        try:
            if op == MATMUL and any(len(s) != 2 for s in shapes):
                op = MATMUL_ND  # vectors and batches: numpy's matmul rules
            rule = self.custom[op] if op in self.custom else REGISTRY[op]
            shape = tuple(rule.shape(*shapes, **attrs))
        except ShapeError as e:
            names = " and ".join(f"{by_id[i].label} {by_id[i].shape}" for i in inputs)
            raise source_error(node, f"cannot compute {label}: {e} (inputs: {names})") from None
        check_whole(self, node, op, [by_id[i] for i in inputs])  # cross_entropy's, embedding's
        if len(shape) > MAX_AXES:  # a reshape or a stack may add axes past numpy's limit
            raise source_error(node, f"a tensor has at most {MAX_AXES} axes; {label} would have "
                               f"{len(shape)}")
        check_size(self, node, shape)
        nid = name or self.fresh()
        line, column = position(node)
        # the text names the versions it reads (`h_2 @ W_1`); `c += e` is written c_2 + (e)
        text = getattr(node, "written", None) or versioned_text(self, node, label)
        self.nodes.append(Node(nid, "op", name or text, shape, line, column, op=op,
                               inputs=tuple(inputs), attrs=attrs, named=name is not None,
                               expr=text))
        return nid

    def const(self, node: ast.expr, value, label: str | None = None) -> str:
        if isinstance(node, ast.Name) and node.id not in self.loop_values:
            if node.id not in self.number_nodes:
                line, column = position(node)
                self.nodes.append(Node(node.id, "const", node.id, (), line, column,
                                       init={"dist": "value", "value": float(value)}, named=True))
                self.number_nodes[node.id] = node.id
            return self.number_nodes[node.id]
        nid = self.fresh()
        line, column = position(node)
        # a loop's variable is its pass's number
        label = label or (str(value) if isinstance(node, ast.Name) else segment(self, node))
        self.nodes.append(Node(nid, "const", label, (), line, column,
                               init={"dist": "value", "value": float(value)}))
        return nid

    def fresh(self) -> str:
        while True:
            self.counter += 1
            nid = f"tmp{self.counter}"
            if nid not in self.taken:
                return nid
