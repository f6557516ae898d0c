"""Run ids are untrusted input: anything but an id the server made is a 4xx that says why."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from apihelpers import API, SMALL_SEED_RUN, make_client


def _id(raw: bytes) -> str:
    return "g1." + base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


def _payload(run_id: str) -> bytes:
    packed = run_id[3:]
    return zlib.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)))


def _assert_4xx(response, *statuses):
    assert response.status_code in statuses, response.text
    error = response.json()["error"]
    assert error["status"] == response.status_code and error["message"]


def test_truncated_id_is_404(client, small_run):
    run_id = small_run["run_id"]
    for cut in (4, len(run_id) // 2, len(run_id) - 3):
        _assert_4xx(client.get(f"{API}/runs/{run_id[:cut]}"), 404)


def test_corrupted_id_is_404(client, small_run):
    run_id = small_run["run_id"]
    middle = len(run_id) // 2
    flipped = run_id[:middle] + ("A" if run_id[middle] != "A" else "B") + run_id[middle + 1 :]
    _assert_4xx(client.get(f"{API}/runs/{flipped}"), 404, 422)
    _assert_4xx(client.get(f"{API}/runs/{run_id}$"), 404)
    _assert_4xx(client.get(f"{API}/runs/g2{run_id[2:]}"), 404)
    _assert_4xx(client.get(f"{API}/runs/nonsense"), 404)


def test_oversized_id_is_413_naming_the_limit():
    client = make_client(max_run_id_chars=100)
    response = client.get(f"{API}/runs/g1.{'A' * 200}")
    _assert_4xx(response, 413)
    assert response.json()["error"]["limit"] == "max_run_id_chars"


def test_zip_bomb_is_refused_without_inflating_it():
    client = make_client(max_source_chars=100)
    response = client.get(f"{API}/runs/{_id(b'[' + b' ' * 10_000_000 + b']')}")
    _assert_4xx(response, 413)


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[]", b"null", b'"g1"', b"{}", b'{"preset": 3}', b"[" * 100_000,
     "\u00ff".encode("latin-1")],
)
def test_hand_made_ids_are_4xx(client, payload):
    _assert_4xx(client.get(f"{API}/runs/{_id(payload)}"), 404, 413, 422)


def test_hand_made_description_fields_are_validated(client, small_run):
    description = json.loads(_payload(small_run["run_id"]))
    for key, bad in [("seed", -1), ("seed", "zero"), ("iterations", 10**9), ("lr", "NaN"),
                     ("params", {"N": "many"}), ("source", 42), ("preset", "nope")]:
        tampered = {**description, key: bad}
        raw = json.dumps(tampered, sort_keys=True, separators=(",", ":")).encode()
        _assert_4xx(client.get(f"{API}/runs/{_id(raw)}"), 404, 413, 422)


def test_non_canonical_spelling_of_a_real_run_is_422(client, small_run):
    description = json.loads(_payload(small_run["run_id"]))
    loose = json.dumps(description, indent=2).encode()
    response = client.get(f"{API}/runs/{_id(loose)}")
    _assert_4xx(response, 422)
    assert "POST /api/v1/runs" in response.json()["error"]["message"]


def test_an_id_made_elsewhere_with_the_same_description_works(client, small_run):
    # The id is the description, not a server-side key: any zlib level encodes the same run.
    raw = _payload(small_run["run_id"])
    other = "g1." + base64.urlsafe_b64encode(zlib.compress(raw, 1)).decode().rstrip("=")
    response = client.get(f"{API}/runs/{other}")
    assert response.status_code == 200
    assert response.json()["graph"] == small_run["graph"]


def test_post_reports_the_run_id_limit():
    client = make_client(max_run_id_chars=20)
    response = client.post(f"{API}/runs", json=SMALL_SEED_RUN)
    _assert_4xx(response, 413)
    assert response.json()["error"]["limit"] == "max_run_id_chars"


def test_a_zero_learning_rate_is_refused_in_a_run_id_as_in_a_body(client, small_run):
    description = json.loads(_payload(small_run["run_id"]))
    raw = json.dumps({**description, "lr": 0.0}, sort_keys=True, separators=(",", ":")).encode()
    response = client.get(f"{API}/runs/{_id(raw)}")
    _assert_4xx(response, 422)
    assert "above 0" in response.json()["error"]["message"]
    assert client.post(f"{API}/runs", json={**SMALL_SEED_RUN, "lr": 0}).status_code == 422
