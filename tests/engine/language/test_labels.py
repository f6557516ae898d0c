"""app.engine.language.labels: a sub-expression's label names the versions it reads."""

from __future__ import annotations

import ast

from app.engine.core.limits import Limits
from app.engine.language.labels import versioned_text
from app.engine.language.parser import parse


class Builder:
    """What versioned_text reads of the parser's builder: the source's lines, each name's
    current node, the loop variables' values and the list names."""

    def __init__(self, source: str, names=None, loop_values=None):
        self.lines = source.splitlines()
        self.names = names or {}
        self.loop_values = loop_values or {}
        self.lists = set()


def label(source: str, **kw) -> str:
    """The label of the right side of the source's last line."""
    tree = ast.parse(source)
    value = tree.body[-1].value
    return versioned_text(Builder(source, **kw), value, ast.get_source_segment(source, value))


def test_each_name_is_written_as_the_node_it_reads():
    assert label("y = h @ W + h", names={"h": "h_3"}) == "h_3 @ W + h_3"


def test_a_loop_variable_is_its_passs_number():
    assert label("y = x * i + i", loop_values={"i": 2}) == "x * 2 + 2"


def test_text_before_the_expression_in_other_scripts_keeps_the_columns():
    """ast's columns count UTF-8 bytes: a Greek name before the swap must not shift it."""
    assert label("α = 1\ny = α * h", names={"h": "h_2"}) == "α * h_2"
    assert label("y = f(α, h)", names={"h": "h_2"}) == "f(α, h_2)"


def test_nothing_to_swap_or_several_lines_or_no_source_keep_the_text():
    assert label("y = h @ W") == "h @ W"
    assert label("y = (h @\n     W)", names={"h": "h_2"}) == "h @\n     W"
    builder = Builder("y = h", names={"h": "h_2"})
    builder.lines = None
    node = ast.parse("y = h").body[0].value
    assert versioned_text(builder, node, "as written") == "as written"


def test_a_rebound_name_labels_each_node_by_the_version_it_reads():
    graph = parse("x = input(2, 3)\nW = param(3, 3)\nh = tanh(x @ W)\nh = tanh(h @ W)\n"
                  "h = tanh(h @ W)\nloss = sum(h * h)\n", Limits())
    matmuls = [graph.nodes[n].label for n in graph.order if graph.nodes[n].op == "matmul"]
    assert matmuls == ["x @ W", "h @ W", "h_2 @ W"]
