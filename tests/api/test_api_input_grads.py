"""The run option `input_grads`: whether the backward pass also computes ∂loss/∂x for the
data inputs — off where a preset's source text does not (the tutorial, D2L), on for colah's
and micrograd's; in the body, the run id and the description, strictly a boolean."""

from __future__ import annotations

import base64
import json
import zlib

import numpy as np
import pytest
from apihelpers import API, SMALL_SEED_RUN

from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from app.engine.presets import PRESETS


def _id(description: dict) -> str:
    """A run id as any version of the server wrote it: canonical JSON, zlib, base64url."""
    raw = json.dumps(description, sort_keys=True, separators=(",", ":"),
                     ensure_ascii=False).encode()
    return "g1." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def _payload(run_id: str) -> dict:
    packed = run_id[3:]
    return json.loads(zlib.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))))


def _sends(client, run_id: str) -> list[str]:
    steps = client.get(f"{API}/runs/{run_id}/iterations/0/steps").json()["steps"]
    return [c["to"] for s in steps for c in s["contributions"]]


def test_presets_say_their_default(client):
    presets = {p["id"]: p for p in client.get(f"{API}/presets").json()["presets"]}
    assert {pid for pid, p in presets.items() if p["input_grads"]} == \
        {"colah-sum-of-paths", "micrograd-neuron"}
    assert client.get(f"{API}/presets/d2l-mlp-l2").json()["input_grads"] is False


def test_the_seed_network_computes_no_input_gradient_by_default(client):
    default = client.post(f"{API}/runs", json=SMALL_SEED_RUN).json()
    assert default["input_grads"] is False
    assert {"x", "y"}.isdisjoint(_sends(client, default["run_id"]))
    nodes = {n["id"]: n for n in default["graph"]["nodes"]}
    assert nodes["x"]["gradient"] is None and nodes["w1"]["gradient"] == "∂loss/∂w1"
    assert _payload(default["run_id"])["input_grads"] is False
    # asked for by name: the same run, the same id
    named = client.post(f"{API}/runs", json={**SMALL_SEED_RUN, "input_grads": False}).json()
    assert named["run_id"] == default["run_id"]
    last = default["steps_per_iteration"] - 1
    gone = client.get(f"{API}/runs/{default['run_id']}/iterations/0/steps/{last}/tensors/x/grad")
    assert gone.status_code == 404 and "in no step" in gone.json()["error"]["message"]


def test_input_grads_true_keeps_the_data_input_steps_in_body_and_id(client):
    default = client.post(f"{API}/runs", json=SMALL_SEED_RUN).json()
    full = client.post(f"{API}/runs", json={**SMALL_SEED_RUN, "input_grads": True}).json()
    assert full["input_grads"] is True and full["run_id"] != default["run_id"]
    assert "input_grads" not in _payload(full["run_id"])  # as every id before the option
    assert {"x", "y"} <= set(_sends(client, full["run_id"]))
    again = client.get(f"{API}/runs/{full['run_id']}").json()
    assert again["input_grads"] is True and again["run_id"] == full["run_id"]
    last = full["steps_per_iteration"] - 1
    grad_x = client.get(f"{API}/runs/{full['run_id']}/iterations/0/steps/{last}/tensors/x/grad")
    assert grad_x.status_code == 200 and grad_x.json()["shape"] == [8, 20]
    # the parameters' gradients and the losses are the same either way
    for param in ("w1", "w2"):
        a, b = (client.get(f"{API}/runs/{r['run_id']}/iterations/0/steps/{r['steps_per_iteration'] - 1}"
                           f"/tensors/{param}/grad").json()["values"] for r in (default, full))
        assert a == b
    assert client.get(f"{API}/runs/{full['run_id']}/losses").json() == \
        client.get(f"{API}/runs/{default['run_id']}/losses").json()


def test_an_id_made_before_the_option_decodes_to_the_same_run(client):
    """An id without the key was a run that computed every input's gradient: it still is."""
    old = _id({"v": 1, "seed": 0, "lr": 1e-06, "iterations": 5, "preset": SMALL_SEED_RUN["preset"],
               "params": dict(sorted(SMALL_SEED_RUN["params"].items()))})
    response = client.get(f"{API}/runs/{old}")
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["run_id"] == old and doc["input_grads"] is True
    assert {"x", "y"} <= set(_sends(client, old))
    # and the same id as the same run asked for today
    asked = client.post(f"{API}/runs", json={**SMALL_SEED_RUN, "lr": 1e-06,
                                            "input_grads": True}).json()
    assert asked["run_id"] == old


def test_colah_and_micrograd_compute_the_input_derivatives_by_default(client):
    colah = client.post(f"{API}/runs", json={"preset": "colah-sum-of-paths"}).json()
    assert colah["input_grads"] is True and "input_grads" not in _payload(colah["run_id"])
    last = colah["steps_per_iteration"] - 1
    base = f"{API}/runs/{colah['run_id']}/iterations/0/steps/{last}/tensors"
    assert client.get(f"{base}/a/grad").json()["values"] == 2.0  # ∂e/∂a
    assert client.get(f"{base}/b/grad").json()["values"] == 5.0  # ∂e/∂b: two paths
    off = client.post(f"{API}/runs", json={"preset": "colah-sum-of-paths",
                                           "input_grads": False}).json()
    assert off["input_grads"] is False and _payload(off["run_id"])["input_grads"] is False
    assert "backward" not in off["phases"]  # a and b are colah's only leaves


@pytest.mark.parametrize("value", ["true", 1, 0, "yes", [True], {}])
def test_input_grads_is_strictly_a_boolean(client, value):
    response = client.post(f"{API}/runs", json={**SMALL_SEED_RUN, "input_grads": value})
    assert response.status_code == 422, response.text
    assert "input_grads" in response.text


def test_an_id_with_a_malformed_input_grads_is_refused(client):
    for bad in ("no", 0, True):  # True is never written: not canonical
        run_id = _id({"v": 1, "seed": 0, "lr": 1e-06, "iterations": 5, "input_grads": bad,
                      "preset": SMALL_SEED_RUN["preset"],
                      "params": dict(sorted(SMALL_SEED_RUN["params"].items()))})
        assert client.get(f"{API}/runs/{run_id}").status_code == 422


def test_the_schema_documents_the_option_as_a_boolean(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["RunCreate"]
    defaults = {}
    for variant in schema["oneOf"]:
        field = variant["properties"]["input_grads"]
        assert field["anyOf"] == [{"type": "boolean"}, {"type": "null"}]
        assert "∂loss/∂x" in field["description"]
        key = variant["properties"].get("preset", {}).get("const", "source")
        defaults[key] = field["default"]
    assert defaults == {"source": True, **{pid: p.input_grads for pid, p in PRESETS.items()}}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_pruning_the_input_steps_leaves_every_parameter_gradient_bit_for_bit(preset):
    pruned = Run(RunSpec(preset=preset, input_grads=False), Limits())
    full = Run(RunSpec(preset=preset, input_grads=True), Limits())
    a, b = pruned.trace(0), full.trace(0)
    assert len(a.step_list) <= len(b.step_list)
    inputs = {n.id for n in full.graph.nodes.values() if n.kind == "input"}
    sent = {c.to for s in a.step_list for c in s.contributions}
    assert not sent & inputs
    # every backward step left serves a parameter: the ones pruned served only data inputs
    needed = full.graph.depending_on([p.id for p in full.graph.parameters])
    assert all(s.node in needed for s in a.step_list if s.phase == "backward")
    for p in full.graph.parameters:
        np.testing.assert_array_equal(a.tensor(len(a.step_list) - 1, p.id, "grad"),
                                      b.tensor(len(b.step_list) - 1, p.id, "grad"))


def test_the_logistic_regression_prunes_the_step_of_one_minus_y():
    pruned = Run(RunSpec(preset="logistic-regression"), Limits())
    full = Run(RunSpec(preset="logistic-regression", input_grads=True), Limits())
    one_minus_y = next(n.id for n in full.graph.nodes.values() if n.label == "1 - y")
    backward = {s.node for s in full.trace(0).step_list if s.phase == "backward"}
    assert one_minus_y in backward
    assert one_minus_y not in {s.node for s in pruned.trace(0).step_list if s.phase == "backward"}
    assert len(pruned.trace(0).step_list) == len(full.trace(0).step_list) - 1
