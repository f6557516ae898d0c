"""Graph: edges in input order, validation, dependencies, parameters."""

from __future__ import annotations

import pytest

from app.engine.core.errors import LimitError, SourceError
from app.engine.core.limits import Limits
from app.engine.language.parser import parse


def test_edges_follow_each_nodes_inputs_in_order():
    g = parse("x = input(2, 3)\nw = param(3, 1)\nh = x @ w\nloss = sum(h * h)\n", Limits())
    assert [(e.source, e.target, e.index) for e in g.edges] == \
        [("x", "h", 0), ("w", "h", 1), ("h", "tmp1", 0), ("h", "tmp1", 1), ("tmp1", "loss", 0)]
    assert [e.id for e in g.edges_out["h"]] == ["e2", "e3"]
    assert [n.id for n in g.parameters] == ["w"]
    assert [n.id for n in g.ops] == ["h", "tmp1", "loss"]
    assert g.to_dict()["nodes"][2]["inputs"] == ["x", "w"]


def test_depending_on_follows_edges_forward_only():
    g = parse("a = input(value=1.0)\nb = param(value=2.0)\nc = a * 3\nloss = c + b\n", Limits())
    assert g.depending_on(["b"]) == {"b", "loss"}
    assert g.nodes["tmp1"].kind == "const"  # the 3: it depends on nothing
    assert g.depending_on(["a"]) == {"a", "c", "loss"}


def test_a_loss_that_depends_on_no_leaf_is_refused():
    with pytest.raises(SourceError, match="depends on no input or parameter"):
        parse("loss = sum(3 * 2 + 1 * exp(2))\n", Limits())


def test_unused_nodes_and_limits_are_refused():
    with pytest.raises(SourceError, match="never used by the loss"):
        parse("x = input(2)\nw = param(2)\nloss = sum(x * 2)\n", Limits())
    with pytest.raises(LimitError, match="max_nodes"):
        parse("x = input(2)\nloss = sum(x * x)\n", Limits(max_nodes=2))
