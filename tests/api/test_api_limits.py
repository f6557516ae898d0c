"""Every configurable limit answers 413 naming the limit and its value (tiny limits here)."""

from __future__ import annotations

import dataclasses

import pytest
from apihelpers import API, SEED_PRESET, SMALL_SEED_RUN, make_client

from app.api.settings import Settings
from app.engine.core.limits import Limits


def _assert_limit(response, limit: str, value) -> None:
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["kind"] == "limit"
    assert error["limit"] == limit and error["value"] == value
    assert limit in error["message"]


@pytest.mark.parametrize(
    ("setting", "value", "body"),
    [
        ("max_source_chars", 30, {"source": "a = input(value=2.0)\nloss = a * a * a * a * a"}),
        ("max_nodes", 4, SMALL_SEED_RUN),
        ("max_tensor_elements", 50, SMALL_SEED_RUN),
        ("max_total_elements", 200, SMALL_SEED_RUN),
        ("max_iterations", 3, SMALL_SEED_RUN),
    ],
)
def test_engine_limits(setting, value, body):
    _assert_limit(make_client(**{setting: value}).post(f"{API}/runs", json=body), setting, value)


def test_engine_limits_also_guard_run_ids_made_under_larger_limits(small_run):
    response = make_client(max_iterations=3).get(f"{API}/runs/{small_run['run_id']}")
    _assert_limit(response, "max_iterations", 3)


def test_compute_budget_refuses_at_post_and_on_any_get_of_the_id():
    body = {"preset": SEED_PRESET, "iterations": 400}
    refused = make_client(max_compute=10**9).post(f"{API}/runs", json=body)
    _assert_limit(refused, "max_compute", 10**9)
    assert "fewer iterations" in refused.json()["error"]["message"]
    run_id = make_client().post(f"{API}/runs", json=body).json()["run_id"]
    small = make_client(max_compute=10**9)
    for path in ("", "/losses", "/iterations/3/steps", "/iterations/3/steps/2"):
        answer = small.get(f"{API}/runs/{run_id}{path}")
        _assert_limit(answer, "max_compute", 10**9)
        assert answer.json()["error"]["actual"] == refused.json()["error"]["actual"]


def test_a_failed_run_is_remembered_not_rebuilt():
    client = make_client(max_compute=10**9)
    run_id = make_client().post(f"{API}/runs", json={"preset": SEED_PRESET}).json()["run_id"]
    store = client.app.state.store
    built = []
    original = store._build
    store._build = lambda *args: built.append(args) or original(*args)
    for _ in range(5):
        assert client.get(f"{API}/runs/{run_id}/iterations/1/steps").status_code == 413
    assert len(built) == 1


def test_the_watchdog_answers_503_with_retry_after_and_keeps_the_progress():
    client = make_client(max_compute_seconds=0.02)
    run_id = client.post(f"{API}/runs", json={"preset": SEED_PRESET}).json()["run_id"]
    busy = 0
    while (answer := client.get(f"{API}/runs/{run_id}/losses")).status_code == 503:
        busy += 1
        assert int(answer.headers["Retry-After"]) >= 1
        assert answer.json()["error"]["kind"] == "busy"
        assert busy < 10_000
    assert busy >= 1 and answer.status_code == 200  # never a remembered failure
    assert answer.json() == make_client().get(f"{API}/runs/{run_id}/losses").json()


def test_declared_body_size():
    client = make_client(max_body_bytes=100)
    response = client.post(f"{API}/runs", json={**SMALL_SEED_RUN, "source": "#" * 200})
    _assert_limit(response, "max_body_bytes", 100)


def test_streamed_body_size():
    client = make_client(max_body_bytes=100)

    def chunks():
        yield b'{"source": "'
        for _ in range(10):
            yield b"#" * 50
        yield b'"}'

    response = client.post(
        f"{API}/runs", content=chunks(), headers={"content-type": "application/json"}
    )
    _assert_limit(response, "max_body_bytes", 100)


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GRADWALK_MAX_NODES", "7")
    monkeypatch.setenv("GRADWALK_MAX_BODY_BYTES", "1234")
    settings = Settings()
    assert settings.max_nodes == 7 and settings.max_body_bytes == 1234
    assert settings.engine_limits().max_nodes == 7


def test_every_engine_limit_is_a_setting(monkeypatch):
    """A field added to `Limits` is a GRADWALK_* setting, with its default and description."""
    assert Settings().engine_limits() == Limits()
    for limit in dataclasses.fields(Limits):
        setting = Settings.model_fields[limit.name]
        assert setting.default == limit.default
        assert setting.description == limit.metadata["description"]
        monkeypatch.setenv(f"GRADWALK_{limit.name.upper()}", "3")
    limits = Settings().engine_limits()
    assert all(getattr(limits, limit.name) == 3 for limit in dataclasses.fields(Limits))
    monkeypatch.setenv("GRADWALK_MAX_NODES", "0")
    with pytest.raises(ValueError, match="max_nodes"):
        Settings()


def test_a_loop_past_the_node_limit_is_413_before_it_is_unrolled():
    """Issue 25: a loop's nodes are counted after its first pass, never built past the limit."""
    source = ("x = input(2)\nh = x * 1\nfor i in range(200):\n    h = tanh(h * 2) + sin(h)\n"
              "loss = sum(h)\n")
    response = make_client(max_nodes=300).post(f"{API}/runs", json={"source": source})
    _assert_limit(response, "max_nodes", 300)
    assert "the loop at line 3, column 1 would make 5 nodes per pass" in \
        response.json()["error"]["message"]
