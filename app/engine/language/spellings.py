"""numpy's and PyTorch's spellings of the registry's ops: `np.exp(x)`, `torch.relu(z)`,
`F.softmax(z, dim=1)`, `x.sum(axis=1)`, `x.dot(w)`, `x.pow(2)`, `x.t()`, `x.clamp(min=0)`.

The language (parser.py) hands every call written with a dot here; this module rewrites it as
the language's own syntax — a plain call (`softmax(z, axis=1)`), an operator (`x @ w`,
`x ** 2`, `-x`) or `.T` — at the same place in the source, so the node it makes is the one
registry entry's, labelled with the text as written, and every error keeps its line and column.
The spellings come from the registry (every op's name and aliases, under every prefix and as a
method); `RENAMED` and `KEYWORDS` hold the few names numpy or PyTorch spell differently. Nothing
is evaluated, and nothing here knows a derivative.
"""

from __future__ import annotations

import ast
import difflib

from app.engine.core.errors import SourceError
from app.engine.language.numbers import constant_number
from app.engine.language.vocabulary import MODULES
from app.engine.ops.registry import REGISTRY, VARIADIC

#: what may come before an op's name
PREFIXES = frozenset({"np", "numpy", "np.linalg", "numpy.linalg", "torch", "torch.linalg",
                      "F", "torch.nn.functional"})
#: PyTorch's prefixes: a `var`/`std` written there divides by n − 1 unless told otherwise
TORCH_PREFIXES = frozenset({"torch", "torch.linalg", "F", "torch.nn.functional"})
#: the spellings of numpy and PyTorch that are not a registry name or alias -> the op
RENAMED = {
    "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
    "negative": "neg", "mm": "matmul", "t": "transpose", "view": "reshape", "clamp": "clip",
    "amax": "max", "amin": "min", "absolute": "abs", "cat": "concatenate",
    "concat": "concatenate", "logsigmoid": "log_sigmoid",
}
#: PyTorch's (and np.clip's) keyword names -> the registry's attribute
KEYWORDS = {"dim": "axis", "keepdim": "keepdims", "a_min": "min", "a_max": "max",
            "negative_slope": "slope"}
#: keywords that say `var`/`std` divide by n (numpy's ddof 0), the only form the registry has
_BY_N = {"ddof": 0, "correction": 0, "unbiased": False}
#: names that make data in numpy or PyTorch: the language declares leaves instead
_DATA = {"randn", "rand", "randint", "zeros", "ones", "array", "tensor", "empty", "full",
         "arange", "linspace", "zeros_like", "ones_like", "randn_like", "normal", "uniform"}
#: ops the source writes with their own syntax only (x[…], and @ picks matmul_nd itself)
_NOT_SPELLED = {"index", "matmul_nd"}

for _target in RENAMED.values():
    assert _target in REGISTRY, f"RENAMED names an op the registry lacks: {_target}"

#: every spelling -> the registry op it writes
SPELLINGS: dict[str, str] = {
    **{op.name: op.name for op in REGISTRY.values() if op.name not in _NOT_SPELLED},
    **{alias: op.name for op in REGISTRY.values() for alias in op.names},
    **RENAMED,
}
#: the language's own function names (not numpy's or PyTorch's other names) -> the op
_PLAIN = {n: op for n, op in SPELLINGS.items() if n not in RENAMED}
#: ops written with an operator: registry op -> how the language writes it
_BINARY = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "@": ast.MatMult}
_SYNTAX = {op.name: op.syntax for op in REGISTRY.values() if op.syntax != "call"}
#: `np.power(x, 2)`, `x.pow(2)`: `**`, which takes a constant exponent as `pow` (p=2) and a
#: tensor one as `power`, as the language reads `x ** 2` and `x ** y`
_SYNTAX["power"] = "**"


def _error(node: ast.AST, message: str) -> SourceError:
    return SourceError(message, getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)


def _at(new: ast.AST, old: ast.AST) -> ast.AST:
    """`new` where `old` is in the source (so its label is the text as written)."""
    for key in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        setattr(new, key, getattr(old, key, None))
    return new


def dotted(node: ast.expr) -> list[str] | None:
    """`torch.nn.functional.relu` -> its parts; None unless it is names joined by dots."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _suggest(word: str, known) -> str:
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return close[0] if close else ""


def _unknown(func: ast.AST, fn: str, written: str, method: bool) -> SourceError:
    close = _suggest(fn, SPELLINGS)
    shown = f".{close}()" if method else written.rsplit(".", 1)[0] + f".{close}()"
    if close:
        return _error(func, f"unknown {'method' if method else 'function'} {written}; "
                            f"did you mean {shown}?")
    return _error(func, f"{written} is not an op of the language; its ops (as functions, with "
                        f"np., torch. or F., or as methods): {', '.join(sorted(SPELLINGS))}")


def spelled(builder, call: ast.Call) -> ast.expr:
    """`call` in the language's own syntax: itself when it is a plain call (`relu(x)`)."""
    func = call.func
    if isinstance(func, ast.Name):  # relu(x); sum(x, dim=1) takes PyTorch's keywords too
        if func.id in _PLAIN and any(k.arg in KEYWORDS or k.arg in _BY_N for k in call.keywords):
            return _at(ast.Call(func=func, args=call.args, keywords=_keywords(
                call, _PLAIN[func.id], f"{func.id}()", torch=False)), call)
        return call
    if not isinstance(func, ast.Attribute):
        raise _error(func, "only function calls by name are allowed, like relu(x), np.exp(x) "
                           "or x.exp()")
    path = dotted(func)
    if path is not None and path[0] in MODULES:
        prefix, fn = ".".join(path[:-1]), path[-1]
        written, method, args = f"{prefix}.{fn}()", False, list(call.args)
        if prefix not in PREFIXES:
            if fn in _DATA or "random" in path:
                raise _error(func, f"{written} makes data: declare a leaf instead, with "
                                   f"input(...) (not trained) or param(...) (trained), like "
                                   f"`x = input(64, 1000)`")
            raise _error(func, f"unknown module {prefix}; ops are written plain (exp(x)) or "
                               f"with {', '.join(p + '.' for p in sorted(PREFIXES))}")
    else:
        if path is not None and path[0] not in builder.names and path[0] not in builder.lists:
            if constant_number(builder, ast.Name(id=path[0], ctx=ast.Load())) is not None:
                raise _error(func, f"{path[0]} is a number: a method is called on a tensor, "
                                   f"like x.exp()")
            raise _error(func, f"undefined name {path[0]!r}: a method is called on a tensor "
                               f"(x.exp()), a function with "
                               f"{', '.join(p + '.' for p in sorted(PREFIXES))} or plain")
        fn = func.attr
        written, method, args = f".{fn}()", True, [func.value, *call.args]
        prefix = ""
    if fn not in SPELLINGS:
        if fn in _DATA and not method:
            raise _error(func, f"{written} makes data: declare a leaf instead, with input(...) "
                               f"(not trained) or param(...) (trained)")
        raise _unknown(func, fn, written, method)
    for a in call.args:
        if isinstance(a, ast.Starred):
            raise _error(a, "* argument unpacking is not allowed")
    op = REGISTRY[SPELLINGS[fn]]
    keywords = _keywords(call, op.name, written, torch=prefix in TORCH_PREFIXES)
    if op.name in ("max", "min") and len(args) == 2 and not _is_axis(builder, args[1]):
        op = REGISTRY["maximum" if op.name == "max" else "minimum"]  # torch.max(a, b)
    if op.name in _SYNTAX:
        return _operator(call, op.name, args, keywords, written)
    if op.name == "clip" and len(args) == 1:
        one_sided = _one_sided(call, args[0], keywords)
        if one_sided is not None:
            return one_sided
    if method and op.arity == VARIADIC:
        raise _error(func, f"{fn} joins a list of tensors: write it as a function, like "
                           f"np.{fn}([a, b], axis=0)")
    args, keywords = _positional_attrs(op, args, keywords, written)
    return _at(ast.Call(func=_at(ast.Name(id=op.name, ctx=ast.Load()), func), args=args,
                        keywords=keywords), call)


def _is_axis(builder, node: ast.expr) -> bool:
    """`1`, `None`, `(0, 1)`: an axis (np.max(x, 1)), not a tensor (torch.max(a, b))."""
    items = node.elts if isinstance(node, ast.Tuple) else [node]
    return all(isinstance(item, ast.Constant) and item.value is None
               or isinstance(constant_number(builder, item), int) for item in items)


def _keywords(call: ast.Call, op: str, written: str, torch: bool) -> list[ast.keyword]:
    """The call's keywords under the registry's names; `var`/`std` checked to divide by n."""
    out, by_n = [], None
    for k in call.keywords:
        if k.arg is None:
            raise _error(k.value, "** keyword unpacking is not allowed")
        torch = torch or k.arg in ("dim", "keepdim")
        if op in ("var", "std") and k.arg in _BY_N:
            value = k.value.value if isinstance(k.value, ast.Constant) else None
            if type(value) is not type(_BY_N[k.arg]) or value != _BY_N[k.arg]:
                raise _error(k.value, f"{written}: {op} here is numpy's, dividing by n; only "
                                      f"{k.arg}={_BY_N[k.arg]} is allowed")
            by_n = k.arg
            continue
        out.append(_at(ast.keyword(arg=KEYWORDS.get(k.arg, k.arg), value=k.value), k))
    if op in ("var", "std") and torch and by_n is None:
        raise _error(call, f"{written}: PyTorch's {op} divides by n - 1 unless told "
                           f"otherwise, the language's divides by n (numpy's): write "
                           f"correction=0 (or unbiased=False)")
    return out


def _operator(call: ast.Call, op: str, args: list[ast.expr], keywords, written: str):
    """An op the language writes with an operator: `x.dot(w)` is `x @ w`, `x.pow(2)` is
    `x ** 2`, `np.negative(x)` is `-x`, `x.t()` is `x.T`."""
    syntax = _SYNTAX[op]
    if keywords:
        raise _error(keywords[0].value, f"{written} takes no keywords")
    arity = 2 if syntax in _BINARY or syntax == "**" else 1
    if len(args) != arity:
        if syntax == ".T" and len(args) > 1:
            raise _error(args[1], f"{written} takes no axes: it reverses them all, as x.T")
        word = "argument" if arity == 1 else "arguments"
        raise _error(call, f"{written} takes {arity} {word}, got {len(args)}")
    if syntax == ".T":
        return _at(ast.Attribute(value=args[0], attr="T", ctx=ast.Load()), call)
    if syntax == "unary -":
        return _at(ast.UnaryOp(op=ast.USub(), operand=args[0]), call)
    kind = ast.Pow if syntax == "**" else _BINARY[syntax.split()[0]]
    return _at(ast.BinOp(left=args[0], op=kind(), right=args[1]), call)


def _one_sided(call: ast.Call, x: ast.expr, keywords: list[ast.keyword]):
    """`x.clamp(min=0)`: one bound only is maximum(x, 0) (or minimum(x, hi)); None when both
    bounds are given."""
    given = {k.arg: k.value for k in keywords
             if not (isinstance(k.value, ast.Constant) and k.value.value is None)}
    if set(given) == {"min"} or set(given) == {"max"}:
        bound, fn = ("min", "maximum") if "min" in given else ("max", "minimum")
        return _at(ast.Call(func=_at(ast.Name(id=fn, ctx=ast.Load()), call.func),
                            args=[x, given[bound]], keywords=[]), call)
    return None


def _positional_attrs(op, args: list[ast.expr], keywords: list[ast.keyword], written: str):
    """numpy's and PyTorch's positional attributes (`x.sum(1)`, `F.softmax(z, 1)`,
    `torch.cat([a, b], 1)`) as keywords, in the registry's order of attributes. `clip` and
    `reshape` keep theirs: the language reads `clip(x, lo, hi)` and `reshape(x, 2, 3)` itself,
    as it reads a normalisation's optional tensors (`F.batch_norm(x, None, None, w, b)`)."""
    if op.positional or op.name == "clip" or op.optional:
        return args, keywords
    arity = 1 if op.arity == VARIADIC else op.arity
    names = [a for a in op.attrs if a not in ("n", "key", "shape")]
    extra = args[arity:]
    if len(extra) > len(names):
        takes = f" then {', '.join(names)}" if names else ""
        raise _error(extra[len(names)], f"{written} takes {arity} tensor"
                                        f"{'s' if arity > 1 else ''}{takes}; got {len(args)} "
                                        f"arguments")
    given = {k.arg for k in keywords}
    for name, value in zip(names, extra, strict=False):
        if name in given:
            raise _error(value, f"{written}: {name} is given twice")
        keywords = [*keywords, _at(ast.keyword(arg=name, value=value), value)]
    return args[:arity], keywords
