"""No request waits on another's thread: single flight, one computation per run, a bounded
queue answered 503 + Retry-After, failures remembered (app/api/compute.py, store.py)."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from apihelpers import API, SEED_PRESET, run_coroutine

from app.api.compute import Compute
from app.api.settings import Settings
from app.engine.core.errors import BusyError
from app.main import create_app


def _blocking(seconds: float, done: list, name: str):
    def work():
        time.sleep(seconds)
        done.append(name)
        return name
    return work


def test_concurrent_requests_for_one_key_share_one_computation():
    compute = Compute(threads=2, max_queue=8)
    calls = []

    def work():
        calls.append(threading.get_ident())
        time.sleep(0.2)
        return 42

    async def main():
        return await asyncio.gather(*(compute.run("k", work) for _ in range(50)))

    assert run_coroutine(main()) == [42] * 50
    assert len(calls) == 1 and compute.shared == 49 and compute.admitted == 0


def test_a_failure_reaches_every_waiting_request():
    compute = Compute(threads=1, max_queue=8)

    def work():
        time.sleep(0.1)
        raise ValueError("boom")

    async def main():
        return await asyncio.gather(*(compute.run("k", work) for _ in range(5)),
                                    return_exceptions=True)

    results = run_coroutine(main())
    assert all(isinstance(r, ValueError) for r in results)


def test_a_busy_run_holds_one_thread_and_other_runs_go_past_it():
    """Ten computations of run A (serialised: the engine's calls on one run are) wait on the
    event loop, so run B's computation gets the second thread at once."""
    compute = Compute(threads=2, max_queue=32)
    done: list = []

    async def main():
        a = [asyncio.ensure_future(compute.run(("a", i), _blocking(0.1, done, f"a{i}"),
                                               group="A")) for i in range(10)]
        await asyncio.sleep(0.05)
        b = await compute.run("b", _blocking(0.01, done, "b"), group="B")
        await asyncio.gather(*a)
        return b

    assert run_coroutine(main()) == "b"
    assert done.index("b") <= 2, done  # not behind the nine waiting computations of A


def test_a_full_queue_answers_busy_at_once():
    compute = Compute(threads=1, max_queue=2)
    done: list = []

    async def main():
        held = [asyncio.ensure_future(compute.run(i, _blocking(0.3, done, i))) for i in range(2)]
        await asyncio.sleep(0.01)
        with pytest.raises(BusyError) as busy:
            await compute.run("one more", _blocking(0, done, "x"))
        assert busy.value.retry_after >= 1 and "max_queue is 2" in busy.value.message
        # a request for a key already in flight is not a new computation: it is answered
        assert await compute.run(0, _blocking(0, done, "never")) == 0
        await asyncio.gather(*held)

    run_coroutine(main())
    assert "x" not in done and "never" not in done


def _app(**settings):
    return create_app(Settings(**settings))


def test_the_api_answers_a_full_queue_with_503_and_retry_after():
    app = _app(max_queue=1, compute_threads=1)

    async def main():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            created = await client.post(f"{API}/runs", json={"preset": SEED_PRESET})
            run_id = created.json()["run_id"]
            answers = await asyncio.gather(
                *(client.get(f"{API}/runs/{run_id}/iterations/{t}/steps") for t in (200, 400)))
            return sorted(a.status_code for a in answers), answers

    codes, answers = run_coroutine(main())
    assert codes == [200, 503]
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.headers["Retry-After"] == "1" and busy.json()["error"]["kind"] == "busy"


def test_many_requests_for_one_uncached_state_trace_it_once():
    app = _app()
    store = app.state.store
    traced = []
    original = store.with_trace

    def counting(run_id, t, use):
        traced.append(t)
        return original(run_id, t, use)

    store.with_trace = counting

    async def main():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            created = await client.post(f"{API}/runs", json={"preset": SEED_PRESET})
            url = f"{API}/runs/{created.json()['run_id']}/iterations/7/steps/3"
            return await asyncio.gather(*(client.get(url) for _ in range(40)))

    answers = run_coroutine(main())
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert traced == [7]


def test_hammering_an_over_budget_run_builds_it_once_and_leaves_others_alone():
    # A small queue and a slow build: 100 requests for 100 iterations of one run arrive while
    # its build is in flight. They wait for that one build (a queue place for the run, not one
    # per iteration): 413 for every one, never 503 (seen in CI when the build was slow).
    app = _app(max_compute=10**9, max_queue=8)
    store = app.state.store
    built = []
    original = store._build

    def slow_build(*args):
        built.append(args[0])
        time.sleep(0.3)
        return original(*args)

    store._build = slow_build
    big = create_app(Settings())

    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=big),
                                     base_url="http://t") as other:
            over = (await other.post(f"{API}/runs", json={"preset": SEED_PRESET,
                                                          "iterations": 2000})).json()["run_id"]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as client:
            hammer = [client.get(f"{API}/runs/{over}/iterations/{t}/steps") for t in range(100)]
            victim = client.post(f"{API}/runs", json={"preset": "colah-sum-of-paths"})
            answers = await asyncio.gather(*hammer, victim)
        return answers

    answers = run_coroutine(main())
    assert {a.status_code for a in answers[:-1]} == {413}
    assert answers[-1].status_code == 201
    assert len([b for b in built if b != answers[-1].json()["run_id"]]) == 1
