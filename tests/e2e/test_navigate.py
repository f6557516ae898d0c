"""Find and navigate: a search box (and `/`) that finds a node by name and centres it, zoom
keys (`+` `-` `0`), keyboard pan (Shift + arrows), a minimap while zoomed in, and pan and
pinch zoom on a touch screen.
"""

from __future__ import annotations

import pytest

from .conftest import CHROMIUM, CHROMIUM_ARGS, create_run, open_run, until

D2L = {"preset": "d2l-mlp-l2", "iterations": 2}

VIEWBOX = "() => document.querySelector('#graph svg').getAttribute('viewBox').split(' ').map(Number)"

#: where a node's box sits in the graph's visible area, as fractions (0.5, 0.5: the centre)
WHERE = """(id) => {
  const area = document.getElementById('graph').getBoundingClientRect();
  const top = document.getElementById('mode-switch').getBoundingClientRect().bottom;
  const r = document.querySelector(`g.node[data-id="${CSS.escape(id)}"] .box`).getBoundingClientRect();
  return [(r.left + r.width / 2 - area.left) / area.width,
          (r.top + r.height / 2 - top) / (area.bottom - top)];
}"""


@pytest.fixture(scope="module")
def d2l_run(api):
    return create_run(api, **D2L)


def settle(page):
    until(page, "!document.getElementById('graph').hasAttribute('data-moving')")


def test_search_finds_a_node_by_name_and_centres_it(guard, server, d2l_run):
    page = guard
    open_run(page, server, d2l_run["run_id"])
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "node-search"
    page.keyboard.type("sum(W2")
    results = page.locator("#search-results li[data-id]")
    assert results.count() >= 1
    found = results.first.get_attribute("data-id")
    assert "sum(W2" in page.inner_text(f'#search-results li[data-id="{found}"] .name')
    assert results.first.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    settle(page)
    x, y = page.evaluate(WHERE, found)
    assert abs(x - 0.5) < 0.05 and abs(y - 0.5) < 0.05, (x, y)
    assert page.get_attribute("#graph", "data-camera") == "free"
    # close enough to read, and focused: Enter inspects it
    px = page.evaluate("(id) => { const l = document.querySelector("
                       "`g.node[data-id=\"${CSS.escape(id)}\"] .node-label`);"
                       " return parseFloat(getComputedStyle(l).fontSize) * l.getScreenCTM().a; }", found)
    assert px >= 12.9
    assert page.evaluate("() => document.activeElement.dataset.id") == found
    page.keyboard.press("Enter")
    until(page, "document.getElementById('inspector-title').textContent.includes('sum(W2')")
    # a name that is nowhere says so; Esc leaves the box
    page.keyboard.press("/")
    page.keyboard.type("no_such_node")
    assert page.locator("#search-results li.none").is_visible()
    page.keyboard.press("Escape")
    assert page.evaluate("() => document.activeElement.id") != "node-search"
    # the search's Esc did not close anything else, and user text stayed text
    assert page.locator("#search-results li").count() == 0


def test_zoom_keys_pan_keys_and_minimap(guard, server, d2l_run):
    page = guard
    page.set_viewport_size({"width": 1280, "height": 800})
    open_run(page, server, d2l_run["run_id"])
    settle(page)  # the first frame's move (the dock settling: the charts' row comes late)
    page.keyboard.press("0")  # the whole graph (normal mode may follow the step where it is small)
    settle(page)
    fit = page.evaluate(VIEWBOX)
    assert page.locator("#minimap").is_hidden()
    page.keyboard.press("+")
    zoomed = page.evaluate(VIEWBOX)
    assert zoomed[2] == pytest.approx(fit[2] / 1.25, rel=0.01)
    page.keyboard.press("+")
    assert page.locator("#minimap").is_visible()
    assert page.get_attribute("#graph", "data-zoomed") is not None
    assert page.locator("#minimap rect.mini-node").count() == len(d2l_run["graph"]["nodes"])
    # the minimap's frame is the part shown
    frame = page.evaluate("() => ['x', 'y', 'width', 'height'].map((a) => "
                          "Number(document.querySelector('#minimap .mini-view').getAttribute(a)))")
    shown = page.evaluate(VIEWBOX)
    assert frame == pytest.approx(shown, abs=0.2)
    page.keyboard.press("-")
    assert page.evaluate(VIEWBOX)[2] == pytest.approx(fit[2] / 1.25, rel=0.01)
    # Shift + arrows pan a fifth of the view; plain arrows still step
    before = page.evaluate(VIEWBOX)
    page.keyboard.press("Shift+ArrowRight")
    after = page.evaluate(VIEWBOX)
    assert after[0] - before[0] == pytest.approx(before[2] * 0.2, rel=0.02)
    page.keyboard.press("Shift+ArrowDown")
    assert page.evaluate(VIEWBOX)[1] - after[1] == pytest.approx(after[3] * 0.2, rel=0.02)
    assert page.get_attribute("body", "data-step") == "0"
    # a click on the minimap moves the view there
    page.keyboard.press("+")
    box = page.locator("#minimap").bounding_box()
    before = page.evaluate(VIEWBOX)
    page.mouse.click(box["x"] + 8, box["y"] + box["height"] / 2)
    assert page.evaluate(VIEWBOX)[0] < before[0]
    # 0: the whole graph again, no minimap
    page.keyboard.press("0")
    settle(page)
    assert page.evaluate(VIEWBOX) == pytest.approx(fit, abs=0.2)
    assert page.locator("#minimap").is_hidden()
    # every key is in the help
    for key in ["+", "-", "0", "/", "Shift+Arrows", "c", "t", "p", "n", "i"]:
        assert page.locator(f'#help tr[data-key="{key}"]').count() == 1, key


def test_touch_pan_and_pinch_zoom(playwright, server, d2l_run):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(viewport={"width": 800, "height": 900}, has_touch=True, is_mobile=True)
        # the first-visit tour's bubble would take the fingers (as the guard fixture keeps it away)
        context.add_init_script("try { localStorage.setItem('gradwalk.tour.seen', '1'); } catch {}")
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_run(page, server, d2l_run["run_id"])
        cdp = context.new_cdp_session(page)
        area = page.locator("#graph").bounding_box()
        cx, cy = area["x"] + area["width"] / 2, area["y"] + area["height"] / 2

        def touch(kind, points):
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
                {"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})

        fit = page.evaluate(VIEWBOX)
        # two fingers spread apart: zoom in about their middle
        touch("touchStart", [(cx - 40, cy), (cx + 40, cy)])
        for d in range(50, 130, 10):
            touch("touchMove", [(cx - d, cy), (cx + d, cy)])
        touch("touchEnd", [])
        pinched = page.evaluate(VIEWBOX)
        assert pinched[2] < fit[2] * 0.6, (fit, pinched)
        # one finger drags the drawing: the view moves the other way
        touch("touchStart", [(cx, cy)])
        for d in range(10, 90, 10):
            touch("touchMove", [(cx + d, cy)])
        touch("touchEnd", [])
        dragged = page.evaluate(VIEWBOX)
        assert dragged[0] < pinched[0]
        assert dragged[2] == pytest.approx(pinched[2], rel=0.01)
        assert page.locator("#minimap").is_visible()
        assert not errors
    finally:
        browser.close()
