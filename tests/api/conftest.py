"""Fixtures of the API tests: a default app, a small seed-network run, a live server."""

from __future__ import annotations

import pytest
from apihelpers import API, SMALL_SEED_RUN, make_client
from fastapi.testclient import TestClient

from app.serving.devserver import devserver


@pytest.fixture
def client() -> TestClient:
    return make_client()


@pytest.fixture
def small_run(client: TestClient) -> dict:
    response = client.post(f"{API}/runs", json=SMALL_SEED_RUN)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="session")
def live_server() -> str:
    """The base URL of a real uvicorn with two workers."""
    with devserver(["--workers", "2", "--log-level", "warning"]) as base:
        yield base
