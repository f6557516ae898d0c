"""The serving process's garbage collector (app/serving/collector.py): a full collection walks
what is new, not the started server and its cached runs, and cyclic garbage is still freed."""

from __future__ import annotations

import gc
import weakref

from apihelpers import API
from fastapi.testclient import TestClient

from app.main import create_app
from app.serving.collector import Collector


class Held:
    """A tracked object that can be in a cycle and be watched (weakref)."""


def cycle() -> Held:
    a, b = Held(), Held()
    a.other, b.other = b, a
    return a


def test_a_started_server_freezes_what_it_holds_and_what_survives_a_full_collection():
    assert gc.get_freeze_count() == 0
    with TestClient(create_app()) as client:  # the lifespan runs: the server started
        started = gc.get_freeze_count()
        assert started > 10_000  # modules, routes, schemas: never walked again
        run_id = client.post(f"{API}/runs", json={"preset": "micrograd-neuron"}).json()["run_id"]
        assert client.get(f"{API}/runs/{run_id}/iterations/0").status_code == 200
        gc.collect()
        assert gc.get_freeze_count() > started  # the cached run, walked once
        assert client.app.state.collector.full >= 1
    assert gc.get_freeze_count() == 0  # stopped: the process collects as before
    assert not any(getattr(c, "__self__", None).__class__ is Collector for c in gc.callbacks)


def test_cyclic_garbage_frozen_is_freed_once_the_heap_is_unfrozen():
    collector = Collector(unfreeze_seconds=3600)
    collector.start()
    try:
        kept = cycle()
        watched = weakref.ref(kept)
        gc.collect()  # a full collection: `kept` survived it, and is frozen
        del kept
        gc.collect()
        assert watched() is not None  # garbage, but frozen: not walked
        collector.unfrozen_at -= 3600  # the period has passed
        gc.collect()  # unfreezes after it
        gc.collect()  # walks everything
        assert watched() is None and collector.unfrozen == 1
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0
