"""Protocol hygiene (issue 12, item 7): nosniff on every response, CSP and frame protection on
/docs, HEAD on every GET route, the request line and headers bounded in bytes and a request in
time by `gradwalk serve`, and an OpenAPI schema as strict as the server (what it accepts, the
server accepts: schemathesis' positive-data acceptance check).

On the old code: no nosniff on API responses, no CSP on /docs, HEAD was 405, a 96 MB header
was accepted (httptools), a header that never ends held its connection forever, and the
schema accepted a body with both `preset` and `source`, or more iterations than the limit.
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import sys
import time

import jsonschema_rs
import pytest
import schemathesis
from apihelpers import API, SMALL_SEED_RUN, make_client
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.serving.devserver import devserver

# ----- nosniff, /docs -----


def paths_of_every_kind(client) -> list[str]:
    created = client.post(f"{API}/runs", json=SMALL_SEED_RUN).json()
    run = f"{API}/runs/{created['run_id']}"
    return ["/", "/healthz", "/docs", "/docs/oauth2-redirect", "/openapi.json",
            "/static/js/main.js", "/static-offline-docs/swagger-ui.css", f"{API}/presets",
            f"{API}/presets/nope", run, run, f"{run}/iterations/0/steps/3",
            f"{run}/iterations/0/steps/3/tensors/w1/value?format=npy", f"{run}/code",
            f"{run}/iterations/99", f"{API}/runs/g1.AAAA", "/nowhere"]


def test_every_response_says_nosniff(client):
    for path in paths_of_every_kind(client):
        for method in ("GET", "HEAD"):
            response = client.request(method, path)
            assert response.headers.get("x-content-type-options") == "nosniff", (method, path)
    run = client.post(f"{API}/runs", json=SMALL_SEED_RUN)
    assert run.headers["x-content-type-options"] == "nosniff"
    for response in (client.post(f"{API}/runs", json={"preset": "nope"}),
                     client.post(f"{API}/runs", content=b"{", headers={
                         "content-type": "application/json"}),
                     client.post(f"{API}/runs", content=b"x" * 70_000),
                     client.get(f"{API}/runs/{run.json()['run_id']}",
                                headers={"if-none-match": run.headers["etag"]})):
        assert response.status_code in (304, 404, 413, 422)
        assert response.headers.get("x-content-type-options") == "nosniff"


@pytest.mark.parametrize("path", ["/docs", "/docs/oauth2-redirect"])
def test_the_docs_pages_have_a_csp_that_allows_exactly_their_inline_scripts(client, path):
    response = client.get(path, headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    csp = dict(part.strip().split(" ", 1) for part in
               response.headers["content-security-policy"].split(";"))
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert csp["default-src"] == "'self'" and csp["style-src"] == "'self'"
    assert "unsafe" not in csp["script-src"]
    assert response.headers["x-frame-options"] == "DENY"
    scripts = re.findall(rb"<script>(.*?)</script>", response.content, re.DOTALL)
    assert scripts
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in csp["script-src"]
    assert response.headers["content-length"] == str(len(response.content))


# ----- HEAD -----

def test_head_answers_every_get_route_with_its_headers_and_no_body(client):
    for path in paths_of_every_kind(client):
        got = client.get(path)
        head = client.head(path)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        for name in ("content-type", "etag", "cache-control", "content-length"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)


def test_head_of_a_post_only_route_is_405_like_get(client):
    assert client.head(f"{API}/runs").status_code == client.get(f"{API}/runs").status_code


# ----- gradwalk serve: bounded headers, bounded time per request -----

SERVE = (sys.executable, "-m", "app.cli", "serve")


@pytest.fixture(scope="module")
def served():
    with devserver(["--request-timeout", "1.5"], command=SERVE) as base:
        host, port = base.removeprefix("http://").split(":")
        yield base, (host, int(port))


def _raw(address, data: bytes, wait: float = 10.0) -> tuple[bytes, float]:
    """Send raw bytes; what the server answers until it closes, and after how long."""
    with socket.create_connection(address, timeout=wait) as conn:
        start = time.monotonic()
        conn.sendall(data)
        received = b""
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return received, time.monotonic() - start


def test_a_huge_header_is_refused_and_the_server_goes_on(served):
    base, address = served
    answer, _ = _raw(address, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000
                     + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400"), answer[:100]
    answer, _ = _raw(address, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer[:100]


def test_a_run_id_as_long_as_allowed_still_fits_in_the_request_line(served):
    base, address = served
    run_id = "g1." + "A" * 15_990
    answer, _ = _raw(address, f"GET {API}/runs/{run_id} HTTP/1.1\r\nHost: x\r\n"
                              "Connection: close\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 404"), answer[:100]


@pytest.mark.parametrize("partial", [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n",  # headers that never end
    b"POST /api/v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",  # a body
    b"",  # a connection that says nothing
], ids=["header", "body", "silence"])
def test_a_request_that_never_completes_is_closed_after_the_request_timeout(served, partial):
    base, address = served
    answer, waited = _raw(address, partial)
    assert 1.0 < waited < 6, waited
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:100]


def test_a_slow_second_request_on_a_kept_connection_is_closed_too(served):
    base, address = served
    with socket.create_connection(address, timeout=10) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = conn.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        start = time.monotonic()
        conn.sendall(b"GET /healthz HTTP/1.1\r\n")  # and then a byte a second
        closed = False
        for _ in range(8):
            time.sleep(1)
            try:
                conn.sendall(b"X")
                if conn.recv(65536) == b"":
                    closed = True
                    break
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                closed = True
                break
        assert closed and time.monotonic() - start < 6


# ----- the OpenAPI schema as strict as the server -----

TIGHT = dict(max_tensor_elements=400, max_total_elements=4000, max_nodes=40, max_iterations=3,
             max_source_chars=400, max_compute_seconds=2.0, max_body_bytes=2000,
             max_run_id_chars=2000)


def run_create_validator(client):
    document = client.get("/openapi.json").json()
    return jsonschema_rs.validator_for({**document, "$ref": "#/components/schemas/RunCreate"})


BODIES = [  # (body, the server's answer under TIGHT)
    ({"preset": "micrograd-neuron", "iterations": 3}, 201),
    ({"preset": "micrograd-neuron"}, 413),  # its own 20 iterations are over the limit
    ({"preset": "micrograd-neuron", "source": "x = param(3)\nloss = sum(x)"}, 422),
    ({}, 422),
    ({"preset": "micrograd-neuron", "iterations": 4}, 413),
    ({"preset": "logistic-regression", "params": {"N": 2, "D": 2}}, 413),  # 100 iterations
    ({"preset": "logistic-regression", "params": {"N": 2, "D": 2}, "iterations": 3}, 201),
    ({"preset": "logistic-regression", "params": {"N": 2, "D": 2.5}, "iterations": 3}, 422),
    ({"preset": "logistic-regression", "params": {"N": 0}, "iterations": 3}, 422),
    ({"preset": "logistic-regression", "params": {"X": 1}, "iterations": 3}, 422),
    ({"preset": "micrograd-neuron", "lr": 1e4, "iterations": 3}, 422),
    ({"preset": "micrograd-neuron", "direction": {"leaf": "w1"}, "iterations": 3}, 422),
    ({"preset": "micrograd-neuron", "mode": "forward", "direction": {"leaf": "w1"},
      "iterations": 2}, 201),
    ({"source": "x = param(3)\nloss = sum(x)", "iterations": 3}, 201),
    ({"source": "x = param(3)\nloss = sum(x)"}, 413),  # a source's 100 iterations
    ({"source": "x = param(n)\nloss = sum(x)", "params": {"n": 3}, "iterations": 3}, 201),
    ({"source": "x = param(n)\nloss = sum(x)", "params": {"1n": 3}, "iterations": 3}, 422),
    ({"source": "x = param(3)\nloss = sum(x)" + " " * 400, "iterations": 3}, 413),
]


@pytest.mark.parametrize("body, status", BODIES)
def test_the_schema_accepts_a_body_exactly_when_the_server_does(body, status):
    client = make_client(**TIGHT)
    assert client.post(f"{API}/runs", json=body).status_code == status, body
    assert run_create_validator(client).is_valid(body) == (status == 201), body


def test_the_schema_bounds_run_ids_and_iterations_by_this_server_s_limits():
    document = make_client(**TIGHT).get("/openapi.json").json()
    parameters = {p["name"]: p["schema"] for p in
                  document["paths"]["/api/v1/runs/{run_id}/iterations/{t}"]["get"]["parameters"]}
    assert parameters["run_id"]["maxLength"] == TIGHT["max_run_id_chars"]
    assert parameters["t"]["maximum"] == TIGHT["max_iterations"] - 1


APP = make_client(**TIGHT).app
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
#: refusals that depend on what no schema can say: the source text itself, the sizes a graph's
#: shapes multiply to, the compute it costs, the body's bytes, a direction in the graph, the
#: length of the source a preset writes from its parameters (deep-mlp's depth), a page of
#: losses past the run's own iterations (?start=&stop=), one element of a step that is not a
#: backward step or of an input it does not send to (…/element?to=&index=)
GRAPH_DEPENDENT = {"source", "max_tensor_elements", "max_total_elements", "max_nodes",
                   "max_compute_seconds", "max_body_bytes", "direction.leaf", "direction.index",
                   "start", "stop", "k", "to", "index"}


def _graph_dependent(response, case) -> bool:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    written = (error.get("limit") == "max_source_chars" and isinstance(case.body, dict)
               and "preset" in case.body)  # a source's own length the schema bounds
    return (written or error.get("kind") in GRAPH_DEPENDENT
            or error.get("limit") in GRAPH_DEPENDENT or error.get("field") in GRAPH_DEPENDENT)


def accepted_when_the_schema_accepts(ctx, response, case):
    """schemathesis' positive-data acceptance, except for refusals no schema can express."""
    if _graph_dependent(response, case):
        return None
    return positive_data_acceptance(ctx, response, case)


STRICT_OPERATIONS = schema.include(
    path_regex=r"^/api/v1/(runs|runs/\{run_id\}(/losses|/code|/iterations/.*)?)$")


@STRICT_OPERATIONS.parametrize()
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_what_the_schema_accepts_the_server_accepts(case):
    case.call_and_validate(checks=[accepted_when_the_schema_accepts])
