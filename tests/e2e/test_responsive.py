"""Every screen: at a phone's 390 px and a tablet's 768 px the graph comes first, as wide as the
screen and tall enough to read, the panels below it, nothing wider than the window; stepping
and inspecting work there."""

from __future__ import annotations

import pytest

from .conftest import create_run, open_run, wait_step


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
    # the step's node is on screen (on a phone the camera follows the step): inspect it
    steps = page.evaluate("async (id) => (await (await fetch(`/api/v1/runs/${id}/iterations/0"
                          "/steps`)).json()).steps", small_run["run_id"])
    at = steps[4]["node"]
    label = next(n["label"] for n in small_run["graph"]["nodes"] if n["id"] == at)
    node = page.locator(f'g.node[data-id="{at}"]')
    node.scroll_into_view_if_needed()
    node.click()
    page.wait_for_selector("#inspector .stats")
    assert page.inner_text("#inspector-title").startswith(label)
    # the drawing fills the graph's box (as wide or as tall as it), not a strip in it
    drawn = page.eval_on_selector("#graph svg g.nodes", "g => { const r = g.getBoundingClientRect();"
                                  " return {width: r.width, height: r.height}; }")
    assert drawn["width"] >= 0.8 * graph["width"] or drawn["height"] >= 0.6 * graph["height"]


def test_a_phone_follows_the_step_so_its_labels_read(guard, server, api):
    """At 390 px the whole seed network would draw its labels at ~5 px: the camera follows the
    step there, as in lecture mode, and the step's node reads (>= 13 px)."""
    page = guard
    page.set_viewport_size({"width": 390, "height": 844})
    run = create_run(api, preset="d2l-mlp-l2", iterations=2)
    open_run(page, server, run["run_id"], 0, 20)
    page.wait_for_timeout(800)  # the camera eases there
    assert page.get_attribute("#graph", "data-camera") == "follow"
    step = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"][20]["node"]
    size = page.eval_on_selector(
        f'g.node[data-id="{step}"] .node-label',
        "t => t.getBoundingClientRect().height")
    assert size >= 13
