"""Groups found in a large graph typed without any (app.engine.language.repeats): each copy of a
repeated block of statements is a group, the user's own groups always win, and nothing but the
groups changes."""

from __future__ import annotations

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.language.parser import parse
from app.engine.language.repeats import FIND_ABOVE_NODES
from bench.graphs import deep_mlp_source


def test_a_100_layer_mlp_typed_without_groups_gets_a_group_per_layer():
    graph = parse(deep_mlp_source(100, grouped=False), Limits()).to_dict()
    assert graph["found_groups"] == [f"layer {i}" for i in range(1, 101)]
    groups = {n["id"]: n["groups"] for n in graph["nodes"]}
    assert groups["x"] == groups["y"] == groups["loss"] == []
    for i in (1, 2, 57, 100):
        members = [n["label"] for n in graph["nodes"] if n["groups"] == [f"layer {i}"]]
        previous = "x" if i == 1 else f"h{i - 1}"
        assert members == [f"w{i}", f"b{i}", f"{previous} @ w{i}", f"{previous} @ w{i} + b{i}",
                           f"h{i}"]


def test_the_groups_found_are_the_ones_the_user_would_write():
    """Typed with `with group("layer i"):` or without: the same graph, the same groups."""
    typed = parse(deep_mlp_source(40), Limits()).to_dict()
    found = parse(deep_mlp_source(40, grouped=False), Limits()).to_dict()
    assert typed["found_groups"] == []
    assert found["found_groups"] == [f"layer {i}" for i in range(1, 41)]
    for node in typed["nodes"] + found["nodes"]:
        node.pop("line")
    assert [n["groups"] for n in typed["nodes"]] == [n["groups"] for n in found["nodes"]]
    assert typed["nodes"] == found["nodes"] and typed["edges"] == found["edges"]


def test_the_users_own_groups_win():
    """One `with group` block anywhere: nothing is found, even in the ungrouped part."""
    source = deep_mlp_source(30, grouped=False).replace(
        "loss = mean(", 'with group("head"):\n    loss = mean(')
    graph = parse(source, Limits()).to_dict()
    assert graph["found_groups"] == []
    assert {tuple(n["groups"]) for n in graph["nodes"]} == {(), ("head",)}


def test_a_small_graph_reads_whole_and_gets_none():
    layers = (FIND_ABOVE_NODES - 5) // 5  # 2 + 5 per layer + 3 nodes: not over the threshold
    graph = parse(deep_mlp_source(layers, grouped=False), Limits()).to_dict()
    assert len(graph["nodes"]) <= FIND_ABOVE_NODES
    assert graph["found_groups"] == []


def test_two_repeated_parts_are_named_layer_and_by_their_ops():
    lines = ["x = input(4, 6)", "y = input(4, 6)", "h = x"]
    for i in range(1, 16):
        lines += [f"w{i} = param(6, 6)", f"h = tanh(h @ w{i})"]
    for i in range(1, 12):
        lines += [f"s{i} = param(1, 6)", f"h = sigmoid(h * s{i}) + h"]
    lines.append("loss = mean((h - y) ** 2)")
    graph = parse("\n".join(lines) + "\n", Limits()).to_dict()
    names = graph["found_groups"]
    assert names[:15] == [f"layer {i}" for i in range(1, 16)]
    assert names[15:] == [f"mul sigmoid add {i}" for i in range(1, 12)]


def test_found_groups_change_no_number():
    a = Run(RunSpec(source=deep_mlp_source(20), iterations=3), Limits())
    b = Run(RunSpec(source=deep_mlp_source(20, grouped=False), iterations=3), Limits())
    assert a.losses() == b.losses()
