"""Graphs are drawn in processes of their own (app/api/drawings.py): the same drawing as in the
calling thread, without holding the server's GIL, and a dead worker costs no answer."""

from __future__ import annotations

import os
import re
import signal

from apihelpers import API, make_client

from app.api import drawings, present
from app.engine.limits import Limits
from app.engine.run import Run, RunSpec
from app.layout import layout

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
