"""GET …/runs/{id}/symbolic and …/presets/{id}/symbolic: SymPy's derivative against the tape."""

from __future__ import annotations

import pytest
from apihelpers import API, make_client


@pytest.fixture(scope="module")
def client():
    return make_client()


def run_id(client, body) -> str:
    return client.post(f"{API}/runs", json=body).json()["run_id"]


def test_micrograds_derivative_written_out(client):
    rid = run_id(client, {"preset": "micrograd-neuron"})
    doc = client.get(f"{API}/runs/{rid}/symbolic", params={"wrt": "w1"}).json()
    assert (doc["wrt"], doc["index"], doc["iteration"]) == ("w1", [], 0)
    # o = tanh(x1 w1 + x2 w2 + b): ∂o/∂w1 = x1 (1 − tanh²(…)) = 2 · 0.5 = 1
    assert doc["derivative_latex"] == (
        "\\mathit{x1} \\left(1 - \\tanh^{2}{\\left(\\mathit{b} + \\mathit{w1} \\mathit{x1} + "
        "\\mathit{w2} \\mathit{x2} \\right)}\\right)")
    assert doc["derivative_mathml"].startswith("<math")
    assert doc["value"] == pytest.approx(1.0, rel=1e-12) and doc["autodiff"] == pytest.approx(1.0)
    assert doc["rel_error"] < 1e-12 and not doc["latex_shortened"]
    size = doc["size"]
    assert size["graph"] == 10 and size["expression"] == doc["nodes_shown"] > 0
    assert size["tape_ops"] == 5 + 7  # five forward ops; seven sends reach a leaf or an op
    assert set(doc["seconds"]) == {"write", "differentiate", "cse", "evaluate", "reverse"}
    assert doc["bounds"] == {"max_symbolic_work": 100_000, "max_symbolic_leaves": 512,
                             "max_symbolic_nodes": 4_000}


def test_a_tensor_element_at_a_later_iteration(client):
    rid = run_id(client, {"preset": "logistic-regression", "params": {"N": 4, "D": 3},
                          "iterations": 5})
    first = client.get(f"{API}/runs/{rid}/symbolic", params={"wrt": "w", "index": "2,0"})
    later = client.get(f"{API}/runs/{rid}/symbolic",
                       params={"wrt": "w", "index": "2, 0", "iteration": 4}).json()
    assert first.status_code == 200
    first = first.json()
    assert first["index"] == [2, 0] and later["iteration"] == 4
    assert first["value"] == pytest.approx(first["autodiff"], rel=1e-9)
    assert later["value"] == pytest.approx(later["autodiff"], rel=1e-9)
    assert later["value"] != pytest.approx(first["value"])
    assert later["leaves"] == 4 * 3 + 4 + 3 + 1


def test_past_the_bound_a_413_that_says_what_to_reduce(client):
    rid = run_id(client, {"preset": "deep-mlp", "params": {"depth": 1, "N": 1}})
    response = client.get(f"{API}/runs/{rid}/symbolic", params={"wrt": "w1", "index": "0,0"})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["limit"] == "max_symbolic_leaves" and error["value"] == 512
    assert "reduce the batch or the widths" in error["message"]
    deep = run_id(client, {"preset": "deep-tanh", "params": {"depth": 12}})
    error = client.get(f"{API}/runs/{deep}/symbolic",
                       params={"wrt": "w1", "index": "0,0"}).json()["error"]
    assert error["limit"] == "max_symbolic_nodes" and "reduce the depth" in error["message"]


def test_small_bounds_are_the_servers_settings():
    small = make_client(max_symbolic_nodes=20)
    rid = run_id(small, {"preset": "deep-tanh", "params": {"depth": 1}})
    response = small.get(f"{API}/runs/{rid}/symbolic", params={"wrt": "w1", "index": "0,0"})
    assert response.status_code == 413
    assert response.json()["error"]["value"] == 20


@pytest.mark.parametrize("query, field", [
    ({"wrt": "nope"}, "wrt"),
    ({"wrt": "loss"}, "wrt"),
    ({"wrt": "w1", "index": "0"}, "index"),
    ({"wrt": "w1", "index": "0,2"}, "index"),
    ({"wrt": "w1", "index": "0,,1"}, "index"),
])
def test_a_wrong_element_is_a_422_naming_the_field(client, query, field):
    rid = run_id(client, {"preset": "deep-tanh", "params": {"depth": 1}})
    response = client.get(f"{API}/runs/{rid}/symbolic", params=query)
    assert response.status_code == 422
    assert field in response.json()["error"]["message"]


def test_an_iteration_past_the_run_is_a_404(client):
    rid = run_id(client, {"preset": "micrograd-neuron", "iterations": 2})
    response = client.get(f"{API}/runs/{rid}/symbolic", params={"wrt": "b", "iteration": 2})
    assert response.status_code == 404


def test_the_swell_against_depth(client):
    response = client.get(f"{API}/presets/deep-tanh/symbolic",
                          params={"vary": "depth", "values": "1,2,3,4"})
    doc = response.json()
    assert (doc["vary"], doc["wrt"]) == ("depth", "w1")
    points = doc["points"]
    assert [p["value"] for p in points] == [1, 2, 3, 4]
    assert [p["graph"] for p in points] == [10, 13, 16, 19]
    assert [p["tape_ops"] for p in points] == [13, 18, 23, 28]
    growth = [p["expression"] for p in points]
    assert growth == sorted(growth) and growth[-1] > 20 * growth[0]
    assert all(p["with_cse"] < p["expression"] and p["over"] is None for p in points)


def test_a_sweep_with_other_parameters_and_past_the_bounds(client):
    doc = client.get(f"{API}/presets/deep-tanh/symbolic",
                     params={"vary": "width", "values": "1,64", "params.depth": "2"}).json()
    assert doc["points"][0]["over"] is None and doc["points"][1]["over"] is not None
    assert doc["points"][1]["expression"] is None


@pytest.mark.parametrize("query", [
    {"vary": "lr", "values": "1"},
    {"vary": "depth", "values": "one"},
    {"vary": "depth", "values": ",".join(["1"] * 13)},
    {"vary": "depth", "values": "1", "params.N": "x"},
    {"vary": "depth", "values": "0"},
])
def test_a_bad_sweep_is_a_422(client, query):
    assert client.get(f"{API}/presets/deep-tanh/symbolic", params=query).status_code == 422


def test_an_unknown_preset_is_a_404(client):
    response = client.get(f"{API}/presets/nope/symbolic", params={"vary": "N", "values": "1"})
    assert response.status_code == 404


def test_an_op_without_a_formula_is_a_422_naming_it(client, monkeypatch):
    from app.engine.instruments import symbolic

    monkeypatch.delitem(symbolic.FORWARD, "tanh")
    rid = run_id(client, {"preset": "micrograd-neuron", "seed": 7})
    response = client.get(f"{API}/runs/{rid}/symbolic", params={"wrt": "b"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert "'tanh' has no symbolic formula" in error["message"] and error["line"] == 6
