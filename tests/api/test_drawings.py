"""Graphs are drawn in processes of their own (app/api/drawings.py): the same drawing as in the
calling thread, without holding the server's GIL, and a dead worker costs no answer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from apihelpers import API, make_client

from app.api import drawings, present
from app.drawing.layout import layout
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "x = input(3, 4)\nw = param(4, 2)\nh = tanh(x @ w)\nloss = sum(h * h)\n"


def source(name: str) -> str:
    """A graph of its own (a drawing depends on the names, not on comments or seeds)."""
    return re.sub(r"\bh\b", name, SOURCE)


def test_a_run_document_is_made_in_another_process_as_it_is_made_here(monkeypatch):
    monkeypatch.setattr(drawings, "HERE_NODES", 0)  # this small graph drawn apart too
    client = make_client()
    store = client.app.state.store
    body = {"source": source("apart"), "iterations": 1}
    created = client.post(f"{API}/runs", json=body)
    graph = created.json()["graph"]
    assert (store.drawings.drawn, store.drawings.done_apart) == (1, 1)
    here = Run(RunSpec(**body), Limits())
    assert graph == layout(here.describe()["graph"])
    made_here = present.encode_json(present.run_document(created.json()["run_id"],
                                                         here.describe()))
    assert created.content == made_here
    # the same graph again (another seed): drawn once, its document made there too
    again = client.post(f"{API}/runs", json={**body, "seed": 7}).json()
    assert again["graph"] == graph and again["seed"] == 7
    assert (store.drawings.drawn, store.drawings.done_apart) == (1, 2)
    # collapsed layouts are drawn there too
    grouped = ("x = input(3, 4)\nwith group(\"a\"):\n    w = param(4, 2)\n    h = tanh(x @ w)\n"
               "loss = sum(h * h)\n")
    run_id = client.post(f"{API}/runs", json={"source": grouped, "iterations": 1}).json()["run_id"]
    assert client.get(f"{API}/runs/{run_id}/layout?collapsed=a").status_code == 200
    assert (store.drawings.drawn, store.drawings.done_apart) == (3, 4)


def test_a_killed_drawing_process_costs_no_answer(monkeypatch):
    monkeypatch.setattr(drawings, "HERE_NODES", 0)
    client = make_client()
    client.post(f"{API}/runs", json={"source": source("first"), "iterations": 1})
    pool = drawings._pool
    assert pool is not None
    for pid in list(pool._processes):  # noqa: SLF001 - the test kills what the pool started
        os.kill(pid, signal.SIGKILL)
    again = client.post(f"{API}/runs", json={"source": source("second"), "iterations": 1})
    assert again.status_code == 201 and again.json()["graph"]["nodes"]
    third = client.post(f"{API}/runs", json={"source": source("third"), "iterations": 1})
    assert third.status_code == 201
    assert drawings._pool is not None and drawings._pool is not pool


def test_the_drawing_processes_go_when_their_server_is_killed(tmp_path):
    """A killed server cannot shut its pool down: its workers see it gone and exit."""
    script = ("import os, sys, time\n"
              "from app.api.drawings import Drawings\n"
              "from app.drawing.layout import content\n"
              "from app.api import drawings\n"
              "drawings.HERE_NODES = 0\n"
              "d = Drawings(2)\n"
              "d.geometry(content({'loss': 'a', 'nodes': [{'id': 'a'}], 'edges': []}))\n"
              "print(' '.join(map(str, drawings._pool._processes)), flush=True)\n"
              "time.sleep(60)\n")
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        workers = [int(p) for p in server.stdout.readline().split()]
        assert workers and all(_alive(p) for p in workers)
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)


def test_a_small_graph_is_drawn_here_without_the_pool():
    """The presets' graphs take 1-5 ms to draw and encode: less than the trip to the pool,
    which a server serving small graphs never starts."""
    client = make_client()
    store = client.app.state.store
    created = client.post(f"{API}/runs", json={"source": source("small"), "iterations": 1})
    assert created.status_code == 201
    assert (store.drawings.drawn, store.drawings.done_apart) == (1, 0)
    here = Run(RunSpec(source=source("small"), iterations=1), Limits())
    assert created.content == present.encode_json(present.run_document(
        created.json()["run_id"], here.describe()))
    grouped = ("x = input(3, 4)\nwith group(\"a\"):\n    w = param(4, 2)\n    small = tanh(x @ w)\n"
               "loss = sum(small * small)\n")
    run_id = client.post(f"{API}/runs", json={"source": grouped}).json()["run_id"]
    assert client.get(f"{API}/runs/{run_id}/layout?collapsed=a").status_code == 200
    assert (store.drawings.drawn, store.drawings.done_apart) == (3, 0)


def _alive(pid: int) -> bool:
    """Running (not a zombie) — the killed server's children are reaped by init."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
