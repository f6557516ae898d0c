"""The viewer plays an iteration from one document (docs/json.md, Iteration).

Once an iteration is loaded, stepping and scrubbing through all of it makes no request, and
every state the page rebuilds from the document's changes is the server's own state; a few
iteration documents are kept, the next one is fetched while playing; the inspector's tabs and
the phase buttons are the quantities and phases the run declares.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import create_run, headline, open_run, until, wait_step

LAYERS = 24


def deep_tanh_source(layers: int) -> str:
    """x, then `layers` layers h_i = tanh(h_{i-1} @ w_i), then the sum of squares."""
    lines = ["x = input(8, 4)"]
    for i in range(1, layers + 1):
        lines.append(f"w{i} = param(4, 4, scale=0.5)")
    previous = "x"
    for i in range(1, layers + 1):
        lines.append(f"h{i} = tanh({previous} @ w{i})")
        previous = f"h{i}"
    lines.append(f"loss = sum({previous} ** 2)")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def deep_run(api):
    run = create_run(api, source=deep_tanh_source(LAYERS), iterations=3, lr=0.01)
    assert run["steps_per_iteration"] >= 100, run["steps_per_iteration"]
    return run


def api_requests(page) -> list[str]:
    """Every request the page makes to the API from now on (a live list)."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if "/api/v1/" in request.url else None)
    return seen


def settle(page) -> None:
    """Let the first load's side requests (script, losses, presets) finish."""
    page.wait_for_load_state("networkidle")


def drawn(page) -> dict:
    """data-value / data-grad of every node, as numbers (None when absent)."""
    rows = page.evaluate("""() => [...document.querySelectorAll('g.node')].map(g => [g.dataset.id,
        g.getAttribute('data-value'), g.getAttribute('data-grad')])""")
    number = lambda v: None if v is None else float(v)  # noqa: E731
    return {nid: (number(v), number(g)) for nid, v, g in rows}


def test_scrubbing_a_whole_iteration_makes_no_request(guard, server, deep_run):
    page = guard
    last = deep_run["steps_per_iteration"] - 1
    open_run(page, server, deep_run["run_id"])
    settle(page)
    requests = api_requests(page)

    for k in range(1, last + 1):  # → through every step
        page.keyboard.press("ArrowRight")
        wait_step(page, 0, k)
    for k in range(last - 1, -1, -1):  # ← back through every step
        page.keyboard.press("ArrowLeft")
        wait_step(page, 0, k)

    page.focus("#scrubber")  # the range's own keys: an input event per step
    for k in range(1, last + 1):
        page.keyboard.press("ArrowRight")
        wait_step(page, 0, k)
    page.keyboard.press("Home")
    wait_step(page, 0, 0)

    box = page.locator("#scrubber").bounding_box()  # a drag from end to end
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, y)
    page.mouse.down()
    for i in range(61):
        page.mouse.move(box["x"] + 1 + (box["width"] + 10) * i / 60, y)
    page.mouse.up()
    wait_step(page, 0, last)

    for phase, (first, final) in deep_run["phases"].items():
        if final >= first:
            page.click(f'button.phase[data-phase="{phase}"]')
            wait_step(page, 0, first)
    page.keyboard.press("End")
    wait_step(page, 0, last)
    assert page.get_attribute("body", "data-step") == str(last)
    assert requests == []


def assert_merged_states_are_the_servers(page, api, run_id: str, t: int, ks) -> None:
    """The states the page rebuilds for steps `ks` of iteration t (window.gradwalk.stateAt)
    are `GET …/iterations/{t}/steps/{k}`, field for field."""
    ks = list(ks)
    mine = json.loads(page.evaluate(  # one string: far quicker across than nested objects
        "async ([t, ks]) => JSON.stringify(await Promise.all(ks.map(k => window.gradwalk.stateAt(t, k))))",
        [t, ks]))
    with ThreadPoolExecutor(4) as pool:
        theirs = list(pool.map(lambda k: api.get(f"/runs/{run_id}/iterations/{t}/steps/{k}").json(), ks))
    for k, a, b in zip(ks, mine, theirs, strict=True):
        assert a == b, (t, k)


def test_every_merged_state_is_the_servers_state(guard, server, api, deep_run):
    page = guard
    run_id = deep_run["run_id"]
    open_run(page, server, run_id)
    assert_merged_states_are_the_servers(page, api, run_id, 0, range(deep_run["steps_per_iteration"]))
    some = (0, deep_run["phases"]["backward"][0], deep_run["steps_per_iteration"] - 1)
    assert_merged_states_are_the_servers(page, api, run_id, 2, some)


def test_drawn_numbers_are_the_servers_while_scrubbing(guard, server, api, deep_run):
    page = guard
    run_id = deep_run["run_id"]
    # every node drawn: its layers, found as groups (app.engine.language.repeats), expanded
    page.goto(f"{server}/?run={run_id}&iter=0&step=0&collapsed=")
    wait_step(page, 0, 0)
    phases = deep_run["phases"]
    last = deep_run["steps_per_iteration"] - 1
    samples = sorted({1, phases["forward"][1], phases["seed"][0], phases["backward"][0] + 7,
                      phases["backward"][1], phases["update"][0] + 3, last, 5})
    for k in samples + samples[::-1][1:]:  # jumps forward and back, out of order
        page.eval_on_selector("#scrubber", "(s, k) => { s.value = String(k); "
                              "s.dispatchEvent(new Event('input')); }", k)
        wait_step(page, 0, k)
        state = api.get(f"/runs/{run_id}/iterations/0/steps/{k}").json()
        expected = {nid: (headline(s["value"]), headline(s["grad"])) for nid, s in state["nodes"].items()}
        assert drawn(page) == expected, k


def test_accumulating_gradients_rebuild_exactly(guard, server, api):
    """A node fed to two consumers: its gradient is partial, then summed (colah's b)."""
    page = guard
    run = create_run(api, preset="colah-sum-of-paths", iterations=2)
    open_run(page, server, run["run_id"])
    for t in (0, 1):
        assert_merged_states_are_the_servers(page, api, run["run_id"], t, range(run["steps_per_iteration"]))


def test_next_iteration_is_prefetched_and_a_few_are_kept(guard, server, api):
    page = guard
    run = create_run(api, preset="colah-sum-of-paths", iterations=6)
    open_run(page, server, run["run_id"], 0, 0)
    settle(page)
    requests = api_requests(page)
    with page.expect_request("**/iterations/1"):
        page.keyboard.press(" ")  # play: iteration 1 loads in the background
    page.keyboard.press(" ")
    until(page, "document.getElementById('btn-play').getAttribute('aria-pressed') === 'false'")

    def visit(t):
        page.fill("#iteration", str(t))
        page.dispatch_event("#iteration", "change")
        page.wait_for_selector(f'body[data-ready="1"][data-iter="{t}"]')

    def fetched(t):
        return sum(1 for url in requests if url.endswith(f"/iterations/{t}"))

    visit(1)
    assert fetched(1) == 1  # the prefetched document, not a second request
    visit(2)
    visit(3)
    visit(4)
    visit(5)  # kept now: 1 to 5 (the one shown, 3 ahead while playing training, one more)
    visit(2)  # — iteration 0 was the least recently used
    assert fetched(2) == 1
    visit(0)
    assert fetched(0) == 1  # fetched again, once
    assert all("/steps/" not in url for url in requests), requests  # no state endpoint


def test_tabs_and_phase_buttons_are_the_runs_own(guard, server, api, deep_run):
    page = guard
    run_id = deep_run["run_id"]
    run = api.get(f"/runs/{run_id}").json()
    open_run(page, server, run_id)
    tabs = page.eval_on_selector_all("#inspector button[data-tab]", "bs => bs.map(b => b.dataset.tab)")
    assert tabs == run["quantities"]
    phases = page.eval_on_selector_all("#phases button.phase", "bs => bs.map(b => b.dataset.phase)")
    assert phases == [name for name, (first, last) in run["phases"].items() if last >= first]


def test_a_forward_mode_run_is_drawn_as_it_declares(guard, server, api):
    """Forward mode declares the quantities value and tangent and the phases load and forward:
    tabs, rows, colours, phase buttons and the merged states follow the run, not a fixed list."""
    page = guard
    run = create_run(api, preset="colah-sum-of-paths", mode="forward",
                     direction={"leaf": "a", "index": []})
    assert run["quantities"] == ["value", "tangent"]
    assert list(run["phases"]) == ["load", "forward"]
    last = run["steps_per_iteration"] - 1
    open_run(page, server, run["run_id"], 0, last)
    assert_merged_states_are_the_servers(page, api, run["run_id"], 0, range(last + 1))
    tabs = page.eval_on_selector_all("#inspector button[data-tab]", "bs => bs.map(b => b.dataset.tab)")
    assert tabs == ["value", "tangent"]
    phases = page.eval_on_selector_all("#phases button.phase", "bs => bs.map(b => b.dataset.phase)")
    assert phases == ["load", "forward"]
    assert page.get_attribute("#scrubber", "max") == str(last)
    assert page.locator("#memory svg rect").count() == last + 1
    # each node: a tangent row in the tangent's colour, no gradient row
    assert page.locator("g.node .node-grad").count() == 0
    assert page.locator("g.node .node-tangent").count() == len(run["graph"]["nodes"])
    state = api.get(f"/runs/{run['run_id']}/iterations/0/steps/{last}").json()
    for nid, s in state["nodes"].items():
        shown = page.get_attribute(f'g.node[data-id="{nid}"]', "data-tangent")
        assert (None if shown is None else float(shown)) == headline(s["tangent"]), nid
    assert page.text_content('g.node[data-id="e"] .node-tangent') == "δ 2"  # ∂e/∂a = d = 2
    colour = lambda selector, prop: page.eval_on_selector(  # noqa: E731
        selector, f"e => getComputedStyle(e).getPropertyValue('{prop}').trim()")
    assert colour('g.node[data-id="e"] .node-tangent', "fill") == "rgb(122, 93, 0)"
    assert colour('g.node[data-id="e"] .node-value', "fill") == "rgb(0, 106, 166)"
    page.click('g.node[data-id="e"]')
    page.click('#inspector button[data-tab="tangent"]')
    assert page.get_attribute('#inspector button[data-tab="tangent"]', "aria-pressed") == "true"
    assert "the tangent of e: its derivative along a" in page.inner_text("#inspector-body")
    assert page.locator("#inspector .stats").count() == 1
    href = page.get_attribute("#inspector a.npy", "href")
    assert href.endswith("/tensors/e/tangent?format=npy")
    assert api.get(href.replace("/api/v1", "", 1)).status_code == 200
    assert "tangent" in page.text_content("#legend") and "gradient" not in page.text_content("#legend")
    page.keyboard.press("Home")
    wait_step(page, 0, 0)
    page.keyboard.press("PageDown")
    wait_step(page, 0, run["phases"]["forward"][0])
    page.keyboard.press("PageDown")  # no later phase: the last step
    wait_step(page, 0, last)


def test_quick_presses_compose_and_a_failed_document_shows_on_the_status_line(guard, server, api, deep_run):
    page = guard
    page.expected.append("status of 503")
    open_run(page, server, deep_run["run_id"], 0, 3)
    for _ in range(10):  # no wait between presses: each moves on from where the last one aimed
        page.keyboard.press("ArrowRight")
    wait_step(page, 0, 13)
    page.route("**/iterations/1", lambda route: route.fulfill(status=503, json={"error": {
        "status": 503, "kind": "busy", "message": "the server is busy: try again"}}))
    page.fill("#iteration", "1")
    page.dispatch_event("#iteration", "change")
    until(page, "document.getElementById('status').textContent === 'the server is busy: try again'")
    assert page.get_attribute("body", "data-iter") == "0"  # still the last state drawn
    assert page.get_attribute("body", "data-step") == "13"
    page.unroute("**/iterations/1")
    page.click("#btn-forward")  # the iteration asked for last is tried again
    wait_step(page, 1, 14)
    assert page.text_content("#status") == ""
