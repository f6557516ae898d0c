"""The iteration document's `layers`: per layer, ‖∂loss/∂W‖ and the step it is known from
(docs/json.md), and deep-mlp's activation choice that makes a vanishing gradient show."""

from __future__ import annotations

import numpy as np
import pytest
from apihelpers import API, make_client


@pytest.fixture(scope="module")
def client():
    return make_client()


def iteration(client, body: dict) -> tuple[str, dict]:
    response = client.post(f"{API}/runs", json={**body, "iterations": 1})
    assert response.status_code == 201, response.text
    run_id = response.json()["run_id"]
    return run_id, client.get(f"{API}/runs/{run_id}/iterations/0").json()


def grad(client, run_id: str, k: int, node: str) -> np.ndarray:
    response = client.get(f"{API}/runs/{run_id}/iterations/0/steps/{k}/tensors/{node}/grad")
    assert response.status_code == 200, response.text
    return np.asarray(response.json()["values"])


def test_a_deep_sigmoid_net_shows_its_gradient_vanishing(client):
    run_id, doc = iteration(client, {"preset": "deep-mlp",
                                     "params": {"depth": 16, "activation": 2}})
    layers = doc["layers"]
    assert [layer["name"] for layer in layers] == [f"layer {k}" for k in range(1, 17)] + \
        ["output"]
    norms = [layer["norm"] for layer in layers]
    # sigmoid's slope is at most 1/4: every layer down gets less than the one above it
    assert all(below < above for below, above in zip(norms[:-1], norms[1:], strict=True))
    assert norms[-2] / norms[0] > 1e8
    for layer in layers:
        (param,) = layer["params"]
        k = layer["step"]
        assert doc["steps"][k]["phase"] == "backward"
        assert layer["norm"] == pytest.approx(np.linalg.norm(grad(client, run_id, k, param)),
                                              rel=1e-12)
        # known from that step on, not before: the gradient is partial or absent at k - 1
        before = doc["changes"][k - 1].get(param, {})
        assert before.get("grad_status") != "complete"
        assert doc["changes"][k][param]["grad_status"] == "complete"


def test_relu_layers_keep_their_gradient(client):
    _, doc = iteration(client, {"preset": "deep-mlp", "params": {"depth": 16}})
    norms = [layer["norm"] for layer in doc["layers"]]
    assert max(norms[:-1]) / min(norms[:-1]) < 100


def test_a_layer_holds_every_parameter_of_its_group(client):
    source = ("x = input(8, 3)\ny = input(8, 1)\n"
              'with group("hidden"):\n    w = param(3, 4)\n    b = param(4)\n'
              "    h = tanh(x @ w + b)\n"
              "v = param(4, 1)\nloss = mean((h @ v - y) ** 2)\n")
    run_id, doc = iteration(client, {"source": source})
    hidden, v = doc["layers"]
    assert (hidden["name"], hidden["params"], v["name"], v["params"]) == \
        ("hidden", ["w", "b"], "v", ["v"])
    k = hidden["step"]
    expected = np.sqrt(np.sum(grad(client, run_id, k, "w") ** 2)
                       + np.sum(grad(client, run_id, k, "b") ** 2))
    assert hidden["norm"] == pytest.approx(expected, rel=1e-12)


def test_forward_mode_has_no_layers(client):
    _, doc = iteration(client, {"preset": "deep-mlp", "mode": "forward"})
    assert doc["layers"] == []


def test_the_activation_is_a_choice_by_index(client):
    preset = client.get(f"{API}/presets/deep-mlp").json()
    (choice,) = [p for p in preset["params"] if p["name"] == "activation"]
    assert choice["kind"] == "choice" and choice["options"] == ["relu", "tanh", "sigmoid"]
    run = client.post(f"{API}/runs", json={"preset": "deep-mlp",
                                           "params": {"activation": 2}}).json()
    assert "sigmoid(x @ w1)" in run["source"]
    for wrong in (3, 1.5, -1):
        response = client.post(f"{API}/runs", json={"preset": "deep-mlp",
                                                    "params": {"activation": wrong}})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["field"] == "params.activation"
        assert "0 (relu), 1 (tanh), 2 (sigmoid)" in error["message"]
