"""GET /presets and /presets/{id}."""

from __future__ import annotations

from apihelpers import API, SEED_PRESET


def test_presets_list_ids_parameters_and_bounds(client):
    response = client.get(f"{API}/presets")
    assert response.status_code == 200
    presets = {p["id"]: p for p in response.json()["presets"]}
    seed = presets[SEED_PRESET]
    params = {p["name"]: p for p in seed["params"]}
    assert params["N"]["default"] == 64 and params["D_in"]["default"] == 1000
    assert params["H"]["default"] == 100 and params["D_out"]["default"] == 10
    for p in params.values():
        assert p["min"] <= p["default"] <= p["max"]
    assert "source" not in seed


def test_presets_say_what_a_source_uses_for_what_it_leaves_out(client):
    defaults = client.get(f"{API}/presets").json()["source_defaults"]
    assert defaults == {"seed": 0, "lr": 0.01, "iterations": 100, "input_grads": True}
    run = client.post(f"{API}/runs", json={"source": "w = param(2)\nloss = sum(w * w)\n"}).json()
    assert {k: run[k] for k in defaults} == defaults


def test_one_preset_has_its_source(client):
    response = client.get(f"{API}/presets/{SEED_PRESET}")
    assert response.status_code == 200
    assert "relu(" in response.json()["source"]


def test_unknown_preset_is_404_naming_the_presets(client):
    response = client.get(f"{API}/presets/nope")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["kind"] == "not_found" and SEED_PRESET in error["available"]
