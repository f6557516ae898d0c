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


def test_a_run_document_is_made_in_another_process_as_it_is_made_here():
    client = make_client()
    store = client.app.state.store
    body = {"source": source("apart"), "iterations": 1}
    created = client.post(f"{API}/runs", json=body)
    graph = created.json()["graph"]
    # done apart: the run's build, then its document (drawn there)
    assert (store.drawings.drawn, store.drawings.done_apart) == (1, 2)
    here = Run(RunSpec(**body), Limits())
    assert graph == layout(here.describe()["graph"])
    made_here = present.encode_json(present.run_document(created.json()["run_id"],
                                                         here.describe()))
    assert created.content == made_here
    # the same graph again (another seed): drawn once, its document made there too
    again = client.post(f"{API}/runs", json={**body, "seed": 7}).json()
    assert again["graph"] == graph and again["seed"] == 7
    assert (store.drawings.drawn, store.drawings.done_apart) == (1, 4)
    # collapsed layouts are drawn there too
    grouped = ("x = input(3, 4)\nwith group(\"a\"):\n    w = param(4, 2)\n    h = tanh(x @ w)\n"
               "loss = sum(h * h)\n")
    run_id = client.post(f"{API}/runs", json={"source": grouped, "iterations": 1}).json()["run_id"]
    assert client.get(f"{API}/runs/{run_id}/layout?collapsed=a").status_code == 200
    assert (store.drawings.drawn, store.drawings.done_apart) == (3, 7)


def test_a_killed_drawing_process_costs_no_answer():
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


def _alive(pid: int) -> bool:
    """Running (not a zombie) — the killed server's children are reaped by init."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_run_is_built_in_another_process_and_serves_as_one_built_here(monkeypatch):
    """Parsing and counting a run holds the GIL (a tenth of a second for 300 nodes): a POST
    builds it in the drawing processes; the run sent back trains and traces as one built
    here, and a source that defines ops (whose code does not pickle) is built here."""
    from app.engine.core import run as run_module

    defines = ("def f(x):\n    return x * x\nx = param(3)\nloss = sum(f(x))\n")
    bodies = [{"source": source("built_apart"), "iterations": 2},
              {"preset": "micrograd-neuron", "mode": "forward"}, {"source": defines}]
    here = make_client(layout_processes=0)
    expected = [_made(here, body) for body in bodies]
    parse = run_module.parse
    parsed_here = []
    monkeypatch.setattr(run_module, "parse", lambda *a: parsed_here.append(1) or parse(*a))
    client = make_client()
    for body, made_here in zip(bodies, expected, strict=True):
        assert _made(client, body) == made_here
    assert len(parsed_here) == 1  # the source defining an op only: built there, then here


def _made(client, body) -> list[bytes]:
    """The run document, the first iteration's document and its losses."""
    created = client.post(f"{API}/runs", json=body)
    assert created.status_code == 201, created.text
    run = f"{API}/runs/{created.json()['run_id']}"
    return [created.content, client.get(f"{run}/iterations/0").content,
            client.get(f"{run}/losses").content]


def test_errors_of_a_run_built_apart_are_those_built_here():
    """The engine's errors cross the process boundary with their fields (line and column,
    the limit and the actual count, the field), so the answer is the same."""
    import pickle

    from app.engine.core.errors import InvalidRequestError, LimitError, SourceError

    for error in (SourceError("bad", 2, 15), LimitError("max_nodes", 10, 12, "(nodes)"),
                  InvalidRequestError("no such leaf", "direction.leaf")):
        again = pickle.loads(pickle.dumps(error))
        assert (type(again), again.args, vars(again)) == (type(error), error.args, vars(error))
    bodies = [{"source": "x = input(3)\nloss = sum(x *)\n"},
              {"preset": "pytorch-numpy-two-layer", "iterations": 5000},
              {"preset": "micrograd-neuron", "mode": "forward",
               "direction": {"leaf": "nope", "index": []}}]
    here, apart = make_client(layout_processes=0), make_client()
    for body in bodies:
        made_here, made_apart = (c.post(f"{API}/runs", json=body) for c in (here, apart))
        assert made_here.status_code in (413, 422)
        assert (made_apart.status_code, made_apart.json()) == (made_here.status_code,
                                                               made_here.json())
