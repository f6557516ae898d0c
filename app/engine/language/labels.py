"""The label of a nested sub-expression: its source text, naming the versions it reads.

With rebinding (`h = relu(h)`, `c += …`) and loops, the text `h @ W[i]` alone does not say
which h, which W[i]: the label writes each name as the node it reads (`h_3 @ W_2`), a loop's
variable as its pass's number, so a label, the narration and the exported script name a
version the same way. Only labels: the source text (`Node.expr`) and errors keep the text as
written.
"""

from __future__ import annotations

import ast


def versioned_text(builder, node: ast.expr, text: str) -> str:
    """`text` (node's one-line source) with every name replaced by the id of the node it
    reads; `text` itself when nothing differs or the expression spans several lines."""
    if node.lineno != node.end_lineno or builder.lines is None:
        return text
    swaps = []
    stack = [node]
    while stack:
        inner = stack.pop()
        new = None
        if isinstance(inner, ast.Name):
            if builder.names.get(inner.id, inner.id) != inner.id:
                new = builder.names[inner.id]
            elif inner.id in builder.loop_values:
                new = str(builder.loop_values[inner.id])
        elif isinstance(inner, ast.Subscript) and isinstance(inner.value, ast.Name) \
                and inner.value.id in builder.lists:
            from app.engine.language.unroll import element

            new = element(builder, inner)
        if new is not None:
            swaps.append((inner.col_offset, inner.end_col_offset, new))
        else:
            stack.extend(ast.iter_child_nodes(inner))
    if not swaps:
        return text
    line = builder.lines[node.lineno - 1].encode()
    out, at = [], node.col_offset
    for start, end, new in sorted(swaps):
        out += [line[at:start].decode(), new]
        at = end
    out.append(line[at:node.end_col_offset].decode())
    return "".join(out)
