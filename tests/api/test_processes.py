"""Byte-identical across processes (issue 12, item 5): two real servers started with different
PYTHONHASHSEED serve every endpoint of every preset with the same bytes and the same ETag.

Anything iterated out of an unordered set (a frozenset of what a VJP saves was one) would
order differently under another hash seed; "immutable on any worker, after any restart"
needs the bytes to depend on the run id only. Small parameters and 2 iterations keep it fast.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest
from apihelpers import API

from app.engine.presets import PRESETS
from app.serving.devserver import devserver

HASH_SEEDS = ("1", "7")  # a frozenset of ("0", "1") iterates in another order


def small_params(preset) -> dict:
    """Every int parameter at most 3 (within its bounds), floats at their default."""
    return {p.name: max(p.min, min(p.default, 3)) if p.kind == "int" else p.default
            for p in preset.params}


def bodies() -> list[dict]:
    out = [{"preset": preset.id, "params": small_params(preset), "iterations": 2}
           for preset in PRESETS.values()]
    out.append({"source": "w = param(3, 2)\nx = input(2, 3)\na = x @ w\nb = a + a\n"
                          "loss = sum(b * a) + mean(w ** 2)", "iterations": 2})
    out.append({**out[0], "mode": "forward"})
    return out


def urls(run: dict) -> list[str]:
    """Every run-addressed endpoint of the run: a handful of states and tensors per iteration."""
    base = f"{API}/runs/{run['run_id']}"
    found = [base, f"{base}/losses", f"{base}/code"]
    steps = run["steps_per_iteration"]
    nodes = [node["id"] for node in run["graph"]["nodes"]]
    for t in range(run["iterations"]):
        it = f"{base}/iterations/{t}"
        found += [it, f"{it}/steps"]
        for k in sorted({0, 1, steps // 2, steps - 2, steps - 1}):
            found.append(f"{it}/steps/{k}")
        last = f"{it}/steps/{steps - 1}/tensors"
        for quantity in run["quantities"]:
            # a data input has no gradient unless the run computes the inputs' (input_grads)
            first = nodes[0] if quantity != "grad" or run["input_grads"] else next(
                n["id"] for n in run["graph"]["nodes"] if n["kind"] == "param")
            for node in (first, nodes[-1]):
                found += [f"{last}/{node}/{quantity}", f"{last}/{node}/{quantity}?format=npy"]
    return found


def fetch(client: httpx.Client, path: str, encoding: str) -> tuple[int, bytes, str | None]:
    response = client.get(path, headers={"accept-encoding": encoding})
    return response.status_code, response.content, response.headers.get("etag")


@pytest.fixture(scope="module")
def servers():
    with ExitStack() as stack, ThreadPoolExecutor(2) as pool:
        starting = [pool.submit(stack.enter_context,
                                devserver(["--log-level", "warning"],
                                          env={"PYTHONHASHSEED": seed}))
                    for seed in HASH_SEEDS]
        yield [future.result() for future in starting]


def test_every_endpoint_of_every_preset_has_the_same_bytes_and_etag_in_two_processes(servers):
    compared = 0
    with ExitStack() as stack, ThreadPoolExecutor(8) as pool:
        clients = [stack.enter_context(httpx.Client(base_url=base, timeout=120))
                   for base in servers]
        for body in bodies():
            created = [client.post(f"{API}/runs", json=body) for client in clients]
            assert [c.status_code for c in created] == [201, 201], created[0].text[:300]
            assert created[0].content == created[1].content, body
            paths = [f"{API}/presets", *urls(created[0].json())]
            for encoding in ("identity", "gzip"):
                answers = [list(pool.map(lambda p, c=client, e=encoding: fetch(c, p, e), paths))
                           for client in clients]
                for path, one, other in zip(paths, *answers, strict=True):
                    assert one[0] == 200, (path, one[1][:300])
                    assert one == other, (body.get("preset"), encoding, path)
                    assert one[2], path  # every one of them carries an ETag
                    compared += 1
    assert compared > 400
