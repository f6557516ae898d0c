"""A camera that holds, on graphs far too large to read whole: in lecture mode at 1024×768 every
step of an iteration shows its node (or the collapsed group's box it is inside) and the nodes
its contributions go to, with labels of at least 24 px — a 40-layer MLP typed with a group per
layer (collapsed, since it is large) and a 100-layer one typed without groups. The load step
shows the start of the graph, readable. In normal mode the camera follows by default wherever
the whole graph would draw its labels under 12 px, and stays on the whole graph where it reads.
"""

from __future__ import annotations

import pytest

from bench.graphs import deep_mlp_source

from .conftest import create_run, open_run, until, wait_step

#: the drawn node of each [id, its groups] (a member of a collapsed group: the group's box;
#: null: the current node), where it is on screen and how large its label is there
MEASURE = """(ids) => {
  const area = document.getElementById('graph').getBoundingClientRect();
  const drawn = ([id, groups]) => [id, ...groups].map((g) =>
    document.querySelector(`g.node[data-id="${CSS.escape(g)}"]`)).find(Boolean);
  return ids.map((id) => {
    const g = id === null ? document.querySelector('g.node.current') : drawn(id);
    if (!g) return { id, missing: true };
    const label = g.querySelector('.node-label');
    const r = g.querySelector('.box').getBoundingClientRect();
    const inside = r.left >= area.left - 1 && r.right <= area.right + 1
      && r.top >= area.top - 1 && r.bottom <= area.bottom + 1;
    const px = parseFloat(getComputedStyle(label).fontSize) * label.getScreenCTM().a;
    return { id, drawn: g.dataset.id, px, inside };
  });
}"""

#: → pressed once per step, in the page (808 round trips from Python would take minutes): after
#: each step, once the camera has stopped, MEASURE of the current node and the nodes the step
#: sends to (`targets[k]`); the steps where one is missing, out of view or under `readable` px
STEP_THROUGH = """async ([targets, readable]) => {
  const measure = (""" + MEASURE + """);
  const bad = [];
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  for (let k = 0; k < targets.length; k += 1) {
    if (k) {
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
      while (document.body.dataset.step !== String(k)) await frame();
    }
    await frame();
    while (document.getElementById('graph').hasAttribute('data-moving')) await frame();
    if (targets[k] === null) continue;
    const nodes = measure([null, ...targets[k]]);
    if (nodes.some((n) => n.missing || !n.inside || n.px < readable - 0.5)) bad.push([k, nodes]);
  }
  return bad;
}"""

#: the nodes inside the graph's box and the smallest label among them
VISIBLE = """() => {
  const area = document.getElementById('graph').getBoundingClientRect();
  const seen = [...document.querySelectorAll('#graph g.node')].filter((g) => {
    const r = g.querySelector('.box').getBoundingClientRect();
    return r.right > area.left && r.left < area.right && r.bottom > area.top && r.top < area.bottom;
  });
  const px = seen.map((g) => { const l = g.querySelector('.node-label');
    return parseFloat(getComputedStyle(l).fontSize) * l.getScreenCTM().a; });
  return { count: seen.length, px: Math.min(...px), camera: document.getElementById('graph').dataset.camera };
}"""


def settle(page):
    until(page, "!document.getElementById('graph').hasAttribute('data-moving')")


def step_through_in_lecture(page, server, api, run, readable=24):
    """Every step of iteration 0 at 1024×768 in lecture mode: the step's node and the nodes it
    sends to in view, their labels >= `readable` px; the load step shows readable nodes."""
    page.set_viewport_size({"width": 1024, "height": 768})
    steps = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
    groups = {n["id"]: n.get("groups") or [] for n in run["graph"]["nodes"]}
    open_run(page, server, run["run_id"], mode="lecture")
    settle(page)
    start = page.evaluate(VISIBLE)
    assert start["count"] >= 2 and start["px"] >= readable - 0.5, start
    targets = [None if step["node"] is None else
               [[c["to"], groups[c["to"]]] for c in step.get("contributions") or []]
               for step in steps]
    assert sum(len(t or []) for t in targets) >= len(steps) // 3  # the backward steps send
    bad = page.evaluate(STEP_THROUGH, [targets, readable])
    assert not bad, (len(bad), [(k, steps[k]["phase"], nodes) for k, nodes in bad[:5]])
    wait_step(page, 0, len(steps) - 1)


@pytest.fixture(scope="module")
def deep_runs(api):
    return {
        "grouped 40": create_run(api, source=deep_mlp_source(40), iterations=2),
        "ungrouped 100": create_run(api, source=deep_mlp_source(100, grouped=False), iterations=2),
    }


def test_lecture_camera_on_a_40_layer_mlp_with_collapsed_groups(guard, server, api, deep_runs):
    page = guard
    run = deep_runs["grouped 40"]
    step_through_in_lecture(page, server, api, run)
    # the groups were drawn collapsed: the steps inside them were framed on their boxes
    assert page.locator("g.node.kind-group").count() >= 40


def test_lecture_camera_on_a_100_layer_mlp_typed_without_groups(guard, server, api, deep_runs):
    page = guard
    # no easing (reduced motion): the same views, 808 steps quicker
    page.emulate_media(reduced_motion="reduce")
    step_through_in_lecture(page, server, api, deep_runs["ungrouped 100"])


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_normal_mode_follows_where_the_whole_graph_is_unreadable(guard, server, api, deep_runs, size):
    page = guard
    page.set_viewport_size({"width": size[0], "height": size[1]})
    run = deep_runs["ungrouped 100"]
    open_run(page, server, run["run_id"], 0, 0)
    settle(page)
    seen = page.evaluate(VISIBLE)
    assert seen["camera"] == "follow" and seen["px"] >= 12.5, seen
    backward = run["phases"]["backward"][0] + 7
    page.goto(f"{server}/?run={run['run_id']}&iter=0&step={backward}")
    wait_step(page, 0, backward)
    settle(page)
    [current] = page.evaluate(MEASURE, [None])
    assert current["inside"] and current["px"] >= 12.5, current
    # C: the user's choice wins — the whole graph, tiny
    page.keyboard.press("c")
    page.keyboard.press("0")
    settle(page)
    assert page.evaluate(VISIBLE)["px"] < 12


def test_normal_mode_keeps_the_whole_graph_where_it_reads(guard, server, small_run):
    page = guard
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_run(page, server, small_run["run_id"], 0, 5)
    settle(page)
    seen = page.evaluate(VISIBLE)
    assert seen["camera"] == "overview", seen
    assert seen["count"] == len(small_run["graph"]["nodes"])
