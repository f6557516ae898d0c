"""The expression language: Python syntax -> Graph, through `ast` and a whitelist.

Nothing here is ever evaluated: every syntax node is checked against what the language allows
and turned into graph nodes by hand. Every error names the line and column and what was
expected. Shapes are inferred with the op registry's shape rules, so a mismatch is reported at
the expression that causes it, naming both shapes.
"""

from __future__ import annotations

import ast
import builtins
import re
from math import prod

from .errors import LimitError, SourceError
from .graph import Graph, Node
from .limits import Limits
from .ops import REGISTRY, ShapeError

#: leaf constructors and what they draw from the RandomState
LEAVES = {"input": "normal", "param": "normal", "onehot": "onehot", "bernoulli": "bernoulli"}
#: functions called by name, from the op registry: name -> keyword attributes allowed
FUNCTIONS = {op.name: tuple(op.attrs) for op in REGISTRY.values() if op.syntax == "call"}
#: operators, from the op registry's `syntax`
_BINARY = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "@": ast.MatMult}
BINOPS = {_BINARY[op.syntax]: op.name for op in REGISTRY.values() if op.syntax in _BINARY}
_BY_SYNTAX = {op.syntax: op.name for op in REGISTRY.values()}
POW, NEG, TRANSPOSE = _BY_SYNTAX["**"], _BY_SYNTAX["unary -"], _BY_SYNTAX[".T"]
#: names a user may not assign: the language's functions, Python builtins the generated
#: script uses, numpy's alias; `grad_` names are the gradients of the exported script
RESERVED = set(LEAVES) | set(FUNCTIONS) | set(dir(builtins)) | {"np"}
MAX_DEPTH = 60
_NOT_ALLOWED = {
    ast.Lambda: "lambdas", ast.Subscript: "subscripts (indexing)", ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.Compare: "comparisons", ast.BoolOp: "and/or",
    ast.IfExp: "conditional expressions", ast.List: "lists", ast.Tuple: "tuples",
    ast.Dict: "dicts", ast.Set: "sets", ast.JoinedStr: "strings", ast.NamedExpr: ":=",
    ast.Starred: "* unpacking", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


def parse(source: str, limits: Limits, numbers: dict[str, float] | None = None) -> Graph:
    """Build the graph of `source`; `numbers` are named numbers (a preset's parameters)."""
    if len(source) > limits.max_source_chars:
        raise LimitError("max_source_chars", limits.max_source_chars, len(source),
                         "(characters of source)")
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError as e:
        detail = e.msg if e.msg.startswith("invalid syntax") else f"invalid syntax: {e.msg}"
        raise SourceError(detail, e.lineno or 1, e.offset or 1) from None
    except (RecursionError, MemoryError, ValueError):
        raise SourceError("the source is nested too deeply or is not valid text", 1, 1) from None
    return _Builder(source, limits, numbers or {}).build(tree)


def _where(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1


def _error(node: ast.AST, message: str) -> SourceError:
    return SourceError(message, *_where(node))


def _is_number(value) -> bool:
    return type(value) in (int, float)


class _Builder:
    def __init__(self, source: str, limits: Limits, numbers: dict[str, float]):
        self.source = source
        self.limits = limits
        self.numbers = dict(numbers)
        self.nodes: list[Node] = []
        self.names: dict[str, str] = {}
        self.number_nodes: dict[str, str] = {}
        self.taken: set[str] = set(numbers)
        self.counter = 0

    # ----- statements -----

    def build(self, tree: ast.Module) -> Graph:
        if not tree.body:
            raise SourceError("the source is empty: expected assignments ending with the loss", 1, 1)
        for stmt in tree.body:
            for target in getattr(stmt, "targets", []):
                if isinstance(target, ast.Name):
                    self.taken.add(target.id)
        last = None
        for stmt in tree.body:
            last = self.statement(stmt)
        assert last is not None
        loss_id, stmt = last
        if loss_id is None:
            raise _error(stmt, "the last assignment is the loss and must be computed by an "
                               "operation, not a number")
        loss = next(n for n in self.nodes if n.id == loss_id)
        if loss.kind != "op":
            raise _error(stmt, f"the loss {loss_id!r} must be computed by an operation, "
                               f"not declared as a leaf")
        if loss.shape != ():
            raise _error(stmt, f"the loss {loss_id!r} must be a scalar, but its shape is "
                               f"{loss.shape}; wrap it in sum(...) or mean(...)")
        return Graph(self.nodes, loss_id, self.limits)

    def statement(self, stmt: ast.stmt):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            raise _error(stmt, "imports are not allowed; expected `name = expression`")
        if not isinstance(stmt, ast.Assign):
            kind = type(stmt).__name__.lower()
            raise _error(stmt, f"a {kind} statement is not part of the language; "
                               "expected `name = expression`")
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            raise _error(stmt, "expected one plain name on the left of `=` (like `h = x @ w1`)")
        name = stmt.targets[0].id
        self.check_name(stmt.targets[0], name)
        value = stmt.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                and value.func.id in LEAVES:
            return self.leaf(name, value, stmt), stmt
        number = self.constant_number(value)
        if number is not None:
            self.numbers[name] = number
            return None, stmt
        if isinstance(value, ast.Name):
            raise _error(value, f"`{name} = {value.id}` only renames; assign a computation")
        self.names[name] = self.expr(value, name=name, line=stmt.lineno)
        return name, stmt

    def check_name(self, target: ast.Name, name: str) -> None:
        if name.startswith("__"):
            raise _error(target, f"dunder names like {name!r} are not allowed")
        if name in RESERVED or name.startswith("grad_"):
            raise _error(target, f"{name!r} is reserved (a function, a Python builtin, or a "
                                 "gradient name); choose another name")
        if name in self.names or name in self.numbers:
            raise _error(target, f"{name!r} is already defined; each name is assigned once")

    # ----- leaves -----

    def leaf(self, name: str, call: ast.Call, stmt: ast.stmt) -> str:
        kind_fn = call.func.id
        dist = LEAVES[kind_fn]
        allowed = {"normal": ("scale", "value"), "onehot": (), "bernoulli": ()}[dist]
        kw = self.keywords(call, allowed)
        init: dict = {"dist": dist}
        if "value" in kw:
            if call.args or "scale" in kw:
                raise _error(call, f"{kind_fn}(value=...) takes no sizes and no scale")
            shape: tuple[int, ...] = ()
            init = {"dist": "value", "value": float(self.number_arg(kw["value"], "value"))}
        else:
            shape = tuple(self.size_arg(a) for a in call.args)
            if dist == "onehot" and len(shape) != 2:
                raise _error(call, f"onehot takes 2 sizes (rows, classes), got {len(shape)}")
            if "scale" in kw:
                init["scale"] = float(self.number_arg(kw["scale"], "scale"))
        self.check_size(call, shape)
        line, column = _where(stmt)
        kind = "param" if kind_fn == "param" else "input"
        self.nodes.append(Node(name, kind, name, shape, line, column, init=init, named=True))
        self.names[name] = name
        return name

    def keywords(self, call: ast.Call, allowed: tuple[str, ...]) -> dict[str, ast.expr]:
        out = {}
        for k in call.keywords:
            if k.arg is None:
                raise _error(k.value, "** keyword unpacking is not allowed")
            if k.arg not in allowed:
                what = ", ".join(f"{a}=" for a in allowed) or "no keywords"
                raise _error(k.value, f"{call.func.id}() takes {what}, not {k.arg}=")
            out[k.arg] = k.value
        for a in call.args:
            if isinstance(a, ast.Starred):
                raise _error(a, "* argument unpacking is not allowed")
        return out

    def constant_number(self, node: ast.expr):
        """A literal number, a negated one, or a named number; else None."""
        if isinstance(node, ast.Constant) and _is_number(node.value):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.constant_number(node.operand)
            if inner is not None:
                return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Name) and node.id in self.numbers:
            return self.numbers[node.id]
        return None

    def number_arg(self, node: ast.expr, what: str):
        value = self.constant_number(node)
        if value is None:
            raise _error(node, f"{what} must be a number")
        return value

    def size_arg(self, node: ast.expr) -> int:
        value = self.constant_number(node)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _error(node, "a size must be a positive whole number (like 64 or N)")
        return value

    def check_size(self, node: ast.AST, shape: tuple[int, ...]) -> None:
        size = prod(shape)
        if size > self.limits.max_tensor_elements:
            line, column = _where(node)
            raise LimitError("max_tensor_elements", self.limits.max_tensor_elements, size,
                             f"(a tensor of shape {shape} at line {line}, column {column})")

    # ----- expressions -----

    def expr(self, node: ast.expr, name: str | None = None, line: int = 1, depth: int = 0) -> str:
        if depth > MAX_DEPTH:
            raise _error(node, f"expression nested deeper than {MAX_DEPTH} levels")
        sub = lambda n: self.expr(n, line=line, depth=depth + 1)  # noqa: E731
        number = self.constant_number(node)
        if number is not None:
            return self.const(node, number)
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if node.id in LEAVES or node.id in FUNCTIONS:
                raise _error(node, f"{node.id} is a function; call it, like {node.id}(...)")
            raise _error(node, f"undefined name {node.id!r}; defined so far: "
                               f"{', '.join(self.names) or 'nothing'}")
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                p = self.constant_number(node.right)
                if p is None:
                    raise _error(node.right, "the exponent of ** must be a constant number")
                return self.op(node, POW, [sub(node.left)], {"p": float(p)}, name)
            op = BINOPS.get(type(node.op))
            if op is None:
                raise _error(node, f"the operator {type(node.op).__name__} is not allowed; "
                                   "use + - * / @ **")
            return self.op(node, op, [sub(node.left), sub(node.right)], {}, name)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return self.op(node, NEG, [sub(node.operand)], {}, name)
            if isinstance(node.op, ast.UAdd):
                return sub(node.operand)
            raise _error(node, "only unary - and + are allowed")
        if isinstance(node, ast.Attribute):
            if node.attr != "T":
                raise _error(node, f"attribute .{node.attr} is not allowed; only .T (transpose)")
            return self.op(node, TRANSPOSE, [sub(node.value)], {}, name)
        if isinstance(node, ast.Call):
            return self.call(node, name, sub)
        if isinstance(node, ast.Constant):
            what = "strings" if isinstance(node.value, (str, bytes)) else repr(node.value)
            raise _error(node, f"{what} are not allowed here; expected a number or an expression"
                         if what == "strings" else f"{what} is not allowed; expected a number")
        what = _NOT_ALLOWED.get(type(node), type(node).__name__)
        raise _error(node, f"{what} are not part of the language")

    def call(self, node: ast.Call, name: str | None, sub) -> str:
        if not isinstance(node.func, ast.Name):
            raise _error(node.func, "only plain function calls like relu(x) are allowed")
        fn = node.func.id
        if fn in LEAVES:
            raise _error(node, f"{fn}(...) declares a leaf and must be assigned to a name "
                               f"on its own, like `x = {fn}(...)`")
        if fn not in FUNCTIONS:
            raise _error(node.func, f"unknown function {fn!r}; known: "
                                    f"{', '.join(sorted(FUNCTIONS))}")
        kw = self.keywords(node, FUNCTIONS[fn])
        if len(node.args) != 1:
            raise _error(node, f"{fn}() takes 1 argument, got {len(node.args)}")
        attrs = dict(REGISTRY[fn].attrs)
        if "axis" in kw:
            axis = self.constant_number(kw["axis"])
            if not isinstance(axis, int):
                raise _error(kw["axis"], "axis must be a whole number")
            attrs["axis"] = axis
        if "keepdims" in kw:
            flag = kw["keepdims"]
            if not (isinstance(flag, ast.Constant) and isinstance(flag.value, bool)):
                raise _error(flag, "keepdims must be True or False")
            attrs["keepdims"] = flag.value
        return self.op(node, fn, [sub(node.args[0])], attrs, name)

    def op(self, node: ast.expr, op: str, inputs: list[str], attrs: dict, name: str | None):
        by_id = {n.id: n for n in self.nodes}
        shapes = [by_id[i].shape for i in inputs]
        label = self.segment(node)
        try:
            shape = tuple(REGISTRY[op].shape(*shapes, **attrs))
        except ShapeError as e:
            names = " and ".join(f"{by_id[i].label} {by_id[i].shape}" for i in inputs)
            raise _error(node, f"cannot compute {label}: {e} (inputs: {names})") from None
        self.check_size(node, shape)
        nid = name or self.fresh()
        line, column = _where(node)
        self.nodes.append(Node(nid, "op", name or label, shape, line, column, op=op,
                               inputs=tuple(inputs), attrs=attrs, named=name is not None,
                               expr=label))
        return nid

    def const(self, node: ast.expr, value) -> str:
        if isinstance(node, ast.Name):
            if node.id not in self.number_nodes:
                line, column = _where(node)
                self.nodes.append(Node(node.id, "const", node.id, (), line, column,
                                       init={"dist": "value", "value": float(value)}, named=True))
                self.number_nodes[node.id] = node.id
            return self.number_nodes[node.id]
        nid = self.fresh()
        line, column = _where(node)
        self.nodes.append(Node(nid, "const", self.segment(node), (), line, column,
                               init={"dist": "value", "value": float(value)}))
        return nid

    def fresh(self) -> str:
        while True:
            self.counter += 1
            nid = f"tmp{self.counter}"
            if nid not in self.taken:
                return nid

    def segment(self, node: ast.expr) -> str:
        text = ast.get_source_segment(self.source, node) or type(node).__name__
        return re.sub(r"\s+", " ", text).strip()
