"""The first-visit tour: four bubbles (graph, step controls, chain-rule card, panels), each on
screen beside what it points at; dismissed by Skip, Esc or Done it never shows again in that
browser; never in lecture mode; axe-clean. Its own browser context: the other tests' pages
have it dismissed beforehand (conftest)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import until

POINTS_AT = ["#graph-area", "#controls", "#chain", "#tools"]


@pytest.fixture
def fresh(browser, server):
    """A browser context that has never seen Gradwalk."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert errors == []


def bubble_box(page):
    return page.locator("#tour").bounding_box()


def serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']} {[n['target'] for n in v['nodes']][:4]}" for v in violations
            if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768), (390, 844)])
def test_the_tour_walks_four_stops_once_and_never_again(fresh, server, small_run, size):
    page = fresh
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{server}/?run={small_run['run_id']}&iter=0&step=0")
    page.wait_for_selector("#tour:not([hidden])", timeout=30000)
    for i, target in enumerate(POINTS_AT):
        until(page, f"document.getElementById('tour').dataset.stop === '{i}'")
        assert page.locator(f"{target}.tour-target").count() == 1
        box = bubble_box(page)
        assert box["x"] >= 0 and box["y"] >= 0
        assert box["x"] + box["width"] <= size[0] and box["y"] + box["height"] <= size[1]
        assert page.text_content("#tour-count") == f"{i + 1} of 4"
        if i == 0:
            assert serious(page) == []
        page.click("#tour-next")
    assert page.locator("#tour").is_hidden()
    page.reload()
    page.wait_for_selector('body[data-ready="1"]', timeout=30000)
    page.wait_for_timeout(500)
    assert page.locator("#tour").is_hidden()


def test_escape_dismisses_it_for_good_and_lecture_mode_never_shows_it(fresh, server, small_run):
    page = fresh
    link = f"{server}/?run={small_run['run_id']}&iter=0&step=0"
    page.goto(f"{link}&mode=lecture")
    page.wait_for_selector('body[data-ready="1"]', timeout=30000)
    page.wait_for_timeout(500)
    assert page.locator("#tour").is_hidden()
    page.goto(link)
    page.wait_for_selector("#tour:not([hidden])", timeout=30000)
    assert page.evaluate("() => document.activeElement.id") == "tour-next"
    page.keyboard.press("Escape")
    until(page, "document.getElementById('tour').hidden")
    page.reload()
    page.wait_for_selector('body[data-ready="1"]', timeout=30000)
    page.wait_for_timeout(500)
    assert page.locator("#tour").is_hidden()
