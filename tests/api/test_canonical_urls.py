"""One spelling per answer: a run id that is not the canonical encoding of its run, or an
iteration or step number not written canonically, is sent to the canonical URL with a 308 —
never a second computation, never a second key (the response cache's, single flight's,
nginx's). Each test was seen failing on the code before its fix (all answered 200)."""

from __future__ import annotations

import base64
import zlib

import pytest
from apihelpers import API, SMALL_SEED_RUN

from app.api import runids


@pytest.fixture
def rid(client) -> str:
    return client.post(f"{API}/runs", json=SMALL_SEED_RUN).json()["run_id"]


@pytest.mark.parametrize("spelling", ["00", "+0", "%200", "0000000", "-0", "0_0", "0%20",
                                      "%30"])
def test_an_iteration_number_has_one_spelling(client, rid, spelling):
    response = client.get(f"{API}/runs/{rid}/iterations/{spelling}/steps",
                          follow_redirects=False)
    assert response.status_code == 308, response.text
    assert response.headers["location"] == f"{API}/runs/{rid}/iterations/0/steps"
    assert "immutable" in response.headers["cache-control"]


@pytest.mark.parametrize("path", ["iterations/1/steps/+3", "iterations/01/steps/03",
                                  "iterations/+1/steps/3/tensors/w1/value"])
def test_a_step_number_has_one_spelling(client, rid, path):
    response = client.get(f"{API}/runs/{rid}/{path}?format=npy", follow_redirects=False)
    assert response.status_code == 308, response.text
    assert response.headers["location"].startswith(f"{API}/runs/{rid}/iterations/1/steps/3")
    assert response.headers["location"].endswith("?format=npy")


def test_a_run_id_packed_at_another_level_is_sent_to_the_canonical_one(client, rid):
    spec = runids.decode(rid, 10_000, 1_000_000)
    other = "g1." + base64.urlsafe_b64encode(
        zlib.compress(runids.canonical_bytes(spec), 1)).decode().rstrip("=")
    assert other != rid
    for suffix in ("", "/losses", "/iterations/0/steps"):
        response = client.get(f"{API}/runs/{other}{suffix}", follow_redirects=False)
        assert response.status_code == 308, response.text
        assert response.headers["location"] == f"{API}/runs/{rid}{suffix}"


def test_canonical_urls_and_bad_numbers_are_answered_as_before(client, rid):
    assert client.get(f"{API}/runs/{rid}/iterations/0/steps").status_code == 200
    assert client.get(f"{API}/runs/{rid}/iterations/x/steps").status_code == 422
    assert client.get(f"{API}/runs/{rid}/iterations/1.5/steps").status_code == 422
    assert client.get(f"{API}/runs/{rid}/iterations/99/steps").status_code == 404
    assert client.get(f"{API}/runs/g1.AAAA/losses").status_code == 404


def test_a_query_at_its_default_shares_the_answer_without_it(client, rid):
    """`?dtype=float64` is answered, not redirected (clients send it), from the same cached
    computation as the URL without it."""
    path = f"{API}/runs/{rid}/iterations/0/gradcheck"
    plain = client.get(path)
    store = client.app.state.store
    shared, admitted = store.compute.shared, store.compute.admitted
    spelled = client.get(f"{path}?dtype=float64", follow_redirects=False)
    assert spelled.status_code == 200 and spelled.content == plain.content
    assert (store.compute.shared, store.compute.admitted) == (shared, admitted)
