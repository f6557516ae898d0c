"""GET …/losses?start=&stop=: pages of the loss list, trained only as far as asked."""

from __future__ import annotations

from apihelpers import API, SMALL_SEED_RUN, make_client


def _run(client, iterations=12):
    body = {**SMALL_SEED_RUN, "iterations": iterations}
    return client.post(f"{API}/runs", json=body).json()["run_id"]


def test_pages_put_together_are_the_whole_list_bit_for_bit(client):
    run_id = _run(client)
    pages = []
    for start, stop in ((0, 1), (1, 5), (5, 12)):
        response = client.get(f"{API}/runs/{run_id}/losses?start={start}&stop={stop}")
        assert response.status_code == 200, response.text
        page = response.json()
        assert (page["iterations"], page["start"], page["stop"]) == (12, start, stop)
        pages += page["losses"]
        assert "immutable" in response.headers["cache-control"]
    whole = client.get(f"{API}/runs/{run_id}/losses").json()
    assert whole == {"iterations": 12, "losses": pages}


def test_a_page_trains_only_as_far_as_its_stop():
    client = make_client()
    run_id = _run(client, iterations=40)
    assert client.get(f"{API}/runs/{run_id}/losses?start=0&stop=3").status_code == 200
    store = client.app.state.store
    assert store.entry(run_id).run.training().trained == 3


def test_other_spellings_of_a_page_are_sent_to_the_one_url(client):
    run_id = _run(client)
    base = f"{API}/runs/{run_id}/losses"
    for query, wanted in (("stop=4&start=1", "start=1&stop=4"), ("stop=4", "start=0&stop=4"),
                          ("start=5", "start=5&stop=12"), ("start=01&stop=4", "start=1&stop=4")):
        response = client.get(f"{base}?{query}", follow_redirects=False)
        assert response.status_code == 308, query
        assert response.headers["location"] == f"{base}?{wanted}"


def test_a_page_outside_the_run_is_refused_with_the_bounds(client):
    run_id = _run(client)
    for query in ("start=3&stop=3", "start=0&stop=13", "start=-1&stop=2", "start=a&stop=2"):
        response = client.get(f"{API}/runs/{run_id}/losses?{query}")
        assert response.status_code == 422, query
    message = client.get(f"{API}/runs/{run_id}/losses?start=4&stop=2").json()["error"]["message"]
    assert "start < stop <= 12" in message
