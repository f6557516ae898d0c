"""Memory: the ledger of a run, and the peak against batch size and depth (D2L 4.7)."""

from __future__ import annotations

import pytest
from apihelpers import API, make_client


@pytest.fixture(scope="module")
def client():
    return make_client()


def test_run_memory_is_the_step_ledger_with_labels(client):
    run = client.post(f"{API}/runs", json={"preset": "pytorch-numpy-two-layer",
                                           "params": {"N": 8, "D_in": 30}}).json()
    doc = client.get(f"{API}/runs/{run['run_id']}/memory").json()
    steps = client.get(f"{API}/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
    assert doc["bytes_after"] == [s["memory_bytes"] for s in steps]
    assert doc["peak_bytes"] == max(doc["bytes_after"]) == (8 * 100 * 2 + 8 * 10) * 8
    assert steps[doc["peak_step"]]["phase"] == "forward"
    held = {n["node"]: n for n in doc["nodes"]}
    assert held["tmp1"]["label"] == "y_pred - y" and held["h"]["bytes"] == 8 * 100 * 8
    # held from the forward step whose VJP reads it until the backward step that used it
    assert steps[held["h"]["first"]]["node"] == "h_relu"
    assert steps[held["h"]["released"]]["node"] == "h_relu"
    assert steps[held["h"]["released"]]["phase"] == "backward"


@pytest.mark.parametrize("depth", [1, 2, 4, 8, 16])
def test_deep_mlp_peak_grows_as_batch_times_depth(client, depth):
    values = [8, 16, 32, 64]
    doc = client.get(f"{API}/presets/deep-mlp/memory",
                     params={"vary": "N", "values": ",".join(map(str, values)),
                             "params.depth": depth}).json()
    assert doc["values"] == values
    for n, peak in zip(values, doc["peak_bytes"], strict=True):
        assert peak == pytest.approx(2 * depth * n * 64 * 8, rel=0.05)


def test_the_sweep_over_depth_equals_the_runs_own_ledgers(client):
    doc = client.get(f"{API}/presets/deep-mlp/memory",
                     params={"vary": "depth", "values": "1,3", "params.N": 16}).json()
    for depth, peak in zip((1, 3), doc["peak_bytes"], strict=True):
        run = client.post(f"{API}/runs", json={"preset": "deep-mlp",
                                               "params": {"depth": depth, "N": 16}}).json()
        assert client.get(f"{API}/runs/{run['run_id']}/memory").json()["peak_bytes"] == peak
        assert sum(n["op"] == "relu" for n in run["graph"]["nodes"] if n["kind"] == "op") \
            == depth


@pytest.mark.parametrize("query,status,words", [
    ({"vary": "lam", "values": "1"}, 422, "not an integer parameter"),
    ({"vary": "N", "values": "0"}, 422, "from 1 to 512"),
    ({"vary": "N", "values": "8", "params.nope": "1"}, 422, "unknown parameter 'nope'"),
    ({"vary": "N", "values": "eight"}, 422, "is not a number"),
    ({"vary": "N", "values": ",".join(["8"] * 33)}, 422, "1 to 32 values"),
    ({"vary": "depth", "values": "33"}, 422, "from 1 to 32"),
])
def test_memory_sweep_errors(client, query, status, words):
    response = client.get(f"{API}/presets/deep-mlp/memory", params=query)
    assert response.status_code == status and words in response.text


def test_unknown_preset_memory_is_404(client):
    response = client.get(f"{API}/presets/nope/memory", params={"vary": "N", "values": "8"})
    assert response.status_code == 404
