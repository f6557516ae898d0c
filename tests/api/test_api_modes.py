"""GET /runs/{id}/modes: forward vs reverse mode for a whole Jacobian, counted and timed."""

from __future__ import annotations

import pytest
from apihelpers import API, make_client


@pytest.fixture(scope="module")
def seed_run():
    client = make_client()
    run = client.post(f"{API}/runs", json={"preset": "pytorch-numpy-two-layer"}).json()
    return client, run["run_id"]


def test_the_loss_wrt_every_parameter_one_reverse_sweep_against_101000(seed_run):
    client, run_id = seed_run
    response = client.get(f"{API}/runs/{run_id}/modes")
    assert response.status_code == 200
    doc = response.json()
    assert (doc["of"], doc["wrt"], doc["outputs"], doc["inputs"]) == ("loss", ["w1", "w2"],
                                                                      1, 101000)
    assert doc["forward"]["sweeps"] == 101000 and doc["reverse"]["sweeps"] == 1
    assert doc["reverse"]["measured_all"] and not doc["forward"]["measured_all"]
    # 2·64·1000·100 for x @ w1 alone: FLOPs are counted from the shapes
    assert doc["forward"]["flops_per_sweep"] > 2 * 64 * 1000 * 100
    assert doc["forward"]["seconds_total"] > 100 * doc["reverse"]["seconds_total"]
    f = doc["forward"]
    assert f["seconds_total"] == pytest.approx(f["seconds_per_sweep"] * f["sweeps"])


def test_a_wide_output_and_a_small_input_turn_the_count_around(seed_run):
    client, run_id = seed_run
    doc = client.get(f"{API}/runs/{run_id}/modes", params={"of": "y_pred", "wrt": "w2"}).json()
    assert (doc["outputs"], doc["inputs"]) == (640, 1000)
    assert doc["forward"]["sweeps"] == 1000 and doc["reverse"]["sweeps"] == 640
    # a sweep through x @ w1 costs 1.3e7: a 1/64 share of the budget times about 60 of them
    for mode in ("forward", "reverse"):
        sweeps = doc[mode]
        assert 1 <= sweeps["timed"] < sweeps["sweeps"] and not sweeps["measured_all"]
        assert sweeps["timed"] * sweeps["cost_per_sweep"] <= 60_000_000_000 // 64


def test_modes_errors_name_what_exists(seed_run):
    client, run_id = seed_run
    unknown = client.get(f"{API}/runs/{run_id}/modes", params={"of": "nope"})
    assert unknown.status_code == 404 and "nodes are x, y, w1" in unknown.text
    not_leaf = client.get(f"{API}/runs/{run_id}/modes", params={"wrt": "h"})
    assert not_leaf.status_code == 422 and "not an input or parameter" in not_leaf.text
    assert client.get(f"{API}/runs/{run_id}/modes", params={"of": "x" * 65}).status_code == 422


def test_modes_answer_is_kept_per_worker_but_not_called_immutable(seed_run):
    client, run_id = seed_run
    url = f"{API}/runs/{run_id}/modes"
    first, again = client.get(url, params={"wrt": "w2"}), client.get(url, params={"wrt": "w2"})
    assert first.content == again.content
    assert "immutable" not in first.headers.get("cache-control", "")
