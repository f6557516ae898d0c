"""GET …/iterations/{t}/gradcheck: autodiff against central differences (D2L 4.7)."""

from __future__ import annotations

import pytest
from apihelpers import API, make_client


@pytest.fixture(scope="module")
def client():
    return make_client()


def run_id(client, body) -> str:
    return client.post(f"{API}/runs", json=body).json()["run_id"]


def test_seed_network_float64_agrees_to_round_off(client):
    rid = run_id(client, {"preset": "pytorch-numpy-two-layer", "iterations": 2})
    doc = client.get(f"{API}/runs/{rid}/iterations/1/gradcheck").json()
    assert doc["dtype"] == "float64" and doc["tolerance"] == 1e-6
    assert [p["leaf"] for p in doc["params"]] == ["w1", "w2"]
    for p in doc["params"]:
        assert p["direction"]["rel_error"] < 1e-6
        assert len(p["entries"]) == 3
        assert all(e["rel_error"] < 1e-6 for e in p["entries"])
    sweep = doc["sweep"]
    assert sweep["leaf"] == "w1" and len(sweep["h"]) >= 12
    assert sweep["h"][0] == pytest.approx(1e-1) and sweep["h"][-1] == pytest.approx(1e-12)
    assert sweep["best_rel_error"] <= 1e-8
    assert sweep["best_rel_error"] == min(sweep["rel_error"])


def test_entries_are_the_largest_gradients_and_autodiff_is_the_trace(client):
    rid = run_id(client, {"preset": "logistic-regression"})
    doc = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck").json()
    steps = client.get(f"{API}/runs/{rid}/iterations/0/steps").json()["steps"]
    last = len(steps) - 1
    grad = client.get(f"{API}/runs/{rid}/iterations/0/steps/{last}/tensors/w/grad").json()
    flat = [row[0] for row in grad["values"]]
    w = doc["params"][0]
    assert [e["index"] for e in w["entries"]] == \
        [[i, 0] for i in sorted(range(len(flat)), key=lambda i: -abs(flat[i]))[:3]]
    assert w["entries"][0]["autodiff"] == flat[w["entries"][0]["index"][0]]


@pytest.mark.parametrize("preset", ["micrograd-neuron", "logistic-regression"])
def test_the_v_is_visible_on_a_smooth_graph(client, preset):
    rid = run_id(client, {"preset": preset})
    sweep = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck").json()["sweep"]
    best = sweep["best_rel_error"]
    assert sweep["rel_error"][0] >= 100 * best  # h = 1e-1: truncation
    assert sweep["rel_error"][-1] >= 100 * best  # h = 1e-12: round-off
    assert 1e-9 < sweep["best_h"] < 1e-2


def test_float32_round_off_wins_much_sooner(client):
    rid = run_id(client, {"preset": "micrograd-neuron"})
    f64 = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck").json()
    f32 = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck", params={"dtype": "float32"})
    assert f32.status_code == 200 and f32.headers["etag"]
    f32 = f32.json()
    assert f32["dtype"] == "float32" and f32["tolerance"] == 1e-2
    assert f32["sweep"]["best_rel_error"] > 100 * f64["sweep"]["best_rel_error"]
    assert f32["sweep"]["best_h"] > f64["sweep"]["best_h"]
    assert f32["h"] > f64["h"]


def test_gradcheck_errors(client):
    rid = run_id(client, {"preset": "micrograd-neuron", "iterations": 2})
    assert client.get(f"{API}/runs/{rid}/iterations/2/gradcheck").status_code == 404
    bad = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck", params={"dtype": "float16"})
    assert bad.status_code == 422


def test_a_wrong_hand_written_backward_fails_the_gradient_check(client):
    rid = run_id(client, {"preset": "custom-backward"})
    doc = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck").json()
    assert all(p["direction"]["rel_error"] > 1e-2 for p in doc["params"])
    fixed = client.get(f"{API}/presets/custom-backward").json()["source"].replace(
        "def my_log_sigmoid_backward(g, out, x):\n    return g * sigmoid(x)\n", "")
    rid = run_id(client, {"source": fixed, "params": {"N": 16, "D": 4, "H": 8}})
    doc = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck").json()
    assert all(p["direction"]["rel_error"] < 1e-6 for p in doc["params"])


#: w1 reaches the loss through ReLU and a square (piecewise quadratic), w2 linearly then
#: squared (quadratic), v through exp (smooth): only v's differences have a truncation error
MIXED = ("x = input(8, 3)\ny = input(8, 1)\nw1 = param(3, 4)\nw2 = param(4, 1)\nv = param(3)\n"
         "loss = mean((relu(x @ w1) @ w2 - y) ** 2) + sum(exp(v))\n")


def test_the_sweep_runs_along_a_smooth_parameter_where_there_is_one(client):
    rid = run_id(client, {"source": MIXED})
    sweep = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck").json()["sweep"]
    assert (sweep["leaf"], sweep["truncation"]) == ("v", True)
    errors = sweep["rel_error"]
    assert errors[0] >= 1e4 * sweep["best_rel_error"]  # the truncation arm, h = 0.1
    assert errors[-1] >= 1e4 * sweep["best_rel_error"]  # the round-off arm, h = 1e-12


@pytest.mark.parametrize("preset", ["pytorch-numpy-two-layer", "max-pool-hinge"])
def test_a_piecewise_quadratic_loss_is_said_to_have_no_truncation_arm(client, preset):
    rid = run_id(client, {"preset": preset})
    sweep = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck").json()["sweep"]
    assert sweep["truncation"] is False
    # the error at h = 10^-1.5 is already at round-off level: nothing falls as h²
    assert sweep["rel_error"][1] < 1e-10


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_table_h_is_a_point_of_the_sweep(client, dtype):
    rid = run_id(client, {"preset": "logistic-regression"})
    doc = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck", params={"dtype": dtype}).json()
    sweep = doc["sweep"]
    assert doc["h"] in sweep["h"] and sweep["h"] == sorted(sweep["h"], reverse=True)
    (param,) = [p for p in doc["params"] if p["leaf"] == sweep["leaf"]]
    assert sweep["rel_error"][sweep["h"].index(doc["h"])] == param["direction"]["rel_error"]


def test_a_float32_mismatch_within_round_off_blames_the_difference(client):
    rid = run_id(client, {"preset": "pytorch-numpy-two-layer"})
    doc = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck",
                     params={"dtype": "float32"}).json()
    w1 = doc["params"][0]["direction"]
    # a loss of 2.6e7 in float32: ε·|L|/h ≈ 1.2e-7 · 2.6e7 / 4.9e-3 ≈ 640
    assert w1["rel_error"] > doc["tolerance"]
    assert 300 < w1["roundoff"] < 1300
    assert abs(w1["autodiff"] - w1["numerical"]) <= 10 * w1["roundoff"]
    assert w1["verdict"] == "roundoff"
    # the float64 check of the same gradient is good: autodiff was right
    f64 = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck").json()
    assert f64["params"][0]["direction"]["verdict"] == "good"


def test_a_wrong_backward_is_bad_beyond_round_off(client):
    rid = run_id(client, {"preset": "custom-backward"})
    for dtype in ("float64", "float32"):
        doc = client.get(f"{API}/runs/{rid}/iterations/0/gradcheck",
                         params={"dtype": dtype}).json()
        checks = [c for p in doc["params"] for c in [p["direction"], *p["entries"]]]
        assert {c["verdict"] for c in checks} == {"bad"}
