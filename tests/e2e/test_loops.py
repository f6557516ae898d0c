"""A loop in the viewer (issue 25): a 40-layer MLP written as a loop opens with its passes
collapsed, stacked into one box "i=0–39 × 40"; clicked, one box per pass, named after the loop
variable's value."""

from __future__ import annotations

from tests.engine.language.test_pasted_code import LOOP

from .conftest import create_run, open_run, until


def test_a_loop_opens_with_one_collapsed_box_per_pass(guard, server, api):
    page = guard
    run = create_run(api, source=LOOP, iterations=2)
    open_run(page, server, run["run_id"])
    until(page, "document.body.dataset.collapsed !== undefined")
    collapsed = (page.get_attribute("body", "data-collapsed") or "").split(",")
    assert sorted(collapsed) == sorted(f"i={k}" for k in range(40))
    # the passes are copies of one another: stacked into one box until it is clicked
    stack = page.locator("#graph g.node.stack")
    assert stack.locator(".node-label").text_content() == "▸ i=0–39 × 40"
    stack.focus()
    page.keyboard.press("Enter")
    box = page.locator('#graph g.node[data-group="i=7"]')
    assert box.locator(".node-label").text_content() == "▸ i=7"
    assert box.locator("title").text_content().startswith("group i=7: 2 nodes")
