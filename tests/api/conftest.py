"""Fixtures of the API tests: a default app, a small seed-network run, a live server."""

from __future__ import annotations

import pytest
from apihelpers import API, SMALL_SEED_RUN, LiveServer, make_client
from fastapi.testclient import TestClient


@pytest.fixture
def client() -> TestClient:
    return make_client()


@pytest.fixture
def small_run(client: TestClient) -> dict:
    response = client.post(f"{API}/runs", json=SMALL_SEED_RUN)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="session")
def live_server():
    server = LiveServer(workers=2)
    yield server
    server.stop()
