"""PyTorch's own argument lists where they differ from the registry's: read as the same call.

A normalisation's weight and bias may be left out, passed as None or by name (`bias=b`), as
PyTorch's weight=None: `optional_call` makes them the numbers the op's `optional` says (1, 0).
`F.batch_norm(x, running_mean, running_var, weight, bias, training=True, momentum=0.1,
eps=1e-05)`: Gradwalk's batch_norm always takes the batch's statistics and keeps no running
ones, so the running mean and variance must be None and training True (momentum only moves the
running statistics: read and ignored); the call is `batch_norm(x, weight, bias, eps=…)`, at the
same place in the source (its label is the text as written). Nothing is evaluated.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from app.engine.core.errors import source_error
from app.engine.language.attributes import attr_value
from app.engine.ops.registry import num

if TYPE_CHECKING:
    from app.engine.language.parser import Builder

_RUNNING = ("running_mean", "running_var")


def _none(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def batch_norm_form(node: ast.Call) -> ast.Call:
    """`batch_norm(x, None, None, w, b, training=True)` as `batch_norm(x, w, b)`; a call in
    Gradwalk's form (at most 3 arguments, no running_* or training keyword) unchanged."""
    keywords = {k.arg: k.value for k in node.keywords}
    torch_keys = {*_RUNNING, "training", "momentum"}
    if len(node.args) <= 3 and not torch_keys & set(keywords):
        return node
    args = list(node.args)
    running = args[1:3] + [keywords.pop(k) for k in _RUNNING if k in keywords]
    for value in running:
        if not _none(value):
            raise source_error(value, "batch_norm keeps no running mean or variance: it always "
                               "takes the batch's statistics (PyTorch's training=True); pass "
                               "None for running_mean and running_var")
    training = keywords.pop("training", None)
    if training is None or not (isinstance(training, ast.Constant) and training.value is True):
        raise source_error(training or node, "batch_norm is training mode only: PyTorch's "
                           "form needs training=True (eval mode reads running statistics, "
                           "which Gradwalk does not keep)")
    keywords.pop("momentum", None)  # it moves only the running statistics
    rest = args[:1] + args[3:]
    if len(rest) > 3:
        raise source_error(node, "batch_norm takes (x, running_mean, running_var, weight, "
                           "bias, training=True, momentum=…, eps=…) as PyTorch writes it")
    call = ast.Call(func=node.func, args=rest,
                    keywords=[ast.keyword(arg=k, value=v) for k, v in keywords.items()])
    for key in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        setattr(call, key, getattr(node, key))
    return call


def optional_call(builder: Builder, node: ast.Call, fn: str, rule, args: list, kw: dict,
                  attrs: dict, name: str | None, sub) -> str:
    """The op of a call whose last tensors are optional: those left out, None, or named
    (weight=w) are placed, and the missing ones are constants ("1 (no weight)")."""
    start = rule.arity - len(rule.optional)
    named = {k: kw.pop(k) for k, _ in rule.optional if k in kw}
    if start <= len(args) <= rule.arity:
        args = [*args, *[None] * (rule.arity - len(args))]
        for i, (key, _) in enumerate(rule.optional):
            if key in named:
                if args[start + i] is not None:
                    raise source_error(named[key], f"{fn}() got {key} twice")
                args[start + i] = named[key]
    if len(args) != rule.arity:
        raise source_error(node, f"{fn}() takes {start} to {rule.arity} arguments, got "
                           f"{len(node.args)}")
    for key, value in kw.items():
        attrs[key] = attr_value(builder, fn, key, value)
    inputs = []
    for i, a in enumerate(args):
        if i >= start and (a is None or _none(a)):
            key, number = rule.optional[i - start]
            inputs.append(builder.const(node, number, f"{num(number)} (no {key})"))
        else:
            inputs.append(sub(a))
    return builder.op(node, rule.name, inputs, attrs, name)
