"""`GET /runs/{run_id}/layout?collapsed=…`: the graph drawn with groups collapsed, shaped like
the run document's `graph`, immutable and cached like everything under a run id."""

from __future__ import annotations

import pytest
from apihelpers import API, make_client

from app.api.responses import IMMUTABLE
from bench.graphs import deep_mlp_source

SOURCE = '''x = input(4, 3)
y = input(4, 2)
with group("encoder"):
    w1 = param(3, 5)
    with group("layer 1"):
        h = relu(x @ w1)
    z = tanh(h)
with group("head"):
    w2 = param(5, 2)
    out = z @ w2
loss = sum((out - y) ** 2)
'''


@pytest.fixture
def run(client) -> dict:
    response = client.post(f"{API}/runs", json={"source": SOURCE, "iterations": 2})
    assert response.status_code == 201, response.text
    return response.json()


def layout_of(client, run: dict, collapsed: str | None, **headers):
    params = {} if collapsed is None else {"collapsed": collapsed}
    return client.get(f"{API}/runs/{run['run_id']}/layout", params=params, headers=headers)


def test_the_run_document_lists_each_nodes_groups(run):
    groups = {n["id"]: n["groups"] for n in run["graph"]["nodes"]}
    assert groups["x"] == [] and groups["loss"] == []
    assert groups["w1"] == ["encoder"] and groups["h"] == ["encoder", "layer 1"]
    assert groups["out"] == ["head"]
    assert all(n["short"] for n in run["graph"]["nodes"])


def test_a_collapsed_group_is_one_node_with_its_boundary_edges(client, run):
    response = layout_of(client, run, "head")
    assert response.status_code == 200
    graph = response.json()
    assert graph["collapsed"] == ["head"]
    by_id = {n["id"]: n for n in graph["nodes"]}
    head = by_id["head"]
    assert head["kind"] == "group" and head["label"] == "head" and head["groups"] == []
    assert head["members"] == ["w2", "out"]
    assert "w2" not in by_id and "out" not in by_id
    assert head["inputs"] == ["z"]
    original = {e["id"]: e for e in run["graph"]["edges"]}
    kept = {e["id"]: e for e in graph["edges"]}
    # the edges crossing the boundary keep their ids, now ending at the group
    z_out = next(i for i, e in original.items() if e["source"] == "z" and e["target"] == "out")
    assert kept[z_out]["target"] == "head" and kept[z_out]["source"] == "z"
    out_sub = next(i for i, e in original.items() if e["source"] == "out")
    assert kept[out_sub]["source"] == "head"
    inside = next(i for i, e in original.items() if e["source"] == "w2")
    assert inside not in kept, "an edge inside the group is gone"
    assert set(kept) == {i for i, e in original.items()
                         if not (e["source"] in head["members"] and e["target"] in head["members"])}
    assert graph["loss"] == "loss"
    for edge in graph["edges"]:  # drawn: coordinates and polylines, like the run's graph
        a, b = by_id[edge["source"]], by_id[edge["target"]]
        assert edge["points"][0] == [a["x"], a["y"]] and edge["points"][-1] == [b["x"], b["y"]]


def test_an_inner_group_disappears_into_a_collapsed_outer_one(client, run):
    both = layout_of(client, run, "layer 1,encoder").json()
    outer = layout_of(client, run, "encoder").json()
    assert both["collapsed"] == outer["collapsed"] == ["encoder"]
    encoder = next(n for n in both["nodes"] if n["id"] == "encoder")
    assert encoder["members"] == ["w1", "tmp1", "h", "z"]
    inner = layout_of(client, run, "layer 1").json()
    box = next(n for n in inner["nodes"] if n["id"] == "layer 1")
    assert box["groups"] == ["encoder"] and box["members"] == ["tmp1", "h"]
    assert {"w1", "z"} <= {n["id"] for n in inner["nodes"]}


def mlp_source(layers: int) -> str:
    """A ReLU MLP, each layer a group, its loss and L2 penalty in the group "loss"."""
    lines, previous = ["x = input(4, 3)", "y = input(4, 3)"], "x"
    for k in range(1, layers + 1):
        lines += [f'with group("layer {k}"):', f"    W{k} = param(3, 3)",
                  f"    h{k} = relu({previous} @ W{k})"]
        previous = f"h{k}"
    penalty = " + ".join(f"sum(W{k} ** 2)" for k in range(1, layers + 1))
    lines += ['with group("loss"):', f"    J = mean(({previous} - y) ** 2) + 0.01 * ({penalty})"]
    return "\n".join(lines) + "\n"


def test_the_loss_inside_a_collapsed_group_makes_the_group_the_loss(client):
    run = client.post(f"{API}/runs", json={"source": mlp_source(6)}).json()
    graph = layout_of(client, run, "loss").json()
    assert graph["loss"] == "loss"
    assert next(n for n in graph["nodes"] if n["id"] == "loss")["kind"] == "group"
    everything = ",".join(f"layer {k}" for k in range(1, 7)) + ",loss"
    chain = layout_of(client, run, everything).json()
    assert [n["id"] for n in chain["nodes"]] == ["x", "y", *(f"layer {k}" for k in range(1, 7)),
                                                  "loss"]
    xs = [n["x"] for n in chain["nodes"][2:]]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), "one column per layer, left to right"


def test_no_group_collapsed_is_the_run_documents_graph(client, run):
    plain = layout_of(client, run, None).json()
    empty = layout_of(client, run, "").json()
    assert plain == empty
    assert plain["nodes"] == run["graph"]["nodes"] and plain["edges"] == run["graph"]["edges"]


def test_immutable_cached_and_the_same_for_any_order(client, run):
    first = layout_of(client, run, "head,layer 1", **{"accept-encoding": "identity"})
    assert first.headers["cache-control"] == IMMUTABLE
    again = layout_of(client, run, "layer 1,head", **{"accept-encoding": "identity"})
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    other_app = layout_of(make_client(), run, "head,layer 1", **{"accept-encoding": "identity"})
    assert other_app.content == first.content
    unchanged = layout_of(client, run, "head,layer 1", **{"if-none-match": first.headers["etag"]})
    assert unchanged.status_code == 304


def test_an_unknown_group_is_a_404_naming_the_groups(client, run):
    response = layout_of(client, run, "head,decoder")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["kind"] == "not_found"
    assert "'decoder'" in error["message"]
    assert "'encoder', 'layer 1', 'head'" in error["message"]


def test_a_graph_without_groups_says_so(client, small_run):
    response = client.get(f"{API}/runs/{small_run['run_id']}/layout",
                          params={"collapsed": "layer 1"})
    assert response.status_code == 404
    assert "no groups" in response.json()["error"]["message"]


def test_the_query_is_bounded(client, run):
    response = layout_of(client, run, "x" * 10_001)
    assert response.status_code == 422


def test_the_openapi_schema_describes_the_endpoint(client):
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/runs/{run_id}/layout"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["collapsed"]["schema"]["anyOf"][0]["maxLength"] == 10_000
    assert "maxLength" in parameters["run_id"]["schema"]
    assert {"200", "404", "413", "422"} <= set(operation["responses"])
    node = schema["components"]["schemas"]["LayoutNodeOut"]
    assert "group" in node["properties"]["kind"]["enum"]


def test_identical_collapsed_groups_in_a_row_stack_into_one_box(client):
    """A 12-layer MLP typed without groups: its found layers, collapsed and stacked, are one box
    `layer 1–12 × 12`; one layer left open splits the stack in two around it."""
    run = client.post(f"{API}/runs", json={"source": deep_mlp_source(12, grouped=False),
                                           "iterations": 1}).json()
    layers = run["graph"]["found_groups"]
    assert layers == [f"layer {i}" for i in range(1, 13)]
    url = f"{API}/runs/{run['run_id']}/layout"
    graph = client.get(url, params={"collapsed": ",".join(layers), "stacked": "true"}).json()
    stacks = [n for n in graph["nodes"] if n.get("stack")]
    assert [(s["id"], s["label"], s["stack"]) for s in stacks] == [
        ("layer 1 … layer 12", "layer 1–12 × 12", layers)]
    [stack] = stacks
    assert stack["members"] == [m for i in range(1, 13)
                                for m in (f"w{i}", f"b{i}", f"tmp{2 * i - 1}", f"tmp{2 * i}", f"h{i}")]
    assert stack["inputs"] == ["x"]
    by_id = {n["id"]: n for n in graph["nodes"]}
    assert by_id["tmp25"]["inputs"] == [stack["id"], "y"]  # h12 - y reads the stack
    assert graph["collapsed"] == sorted(layers)
    ends = {(e["source"], e["target"]) for e in graph["edges"]}
    assert ends == {("x", stack["id"]), (stack["id"], "tmp25"), ("y", "tmp25"),
                    ("tmp25", "tmp26"), ("tmp26", "loss")}
    # unstacked: a box per layer, as before
    plain = client.get(url, params={"collapsed": ",".join(layers)}).json()
    assert sum(n["kind"] == "group" for n in plain["nodes"]) == 12
    assert not any(n.get("stack") for n in plain["nodes"])
    # layer 6 open: layers 1–5 and 7–12 stack on either side of its nodes
    open6 = client.get(url, params={"collapsed": ",".join(g for g in layers if g != "layer 6"),
                                    "stacked": "true"}).json()
    labels = [n["label"] for n in open6["nodes"] if n["kind"] == "group"]
    assert labels == ["layer 1–5 × 5", "layer 7–12 × 6"]
    assert {"w6", "h6"} <= {n["id"] for n in open6["nodes"]}


def test_two_groups_alike_do_not_stack(client, run):
    """Fewer than three in a row, or groups that are not copies: each keeps its own box."""
    graph = layout_of(client, run, "encoder,head").json()
    stacked = client.get(f"{API}/runs/{run['run_id']}/layout",
                         params={"collapsed": "encoder,head", "stacked": "true"}).json()
    assert stacked == graph
