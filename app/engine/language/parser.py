"""The expression language: Python syntax -> Graph, through `ast` and a whitelist.

Nothing here is ever evaluated: every syntax node is checked against what the language allows
and turned into graph nodes by hand. Every error names the line and column and what was
expected. Shapes are inferred with the op registry's shape rules, so a mismatch is reported at
the expression that causes it, naming both shapes.
"""

from __future__ import annotations

import ast
import math
import re
import sys
from math import prod

from app.engine.core.errors import LimitError, SourceError, position, source_error
from app.engine.core.graph import Graph, Node
from app.engine.core.limits import Limits
from app.engine.language.assignments import augmented, numbers_unpacked
from app.engine.language.custom import Definition
from app.engine.language.definitions import custom_call, define
from app.engine.language.groups import check_group_names, read_group
from app.engine.language.labels import versioned_text
from app.engine.language.masks import drawn_call
from app.engine.language.repeats import with_found_groups
from app.engine.language.spellings import MODULES, SPELLINGS, spelled
from app.engine.language.torchforms import batch_norm_form, optional_call
from app.engine.language.unroll import element, read_for, read_list, whole
from app.engine.language.vocabulary import FUNCTIONS, LEAVES, MAX_DEPTH, RESERVED, RESERVED_PREFIXES
from app.engine.ops import REGISTRY, VARIADIC, Op, ShapeError

#: operators, from the op registry's `syntax`
_BINARY = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "@": ast.MatMult}
BINOPS = {_BINARY[op.syntax]: op.name for op in REGISTRY.values() if op.syntax in _BINARY}
_BY_SYNTAX = {op.syntax: op.name for op in REGISTRY.values()}
MATMUL, MATMUL_ND, INDEX = _BY_SYNTAX["@"], _BY_SYNTAX["@ (vectors, batches)"], _BY_SYNTAX["x[…]"]
POW, NEG, TRANSPOSE = _BY_SYNTAX["**"], _BY_SYNTAX["unary -"], _BY_SYNTAX[".T"]
#: tensors one concatenate or stack joins at most
MAX_PARTS = 64
#: axes of a tensor at most (numpy's own limit is 64 in numpy 2, 32 before)
MAX_AXES = 32
#: attributes that are a whole number or a pair of them (the shape rules hold their limits)
_WINDOW_ATTRS = ("kernel_size", "stride", "padding", "dilation")
#: the largest magnitude a number of the language may have: a float's
MAX_NUMBER = sys.float_info.max
_SURROGATE = re.compile("[\ud800-\udfff]")
#: line endings as `ast` counts lines (not a form feed)
_LINE_ENDS = re.compile(r"(\r\n|\n|\r)")
_NOT_ALLOWED = {
    ast.Lambda: "lambdas", ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.Compare: "comparisons", ast.BoolOp: "and/or",
    ast.IfExp: "conditional expressions", ast.List: "lists", ast.Tuple: "tuples",
    ast.Dict: "dicts", ast.Set: "sets", ast.JoinedStr: "strings", ast.NamedExpr: ":=",
    ast.Starred: "* unpacking", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


#: ops that read whole numbers: op -> (their role, the leaf they must be, the other input
#: and its verb, its axis that the count of classes may not pass, what that axis counts)
_WHOLE = {"cross_entropy": ("labels", "labels(N, C) leaf (one class index per row)",
                            "logits", "have", 1, "columns"),
          "embedding": ("ids", "labels(…, V) leaf (whole numbers 0 … V-1, like ids = "
                        "labels(B, T, V))", "table", "has", 0, "rows")}

_WRITTEN = {"+": "`a + b`", "-": "`a - b`", "*": "`a * b`", "/": "`a / b`",
            "@": "`A @ B` (2-D)", "**": "`a ** 3` (a constant exponent)", "unary -": "`-a`",
            ".T": "`a.T`", "@ (vectors, batches)": "`a @ b` (1-D or batched)",
            "x[…]": "`x[0]`, `x[:, 1:3]`, `x[::2]`"}


def ops_table() -> str:
    """Every op of the registry as a Markdown table: how it is written in the language, the
    names numpy and PyTorch give it (spellings.py), and how it routes the gradient (the
    registry's sentence). The README holds this table."""
    rows = ["| op | written | also, after `np.`, `torch.`, `F.` or as a method | "
            "how it routes the gradient |", "|---|---|---|---|"]
    for name, op in REGISTRY.items():
        written = [_WRITTEN[op.syntax]] if op.syntax in _WRITTEN else []
        attrs = {k: v for k, v in op.attrs.items()  # pow's p is written `** p`
                 if k not in ("n", "key", "shape", op.positional) and (k, op.syntax) != ("p", "**")}
        for call in (f for f, n in FUNCTIONS.items() if n == name):
            if op.arity == VARIADIC:
                written.append(f"`{call}([a, b, …], axis=0)`")
            elif op.positional and op.positional_at is None:
                written.append(f"`{call}(x, (2, 3))`")
            else:
                tensors = op.arity - len(op.optional) - op.drawn  # dropout: its mask is drawn
                args = [*"abcd"[:tensors], *(k for k, _ in op.optional)]
                if op.positional_at is not None:  # layer_norm(a, (d,), weight, bias)
                    args.insert(op.positional_at, "(d,)")
                keywords = "".join(f", {k}={v}" for k, v in attrs.items())
                written.append(f"`{call}({', '.join(args)}{keywords})`")
        # `pow` and `power` write `**`: a constant exponent is pow, a tensor one power
        spelled = sorted(n for n, o in SPELLINGS.items() if o == name
                         or (name == "pow" and o == "power"))
        also = ", ".join(f"`{n}`" for n in spelled)
        rows.append(f"| `{name}` | {', '.join(written)} | {also} | {op.routes} |")
    return "\n".join(rows) + "\n"


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


def _is_number(value) -> bool:
    return type(value) in (int, float)


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
        number = self.constant_number(value)
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
            self.names[name] = self.leaf(nid, value, stmt)
            return nid, stmt
        made = self.expr(value, name=nid, line=stmt.lineno)
        if made != nid:  # `loss = +x`: a unary plus changes nothing
            raise source_error(value, f"`{name} = {self.segment(value)}` only renames; assign a "
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

    # ----- leaves -----

    def leaf(self, name: str, call: ast.Call, stmt: ast.stmt) -> str:
        """The leaf `name = input(…)` (or param, …) declares: `name` is its node's id."""
        kind_fn = call.func.id
        dist = LEAVES[kind_fn]
        allowed = {"normal": ("scale", "value"), "onehot": (), "bernoulli": (),
                   "zeros": ("trained",), "ones": ("trained",),
                   "uniform": ("low", "high", "trained"), "labels": ()}[dist]
        kw = self.keywords(call, allowed)
        trained = kind_fn == "param" or kind_fn in ("zeros", "ones", "uniform")
        if "trained" in kw:
            flag = kw.pop("trained")
            if not (isinstance(flag, ast.Constant) and isinstance(flag.value, bool)):
                raise source_error(flag, "trained must be True or False")
            trained = flag.value
        init: dict = {"dist": dist}
        if "value" in kw:
            if call.args or "scale" in kw:
                raise source_error(call, f"{kind_fn}(value=...) takes no sizes and no scale")
            shape: tuple[int, ...] = ()
            init = {"dist": "value", "value": float(self.number_arg(kw["value"], "value"))}
        else:
            shape = tuple(self.size_arg(a) for a in call.args)
            if dist == "onehot" and len(shape) != 2:
                raise source_error(call, f"onehot takes 2 sizes (rows, classes), got {len(shape)}")
            if dist == "bernoulli" and not shape:
                raise source_error(call, "bernoulli takes at least one size, like bernoulli(N, 1)")
            if len(shape) > MAX_AXES:
                raise source_error(call, f"a tensor has at most {MAX_AXES} axes; "
                                   f"{kind_fn}(...) asks for {len(shape)}")
            if "scale" in kw:
                init["scale"] = float(self.number_arg(kw["scale"], "scale"))
            if dist == "uniform":
                init["low"] = float(self.number_arg(kw["low"], "low")) if "low" in kw else -1.0
                init["high"] = float(self.number_arg(kw["high"], "high")) if "high" in kw \
                    else 1.0
                if not init["low"] < init["high"]:
                    raise source_error(call, "uniform needs low < high")
            if dist == "labels":  # labels(N, C): one class index in 0 … C-1 per row
                if len(shape) < 2:  # labels(B, T, V): ids of shape (B, T), for embedding
                    raise source_error(call, f"labels takes 2 sizes (rows, classes) or more "
                                       f"(…, classes), got {len(shape)}")
                if shape[-1] > self.limits.max_tensor_elements:  # no logits or table that wide
                    raise source_error(call, f"labels count at most "
                                       f"{self.limits.max_tensor_elements} classes (a tensor's "
                                       f"elements), got {shape[-1]}")
                init["classes"] = shape[-1]
                shape = shape[:-1]
        self.check_size(call, shape)
        line, column = position(stmt)
        kind = "labels" if dist == "labels" else "param" if trained else "input"
        self.nodes.append(Node(name, kind, name, shape, line, column, init=init, named=True))
        return name

    def check_whole(self, node: ast.expr, op: str, whole: Node, other: Node) -> None:
        """cross_entropy's labels and embedding's ids are whole numbers: a labels leaf (a
        definition's argument inside its body) counting no more classes than the other input
        has along an axis (the logits' columns, the table's rows)."""
        role, leaf, other_role, verb, axis, counted = _WHOLE[op]
        inside_def = getattr(self, "nesting", 0) > 0 and whole.kind == "input"
        if whole.kind != "labels" and not inside_def:
            raise source_error(node, f"{op}'s {role} must be a {leaf}, not {whole.label}")
        classes = (whole.init or {}).get("classes")
        if classes is not None and len(other.shape) == 2 and classes > other.shape[axis]:
            raise source_error(node, f"the {role} {whole.label} count {classes} classes but "
                               f"the {other_role} {other.label} {verb} {other.shape[axis]} "
                               f"{counted}")

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

    def constant_number(self, node: ast.expr):
        """A literal number, a negated one, or a named number; else None. A literal no
        float can hold (400 digits, 1e999) is a SourceError."""
        negative = False
        inner = node
        # a loop, not recursion: thousands of signs must not reach the recursion limit
        while isinstance(inner, ast.UnaryOp) and isinstance(inner.op, (ast.USub, ast.UAdd)):
            negative ^= isinstance(inner.op, ast.USub)
            inner = inner.operand
        if isinstance(inner, ast.Constant) and _is_number(inner.value):
            value = inner.value
            if not (math.isfinite(value) if isinstance(value, float) else
                    abs(value) <= MAX_NUMBER):
                text = self.segment(inner)
                shown = text if len(text) <= 24 else f"{text[:12]}… ({len(text)} digits)"
                raise source_error(inner, f"the number {shown} is too large: numbers must be finite "
                                    f"and at most {MAX_NUMBER:.4g} in size")
        elif isinstance(inner, ast.Name) and inner.id in self.numbers:
            value = self.numbers[inner.id]
        elif isinstance(inner, ast.Name) and inner.id in self.loop_values:
            value = self.loop_values[inner.id]
        else:
            return None
        return -value if negative else value

    def number_arg(self, node: ast.expr, what: str):
        value = self.constant_number(node)
        if value is None:
            raise source_error(node, f"{what} must be a number")
        return value

    def size_arg(self, node: ast.expr) -> int:
        value = whole(self, node)  # 64, N, 2 * H, or i + 1 in a loop
        if value is None or value < 1:
            raise source_error(node, "a size must be a positive whole number (like 64, N or 2 * N)")
        return value

    def check_size(self, node: ast.AST, shape: tuple[int, ...]) -> None:
        size = prod(shape)
        if size > self.limits.max_tensor_elements:
            line, column = position(node)
            # a size past any float is not written out (nor formatted as one)
            raise LimitError("max_tensor_elements", self.limits.max_tensor_elements,
                             size if size <= MAX_NUMBER else None,
                             f"(a tensor of shape {shape} at line {line}, column {column})")

    # ----- expressions -----

    def expr(self, node: ast.expr, name: str | None = None, line: int = 1, depth: int = 0) -> str:
        if depth > MAX_DEPTH:
            raise source_error(node, f"expression nested deeper than {MAX_DEPTH} levels")
        sub = lambda n: self.expr(n, line=line, depth=depth + 1)  # noqa: E731
        number = self.constant_number(node)
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
                p = self.constant_number(node.right)
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
            return self.call(node, name, sub)
        if isinstance(node, ast.Subscript):
            return self.index(node, name, sub)
        if isinstance(node, ast.Constant):
            what = "strings" if isinstance(node.value, (str, bytes)) else repr(node.value)
            raise source_error(node, f"{what} are not allowed here; expected a number or an expression"
                         if what == "strings" else f"{what} is not allowed; expected a number")
        if isinstance(node, ast.ListComp):
            raise source_error(node, "a list is assigned to a name on its own, like `W = [param(8, 8) "
                               "for i in range(L)]`, and its elements picked, like W[i]")
        what = _NOT_ALLOWED.get(type(node), type(node).__name__)
        raise source_error(node, f"{what} are not part of the language")

    def call(self, node: ast.Call, name: str | None, sub) -> str:
        fn = node.func.id
        if fn in LEAVES:
            raise source_error(node, f"{fn}(...) declares a leaf and must be assigned to a name "
                               f"on its own, like `x = {fn}(...)`")
        if fn == "group" and fn not in self.defs:
            raise source_error(node, 'group(...) names a block of statements: write '
                               '`with group("name"):` and indent the statements under it')
        if fn in self.defs:
            return custom_call(self, node, fn, name, sub)
        if fn in FUNCTIONS and REGISTRY[FUNCTIONS[fn]].drawn:  # dropout(x, p=0.5): its mask
            return drawn_call(self, node, fn, REGISTRY[FUNCTIONS[fn]], name, sub)
        if fn in self.def_names:
            raise source_error(node.func, f"{fn} is defined later in the source (or is a backward, "
                                    f"which the engine calls); define a function before it "
                                    f"is called")
        if fn not in FUNCTIONS:
            known = sorted(FUNCTIONS) + sorted(d for d in self.defs)
            raise source_error(node.func, f"unknown function {fn!r}; known: {', '.join(known)}")
        rule = REGISTRY[FUNCTIONS[fn]]
        if rule.name == "batch_norm":  # PyTorch's F.batch_norm(x, None, None, w, b, training=True)
            node = batch_norm_form(node)
        kw = self.keywords(node, (*(a for a in rule.attrs if a != "n"),
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
                attrs[key] = self.attr_value(fn, key, value)
            return self.op(node, rule.name, [sub(a) for a in args], attrs, name)
        if rule.positional_attrs and len(args) > rule.arity:  # clip(x, -1, 1), as numpy
            extra = args[rule.arity:]
            names = rule.positional_attrs[:len(extra)]
            if len(extra) > len(rule.positional_attrs) or any(n in kw for n in names):
                raise source_error(node, f"{fn}() takes {rule.arity} tensor(s), then "
                                   f"{', '.join(rule.positional_attrs)} (by position or name, "
                                   f"once each)")
            attrs.update({n: self.attr_value(fn, n, v) for n, v in zip(names, extra, strict=True)})
            args = args[:rule.arity]
        if rule.positional_at is not None and len(args) > rule.positional_at:
            # layer_norm(x, (d,), w, b): the attribute stands among the tensors, as in PyTorch
            at = args[rule.positional_at]
            items = at.elts if isinstance(at, (ast.Tuple, ast.List)) else [at]
            attrs[rule.positional] = tuple(self.shape_item(item) for item in items)
            args = args[:rule.positional_at] + args[rule.positional_at + 1:]
        elif rule.positional and len(args) > rule.arity:  # reshape(x, (2, 3)) or (x, 2, 3)
            extra = args[rule.arity:]
            items = extra[0].elts if len(extra) == 1 and isinstance(extra[0], ast.Tuple) \
                else extra
            attrs[rule.positional] = tuple(self.shape_item(item) for item in items)
            args = args[:rule.arity]
        if rule.optional:  # batch_norm(x), layer_norm(x, (d,), bias=b): weight 1, bias 0
            return optional_call(self, node, fn, rule, args, kw, attrs, name, sub)
        if len(args) != rule.arity:
            word = "argument" if rule.arity == 1 else "arguments"
            raise source_error(node, f"{fn}() takes {rule.arity} {word}, got {len(node.args)}")
        for key, value in kw.items():
            attrs[key] = self.attr_value(fn, key, value)
        return self.op(node, rule.name, [sub(a) for a in args], attrs, name)

    def shape_item(self, node: ast.expr) -> int:
        value = self.constant_number(node)
        if not isinstance(value, int) or isinstance(value, bool) or not (value >= 1 or value == -1):
            raise source_error(node, "a size must be a positive whole number, or -1 for the rest")
        return value

    def index(self, node: ast.Subscript, name: str | None, sub) -> str:
        """x[0], x[:, 0], x[1:3, ::2]: constant whole numbers and slices only; W[i] of a
        list is its element."""
        if isinstance(node.value, ast.Name) and node.value.id in self.lists:
            return element(self, node)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(items) > MAX_AXES:
            raise source_error(node, f"at most {MAX_AXES} indices")
        parts = []
        for item in items:
            if isinstance(item, ast.Slice):
                ends = [None if e is None else self.index_number(e)
                        for e in (item.lower, item.upper, item.step)]
                if ends[2] == 0:
                    raise source_error(item, "a slice's step cannot be 0")
                text = ":".join("" if e is None else str(e) for e in ends[:2])
                parts.append(text + ("" if ends[2] is None else f":{ends[2]}"))
            else:
                parts.append(str(self.index_number(item)))
        return self.op(node, INDEX, [sub(node.value)], {"key": ", ".join(parts)}, name)

    def index_number(self, node: ast.expr) -> int:
        value = whole(self, node)
        if value is None:
            raise source_error(node, "an index is a constant whole number or a slice like 1:3 "
                               "(no boolean masks, no tensor indices)")
        return value

    def attr_value(self, fn: str, key: str, node: ast.expr):
        """A keyword attribute: axis (a whole number, None or a tuple of them), keepdims (True
        or False), or a number (slope=, alpha=, min=, max=)."""
        if key == "axis":
            if isinstance(node, ast.Constant) and node.value is None:
                return None
            items = node.elts if isinstance(node, ast.Tuple) else [node]
            axes = [self.constant_number(item) for item in items]
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
            sizes = [whole(self, item) for item in items]
            if None in sizes or len(sizes) != (2 if isinstance(node, ast.Tuple) else 1):
                raise source_error(node, f"{fn}()'s {key}= is a whole number or a pair of them, "
                                   f"like {key}=2 or {key}=(2, 1)")
            return tuple(sizes) if isinstance(node, ast.Tuple) else sizes[0]
        if key in ("start_dim", "end_dim"):
            dim = whole(self, node)
            if dim is None or abs(dim) > MAX_AXES:
                raise source_error(node, f"{fn}()'s {key}= is a whole number (an axis)")
            return dim
        return float(self.number_arg(node, f"{fn}()'s {key}="))

    def op(self, node: ast.expr, op: str, inputs: list[str], attrs: dict, name: str | None):
        by_id = {n.id: n for n in self.nodes}
        shapes = [by_id[i].shape for i in inputs]
        label = self.segment(node)
        try:
            if op == MATMUL and any(len(s) != 2 for s in shapes):
                op = MATMUL_ND  # vectors and batches: numpy's matmul rules
            rule = self.custom[op] if op in self.custom else REGISTRY[op]
            shape = tuple(rule.shape(*shapes, **attrs))
        except ShapeError as e:
            names = " and ".join(f"{by_id[i].label} {by_id[i].shape}" for i in inputs)
            raise source_error(node, f"cannot compute {label}: {e} (inputs: {names})") from None
        if op in _WHOLE:  # cross_entropy(logits, labels), embedding(ids, table)
            whole, other = (0, 1) if op == "embedding" else (1, 0)
            self.check_whole(node, op, by_id[inputs[whole]], by_id[inputs[other]])
        if len(shape) > MAX_AXES:  # a reshape or a stack may add axes past numpy's limit
            raise source_error(node, f"a tensor has at most {MAX_AXES} axes; {label} would have "
                               f"{len(shape)}")
        self.check_size(node, shape)
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
        label = label or (str(value) if isinstance(node, ast.Name) else self.segment(node))
        self.nodes.append(Node(nid, "const", label, (), line, column,
                               init={"dist": "value", "value": float(value)}))
        return nid

    def fresh(self) -> str:
        while True:
            self.counter += 1
            nid = f"tmp{self.counter}"
            if nid not in self.taken:
                return nid

    def segment(self, node: ast.expr) -> str:
        text = self.source_of(node) or type(node).__name__
        return re.sub(r"\s+", " ", text).strip()

    def source_of(self, node: ast.expr) -> str | None:
        """`ast.get_source_segment`, with the source split into lines once: that function
        splits the whole source on every call, which made a 500-node graph's parse take a
        second."""
        if self.lines is None:
            self.lines = _LINE_ENDS.split(self.source)
            # re.split leaves each line's ending apart: glue them back on
            self.lines = ["".join(pair) for pair in zip(self.lines[::2],
                                                       [*self.lines[1::2], ""], strict=True)]
        end_line, end_column = getattr(node, "end_lineno", None), getattr(node, "end_col_offset",
                                                                          None)
        if end_line is None or end_column is None:
            return None
        first, last = node.lineno - 1, end_line - 1
        # ast's columns count UTF-8 bytes
        if first == last:
            return self.lines[first].encode()[node.col_offset:end_column].decode()
        return (self.lines[first].encode()[node.col_offset:].decode()
                + "".join(self.lines[first + 1:last])
                + self.lines[last].encode()[:end_column].decode())
