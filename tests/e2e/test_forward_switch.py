"""Forward mode beside reverse mode in the viewer: the switch on the graph makes the same run in
the other mode (the same iteration and step), tangents travel the edges in their own colour,
a leaf element picked in the inspector (exact grid or heatmap cell) is the direction, the setup
form has the mode too, and a link restores it all."""

from __future__ import annotations

import pytest

from .conftest import create_run, open_run, until, wait_step

SMALL = {"preset": "pytorch-numpy-two-layer", "iterations": 3,
         "params": {"N": 8, "D_in": 20, "H": 6, "D_out": 3}}
TANGENT = "rgb(122, 93, 0)"  # --tangent
VALUE = "rgb(0, 106, 166)"  # --value


@pytest.fixture(scope="module")
def reverse_run(api):
    return create_run(api, **SMALL)


def run_id_shown(page) -> str:
    return page.url.split("run=")[1].split("&")[0]


def wait_run(page, run_id: str) -> None:
    page.wait_for_url(f"**run={run_id}*", timeout=20000)
    until(page, f"document.body.dataset.mode && location.search.includes('{run_id}')")


def edge_strokes(page) -> list[str]:
    return page.eval_on_selector_all("g.edge.active path", "ps => ps.map(p => getComputedStyle(p).stroke)")


def test_switch_makes_the_forward_run_and_tangents_travel_in_their_colour(guard, server, api, reverse_run):
    page = guard
    forward = create_run(api, **SMALL, mode="forward")  # the default direction
    assert forward["direction"] == {"leaf": "w1", "index": [0, 0]}
    open_run(page, server, reverse_run["run_id"], 1, 2)
    assert page.get_attribute("body", "data-mode") == "reverse"
    assert page.get_attribute("#btn-mode-reverse", "aria-pressed") == "true"
    assert edge_strokes(page) and set(edge_strokes(page)) == {VALUE}  # values travel forward in blue

    page.click("#btn-mode-forward")
    wait_run(page, forward["run_id"])
    wait_step(page, 1, 2)  # the same iteration and step
    assert page.get_attribute("body", "data-mode") == "forward"
    assert page.get_attribute("#btn-mode-forward", "aria-pressed") == "true"
    assert page.get_attribute("#btn-mode-reverse", "aria-pressed") == "false"
    assert "w1[0, 0]" in page.text_content("#mode-direction")
    page.keyboard.press("ArrowRight")  # a forward step: value and tangent travel its edges
    page.wait_for_selector("circle.pulse.pulse-tangent", state="attached", timeout=3000)
    wait_step(page, 1, 3)
    assert page.get_attribute("body", "data-phase") == "forward"
    active = page.eval_on_selector_all("g.edge.active", "gs => gs.map(g => g.getAttribute('class'))")
    assert active and all("carries-tangent" in c for c in active), active
    assert set(edge_strokes(page)) == {TANGENT}
    assert page.eval_on_selector("#legend", "e => e.textContent").count("tangent") == 1

    # the link reopens the forward run, the switch pressed on Forward
    other = page.watch(page.context.new_page())
    other.goto(page.url)
    wait_step(other, 1, 3)
    assert other.get_attribute("body", "data-mode") == "forward"
    assert other.get_attribute("#btn-mode-forward", "aria-pressed") == "true"
    assert set(edge_strokes(other)) == {TANGENT}
    other.close()

    page.keyboard.press("r")  # and back, by the key
    wait_run(page, reverse_run["run_id"])
    wait_step(page, 1, 3)
    assert page.get_attribute("body", "data-mode") == "reverse"
    assert set(edge_strokes(page)) == {VALUE}
    page.go_back()  # the browser's history walks back into forward mode
    wait_run(page, forward["run_id"])
    until(page, "document.getElementById('btn-mode-forward').getAttribute('aria-pressed') === 'true'")


def test_a_leaf_element_clicked_in_the_inspector_is_the_direction(guard, server, api, reverse_run):
    page = guard
    open_run(page, server, reverse_run["run_id"], 0, 0)
    page.click('g.node[data-id="w2"]')  # 6×3: exact values, one button per element
    page.click('#inspector .exact button.element[data-index="4,1"]')
    along_w2 = create_run(api, **SMALL, mode="forward", direction={"leaf": "w2", "index": [4, 1]})
    wait_run(page, along_w2["run_id"])
    wait_step(page, 0, 0)
    assert "w2[4, 1]" in page.text_content("#mode-direction")
    page.click('g.node[data-id="w2"]')
    chosen = page.eval_on_selector_all("#inspector .exact button.direction",
                                       "bs => bs.map(b => b.dataset.index)")
    assert chosen == ["4,1"]
    page.click('#inspector button[data-tab="tangent"]')  # one-hot along the direction
    assert page.get_attribute("#inspector .exact button.direction", "data-index") == "4,1"

    # w1 is 20×6: a heatmap of 16×6 cells; cell (3, 2) starts at element [3, 2] (rows 3..3)
    page.click('g.node[data-id="w1"]')
    page.focus("#inspector canvas.heatmap")
    for key in ["ArrowDown"] * 3 + ["ArrowRight"] * 2:
        page.keyboard.press(key)
    assert "w1[3, 2]" in page.text_content("#inspector .heat-caption")
    assert page.get_attribute("body", "data-step") == "0"  # the arrows moved the cell, not the step
    page.keyboard.press("Enter")
    along_w1 = create_run(api, **SMALL, mode="forward", direction={"leaf": "w1", "index": [3, 2]})
    wait_run(page, along_w1["run_id"])
    assert api.get(f"/runs/{run_id_shown(page)}").json()["direction"] == {"leaf": "w1", "index": [3, 2]}


def test_the_setup_form_has_the_mode_and_the_direction(guard, server, api, reverse_run):
    page = guard
    open_run(page, server, reverse_run["run_id"])
    page.wait_for_selector('#params input[name="param-D_in"]')
    assert page.is_hidden("#direction")
    page.select_option("#mode", "forward")
    page.fill("#direction", "w2[1, 2]")
    page.click("#btn-run")
    expected = create_run(api, **SMALL, mode="forward", direction={"leaf": "w2", "index": [1, 2]})
    wait_run(page, expected["run_id"])
    wait_step(page, 0, 0)
    assert page.input_value("#mode") == "forward"
    assert page.input_value("#direction") == "w2[1, 2]"
    assert page.get_attribute("#btn-mode-forward", "aria-pressed") == "true"
    page.click("#btn-mode-reverse")
    wait_run(page, reverse_run["run_id"])
    until(page, "document.getElementById('mode').value === 'reverse'")
    assert page.is_hidden("#direction")


def test_a_typed_source_switches_too(guard, server, api):
    page = guard
    body = {"source": "a = param(value=2.0)\nb = input(3)\nloss = sum(a * b ** 2)\n", "seed": 3,
            "iterations": 4, "lr": 0.05}
    reverse = create_run(api, **body)
    forward = create_run(api, **body, mode="forward")  # the default: a, the first parameter
    assert forward["direction"] == {"leaf": "a", "index": []}
    open_run(page, server, reverse["run_id"], 2, 1)
    page.click("#btn-mode-forward")
    wait_run(page, forward["run_id"])
    wait_step(page, 2, 1)
    assert page.text_content("#mode-direction") == "tangents along a"
    last = forward["steps_per_iteration"] - 1
    page.keyboard.press("End")
    wait_step(page, 2, last)
    state = api.get(f"/runs/{forward['run_id']}/iterations/2/steps/{last}").json()
    tangent = state["nodes"]["loss"]["tangent"]
    assert float(page.get_attribute('g.node[data-id="loss"]', "data-tangent")) == tangent["values"]
    page.click("#btn-mode-reverse")
    wait_run(page, reverse["run_id"])
    wait_step(page, 2, last)
    page.click("#btn-mode-forward")  # the same forward run again: the same id, the same link
    wait_run(page, forward["run_id"])
    wait_step(page, 2, last)


# requests the page makes whose URL has `part` (and of `method`) wait until released
HOLD = """([part, method]) => {
  window.__held = window.__held || [];
  const gate = {};
  gate.open = new Promise((resolve) => { gate.release = resolve; });
  window.__held.push(gate);
  const before = window.fetch;
  window.fetch = async (url, options = {}) => {
    if (String(url).includes(part) && (options.method || "GET") === method) await gate.open;
    return before(url, options);
  };
  return window.__held.length - 1;
}"""
RELEASE = "(i) => window.__held[i].release()"
STATUS = "document.getElementById('status').textContent"


def test_computing_is_said_until_the_run_asked_for_last_is_shown(guard, server, api, reverse_run):
    """Switched twice in a row (r, r): the first switch's run, drawn while the second is still on
    its way, does not clear the "computing…" the second one says."""
    page = guard
    forward = create_run(api, **SMALL, mode="forward")
    open_run(page, server, reverse_run["run_id"], 1, 2)
    first = page.evaluate(HOLD, [f"/runs/{forward['run_id']}/iterations/", "GET"])
    page.keyboard.press("r")
    until(page, "document.body.dataset.mode === 'forward'")  # its step is held
    assert page.evaluate(STATUS) == "computing…"
    second = page.evaluate(HOLD, ["/api/v1/runs", "POST"])
    page.keyboard.press("r")  # back to reverse mode: its POST is held
    page.evaluate(RELEASE, first)
    wait_run(page, forward["run_id"])
    wait_step(page, 1, 2)  # the forward run is drawn; the reverse one still computing
    assert page.evaluate(STATUS) == "computing…"
    page.evaluate(RELEASE, second)
    wait_run(page, reverse_run["run_id"])
    until(page, f"{STATUS} === ''")
    assert page.get_attribute("body", "data-mode") == "reverse"
