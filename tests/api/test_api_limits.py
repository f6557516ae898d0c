"""Every configurable limit answers 413 naming the limit and its value (tiny limits here)."""

from __future__ import annotations

import dataclasses

import pytest
from apihelpers import API, SEED_PRESET, SMALL_SEED_RUN, make_client

from app.api.settings import Settings
from app.engine.limits import Limits


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


def test_compute_time_limit():
    client = make_client(max_compute_seconds=1e-6)
    created = client.post(f"{API}/runs", json={"preset": SEED_PRESET, "iterations": 400})
    if created.status_code == 201:
        created = client.get(f"{API}/runs/{created.json()['run_id']}/losses")
    _assert_limit(created, "max_compute_seconds", 1e-6)


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
