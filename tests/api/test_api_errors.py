"""Errors a client can cause are JSON a person can act on, never a 500."""

from __future__ import annotations

import pytest
from apihelpers import API

LANGUAGE_ERRORS = [
    ("syntax", "x = input(3)\nloss = sum(x", 2),
    ("unknown function", "x = input(3)\nloss = foo(x)", 2),
    ("unknown name", "x = input(3)\nloss = sum(z)", 2),
    ("statement not allowed", "import os\nx = input(3)\nloss = sum(x)", 1),
    ("unknown method", "x = input(3)\nloss = x.item()", 2),
    ("shape mismatch", "a = input(2, 3)\nb = input(4, 5)\nloss = sum(a @ b)", 3),
    ("loss not a scalar", "x = input(3)\nloss = x * 2", 2),
    ("boolean mask", "x = input(3)\nloss = sum(x[x > 0])", 2),
    ("bad leaf size", "x = input(-3)\nloss = sum(x)", 1),
    ("unknown keyword", "x = input(3)\nloss = sum(x, axes=0)", 2),
    ("named number reused", "n = 2\nn = 3\nx = input(3)\nloss = sum(x * n)", 2),
    ("no assignment", "1 + 2", 1),
]


@pytest.mark.parametrize(("kind", "source", "line"), LANGUAGE_ERRORS, ids=[k for k, *_ in
                                                                          LANGUAGE_ERRORS])
def test_language_errors_are_422_with_line_and_column(client, kind, source, line):
    response = client.post(f"{API}/runs", json={"source": source})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["kind"] == "source"
    assert error["line"] == line and error["column"] >= 1
    assert error["message"].startswith(f"line {line}, column {error['column']}")


def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_wrong_method_is_json_405(client):
    response = client.delete(f"{API}/presets")
    assert response.status_code == 405
    assert response.json()["error"]["status"] == 405
    assert "GET" in response.headers["allow"]


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


EXTREME_SOURCES = [
    "a = input(value=1e308)\nloss = a * a",
    "x = input(2, scale=1e-320)\nloss = sum(x * x)",
]


@pytest.mark.parametrize("source", EXTREME_SOURCES)
def test_extreme_values_never_give_a_500(source):
    from apihelpers import make_client

    client = make_client()
    created = client.post(f"{API}/runs", json={"source": source, "iterations": 2})
    assert created.status_code == 201, created.text
    run = created.json()
    for k in range(run["steps_per_iteration"]):
        url = f"{API}/runs/{run['run_id']}/iterations/1/steps/{k}"
        assert client.get(url).status_code == 200, url
