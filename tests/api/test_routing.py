"""Every route of the API is reached, and a path beside a resource's is no route
(app/api/routing.py: each router refuses at once a path not under its own prefix)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

NO_SUCH_PAGE = "no such page"


def _concrete(path: str) -> str:
    """A path template with its parameters filled (numbers where a number is expected)."""
    return re.sub(r"\{(\w+)\}", lambda m: "0" if m.group(1) in ("t", "k") else "x", path)


def test_every_documented_route_is_reached(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]
    assert len(paths) > 20
    for path, operations in paths.items():
        for method in operations:
            response = client.request(method.upper(), _concrete(path), follow_redirects=False)
            # the route's own answer (a 4xx about the parameters or body, or a 2xx), never
            # the router's: not "no such page", not "method not allowed"
            assert response.status_code != 405, (method, path, response.text)
            assert NO_SUCH_PAGE not in response.text, (method, path, response.text)


@pytest.mark.parametrize("path", ["/api/v1/classesX", "/api/v1/runsX/y", "/api/v1/presetsX",
                                  "/api/v1/class/ABCDEF", "/api/v2/classes/ABCDEF"])
def test_a_path_beside_a_resource_is_no_route(client: TestClient, path: str):
    response = client.get(path)
    assert response.status_code == 404
    assert NO_SUCH_PAGE in response.json()["error"]["message"]
