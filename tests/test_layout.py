"""The Sugiyama layout: left to right, leaves just before their first consumer, loss last."""

from __future__ import annotations

from app.layout import LAYER_GAP, layers_of, layout


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
    from app.engine.limits import Limits
    from app.engine.presets import PRESETS
    from app.engine.run import Run, RunSpec

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
