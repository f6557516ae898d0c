"""The notebook widget's kernel side: the view's requests answered with the API's own
documents, `state()` the API's exact arrays, clear errors, and the example notebook runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.api.settings import Settings
from app.main import create_app

pytest.importorskip("anywidget")

from gradwalk.notebook import Walk  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"preset": "pytorch-numpy-two-layer", "iterations": 3,
         "params": {"N": 8, "D_in": 20, "H": 10, "D_out": 3}}


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(Settings()))


def answers(walk, *paths):
    sent = []
    walk.send = sent.append
    for i, path in enumerate(paths):
        walk._answer(walk, {"type": "request", "id": f"q{i}", "path": path}, [])
    return sent


def test_the_view_gets_the_apis_iteration_documents(client):
    walk = Walk(**SMALL)
    run = client.post("/api/v1/runs", json=SMALL).json()
    assert walk.run_id == run["run_id"] and walk._run == run
    ok, other, bad = answers(walk, f"/runs/{walk.run_id}/iterations/2", "/runs/g1.x/iterations/0",
                             f"/runs/{walk.run_id}/iterations/7")
    assert ok["id"] == "q0" and ok["status"] == 200
    assert json.loads(ok["body"]) == client.get(f"/api/v1/runs/{walk.run_id}/iterations/2").json()
    assert other["status"] == 404 and "a widget answers its run's iterations" in other["body"]
    assert bad["status"] == 404 and "iterations are 0 to 2" in json.loads(bad["body"])["error"]["message"]


def test_state_is_the_apis_exact_arrays(client):
    walk = Walk(**SMALL)
    walk.iteration, walk.step = 1, 13
    state = walk.state()
    base = f"/api/v1/runs/{walk.run_id}/iterations/1/steps/13/tensors"
    for node in ("w1", "h", "loss"):
        for which in ("value", "grad"):
            expected = client.get(f"{base}/{node}/{which}").json()["values"]
            np.testing.assert_array_equal(state[node][which], np.array(expected))
    walk.step = 2  # before the backward pass: no gradient yet
    assert walk.state()["w1"]["grad"] is None and walk.state()["h"]["value"] is not None


def test_bad_arguments_are_said():
    with pytest.raises(ValueError, match="exactly one of preset"):
        Walk()
    with pytest.raises(TypeError, match="unknown run option.*speed"):
        Walk(preset="micrograd-neuron", speed=3)
    walk = Walk(preset="micrograd-neuron", iterations=2)
    with pytest.raises(Exception, match="iteration 5: this run's are 0 to 1"):
        walk.iteration = 5
    with pytest.raises(Exception, match="an iteration's steps are 0 to"):
        walk.step = -1


def test_the_example_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(ROOT / "examples" / "seed-network.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, resources={"metadata": {"path": str(ROOT)}}).execute()
    last = notebook.cells[-1].outputs[0]["data"]["text/plain"]
    assert last == "True"  # ∂loss/∂w1 = x.T @ ∂loss/∂h, from the state's own arrays
