"""POST /runs, GET /runs/{id}, /losses, /code: ids are stable and self-contained."""

from __future__ import annotations

import math

from apihelpers import API, SEED_PRESET, SMALL_SEED_RUN, make_client


def test_same_body_gives_same_run_id_and_same_bytes(client):
    first = client.post(f"{API}/runs", json=SMALL_SEED_RUN)
    second = client.post(f"{API}/runs", json=dict(reversed(list(SMALL_SEED_RUN.items()))))
    assert first.status_code == second.status_code == 201
    assert first.json()["run_id"].startswith("g1.")
    assert first.content == second.content
    assert first.headers["location"] == f"{API}/runs/{first.json()['run_id']}"


def test_defaults_spelled_out_give_the_same_id_as_defaults_left_out(client):
    spelled = client.post(f"{API}/runs", json={**SMALL_SEED_RUN, "seed": 0})
    assert spelled.json()["run_id"] == client.post(f"{API}/runs", json=SMALL_SEED_RUN).json()[
        "run_id"
    ]


def test_different_bodies_give_different_ids(client):
    a = client.post(f"{API}/runs", json=SMALL_SEED_RUN).json()["run_id"]
    b = client.post(f"{API}/runs", json={**SMALL_SEED_RUN, "seed": 1}).json()["run_id"]
    assert a != b


def test_a_fresh_app_serves_an_id_it_never_saw(small_run):
    fresh = make_client()
    response = fresh.get(f"{API}/runs/{small_run['run_id']}")
    assert response.status_code == 200
    assert response.json() == small_run


def test_run_describes_graph_with_layout(small_run):
    assert small_run["preset"] == SEED_PRESET
    assert small_run["params"] == SMALL_SEED_RUN["params"]
    assert small_run["iterations"] == 5
    graph = small_run["graph"]
    ids = {node["id"] for node in graph["nodes"]}
    assert {"x", "y", "w1", "w2", "h", "h_relu", "y_pred", "loss"} <= ids
    assert graph["loss"] == "loss"
    for node in graph["nodes"]:
        assert 0 <= node["x"] <= graph["width"] and 0 <= node["y"] <= graph["height"]
    by_id = {node["id"]: node for node in graph["nodes"]}
    for edge in graph["edges"]:
        assert edge["points"][0] == [by_id[edge["source"]]["x"], by_id[edge["source"]]["y"]]
        assert edge["points"][-1] == [by_id[edge["target"]]["x"], by_id[edge["target"]]["y"]]
    assert by_id["loss"]["x"] == max(node["x"] for node in graph["nodes"])
    phases = small_run["phases"]
    assert phases["load"] == [0, 0]
    assert phases["update"][1] == small_run["steps_per_iteration"] - 1


def test_source_run(client):
    body = {"source": "a = input(value=2.0)\nb = param(value=-3.0)\nloss = a * b", "lr": 0.5,
            "iterations": 3}
    response = client.post(f"{API}/runs", json=body)
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["preset"] is None and run["source"] == body["source"]
    assert run["lr"] == 0.5 and run["iterations"] == 3


def test_losses_one_per_iteration(client, small_run):
    response = client.get(f"{API}/runs/{small_run['run_id']}/losses")
    assert response.status_code == 200
    losses = response.json()
    assert losses["iterations"] == 5 and len(losses["losses"]) == 5
    assert all(isinstance(x, float) and math.isfinite(x) for x in losses["losses"])
    assert losses["losses"][-1] < losses["losses"][0]


def test_code_is_a_python_script(client, small_run):
    response = client.get(f"{API}/runs/{small_run['run_id']}/code")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-python")
    compile(response.text, "run.py", "exec")
    assert "import numpy" in response.text


def test_both_or_neither_of_source_and_preset_is_422(client):
    both = client.post(f"{API}/runs", json={"source": "a = input(value=1.0)\nloss = a * a",
                                           "preset": SEED_PRESET})
    neither = client.post(f"{API}/runs", json={"seed": 3})
    assert both.status_code == neither.status_code == 422
    assert both.json()["error"]["status"] == 422


def test_bad_preset_parameter_is_422_naming_it(client):
    response = client.post(f"{API}/runs", json={"preset": SEED_PRESET, "params": {"nope": 3}})
    assert response.status_code == 422
    assert "nope" in response.json()["error"]["message"]


def test_unknown_preset_in_a_run_is_404_naming_the_presets(client):
    response = client.post(f"{API}/runs", json={"preset": "nope"})
    assert response.status_code == 404
    assert SEED_PRESET in response.json()["error"]["available"]


def test_malformed_bodies_are_422_in_the_error_shape(client):
    for body in ({"preset": SEED_PRESET, "seed": -1}, {"preset": SEED_PRESET, "lr": "fast"},
                 {"preset": SEED_PRESET, "iterations": 0}, {"preset": SEED_PRESET, "extra": 1}):
        response = client.post(f"{API}/runs", json=body)
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error["kind"] == "validation" and error["field"].startswith("body")
    broken = client.post(f"{API}/runs", content=b"{not json",
                         headers={"content-type": "application/json"})
    assert broken.status_code == 422


def test_a_diverging_run_sends_its_losses_as_names(client):
    body = {"source": "x = param(3)\nloss = sum(exp(exp(exp(x * 100))))", "iterations": 3}
    run = client.post(f"{API}/runs", json=body).json()
    response = client.get(f"{API}/runs/{run['run_id']}/losses")
    assert response.status_code == 200
    losses = response.json()["losses"]
    assert {"NaN", "Infinity"} & set(losses)
    assert all(isinstance(x, float) or x in ("NaN", "Infinity", "-Infinity") for x in losses)
