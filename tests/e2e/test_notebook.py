"""The notebook widget in a real JupyterLab (from PyPI, started here on 127.0.0.1 with a token,
no browser of its own) in Chromium: a cell draws the seed network, a key steps it,
`walk.step = 13` from Python shows ∂loss/∂w1 complete with the API's own numbers, and
`walk.state()` gives them as arrays; a second widget in the same notebook moves on its own.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import ROOT, headline

pytest.importorskip("anywidget")
pytest.importorskip("jupyterlab")

SEED = {"preset": "pytorch-numpy-two-layer", "iterations": 3}
CELLS = [
    "from gradwalk.notebook import Walk\nwalk = Walk(preset='pytorch-numpy-two-layer', iterations=3)\nwalk",
    "walk.step = 13",
    "import numpy as np\nprint(repr(float(np.linalg.norm(walk.state()['w1']['grad']))))",
    "other = Walk(preset='micrograd-neuron')\nother",
]


def notebook(cells: list[str]) -> dict:
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                   "outputs": [], "source": text} for i, text in enumerate(cells)],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a folder with walk.ipynb; its settings kept in the folder too."""
    folder = tmp_path_factory.mktemp("lab")
    (folder / "walk.ipynb").write_text(json.dumps(notebook(CELLS)))
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_CONFIG_DIR": str(folder / ".config"),
           "JUPYTERLAB_SETTINGS_DIR": str(folder / ".settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(folder / ".workspaces")}
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
         "--allow-root", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            try:
                if httpx.get(f"{base}/api/status", params={"token": token}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("JupyterLab did not start")
            time.sleep(0.5)
        yield {"url": f"{base}/lab/tree/walk.ipynb?token={token}"}
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def run_cell(page, index: int) -> None:
    """Put the cursor in cell `index` and run it (Shift+Enter), as a user does; until the
    cell has run (a run asked for while the kernel was still connecting is dropped by
    JupyterLab, so it is asked again)."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    prompt = cell.locator(".jp-InputArea-prompt")
    for _ in range(5):
        cell.locator(".cm-content").click()
        page.keyboard.press("Shift+Enter")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if prompt.inner_text().strip() not in ("[ ]:", ""):
                return
            page.wait_for_timeout(200)
    raise AssertionError(f"cell {index} did not run")


def until(check, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "still false"
        time.sleep(0.1)


def drawn(widget) -> dict:
    """data-value / data-grad of every node the widget draws (in its shadow root)."""
    rows = widget.evaluate("""(root) => [...root.querySelectorAll('g.node')].map(g => [g.dataset.id,
        g.getAttribute('data-value'), g.getAttribute('data-grad')])""")
    number = lambda v: None if v is None else float(v)  # noqa: E731
    return {nid: (number(v), number(g)) for nid, v, g in rows}


def test_a_notebook_walks_the_seed_network(page, api, lab):
    run = api.post("/runs", json=SEED).json()
    steps = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
    page.set_default_timeout(60_000)
    page.goto(lab["url"])
    page.locator(".jp-Notebook .jp-Cell .cm-content").first.wait_for()
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()  # the kernel is connected

    run_cell(page, 0)
    first = page.locator(".gw").first
    page.locator('.gw[data-ready="1"][data-step="0"]').first.wait_for()
    assert first.locator("g.node").count() == len(run["graph"]["nodes"])
    assert first.locator(".gw-narration").inner_text() == steps[0]["narration"]

    first.click(position={"x": 20, "y": 20})  # the widget has the keys
    page.keyboard.press("ArrowRight")
    page.locator('.gw[data-step="1"]').first.wait_for()
    assert first.locator(".gw-narration").inner_text() == steps[1]["narration"]

    run_cell(page, 1)  # walk.step = 13 from Python: the view follows
    page.locator('.gw[data-step="13"]').first.wait_for()
    state = api.get(f"/runs/{run['run_id']}/iterations/0/steps/13").json()
    assert state["nodes"]["w1"]["grad_status"] == "complete"
    assert first.locator(".gw-narration").inner_text() == steps[13]["narration"]
    assert "∂loss/∂w1" in first.locator(".gw-contributions").inner_text()
    expected = {nid: (headline(s["value"]), headline(s["grad"])) for nid, s in state["nodes"].items()}
    assert drawn(first) == expected
    assert expected["w1"][1] is not None

    run_cell(page, 2)  # walk.state(): the same numbers, as arrays
    printed = page.locator(".jp-Notebook .jp-Cell").nth(2).locator(".jp-OutputArea-output")
    printed.wait_for()
    assert float(printed.inner_text()) == pytest.approx(state["nodes"]["w1"]["grad"]["norm"], rel=1e-12)

    run_cell(page, 3)  # a second widget: its own run, its own step
    second = page.locator(".gw").nth(1)
    page.locator('.gw[data-ready="1"]').nth(1).wait_for()
    second.click(position={"x": 20, "y": 20})
    page.keyboard.press("ArrowRight")
    expect(second).to_have_attribute("data-step", "1")
    assert first.get_attribute("data-step") == "13"
    second.locator('button[data-do="play"]').click()  # play runs on by itself, then pauses
    until(lambda: int(second.get_attribute("data-step")) >= 3 or second.get_attribute("data-iter") != "0")
    second.locator('button[data-do="play"]').click()
    assert second.locator('button[data-do="play"]').get_attribute("aria-label") == "play"
    assert first.get_attribute("data-step") == "13"
    assert first.locator("g.node").count() == len(run["graph"]["nodes"])
