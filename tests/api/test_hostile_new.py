"""Hostile input against what was added last: groups, the layout endpoint, input_grads, the
compute budget and the layout of graphs up to the node limit. Each test was seen failing on
the code before its fix."""

from __future__ import annotations

import sys

from apihelpers import API, ROOT

from app.drawing.labels import SHORT_CHARS, short_labels
from app.drawing.layout import layout
from app.drawing.ordering import MAX_BENDS

if str(ROOT) not in sys.path:  # bench/ is beside app/
    sys.path.insert(0, str(ROOT))
from bench.graphs import rnn_source  # noqa: E402


def _chain_source(nodes: int) -> str:
    """A chain where every op also reads an early value: long edges everywhere."""
    lines = [f"p{i} = param(2)" for i in range(20)]
    names = [f"p{i}" for i in range(20)]
    for i in range(nodes - 21):
        lines.append(f"v{i} = {names[-1]} * {names[(i * 7) % len(names)]}")
        names.append(f"v{i}")
    lines.append(f"loss = sum({names[-1]})")
    return "\n".join(lines)


def _bends(graph: dict) -> int:
    return sum(len(edge["points"]) - 2 for edge in graph["edges"])


def test_a_999_node_rnn_is_drawn_with_bounded_bends(client):
    """Before: 15 s of one core and a 2.7 MB document (121,000 bend points) for the POST."""
    source = rnn_source(199)
    response = client.post(f"{API}/runs", json={"source": source, "iterations": 1})
    assert response.status_code == 201, response.text
    graph = response.json()["graph"]
    assert len(graph["nodes"]) == 999
    assert _bends(graph) <= MAX_BENDS
    assert len(response.content) < 1_500_000  # the bends bound the work and the bytes
    by_id = {node["id"]: node for node in graph["nodes"]}
    for edge in graph["edges"]:  # every edge still joins its nodes and points right
        a, b = by_id[edge["source"]], by_id[edge["target"]]
        assert edge["points"][0] == [a["x"], a["y"]] and edge["points"][-1] == [b["x"], b["y"]]
        assert a["x"] < b["x"]


def test_a_1000_node_chain_with_long_edges_is_drawn_with_bounded_bends_and_no_overlaps():
    """Before: 84 s for the POST of this 18 KB source (251,000 bend points, 5.4 MB)."""
    from app.drawing.layout import LAYER_GAP, NODE_GAP
    from app.engine.core.limits import Limits
    from app.engine.core.run import Run, RunSpec

    graph = Run(RunSpec(source=_chain_source(1000), iterations=1), Limits()).describe()["graph"]
    placed = layout(graph)
    assert _bends(placed) <= MAX_BENDS  # the bends bound the work (timed in bench/layout.py)
    columns: dict[float, list[float]] = {}
    for node in placed["nodes"]:
        columns.setdefault(node["x"], []).append(node["y"])
    for ys in columns.values():
        ys.sort()
        assert all(b - a >= NODE_GAP - 1e-6 for a, b in zip(ys, ys[1:], strict=False))
    assert all(x % LAYER_GAP == 60.0 % LAYER_GAP for x in columns)


def test_short_labels_of_names_alike_at_both_ends_on_one_line_are_distinct(client):
    """Two long names that differ only in the middle, declared on one line: both were shown
    as `…zzzzzzzzz_tail`."""
    a = "alpha_" + "q" * 20 + "_X_" + "z" * 20 + "_tail"
    b = "alpha_" + "q" * 20 + "_Y_" + "z" * 20 + "_tail"
    shorts = short_labels([a, b], [a, b], [2, 2])
    assert len(set(shorts)) == 2 and all(len(s) <= SHORT_CHARS for s in shorts), shorts
    source = f"x = input(2)\n{a} = param(2); {b} = param(2)\nloss = sum(x * {a} + {b})"
    response = client.post(f"{API}/runs", json={"source": source, "iterations": 1})
    assert response.status_code == 201, response.text
    shown = [node["short"] for node in response.json()["graph"]["nodes"]]
    assert len(set(shown)) == len(shown), shown


def test_the_grad_of_an_input_without_input_grads_is_a_404_saying_why(client):
    """Before: `unknown grad of node 'x' at step 3; it exists in no step` — not why."""
    source = "x = input(3, 2)\nw = param(2, 1)\ny = input(3, 1)\nloss = sum((x @ w - y) ** 2)"
    response = client.post(f"{API}/runs", json={"source": source, "iterations": 1,
                                                "input_grads": False})
    assert response.status_code == 201, response.text
    run_id = response.json()["run_id"]
    last = response.json()["steps_per_iteration"] - 1
    response = client.get(f"{API}/runs/{run_id}/iterations/0/steps/{last}/tensors/x/grad")
    assert response.status_code == 404
    message = response.json()["error"]["message"]
    assert "input_grads" in message and "true" in message, message
    # a constant's gradient is never computed either: said so
    source = "x = input(3, 2)\nw = param(2, 1)\nloss = sum(x @ w * 2)"
    run_id = client.post(f"{API}/runs", json={"source": source, "iterations": 1}).json()["run_id"]
    graph = client.get(f"{API}/runs/{run_id}").json()
    const = next(n["id"] for n in graph["graph"]["nodes"] if n["kind"] == "const")
    last = graph["steps_per_iteration"] - 1
    response = client.get(f"{API}/runs/{run_id}/iterations/0/steps/{last}/tensors/{const}/grad")
    assert response.status_code == 404
    assert "constant" in response.json()["error"]["message"], response.text
