"""A camera that holds, on graphs far too large to read whole: in lecture mode at 1024×768 each
step of an iteration (a sample here, each reached by the scrubber and by →; every step in
bench/camerawalk.py) shows its node (or the collapsed group's box it is inside) and the nodes
its contributions go to, with labels of at least 24 px — a 40-layer MLP typed with a group per
layer (collapsed, since it is large) and a 100-layer one typed without groups. The load step
shows the start of the graph, readable. In normal mode the camera follows by default wherever
the whole graph would draw its labels under 12 px, and stays on the whole graph where it reads.
"""

from __future__ import annotations

import pytest

from bench.camerawalk import GRAPHS, MEASURE, VISIBLE, WALK, open_lecture, sampled, targets_of

from .conftest import create_run, open_run, until, wait_step


def settle(page):
    until(page, "!document.getElementById('graph').hasAttribute('data-moving')")


def walk_in_lecture(page, server, api, run, readable=24):
    """A sample of iteration 0's steps at 1024×768 in lecture mode (bench/camerawalk.py walks
    every one): each reached by the scrubber, then → to the next; the step's node and the nodes
    it sends to in view, their labels >= `readable` px; the load step shows readable nodes."""
    steps = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
    open_lecture(page, server, run["run_id"])
    start = page.evaluate(VISIBLE)
    assert start["count"] >= 2 and start["px"] >= readable - 0.5, start
    targets = targets_of(run, steps)
    assert sum(len(t or []) for t in targets) >= len(steps) // 3  # the backward steps send
    plan = sampled(run, steps)
    bad = page.evaluate(WALK, [targets, plan, readable])
    assert not bad, (len(bad), len(plan), [(k, how, steps[k]["phase"], nodes) for k, how, nodes in bad[:5]])


@pytest.fixture(scope="module")
def deep_runs(api):
    return {name: create_run(api, **body) for name, body in GRAPHS.items()}


def test_lecture_camera_on_a_40_layer_mlp_with_collapsed_groups(guard, server, api, deep_runs):
    page = guard
    walk_in_lecture(page, server, api, deep_runs["grouped 40"])
    # the groups were drawn collapsed, the 40 alike as one stack: the steps inside them were
    # framed on its box
    stack = page.get_attribute("g.node.kind-group.stack", "data-stack")
    assert stack.split(",") == [f"layer {i}" for i in range(1, 41)]


def test_lecture_camera_on_a_100_layer_mlp_typed_without_groups(guard, server, api, deep_runs):
    page = guard
    walk_in_lecture(page, server, api, deep_runs["ungrouped 100"])
    # its layers were found (app.engine.language.repeats) and, alike, drawn as one stack
    stack = page.get_attribute("g.node.kind-group.stack", "data-stack")
    assert stack.split(",") == [f"layer {i}" for i in range(1, 101)]


def test_a_scrub_then_a_step_on_the_100_layer_mlp_keeps_the_targets_in_view(guard, server, api, deep_runs):
    """Issue 20's defect: the scrubber dragged to a backward step, then →: the camera measured
    the graph's box while the step's formula was still at its natural size (taller), and the
    view drew every label at 96% of readable. Drawn as it was then: every node (its found layers
    expanded)."""
    page = guard
    page.emulate_media(reduced_motion="reduce")
    run = deep_runs["ungrouped 100"]
    steps = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
    open_lecture(page, server, run["run_id"], expanded=True)
    until(page, "document.body.dataset.collapsed === ''")
    backward = run["phases"]["backward"][0]
    plan = [[k + (how == "step"), how] for k in range(backward + 3, backward + 40, 7)
            for how in ("drag", "step")]
    bad = page.evaluate(WALK, [targets_of(run, steps), plan, 24])
    assert not bad, (len(bad), bad[:3])


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_normal_mode_follows_where_the_whole_graph_is_unreadable(guard, server, api, deep_runs, size):
    page = guard
    page.set_viewport_size({"width": size[0], "height": size[1]})
    run = deep_runs["ungrouped 100"]
    # as it opens, its found layers stacked in one box: (nearly) the whole graph, readable
    open_run(page, server, run["run_id"], 0, 0)
    settle(page)
    seen = page.evaluate(VISIBLE)
    assert seen["count"] >= 5 and seen["px"] >= 12.5, seen
    # every group expanded (`collapsed=`): 505 nodes, the camera follows the step
    page.goto(f"{server}/?run={run['run_id']}&iter=0&step=0&collapsed=")
    wait_step(page, 0, 0)
    until(page, "document.body.dataset.collapsed === ''")
    settle(page)
    seen = page.evaluate(VISIBLE)
    assert seen["camera"] == "follow" and seen["px"] >= 12.5, seen
    backward = run["phases"]["backward"][0] + 7
    page.goto(f"{server}/?run={run['run_id']}&iter=0&step={backward}&collapsed=")
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


EASE_FROM_A_FRAME_BEGUN_EARLIER = """async () => {
    const { Camera } = await import('/static/js/camera.js');
    const ns = 'http://www.w3.org/2000/svg';
    const container = document.createElement('div');
    const svg = document.createElementNS(ns, 'svg');
    container.appendChild(svg);
    document.body.appendChild(container);
    const camera = new Camera(svg, container, false, [800, 600]);
    camera.set({ x: 0, y: 0, s: 1 });
    const widths = [];
    camera.addEventListener('change', () => widths.push(camera.viewBox[2]));
    // a frame's time is when the frame began: earlier than a go() called during it
    const ask = window.requestAnimationFrame;
    let first = true;
    window.requestAnimationFrame = (callback) => ask((now) => {
        callback(first ? now - 100 : now);
        first = false;
    });
    try {
        await camera.go({ x: 0, y: 0, s: 2 }, 40);
    } finally {
        window.requestAnimationFrame = ask;
        container.remove();
    }
    return widths;
}"""


def test_an_easing_never_overshoots_when_its_first_frame_began_before_it(guard, server, small_run):
    """requestAnimationFrame's time is when the frame began, which can be before the easing
    started (go() called while a frame is under way). The easing's fraction was then negative,
    and the cubic easing of -1.5 zoomed out by 2^27 for one frame: a viewBox Chromium could not
    parse (seen in test_normal_mode_follows…'s console). Between a view and one twice as close,
    every frame's width stays between the two."""
    page = guard
    open_run(page, server, small_run["run_id"], 0, 0)
    widths = page.evaluate(EASE_FROM_A_FRAME_BEGUN_EARLIER)
    assert widths and all(400 - 1e-6 <= w <= 800 + 1e-6 for w in widths), widths


# The fit's view box against the box the drawing takes on the page (world.getBBox(), with the
# margins render.js's bounds() adds): centred on it, and as wide or as tall as it (the other
# side has the screen's proportions). The view computes that box from where it placed each part
# (boxes, edges, frames, tabs, badges), never measuring the drawing: any part it misses shows.
FIT_VERSUS_DRAWN = """() => {
  const svg = document.querySelector('#graph svg');
  const b = svg.querySelector('g.world').getBBox();
  const want = [b.x - 24, b.y - 24 - 30, b.width + 48, b.height + 48 + 30];
  const [x, y, w, h] = svg.getAttribute('viewBox').split(/[ ,]+/).map(Number);
  return { centre: [x + w / 2 - (want[0] + want[2] / 2), y + h / 2 - (want[1] + want[3] / 2)],
           size: [w - want[2], h - want[3]] };
}"""


def expand_one(page, name: str) -> None:
    before = page.get_attribute("body", "data-collapsed")
    page.dispatch_event(f'#graph g.node[data-group="{name}"]', "click")
    until(page, f"document.body.dataset.collapsed !== {before!r}")


@pytest.mark.parametrize("mode", ["normal", "lecture"])
def test_the_fit_frames_the_drawing_as_it_is_drawn(guard, server, api, deep_runs, mode):
    page = guard
    page.set_viewport_size({"width": 1280, "height": 720})
    runs = {name: create_run(api, preset=name, iterations=1)
            for name in ("pytorch-numpy-two-layer", "custom-backward", "deep-mlp")}
    runs["grouped 40"] = deep_runs["grouped 40"]
    for name, run in runs.items():
        open_run(page, server, run["run_id"], mode="lecture" if mode == "lecture" else "")
        if page.locator("#graph g.node.stack").count():
            page.locator("#graph g.node.stack").first.click()
            page.wait_for_selector("#graph g.node.stack", state="detached")
        collapsed = [g for g in (page.get_attribute("body", "data-collapsed") or "").split(",") if g]
        if collapsed:  # a frame and its tab in the drawing
            expand_one(page, collapsed[len(collapsed) // 2])
        if name == "custom-backward":  # its badges are in the drawing
            assert page.locator("#graph text.node-check").count() >= 1
        page.evaluate("() => document.getElementById('btn-fit').click()")  # lecture mode hides it
        got = page.evaluate(FIT_VERSUS_DRAWN)
        # within a unit of the drawing (a badge's text is reserved by its font size)
        assert all(abs(c) <= 1 for c in got["centre"]), (name, got)
        assert min(abs(s) for s in got["size"]) <= 1 and min(got["size"]) >= -1, (name, got)


# Every write of the graph's view box, as [value before, value after] (a MutationObserver sees
# each setAttribute, even of the value already there).
WATCH_VIEW_BOX = """() => {
  const svg = document.querySelector('#graph svg');
  window.viewBoxWrites = [];
  new MutationObserver((records) => {
    for (const r of records) window.viewBoxWrites.push([r.oldValue, null]);
  }).observe(svg, { attributes: true, attributeFilter: ['viewBox'], attributeOldValue: true });
  window.viewBoxesWritten = () => window.viewBoxWrites.map(([before], i, all) =>
    [before, i + 1 < all.length ? all[i + 1][0] : svg.getAttribute('viewBox')]);
}"""


@pytest.mark.parametrize("mode", ["", "lecture"])
def test_the_camera_writes_the_view_box_only_when_it_changes(guard, server, small_run, mode):
    """The same view box written again lays the whole drawing out again (ms on a large graph):
    stepping through an iteration, every write changes it."""
    page = guard
    open_run(page, server, small_run["run_id"], mode=mode)
    page.evaluate(WATCH_VIEW_BOX)
    for _ in range(12):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(60)
    settle(page)
    writes = page.evaluate("() => window.viewBoxesWritten()")
    assert writes, "the camera never moved"
    same = [w for w in writes if w[0] == w[1]]
    assert not same, (len(same), len(writes), same[:3])
