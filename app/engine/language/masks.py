"""`dropout(x, p=0.5)`: the call declares its mask, a leaf drawn from the run's seed.

An op whose registry entry is `drawn` takes one tensor in the source; its last input is a mask
leaf of kind "labels" (never differentiated), declared here where the call stands, so it is
drawn from RandomState(seed) in declaration order like every leaf (training.init_leaves and
the exported script draw it alike). PyTorch's spellings are read: `F.dropout(x, 0.2)`,
`dropout(x, p=0.2, training=True)`; `training=False` (the identity) is refused with the reason.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from app.engine.core.errors import position, source_error
from app.engine.core.graph import Node
from app.engine.language.numbers import check_size, number_arg

if TYPE_CHECKING:
    from app.engine.language.parser import Builder


def drawn_call(builder: Builder, node: ast.Call, fn: str, rule, name: str | None, sub) -> str:
    args, attrs = list(node.args), dict(rule.attrs)
    keywords = {k.arg: k.value for k in node.keywords}
    training = keywords.pop("training", None)
    if training is not None and not (isinstance(training, ast.Constant)
                                     and training.value is True):
        raise source_error(training, f"{fn}() is training mode only (training=True); "
                           "in eval mode it is the identity: leave the call out")
    if len(args) == 2 and "p" not in keywords:  # F.dropout(x, 0.2), as PyTorch
        keywords["p"] = args.pop()
    if len(args) != 1 or set(keywords) - {"p"}:
        raise source_error(node, f"{fn}() takes one tensor, then p (the probability of "
                           f"dropping an element) and training=True, like {fn}(x, p=0.5)")
    if "p" in keywords:
        attrs["p"] = float(number_arg(builder, keywords["p"], f"{fn}()'s p="))
    x = sub(args[0])
    shape = next(n.shape for n in builder.nodes if n.id == x)
    mask = builder.unused(f"{name}_mask" if name else "mask")  # h = dropout(…): h_mask
    line, column = position(node)
    check_size(builder, node, shape)
    builder.nodes.append(Node(mask, "labels", mask, shape, line, column, named=True,
                              init={"dist": "dropout", "p": attrs["p"]}))
    return builder.op(node, rule.name, [x, mask], attrs, name)
