"""Every bad input is a 4xx with a message a person can act on, never a 500 (issue 12, item 4).

Each case below was a 500 on the old code: numbers too large for a float (as a size, a
constant, `value=`, `scale=`, an exponent, a named number, in the JSON body or in a run id),
unary minus signs nested past the recursion limit, more axes than numpy allows, an infinite
exponent, a lone surrogate in a source, `bernoulli()` with no size. Run ids answer what the
same body answers. Whatever else goes wrong is a JSON 500 with an error id that is in the
log, on a connection that stays usable.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import zlib

import httpx
import pytest
import uvicorn
from apihelpers import API, make_client

from app.api.settings import Settings
from app.main import create_app
from app.serving.devserver import free_port

BIG = "1" + "0" * 400  # a 401-digit integer literal: no float holds it


def post(client, body: dict) -> httpx.Response:
    """POST /runs with a body that may hold what httpx's own JSON encoder refuses (surrogates)."""
    return client.post(f"{API}/runs", content=json.dumps(body).encode("ascii"),
                       headers={"content-type": "application/json"})


def run_id(description: dict) -> str:
    """A run id made by hand, as a client could forge it (not through POST)."""
    raw = json.dumps(description, sort_keys=True, separators=(",", ":"),
                     ensure_ascii=False).encode("utf-8")
    return "g1." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def assert_error(response: httpx.Response, status: int, kind: str | None = None) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    if kind is not None:
        assert error["kind"] == kind, error
    return error


SOURCES = {
    "size": f"x = param({BIG})\nloss = sum(x)",
    "size from a named number": f"n = {BIG}\nx = param(n)\nloss = sum(x)",
    "constant": f"x = param(3)\nloss = sum(x * {BIG})",
    "negated constant": f"x = param(3)\nloss = sum(x * -{BIG})",
    "value=": f"x = param(value={BIG})\nloss = x * x",
    "scale=": f"x = param(3, scale={BIG})\nloss = sum(x)",
    "exponent": f"x = param(3)\nloss = sum(x ** {BIG})",
    "named number": f"n = {BIG}\nx = param(3)\nloss = sum(x * n)",
    "axis": f"x = param(3, 4)\nloss = sum(sum(x, axis={BIG}))",
    "infinite exponent": "x = param(3)\nloss = sum(x ** 1e999)",
    "infinite constant": "x = param(3)\nloss = sum(x * 1e999)",
    "infinite value=": "x = param(value=-1e999)\nloss = x * x",
}


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_numbers_no_float_holds_are_a_source_error(client, source):
    error = assert_error(post(client, {"source": source, "iterations": 2}), 422, "source")
    assert error["line"] in (1, 2) and error["column"] >= 1
    assert "too large" in error["message"] or "finite" in error["message"]


@pytest.mark.parametrize("signs", [950, 1500, 2999, 5000])
def test_unary_minus_signs_nested_deeply_are_a_source_error(client, signs):
    on_a_name = f"x = param(3)\nloss = sum({'-' * signs}x)"
    error = assert_error(post(client, {"source": on_a_name, "iterations": 2}), 422, "source")
    assert "nested" in error["message"]
    on_a_number = f"x = param(3)\nloss = sum(x * {'-' * signs}1)"
    assert post(client, {"source": on_a_number, "iterations": 2}).status_code in (201, 422)


def test_many_minus_signs_on_a_number_are_that_number(client):
    source = f"x = param(3)\nloss = sum(x * {'-' * 1000}2)"  # an even count: +2
    created = post(client, {"source": source, "iterations": 2})
    assert created.status_code == 201, created.text
    const = next(n for n in created.json()["graph"]["nodes"] if n["kind"] == "const")
    assert const["label"].endswith("2")
    steps = client.get(f"{API}/runs/{created.json()['run_id']}/iterations/0/steps").json()
    assert any("x * 2" in step["code"] for step in steps["steps"])


@pytest.mark.parametrize("axes", [33, 64, 65, 200])
def test_more_axes_than_allowed_is_a_source_error(client, axes):
    source = f"x = param({', '.join(['1'] * axes)})\nloss = sum(x)"
    error = assert_error(post(client, {"source": source, "iterations": 2}), 422, "source")
    assert "axes" in error["message"]


def test_a_lone_surrogate_in_a_source_is_a_source_error(client):
    source = "x = param(3)\nloss = sum(x)  # \ud800"
    error = assert_error(post(client, {"source": source, "iterations": 2}), 422, "source")
    assert (error["line"], error["column"]) == (2, 18)
    assert "surrogate" in error["message"]


@pytest.mark.parametrize("body", [
    {"preset": "\ud800"},
    {"preset": "micrograd-neuron", "params": {"\udfff": 1}},
    {"source": "x = param(3)\nloss = sum(x)", "params": {"\ud800": 1}},
], ids=["preset", "preset param name", "source param name"])
def test_lone_surrogates_anywhere_in_a_body_are_a_4xx(client, body):
    response = post(client, body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["message"]


def test_bernoulli_with_no_size_is_a_source_error(client):
    source = "y = bernoulli()\nw = param()\nloss = w * y"
    error = assert_error(post(client, {"source": source, "iterations": 2}), 422, "source")
    assert "bernoulli" in error["message"]


@pytest.mark.parametrize("body, field", [
    ({"source": "x = param(n)\nloss = sum(x)", "params": {"n": int(BIG)}}, "params.n"),
    ({"preset": "pytorch-numpy-two-layer", "params": {"N": int(BIG)}}, "params.N"),
    ({"preset": "micrograd-neuron", "iterations": int(BIG)}, "iterations"),
    ({"preset": "micrograd-neuron", "lr": int(BIG)}, "lr"),
    ({"preset": "micrograd-neuron", "seed": int(BIG)}, "seed"),
], ids=["named number", "preset parameter", "iterations", "lr", "seed"])
def test_huge_numbers_in_the_body_are_a_422(client, body, field):
    error = assert_error(post(client, body), 422)
    assert error["field"].removeprefix("body.") == field, error


BASE = {"v": 1, "seed": 0, "lr": 0.1, "iterations": 3, "params": {},
        "preset": "micrograd-neuron"}
FORGED = {
    "iterations": {**BASE, "iterations": int(BIG)},
    "seed": {**BASE, "seed": int(BIG)},
    "lr": {**BASE, "lr": 1e300},
    "preset parameter": {**BASE, "preset": "pytorch-numpy-two-layer", "iterations": 2,
                         "params": {"N": int(BIG), "D_in": 4, "D_out": 2, "H": 3}},
    "named number": {**{k: v for k, v in BASE.items() if k != "preset"},
                     "source": "x = param(n)\nloss = sum(x)", "params": {"n": int(BIG)}},
    "source number": {**{k: v for k, v in BASE.items() if k != "preset"},
                      "source": f"x = param({BIG})\nloss = sum(x)"},
}


@pytest.mark.parametrize("description", FORGED.values(), ids=FORGED.keys())
def test_run_ids_with_out_of_range_numbers_are_422_like_the_body(client, description):
    by_id = client.get(f"{API}/runs/{run_id(description)}")
    assert by_id.status_code == 422, by_id.text[:300]
    assert by_id.json()["error"]["message"]
    by_body = post(client, {k: v for k, v in description.items() if k != "v"})
    assert by_body.status_code == 422, by_body.text[:300]


def test_a_run_id_over_the_iteration_limit_is_413_like_the_body(client):
    description = {**BASE, "iterations": 6000}
    assert client.get(f"{API}/runs/{run_id(description)}").status_code == 413
    body = {k: v for k, v in description.items() if k != "v"}
    assert post(client, body).status_code == 413


def test_a_tensor_larger_than_any_float_is_a_limit_naming_its_shape(client):
    dim = "1" + "0" * 200  # fits a float; the product of two does not
    source = f"x = param({dim}, {dim})\nloss = sum(x)"
    error = assert_error(post(client, {"source": source, "iterations": 2}), 413, "limit")
    assert error["limit"] == "max_tensor_elements"
    assert dim in error["message"]


# ----- values near the largest float: summaries stay finite, states stay JSON -----

def test_values_near_the_largest_float_in_a_large_tensor_are_served(client):
    """Heatmap block means of 1e308-sized values overflowed, and every state of the run 500ed."""
    source = "x = input(40, 40, scale=1.7e308)\nw = param(40, 40)\nloss = sum(x * w)"
    created = post(client, {"source": source, "iterations": 2})
    assert created.status_code == 201, created.text
    base = f"{API}/runs/{created.json()['run_id']}/iterations/0"
    iteration = client.get(base)
    assert iteration.status_code == 200, iteration.text[:300]
    for k in (0, 1, 4):
        state = client.get(f"{base}/steps/{k}")
        assert state.status_code == 200, state.text[:300]
        x = state.json()["nodes"]["x"]["value"]
        cells = [c for row in x["heatmap"]["cells"] for c in row]
        assert all(isinstance(c, float) and abs(c) <= 1.7976931348623157e308 for c in cells)
        assert all(isinstance(e, float) for e in x["histogram"]["edges"])


# ----- the catch-all: an unexpected exception is a JSON 500 with an id in the log -----

def _failing_app():
    app = create_app(Settings())

    @app.get("/api/v1/boom")
    async def boom():
        raise RuntimeError("an engine bug")

    @app.get("/api/v1/boom-in-thread")
    def boom_in_thread():
        raise ZeroDivisionError("another one")

    return app


@pytest.mark.parametrize("path", ["/api/v1/boom", "/api/v1/boom-in-thread"])
def test_an_unexpected_exception_is_a_json_500_with_an_error_id_in_the_log(path, caplog):
    from fastapi.testclient import TestClient

    client = TestClient(_failing_app())  # raises in the test if the exception escapes
    with caplog.at_level(logging.ERROR):
        response = client.get(path)
    error = assert_error(response, 500, "internal")
    assert error["error_id"] and error["error_id"] in error["message"]
    assert "an engine bug" not in response.text and "Traceback" not in response.text
    logged = [r for r in caplog.records if error["error_id"] in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_500_leaves_the_connection_clean_on_a_real_server():
    """On uvicorn the connection that saw a 500 serves the next request (keep-alive)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(_failing_app(), host="127.0.0.1", port=port,
                                           log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        connections = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20) as http:
            for _ in range(3):
                response = http.get("/api/v1/boom")
                assert response.status_code == 500
                assert response.json()["error"]["kind"] == "internal"
                assert response.headers.get("connection", "keep-alive") != "close"
                connections.append(response.extensions["network_stream"])
            assert http.get("/healthz").status_code == 200
        assert len({id(stream) for stream in connections}) == 1
    finally:
        server.should_exit = True
        thread.join(20)


def test_error_bodies_are_json_even_when_made_of_odd_numbers():
    """A limit whose value is not finite is still JSON (docs/json.md: non-finite by name)."""
    from app.api.errors import error_response

    body = json.loads(error_response(413, "limit", "too much", value=float("inf")).body)
    assert body["error"]["value"] == "Infinity"


def test_clients_see_no_5xx_on_a_sample_of_hostile_bodies():
    client = make_client(max_source_chars=20000)
    hostile = [
        {"source": "x = param(3)\nloss = sum(" + "(" * 150 + "x" + ")" * 150 + ")"},
        {"source": "x = param(3)\nloss = sum(" + "x + " * 500 + "x)"},
        {"source": "x = param(3)\nloss = sum(" + "-" * 3000 + "x)"},
        {"source": "x = param(3)\nloss = sum(x ** -1e308)"},
        {"source": "x = param(3)\nloss = sum(x * 1e308 * 1e308)"},
        {"source": "x = param()\nloss = x ** 9007199254740993"},
        {"source": "\x00"},
        {"source": "x = param(3)\nloss = sum(x)", "params": {"a": 1e400}},
    ]
    for body in hostile:
        response = post(client, {**body, "iterations": 2})
        assert response.status_code < 500, (body, response.text[:300])


def test_a_lone_surrogate_anywhere_in_a_run_is_refused_before_its_id_is_made():
    """A safety net under every text field a run may gain: its id is UTF-8, a surrogate is not."""
    from app.api.runids import canonical_bytes
    from app.engine.core.errors import InvalidRequestError
    from app.engine.core.spec import RunSpec

    class WithSurrogate(RunSpec):
        def canonical(self) -> dict:
            return {**super().canonical(), "note": "\ud800"}

    with pytest.raises(InvalidRequestError, match="surrogate"):
        canonical_bytes(WithSurrogate(preset="micrograd-neuron"))
