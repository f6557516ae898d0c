"""`/` opens the seed network from the documents the page preloads: the run is asked for by
its id (no POST), and each preloaded document is fetched once (the script's request takes the
preload's answer); the preset's detail is asked for once."""

from __future__ import annotations

from urllib.parse import urlparse

from app.web.pages import SEED_PRESET, seed_run_id

from .conftest import until


def test_the_seed_network_opens_from_its_preloaded_documents(guard, server):
    page = guard
    asked = []
    page.on("request", lambda r: asked.append((r.method, urlparse(r.url).path)))
    page.goto(server)
    page.wait_for_selector('body[data-ready="1"][data-step="0"]', timeout=30000)
    run_id = seed_run_id()
    assert ("POST", "/api/v1/runs") not in asked
    assert asked.count(("GET", f"/api/v1/runs/{run_id}")) == 1, asked
    assert asked.count(("GET", f"/api/v1/runs/{run_id}/iterations/0")) == 1, asked
    assert page.locator('#graph g.node[data-id="w1"]').count() == 1
    # the form shows the run's preset: its detail (the source) is asked for once, not once per
    # time the form is filled (the page's start, the run loaded, the run shown)
    page.wait_for_selector('#run-form[aria-busy="false"]')
    until(page, "document.getElementById('source').value.includes('w1 = param')")
    assert asked.count(("GET", f"/api/v1/presets/{SEED_PRESET}")) == 1, asked
    # the link written is the run's, as after a POST
    assert page.evaluate("new URLSearchParams(location.search).get('run')") == run_id
    assert page.problems == []
