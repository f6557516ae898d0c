"""The presenter view: `P` opens /presenter, a second window for the lecturer with the step's
narration, formula, code, the next step and a clock; it and the viewer stay in step both ways
(BroadcastChannel), and while it is open the projector shows only the graph.
"""

from __future__ import annotations

import re
import time

import httpx

from .conftest import create_run, open_run, until, wait_step

SMALL_SEED = {"preset": "pytorch-numpy-two-layer", "iterations": 3,
              "params": {"N": 8, "D_in": 20, "H": 6, "D_out": 3}}


def test_presenter_page_is_a_real_route_under_the_csp(server):
    response = httpx.get(f"{server}/presenter")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # no inline script or style: every script has a src
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text)
    assert "style=" not in response.text


def test_presenter_window_follows_and_drives_the_viewer(guard, server, api):
    page = guard
    run = create_run(api, **SMALL_SEED)
    steps = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
    open_run(page, server, run["run_id"], 0, 0)
    with page.expect_popup() as popup:
        page.keyboard.press("p")
    presenter = page.watch(popup.value)
    presenter.wait_for_selector('body[data-connected="1"][data-iter="0"][data-step="0"]', timeout=15000)
    assert presenter.url.startswith(f"{server}/presenter")
    # the projector shows only the graph
    until(page, "document.body.classList.contains('presented')")
    assert page.locator("body.lecture").count() == 1
    assert page.locator("#narration").is_hidden()
    assert page.locator("#lecture-math").is_hidden()
    assert page.locator("#graph svg").is_visible()
    assert presenter.inner_text("#p-narration") == steps[0]["narration"]
    assert presenter.inner_text("#p-next") == steps[1]["narration"]
    assert re.fullmatch(r"\d+:\d\d", presenter.inner_text("#p-elapsed"))
    assert presenter.inner_text("#p-clock").strip()

    # the viewer moves: the presenter follows
    page.keyboard.press("ArrowRight")
    wait_step(page, 0, 1)
    presenter.wait_for_selector('body[data-step="1"]')
    assert presenter.inner_text("#p-narration") == steps[1]["narration"]
    assert presenter.inner_text("#p-code") == steps[1]["code"]
    assert presenter.locator("#p-math math").count() >= 1

    # the presenter moves: the viewer follows (keys and buttons)
    presenter.keyboard.press("ArrowRight")
    wait_step(page, 0, 2)
    presenter.wait_for_selector('body[data-step="2"]')
    presenter.click("#p-forward")
    wait_step(page, 0, 3)
    # the next step of the last one is the next iteration's first, whose document the
    # presenter asks for then: held back here, the window must not show the last step with the
    # old step's "next" meanwhile (it did, and CI saw it by chance)
    held = []
    presenter.route("**/api/v1/runs/*/iterations/1", lambda route: held.append(route))
    presenter.keyboard.press("End")
    last = run["steps_per_iteration"] - 1
    wait_step(page, 0, last)
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        presenter.wait_for_timeout(50)  # Playwright hands the request over while it waits
    assert held, "the presenter did not ask for the next iteration's steps"
    presenter.wait_for_timeout(300)  # time enough to show the last step meanwhile
    if presenter.get_attribute("body", "data-step") == str(last):
        assert "iteration 1" in presenter.inner_text("#p-next-label")
    for route in held:
        route.continue_()
    presenter.unroute("**/api/v1/runs/*/iterations/1")
    presenter.wait_for_selector(f'body[data-step="{last}"]')
    assert "iteration 1" in presenter.inner_text("#p-next-label")
    presenter.keyboard.press("ArrowRight")
    wait_step(page, 1, 0)
    presenter.wait_for_selector('body[data-iter="1"][data-step="0"]')
    presenter.keyboard.press("Space")
    until(page, "document.getElementById('btn-play').getAttribute('aria-pressed') === 'true'")
    presenter.wait_for_selector('#p-play[aria-pressed="true"]')
    presenter.keyboard.press("Space")
    until(page, "document.getElementById('btn-play').getAttribute('aria-pressed') === 'false'")

    # closing it gives the projector its words back
    presenter.close()
    until(page, "!document.body.classList.contains('presented')")
    assert page.locator("#narration").is_visible()
