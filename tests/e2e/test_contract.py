"""The viewer's DOM contract (docs/viewer-dom.md), hook by hook, against the API's own JSON.

test_viewer.py walks the teaching stories; this file checks the hooks it does not reach: the
setup form, every edge and node attribute, the panels at one step, the transport buttons, the
scrubber and phase buttons, pulses and arrivals, the inspector and its .npy, the loss curve and
the iteration picker.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from .conftest import INJECTED, create_run, open_run, until, wait_step

SMALL_SEED = {"preset": "pytorch-numpy-two-layer", "iterations": 3,
              "params": {"N": 8, "D_in": 20, "H": 6, "D_out": 3}}


@pytest.fixture(scope="module")
def seed_run(api):
    return create_run(api, **SMALL_SEED)


def classes(page, selector: str) -> set[str]:
    return set((page.get_attribute(selector, "class") or "").split())


def node_rows(page) -> dict:
    return {r["id"]: r for r in page.evaluate("""() => [...document.querySelectorAll('g.node')].map(g => ({
        id: g.dataset.id, classes: [...g.classList],
        label: g.querySelector('.node-label').textContent,
        op: g.querySelector('.node-op').textContent,
        value: g.querySelector('.node-value').textContent,
        grad: g.querySelector('.node-grad').textContent,
        dataValue: g.getAttribute('data-value'), dataGrad: g.getAttribute('data-grad')}))""")}


def test_setup_form_creates_the_run_it_describes(guard, server, api):
    page = guard
    open_run(page, server, create_run(api, preset="colah-sum-of-paths")["run_id"])
    page.select_option("#preset", "pytorch-numpy-two-layer")
    page.wait_for_selector('#params input[name="param-D_in"]')
    for name, value in SMALL_SEED["params"].items():
        page.fill(f'#params input[name="param-{name}"]', str(value))
    page.fill("#seed", "3")
    page.fill("#lr", "0.0001")
    page.fill("#iterations", "2")
    page.click("#btn-run")
    expected = create_run(api, **SMALL_SEED | {"iterations": 2, "seed": 3, "lr": 0.0001})
    page.wait_for_url(f"**run={expected['run_id']}*", timeout=20000)
    wait_step(page, 0, 0)
    assert page.locator("#graph svg g.node").count() == len(expected["graph"]["nodes"])
    run = api.get(f"/runs/{expected['run_id']}").json()
    assert (run["preset"], run["params"], run["seed"], run["lr"], run["iterations"]) == (
        "pytorch-numpy-two-layer", SMALL_SEED["params"], 3, 0.0001, 2)


def test_graph_hooks_match_the_run_and_the_state(guard, server, api, seed_run):
    page = guard
    run_id = seed_run["run_id"]
    first, last = seed_run["phases"]["forward"]
    k = (first + last) // 2  # mid-forward: some nodes valued, some pending
    open_run(page, server, run_id, 0, k)
    state = api.get(f"/runs/{run_id}/iterations/0/steps/{k}").json()
    edges = page.evaluate("""() => [...document.querySelectorAll('#graph svg g.edge')].map(
        g => [g.dataset.id, g.dataset.source, g.dataset.target])""")
    assert sorted(edges) == sorted([e["id"], e["source"], e["target"]] for e in seed_run["graph"]["edges"])
    rows = node_rows(page)
    assert set(rows) == {n["id"] for n in seed_run["graph"]["nodes"]}
    for node in seed_run["graph"]["nodes"]:
        row, s = rows[node["id"]], state["nodes"][node["id"]]
        assert f"kind-{node['kind']}" in row["classes"], node["id"]
        assert ("current" in row["classes"]) == (node["id"] == state["node"]), node["id"]
        assert ("pending" in row["classes"]) == (s["value"] is None), node["id"]
        assert ("has-grad" in row["classes"]) == (s["grad"] is not None), node["id"]
        if node["op"]:
            assert node["op"] in row["op"], (node["id"], row["op"])
        assert row["grad"] == "" and row["dataGrad"] is None, node["id"]  # forward: no gradient yet
        if s["value"] is None:
            assert row["value"] == "" and row["dataValue"] is None, node["id"]
        elif s["value"]["shape"]:
            assert row["value"].startswith("‖·‖ "), (node["id"], row["value"])
    assert page.locator("g.node.current").count() == 1
    pending = [nid for nid, s in state["nodes"].items() if s["value"] is None]
    assert 0 < len(pending) < len(rows)  # the step splits valued from pending nodes


def test_panels_show_the_step(guard, server, api, seed_run):
    page = guard
    run_id = seed_run["run_id"]
    steps = api.get(f"/runs/{run_id}/iterations/0/steps").json()["steps"]
    k = next(s["index"] for s in steps if s["phase"] == "backward" and len(s["contributions"]) >= 2)
    step = steps[k]
    open_run(page, server, run_id, 0, k)
    n = seed_run["steps_per_iteration"]
    assert page.get_attribute("body", "data-phase") == "backward"
    assert page.inner_text("#narration") == step["narration"]
    assert page.inner_text("#step-label").startswith(f"Step {k} / {n - 1} · backward")
    assert page.evaluate("() => document.querySelector('#chain .mathml').getElementsByTagNameNS("
                         "'http://www.w3.org/1998/Math/MathML', 'math').length") == 1
    items = page.locator("#contributions li.contribution")
    assert items.count() == len(step["contributions"])
    for i, c in enumerate(step["contributions"]):
        li = items.nth(i)
        assert li.get_attribute("data-to") == c["to"]
        text = li.inner_text()
        assert text.startswith("+=" if c["accumulate"] else "="), text
        assert str(c["arrived"]) in text and str(c["expected"]) in text, text
    script = api.get(f"/runs/{run_id}/code").text
    page.wait_for_selector("#code .line")
    assert page.locator("#code .line").count() == len(script.rstrip("\n").split("\n"))
    hl = page.eval_on_selector_all("#code .line.hl", "ls => ls.map(l => Number(l.dataset.line))")
    assert hl == step["lines"]
    # the bytes held at step k, as static/js/format.js writes them (not just any digit)
    held = step["memory_bytes"]
    shown = (f"{held} B" if held < 1024 else f"{held / 1024:.1f} KB" if held < 1024 ** 2
             else f"{held / 1024 ** 2:.2f} MB")
    assert page.inner_text("#memory .memory-now").startswith(shown)


def test_transport_buttons_scrubber_and_phase_buttons(guard, server, seed_run):
    page = guard
    open_run(page, server, seed_run["run_id"], 0, 5)
    last = seed_run["steps_per_iteration"] - 1
    assert page.get_attribute("#scrubber", "max") == str(last)
    assert page.input_value("#scrubber") == "5"
    for button, target in [("#btn-forward", 6), ("#btn-back", 5), ("#btn-end", last), ("#btn-start", 0)]:
        page.click(button)
        wait_step(page, 0, target)
    page.eval_on_selector("#scrubber", "s => { s.value = '7'; s.dispatchEvent(new Event('input')); }")
    wait_step(page, 0, 7)
    assert page.input_value("#scrubber") == "7"
    for phase, (first, final) in seed_run["phases"].items():
        if final < first:
            continue
        page.click(f'button.phase[data-phase="{phase}"]')
        wait_step(page, 0, first)
        assert page.get_attribute("body", "data-phase") == phase


def test_pulses_and_arrivals_while_stepping(guard, server, api):
    page = guard
    run = create_run(api, preset="colah-sum-of-paths")
    steps = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
    open_run(page, server, run["run_id"], 0, 0)
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("circle.pulse.pulse-value", state="attached", timeout=3000)
    wait_step(page, 0, 1)
    k = next(s["index"] for s in steps if any(c["accumulate"] for c in s["contributions"]))
    open_run(page, server, run["run_id"], 0, k - 1)
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("circle.pulse.pulse-grad", state="attached", timeout=3000)
    wait_step(page, 0, k)
    arrivals = page.eval_on_selector_all("text.arrival", "ts => ts.map(t => t.textContent)")
    assert any(a.startswith("+=") for a in arrivals), arrivals


def test_inspector_shows_the_node_and_serves_its_npy(guard, server, api, seed_run):
    page = guard
    run_id = seed_run["run_id"]
    k = seed_run["phases"]["backward"][1]
    open_run(page, server, run_id, 0, k)
    state = api.get(f"/runs/{run_id}/iterations/0/steps/{k}").json()
    # the camera follows the step here, and the minimap may lie over other nodes: the whole graph
    page.click("#btn-fit")
    for node_id, exact in (("w2", True), ("w1", False)):  # 6x3 = 18 elements; 20x6 = 120
        page.click(f'g.node[data-id="{node_id}"]')
        until(page, f"document.getElementById('inspector-title').textContent.includes('{node_id}')")
        for tab in ("value", "grad"):
            page.click(f'#inspector button[data-tab="{tab}"]')
            assert page.get_attribute(f'#inspector button[data-tab="{tab}"]', "aria-pressed") == "true"
            assert page.locator("#inspector .stats").count() == 1
            assert page.locator("#inspector canvas.heatmap").count() == 1
            assert page.locator("#inspector svg.histogram").count() == 1
            assert page.locator("#inspector .exact").count() == (1 if exact else 0)
            href = page.get_attribute("#inspector a.npy", "href")
            npy = api.get(href.replace("/api/v1", "", 1) if href.startswith("/api/v1") else href)
            assert npy.status_code == 200, href
            array = np.load(io.BytesIO(npy.content))
            assert array.shape == tuple(state["nodes"][node_id][tab]["shape"])
            assert np.linalg.norm(array) == pytest.approx(state["nodes"][node_id][tab]["norm"], rel=1e-9)


def test_loss_curve_and_iteration_picker(guard, server, api, seed_run):
    page = guard
    run_id = seed_run["run_id"]
    open_run(page, server, run_id, 0, 4)
    page.wait_for_selector("#losses svg .loss-marker", state="attached")
    assert page.locator("#losses .loss-marker").count() == 1
    page.fill("#iteration", "2")
    page.dispatch_event("#iteration", "change")
    wait_step(page, 2, 4)
    box = page.locator("#losses svg").bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)  # the left end: iteration 0
    wait_step(page, 0, 4)
    assert "iter=0" in page.url and "step=4" in page.url


PAYLOAD = "<img src=x onerror=alert(1)><script>alert(2)</script>"


def test_markup_in_the_source_stays_text(guard, server, api):
    """The 422 messages never echo user text, so markup can only reach the page through a valid
    source (in a comment, kept in the run's `source`) or an error shown next to it."""
    page = guard
    page.expected.append("status of 422")
    open_run(page, server, create_run(api, preset="colah-sum-of-paths")["run_id"])
    page.click("#btn-edit-source")
    bad = f'x = input(3)\nloss = sum(x) + "{PAYLOAD}"\n'
    message = api.post("/runs", json={"source": bad}).json()["error"]["message"]
    page.fill("#source", bad)
    page.click("#btn-source-run")
    until(page, "document.getElementById('source-error').textContent.length > 0")
    assert page.text_content("#source-error") == message
    assert page.locator("#source-error *").count() == 0
    good = f"x = input(3)  # {PAYLOAD}\nloss = sum(x)  # {PAYLOAD}\n"
    page.fill("#source", good)
    page.click("#btn-source-run")
    until(page, "document.querySelectorAll('#graph svg g.node').length === 2 "
          "&& document.body.dataset.ready === '1'", timeout=20)
    assert page.locator("#graph svg g.node").count() == 2
    assert page.input_value("#source").count(PAYLOAD) == 2  # kept as text
    assert page.text_content("#source-error") == ""
    assert page.locator(INJECTED).count() == 0
    assert page.evaluate("() => [...document.querySelectorAll('*')].filter("
                         "e => [...e.attributes].some(a => a.name.startsWith('on'))).length") == 0
