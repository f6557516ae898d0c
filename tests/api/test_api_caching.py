"""Run-addressed responses are immutable: byte-identical, ETag/304, long cache, gzip."""

from __future__ import annotations

import gzip

from apihelpers import API, SEED_PRESET, make_client

from app.api.responses import IMMUTABLE


def test_identical_requests_give_byte_identical_bodies_across_apps(small_run):
    url = f"{API}/runs/{small_run['run_id']}/iterations/1/steps/4"
    first = make_client().get(url, headers={"accept-encoding": "identity"})
    second = make_client().get(url, headers={"accept-encoding": "identity"})
    assert first.status_code == 200
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]


def test_etag_and_if_none_match(client, small_run):
    url = f"{API}/runs/{small_run['run_id']}/iterations/0/steps"
    response = client.get(url)
    assert response.headers["cache-control"] == IMMUTABLE
    etag = response.headers["etag"]
    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    other = client.get(url, headers={"if-none-match": '"something-else"'})
    assert other.status_code == 200


def test_gzip_applies_to_a_large_state():
    client = make_client()
    run = client.post(f"{API}/runs", json={"preset": SEED_PRESET, "iterations": 2}).json()
    url = f"{API}/runs/{run['run_id']}/iterations/0/steps/5"
    plain = client.get(url, headers={"accept-encoding": "identity"})
    zipped = client.get(url, headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2
    assert zipped.content == plain.content  # httpx inflates; the bytes inside are the same
    assert len(plain.content) <= 64_000, "a seed-network state stays under 64 KB before gzip"


def test_gzip_bytes_are_deterministic():
    url = None
    bodies = []
    for _ in range(2):
        client = make_client()
        run = client.post(f"{API}/runs", json={"preset": SEED_PRESET, "iterations": 2}).json()
        url = f"{API}/runs/{run['run_id']}/iterations/0/steps/3"
        with client.stream("GET", url, headers={"accept-encoding": "gzip"}) as response:
            bodies.append(b"".join(response.iter_raw()))
    assert bodies[0] == bodies[1]
    assert gzip.decompress(bodies[0]).startswith(b'{"iteration":0')


def test_errors_are_not_cached_as_immutable(client):
    response = client.get(f"{API}/runs/g1.AAAA")
    assert response.status_code == 404
    assert "cache-control" not in response.headers


def test_post_bodies_are_byte_identical_even_gzipped():
    raw = []
    for _ in range(2):
        with make_client().stream("POST", f"{API}/runs", json={"preset": SEED_PRESET},
                                  headers={"accept-encoding": "gzip"}) as response:
            assert response.status_code == 201
            assert response.headers["content-encoding"] == "gzip"
            assert "cache-control" not in response.headers
            raw.append(b"".join(response.iter_raw()))
    assert raw[0] == raw[1]
