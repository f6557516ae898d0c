"""The per-worker cache: one byte budget over runs, traces and encoded responses."""

from __future__ import annotations

from apihelpers import API, make_client

from app.api.cache import LRU


def test_lru_drops_least_recently_used_beyond_its_bytes():
    cache = LRU(100)
    cache.put("a", "A", 40)
    cache.put("b", "B", 40)
    assert cache.get("a") == "A"  # a is now the most recent
    cache.put("c", "C", 40)
    assert cache.get("b") is None and cache.get("a") == "A" and cache.nbytes == 80


def test_lru_keeps_the_first_value_and_never_keeps_what_exceeds_the_budget():
    cache = LRU(100)
    assert cache.put("a", "first", 10) == "first"
    assert cache.put("a", "second", 10) == "first"
    assert cache.put("huge", "H", 101) == "H" and cache.get("huge") is None
    assert cache.nbytes == 10


def test_reweigh_corrects_a_weight_and_evicts_to_fit():
    cache = LRU(100)
    cache.put("a", "A", 10)
    cache.put("b", "B", 10)
    cache.reweigh("b", 95)  # b grew (a run trained): a, the older, goes
    assert cache.get("a") is None and cache.get("b") == "B" and cache.nbytes == 95
    cache.reweigh("gone", 5)
    assert cache.nbytes == 95


def test_the_store_stays_within_its_byte_budget_under_many_runs_and_iterations():
    budget = 3 * 2**20
    client = make_client(cache_bytes=budget)
    store = client.app.state.store
    for seed in range(6):
        body = {"preset": "pytorch-numpy-two-layer", "params": {"N": 32, "D_in": 300},
                "iterations": 4, "seed": seed}
        run_id = client.post(f"{API}/runs", json=body).json()["run_id"]
        for t in range(4):
            assert client.get(f"{API}/runs/{run_id}/iterations/{t}").status_code == 200
            assert client.get(f"{API}/runs/{run_id}/iterations/{t}/steps/9").status_code == 200
            assert store.cache.nbytes <= budget
    assert len(store.cache) > 0


def test_a_runs_weight_is_read_under_its_lock(monkeypatch):
    """A run's weight sums its training's checkpoints, which another request's training or
    replay adds to under the run's lock: read outside it, the sum could meet the dict changing
    size mid-iteration. `with_run` reads it while still holding the lock."""
    from app.api.store import RunStore

    client = make_client()
    store = client.app.state.store
    body = {"preset": "pytorch-numpy-two-layer", "iterations": 30}
    run_id = client.post(f"{API}/runs", json=body).json()["run_id"]
    held = []
    weight = RunStore._weight
    monkeypatch.setattr(RunStore, "_weight",
                        staticmethod(lambda entry: held.append(entry.lock.locked()) or weight(entry)))
    store.with_run(run_id, lambda run: run.losses())
    assert held and all(held)
