"""The Sugiyama layout: left to right, leaves just before their first consumer, loss last."""

from __future__ import annotations

from app.drawing.layout import LAYER_GAP, layers_of, layout


def _graph(spec: dict[str, tuple[str, list[str]]], loss: str = "loss") -> dict:
    nodes = [{"id": name, "kind": kind, "inputs": inputs} for name, (kind, inputs) in spec.items()]
    edges = []
    for node in nodes:
        for index, source in enumerate(node["inputs"]):
            edges.append({"id": f"e{len(edges)}", "source": source, "target": node["id"],
                          "index": index})
    return {"loss": loss, "nodes": nodes, "edges": edges}


SEED = _graph({
    "x": ("input", []), "y": ("input", []), "w1": ("param", []), "w2": ("param", []),
    "h": ("op", ["x", "w1"]), "h_relu": ("op", ["h"]), "y_pred": ("op", ["h_relu", "w2"]),
    "tmp1": ("op", ["y_pred", "y"]), "tmp2": ("op", ["tmp1"]), "loss": ("op", ["tmp2"]),
})


def test_layers_follow_the_longest_path_and_leaves_wait_for_their_consumer():
    assert layers_of(SEED) == {
        "h": 1, "h_relu": 2, "y_pred": 3, "tmp1": 4, "tmp2": 5, "loss": 6,
        "x": 0, "w1": 0, "w2": 2, "y": 3,
    }


def test_every_node_but_an_op_is_a_leaf_whatever_its_kind():
    """Leaf-ness is `kind != "op"`: a leaf kind the layout has never heard of waits for its
    first consumer like the others."""
    graph = _graph({"a": ("input", []), "h1": ("op", ["a"]), "h2": ("op", ["h1"]),
                    "t": ("target", []), "loss": ("op", ["h2", "t"])})
    assert layers_of(graph) == {"a": 0, "h1": 1, "h2": 2, "t": 2, "loss": 3}


def test_loss_is_alone_in_the_rightmost_layer():
    graph = _graph({
        "a": ("input", []), "long1": ("op", ["a"]), "long2": ("op", ["long1"]),
        "long3": ("op", ["long2"]), "loss": ("op", ["long1"]), "side": ("op", ["long3"]),
    })
    layers = layers_of(graph)
    assert layers["loss"] > max(v for k, v in layers.items() if k != "loss")


def test_a_leaf_feeding_two_layers_sits_before_the_first():
    graph = _graph({
        "w": ("param", []), "a": ("op", ["w"]), "b": ("op", ["a"]), "loss": ("op", ["b", "w"]),
    })
    placed = layout(graph)
    by_id = {node["id"]: node for node in placed["nodes"]}
    assert by_id["w"]["x"] == by_id["a"]["x"] - LAYER_GAP
    long_edge = next(e for e in placed["edges"] if e["source"] == "w" and e["target"] == "loss")
    assert len(long_edge["points"]) == 4, "two dummy layers in between become two bends"
    xs = [x for x, _ in long_edge["points"]]
    assert xs == sorted(xs)


def test_coordinates_fill_the_drawing_and_edges_join_their_nodes():
    placed = layout(SEED)
    by_id = {node["id"]: node for node in placed["nodes"]}
    xs = [node["x"] for node in placed["nodes"]]
    assert by_id["loss"]["x"] == max(xs)
    assert max(xs) < placed["width"] and max(n["y"] for n in placed["nodes"]) < placed["height"]
    for edge in placed["edges"]:
        source, target = by_id[edge["source"]], by_id[edge["target"]]
        assert edge["points"][0] == [source["x"], source["y"]]
        assert edge["points"][-1] == [target["x"], target["y"]]
        assert source["x"] < target["x"], "every edge points right"
    positions = {(node["x"], node["y"]) for node in placed["nodes"]}
    assert len(positions) == len(placed["nodes"]), "no two nodes overlap"


def test_same_graph_same_layout_and_input_untouched():
    before = repr(SEED)
    assert layout(SEED) == layout(SEED)
    assert repr(SEED) == before


def test_repeated_input_gives_two_edges():
    graph = _graph({"a": ("input", []), "loss": ("op", ["a", "a"])})
    placed = layout(graph)
    assert [edge["index"] for edge in placed["edges"]] == [0, 1]
    assert placed["edges"][0]["points"] == placed["edges"][1]["points"]


def test_deep_chain_does_not_recurse():
    spec = {"a": ("input", [])}
    previous = "a"
    for i in range(3000):
        spec[f"n{i}"] = ("op", [previous])
        previous = f"n{i}"
    spec["loss"] = ("op", [previous])
    assert layers_of(_graph(spec))["loss"] == 3001


def test_every_preset_lays_out_left_to_right():
    from app.engine.core.limits import Limits
    from app.engine.core.run import Run, RunSpec
    from app.engine.presets import PRESETS

    for preset in PRESETS:
        graph = Run(RunSpec(preset=preset), Limits()).describe()["graph"]
        placed = layout(graph)
        by_id = {node["id"]: node for node in placed["nodes"]}
        assert by_id[graph["loss"]]["x"] == max(node["x"] for node in placed["nodes"]), preset
        assert len({(n["x"], n["y"]) for n in placed["nodes"]}) == len(placed["nodes"]), preset
        for edge in placed["edges"]:
            xs = [x for x, _ in edge["points"]]
            assert xs == sorted(xs) and xs[0] < xs[-1], (preset, edge)
            # every bend sits one layer after the previous point
            assert all(b - a == LAYER_GAP for a, b in zip(xs, xs[1:], strict=False)), (preset, edge)
        consumers = {}
        for edge in placed["edges"]:
            consumers.setdefault(edge["source"], []).append(by_id[edge["target"]]["x"])
        for node in placed["nodes"]:
            if node["kind"] != "op" and node["id"] in consumers:
                assert node["x"] == min(consumers[node["id"]]) - LAYER_GAP, (preset, node["id"])


# ----- issue 11: a layout that reads, on every preset and on generated graphs -----

import random  # noqa: E402
import shutil  # noqa: E402

import pytest  # noqa: E402

from app.drawing import layout as drawing  # noqa: E402
from app.drawing.labels import SHORT_CHARS, short_labels  # noqa: E402
from app.drawing.layout import NODE_GAP  # noqa: E402
from bench.graphs import deep_mlp_source, l2_mlp_source, random_graph  # noqa: E402


def _run_graph(**spec) -> dict:
    from app.engine.core.limits import Limits
    from app.engine.core.run import Run, RunSpec

    return Run(RunSpec(**spec), Limits(max_nodes=1000)).describe()["graph"]


def _presets() -> list[tuple[str, dict]]:
    from app.engine.presets import PRESETS

    return [(pid, _run_graph(preset=pid)) for pid in PRESETS]


GENERATED = [(f"random {n}", random_graph(n, random.Random(n))) for n in (50, 120, 250, 500)]
MLPS = [("l2 mlp", _run_graph(source=l2_mlp_source(6))),
        ("deep mlp 100", _run_graph(source=deep_mlp_source(100), iterations=2))]
EVERY = _presets() + MLPS + GENERATED


@pytest.mark.parametrize(("name", "graph"), EVERY, ids=[name for name, _ in EVERY])
def test_no_two_nodes_overlap_and_leaves_wait_for_their_first_consumer(name, graph):
    placed = layout(graph)
    nodes = placed["nodes"]
    assert 50 <= len(nodes) <= 520 or name in dict(_presets())
    by_column: dict[float, list[float]] = {}
    for node in nodes:
        by_column.setdefault(node["x"], []).append(node["y"])
    for ys in by_column.values():  # boxes are 132 x 66: columns are LAYER_GAP apart
        ys.sort()
        assert all(b - a >= NODE_GAP - 1e-6 for a, b in zip(ys, ys[1:], strict=False)), name
    assert sorted(by_column) == [sorted(by_column)[0] + i * LAYER_GAP
                                 for i in range(len(by_column))] or len(by_column) == 1
    by_id = {node["id"]: node for node in nodes}
    first_use: dict[str, float] = {}
    for edge in placed["edges"]:
        x = by_id[edge["target"]]["x"]
        first_use[edge["source"]] = min(first_use.get(edge["source"], x), x)
        assert by_id[edge["source"]]["x"] < x, "every edge points right"
    for node in nodes:
        if not node["inputs"]:
            assert node["x"] == first_use[node["id"]] - LAYER_GAP, (name, node["id"])
    loss = by_id[graph["loss"]]
    assert [n["id"] for n in nodes if n["x"] == loss["x"]] == [graph["loss"]]


def test_a_penalty_branch_no_longer_drags_its_weight_to_the_first_column():
    """The issue's 6-layer MLP with an L2 penalty: each weight sits just before its layer's
    matmul (not all in the first column), its `W ** 2` after it and before the penalty's
    sum; the total edge length is the shortest layering's."""
    graph = MLPS[0][1]
    layers = layers_of(graph)
    by_label = {n["label"]: n["id"] for n in graph["nodes"]}
    for k in range(1, 7):
        matmul = next(n["id"] for n in graph["nodes"] if n["op"] == "matmul"
                      and f"W{k}" in n["inputs"])
        assert layers[f"W{k}"] == layers[matmul] - 1 == 3 * (k - 1), k
        square = layers[by_label[f"W{k} ** 2"]]
        assert layers[f"W{k}"] < square < layers["s"], k
    length = sum(layers[e["target"]] - layers[e["source"]] for e in graph["edges"])
    assert length == 73  # the minimum (the old leaves-first layering: 134)


def test_a_leaf_moves_only_where_it_saves_more_than_it_costs():
    """`w` feeds an early op and, through a side op, a late one: the side op follows w (one
    long edge either way) rather than dragging w to the late one."""
    graph = _graph({
        "x": ("input", []), "w": ("param", []), "a": ("op", ["x", "w"]), "b": ("op", ["a"]),
        "c": ("op", ["b"]), "side": ("op", ["w"]), "loss": ("op", ["c", "side"]),
    })
    layers = layers_of(graph)
    assert layers["w"] == layers["a"] - 1 == 0
    total = sum(layers[e["target"]] - layers[e["source"]] for e in graph["edges"])
    # 7 edges; w -> side -> loss spans the 4 layers from w to the loss wherever side sits
    assert total == 9


@pytest.mark.parametrize(("name", "graph"), EVERY, ids=[name for name, _ in EVERY])
def test_short_labels_are_distinct_and_fit(name, graph):
    placed = layout(graph)
    shorts = [n["short"] for n in placed["nodes"] if n["kind"] != "const"]
    assert len(set(shorts)) == len(shorts), name  # two constants 1 both read "1"
    shorts = [n["short"] for n in placed["nodes"]]
    assert all(1 <= len(s) <= SHORT_CHARS for s in shorts), name
    labels = [n["label"] for n in placed["nodes"]]
    for node in placed["nodes"]:
        if len(node["label"]) <= SHORT_CHARS and labels.count(node["label"]) == 1:
            assert node["short"] == node["label"]


def test_an_elided_label_keeps_its_distinguishing_end():
    labels = [f"sum(W1 ** 2) + sum(W{k} ** 2)" for k in range(2, 7)] + ["x"]
    shorts = short_labels(labels, [f"t{i}" for i in range(len(labels))], [None] * len(labels))
    assert len(set(shorts)) == len(shorts)
    for k, short in zip(range(2, 7), shorts, strict=False):
        assert short.startswith("sum(W1") and "…" in short and short.endswith(f"{k} ** 2)")
    assert shorts[-1] == "x"


def test_labels_equal_in_full_are_told_apart_by_line_then_id():
    shorts = short_labels(["x ** 2", "x ** 2", "x ** 2", "y"], ["t1", "t2", "t3", "y"],
                          [3, 4, 4, 5])
    assert shorts == ["x ** 2 L3", "x ** 2 t2", "x ** 2 t3", "y"]


def test_layout_is_cached_by_content_and_returns_fresh_dicts():
    graph = GENERATED[1][1]
    drawing.geometry.cache_clear()
    first = layout(graph)
    hits = drawing.geometry.cache_info().hits
    second = layout({**graph, "nodes": [dict(n) for n in graph["nodes"]]})
    assert drawing.geometry.cache_info().hits == hits + 1
    assert first == second and first["nodes"][0] is not second["nodes"][0]
    second["nodes"][0]["x"] = -1.0
    assert layout(graph)["nodes"][0]["x"] != -1.0


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed "
                    "(apt-get install graphviz)")
@pytest.mark.parametrize(("name", "graph"), _presets() + MLPS + GENERATED[:1],
                         ids=[name for name, _ in _presets() + MLPS + GENERATED[:1]])
def test_no_more_crossings_than_graphviz_dot(name, graph):
    """Counted the same way on both drawings (bench/layout.py): Gradwalk's ≤ dot's."""
    from bench.layout import dots, ours

    assert ours(graph)[0] <= dots(graph), name
