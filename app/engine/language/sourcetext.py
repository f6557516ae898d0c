"""The text of an expression as the source writes it: what labels, error messages and a
custom backward's text quote. Read from the source's lines, split once per parse.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.engine.language.parser import Builder

#: line endings as `ast` counts lines (not a form feed)
_LINE_ENDS = re.compile(r"(\r\n|\n|\r)")


def segment(builder: Builder, node: ast.expr) -> str:
    """The expression's text as written, its white space (line breaks too) one space."""
    text = source_of(builder, node) or type(node).__name__
    return re.sub(r"\s+", " ", text).strip()


def source_of(builder: Builder, node: ast.expr) -> str | None:
    """`ast.get_source_segment`, with the source split into lines once: that function
    splits the whole source on every call, which made a 500-node graph's parse take a
    second."""
    if builder.lines is None:
        builder.lines = _LINE_ENDS.split(builder.source)
        # re.split leaves each line's ending apart: glue them back on
        builder.lines = ["".join(pair) for pair in zip(builder.lines[::2],
                                                   [*builder.lines[1::2], ""], strict=True)]
    end_line, end_column = getattr(node, "end_lineno", None), getattr(node, "end_col_offset",
                                                                      None)
    if end_line is None or end_column is None:
        return None
    first, last = node.lineno - 1, end_line - 1
    # ast's columns count UTF-8 bytes
    if first == last:
        return builder.lines[first].encode()[node.col_offset:end_column].decode()
    return (builder.lines[first].encode()[node.col_offset:].decode()
            + "".join(builder.lines[first + 1:last])
            + builder.lines[last].encode()[:end_column].decode())
