"""Every screen: at a phone's 390 px and a tablet's 768 px the graph comes first, as wide as the
screen and tall enough to read, the panels below it, nothing wider than the window; stepping
and inspecting work there."""

from __future__ import annotations

import pytest

from .conftest import create_run, open_run, wait_step

SMALL = {"preset": "pytorch-numpy-two-layer", "iterations": 3,
         "params": {"N": 8, "D_in": 20, "H": 10, "D_out": 10}}


@pytest.fixture(scope="module")
def small_run(api):
    return create_run(api, **SMALL)


@pytest.mark.parametrize(("width", "height"), [(390, 844), (768, 1024)])
def test_narrow_screens_show_the_graph_first_and_the_panels_below(guard, server, small_run, width, height):
    page = guard
    page.set_viewport_size({"width": width, "height": height})
    open_run(page, server, small_run["run_id"], 0, 3)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    graph = page.locator("#graph svg").bounding_box()
    assert graph["width"] >= width - 24 and graph["height"] >= 300
    assert graph["y"] < 60  # the graph is what the screen opens on
    for below in ("#controls", "#side", "#run-form"):
        assert page.locator(below).bounding_box()["y"] >= graph["y"] + graph["height"], below
    # every control inside the window
    for box in page.eval_on_selector_all(
            "#controls button, #run-form button, #graph-tools button, #mode-switch button",
            "bs => bs.filter(b => b.offsetParent).map(b => { const r = b.getBoundingClientRect();"
            " return [b.id || b.textContent, r.left, r.right]; })"):
        assert box[1] >= 0 and box[2] <= width, box
    page.click("#btn-forward")
    wait_step(page, 0, 4)
    node = page.locator('g.node[data-id="w1"]')
    node.scroll_into_view_if_needed()
    node.click()
    page.wait_for_selector("#inspector .stats")
    assert page.inner_text("#inspector-title").startswith("w1")
    # the drawing fills the graph's box (as wide or as tall as it), not a strip in it
    drawn = page.eval_on_selector("#graph svg g.nodes", "g => { const r = g.getBoundingClientRect();"
                                  " return {width: r.width, height: r.height}; }")
    assert drawn["width"] >= 0.8 * graph["width"] or drawn["height"] >= 0.6 * graph["height"]
