"""Pause holds: once Space (or the button) pauses, nothing the player had under way — an
iteration document still arriving for training play, the next frame, a prefetch — moves the
view: the step, the iteration, the URL and the graph's camera stay as they were.
"""

from __future__ import annotations

import re

from .conftest import create_run, open_run, until, wait_step

TRAINING = {"preset": "pytorch-numpy-two-layer", "iterations": 200,
            "params": {"N": 8, "D_in": 20, "H": 6, "D_out": 3}}


def where(page) -> dict:
    return page.evaluate("""() => ({
        iter: document.body.dataset.iter, step: document.body.dataset.step, url: location.search,
        camera: document.querySelector('#graph svg')?.getAttribute('viewBox'),
        pressed: document.getElementById('btn-play').getAttribute('aria-pressed')})""")


def hold_iterations_from(page, first: int) -> list:
    """Requests of iteration documents t >= first are held (returned list) until released."""
    held = []

    def handler(route):
        m = re.search(r"/iterations/(\d+)$", route.request.url.split("?")[0])
        if m and int(m.group(1)) >= first:
            held.append(route)
        else:
            route.fallback()

    page.route("**/api/v1/runs/*/iterations/*", handler)
    return held


def test_space_pauses_training_play_even_while_an_iteration_is_on_its_way(guard, server, api):
    page = guard
    run = create_run(api, **TRAINING)
    open_run(page, server, run["run_id"])
    held = hold_iterations_from(page, 4)
    page.keyboard.press("t")
    page.keyboard.press("Space")
    # training play runs up to the held iterations and waits there for their documents
    until(page, "Number(document.body.dataset.iter) >= 3")
    page.wait_for_timeout(600)
    assert held, "the player asked for no iteration past 3"
    page.keyboard.press("Space")
    paused = where(page)
    assert paused["pressed"] == "false"
    page.wait_for_timeout(400)  # the link is rewritten at most every 250 ms while playing
    paused["url"] = where(page)["url"]
    for route in held:
        route.fallback()
    page.unroute("**/api/v1/runs/*/iterations/*")
    for _ in range(10):
        page.wait_for_timeout(500)
        assert where(page) == paused
    # the keys still step from where the view is (past its last step: the next iteration's first)
    page.keyboard.press("ArrowRight")
    t, k = int(paused["iter"]), int(paused["step"])
    wait_step(page, *((t + 1, 0) if k == run["steps_per_iteration"] - 1 else (t, k + 1)))


def test_space_pauses_iteration_play_and_nothing_moves_for_5_s(guard, server, api):
    page = guard
    run = create_run(api, **TRAINING)
    open_run(page, server, run["run_id"])
    page.keyboard.press("]")
    page.keyboard.press("]")
    page.keyboard.press("Space")
    until(page, "Number(document.body.dataset.step) >= 2")
    page.keyboard.press("Space")
    # the camera ends its easing to the step shown (where the graph is too small, it follows)
    until(page, "!document.getElementById('graph').hasAttribute('data-moving')")
    paused = where(page)
    assert paused["pressed"] == "false"
    page.wait_for_timeout(400)  # the link is rewritten at most every 250 ms while playing
    paused["url"] = where(page)["url"]
    for _ in range(10):
        page.wait_for_timeout(500)
        assert where(page) == paused
