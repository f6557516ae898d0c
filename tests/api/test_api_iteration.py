"""The iteration document: every step, every summary once, and what each step changed.

Contract (docs/json.md): for every k, merging changes[0..k] field by field per node and
resolving tensor ids gives exactly the `nodes` of …/steps/{k}.
"""

from __future__ import annotations

import gzip

import pytest
from apihelpers import API, make_client

from app.api.compact import decode_iteration
from app.engine.presets import PRESETS

#: one typed graph with a node feeding 4 consumers, one with broadcasting and shared weights
FAN_OUT = ("x = input(4, 3)\nw = param(3, 3, scale=0.5)\nh = tanh(x @ w)\n"
           "a = relu(h)\nb = sigmoid(h)\nc = h * h\nd = exp(-h)\n"
           "loss = sum(a + b) + mean(c) - sum(d * 0.1)\n")
SHARED = ("x = input(5, 2)\nw = param(2, 2)\nb = param(2)\nh = tanh(x @ w + b)\n"
          "o = h @ w\nloss = mean((o - x) ** 2) + 0.01 * sum(w * w)\n")
RUNS = [pytest.param({"preset": p, "iterations": 2} if p != "colah-sum-of-paths"
                     else {"preset": p}, id=p) for p in sorted(PRESETS)]
RUNS += [pytest.param({"source": FAN_OUT, "iterations": 2, "lr": 0.1}, id="fan-out-4"),
         pytest.param({"source": SHARED, "iterations": 2, "lr": 0.1}, id="shared-weight"),
         pytest.param({"source": FAN_OUT, "iterations": 2, "lr": 0.1, "mode": "forward",
                       "direction": {"leaf": "w", "index": [1, 2]}}, id="forward-fan-out-4"),
         pytest.param({"preset": "pytorch-numpy-two-layer", "iterations": 2, "mode": "forward"},
                      id="forward-seed-network")]


@pytest.fixture(scope="module")
def client():
    return make_client()


def merged_nodes(document: dict, k: int) -> dict:
    nodes: dict = {}
    for changed in document["changes"][: k + 1]:
        for nid, fields in changed.items():
            target = nodes.setdefault(nid, {})
            for key, value in fields.items():
                target[key] = document["tensors"][value] if key in ("value", "grad", "tangent") \
                    and value is not None else value
    return nodes


@pytest.mark.parametrize("body", RUNS)
def test_merging_changes_gives_every_state(client, body):
    if "preset" in body and body["preset"] == "pytorch-numpy-two-layer":
        body = {**body, "params": {"N": 16, "D_in": 40}}
    run = client.post(f"{API}/runs", json=body).json()
    for t in range(min(2, run["iterations"])):
        doc = decode_iteration(client.get(f"{API}/runs/{run['run_id']}/iterations/{t}").json())
        assert doc["iteration"] == t
        steps = client.get(f"{API}/runs/{run['run_id']}/iterations/{t}/steps").json()
        assert doc["steps"] == steps["steps"]
        assert len(doc["changes"]) == run["steps_per_iteration"]
        assert set(doc["changes"][0]) == {n["id"] for n in run["graph"]["nodes"]}
        for k in range(run["steps_per_iteration"]):
            state = client.get(f"{API}/runs/{run['run_id']}/iterations/{t}/steps/{k}").json()
            assert merged_nodes(doc, k) == state["nodes"], (t, k)
        losses = client.get(f"{API}/runs/{run['run_id']}/losses").json()["losses"]
        assert doc["loss"] == losses[t]


def test_each_summary_is_sent_once_and_every_id_is_used(client):
    run = client.post(f"{API}/runs", json={"source": FAN_OUT, "iterations": 2}).json()
    doc = decode_iteration(client.get(f"{API}/runs/{run['run_id']}/iterations/1").json())
    used = {v for changed in doc["changes"] for fields in changed.values()
            for key, v in fields.items() if key in run["quantities"] and v is not None}
    assert used == set(doc["tensors"])
    # changes name only what changed: a forward step changes one node's value
    forward = run["phases"]["forward"][0]
    first_op = next(n["id"] for n in run["graph"]["nodes"] if n["kind"] == "op")
    assert list(doc["changes"][forward]) == [first_op]
    assert list(doc["changes"][forward][first_op]) == ["value"]


def test_iteration_document_is_immutable_gzipped_and_the_same_on_any_worker(client):
    body = {"preset": "d2l-mlp-l2", "iterations": 3}
    run_id = client.post(f"{API}/runs", json=body).json()["run_id"]
    url = f"{API}/runs/{run_id}/iterations/2"
    first = client.get(url)
    assert first.status_code == 200
    assert "immutable" in first.headers["cache-control"] and first.headers["etag"]
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    other = make_client().get(url)
    assert other.content == first.content and other.headers["etag"] == first.headers["etag"]
    assert len(gzip.compress(first.content)) < len(first.content)


def test_unknown_iteration_is_a_404_naming_the_range(client):
    run_id = client.post(f"{API}/runs", json={"preset": "micrograd-neuron",
                                               "iterations": 3}).json()["run_id"]
    response = client.get(f"{API}/runs/{run_id}/iterations/3")
    assert response.status_code == 404
    assert "iterations are 0 to 2" in response.json()["error"]["message"]


def test_run_declares_its_phases_and_quantities(client):
    run = client.post(f"{API}/runs", json={"preset": "micrograd-neuron"}).json()
    assert run["quantities"] == ["value", "grad"]
    assert list(run["phases"]) == ["load", "forward", "seed", "backward", "update"]


def test_a_default_direction_and_the_same_direction_written_out_are_one_run(client):
    implicit = client.post(f"{API}/runs", json={"preset": "micrograd-neuron",
                                                "mode": "forward"}).json()
    explicit = client.post(f"{API}/runs", json={"preset": "micrograd-neuron", "mode": "forward",
                                                "direction": {"leaf": "w1", "index": []}}).json()
    assert implicit["direction"] == {"leaf": "w1", "index": []}
    assert implicit["run_id"] == explicit["run_id"]


def test_a_default_direction_builds_its_run_once(monkeypatch):
    """The run built to find forward mode's default direction is the run (not built twice),
    and the request is validated once per build (RunSpec.resolve)."""
    from app.api.settings import Settings
    from app.api.store import RunStore
    from app.engine.core.run import Run, RunSpec

    built, resolved = [], []
    init, resolve = Run.__init__, RunSpec.resolve
    monkeypatch.setattr(Run, "__init__", lambda self, *a: built.append(1) or init(self, *a))
    monkeypatch.setattr(RunSpec, "resolve", lambda self: resolved.append(1) or resolve(self))
    entry = RunStore(Settings()).create(RunSpec(preset="micrograd-neuron", mode="forward"))
    assert entry.run.direction == ("w1", ())
    assert len(built) == 1 and len(resolved) == 2  # the run's, and the id's (canonical())
