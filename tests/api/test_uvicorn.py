"""Real uvicorn, two workers: any worker serves any run id, byte for byte the same."""

from __future__ import annotations

import httpx
from apihelpers import API, SEED_PRESET

from app.serving.devserver import devserver


def test_forty_states_over_new_connections_are_identical(live_server):
    created = httpx.post(f"{live_server}{API}/runs", json={"preset": SEED_PRESET}, timeout=60)
    assert created.status_code == 201, created.text
    run = created.json()
    k = run["phases"]["backward"][0] + 3
    url = f"{live_server}{API}/runs/{run['run_id']}/iterations/0/steps/{k}"
    bodies = []
    etags = set()
    for _ in range(40):
        with httpx.Client(timeout=60, headers={"accept-encoding": "identity"}) as fresh:
            response = fresh.get(url)
        assert response.status_code == 200, response.text
        bodies.append(response.content)
        etags.add(response.headers["etag"])
    assert len(set(bodies)) == 1 and len(etags) == 1
    assert b'"step":' + str(k).encode() in bodies[0]


def test_a_run_created_on_one_server_is_served_by_another(live_server):
    created = httpx.post(f"{live_server}{API}/runs",
                         json={"preset": "micrograd-neuron", "iterations": 3}, timeout=60)
    with devserver(["--workers", "1", "--log-level", "warning"]) as other:
        response = httpx.get(f"{other}{API}/runs/{created.json()['run_id']}", timeout=60)
    assert response.status_code == 200
    assert response.content == created.content
