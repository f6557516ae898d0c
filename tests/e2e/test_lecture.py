"""Lecture mode on the projectors most rooms have (1024×768, 1280×720): nothing overflows
horizontally, the narration keeps to two lines (N shows all of it), the formula fits its box,
the camera follows the step so that the labels of the step's nodes are at least 24 px on
screen, and the inspector opens as a large panel. And the chain-rule card shows its whole
formula on every step of every preset.
"""

from __future__ import annotations

import pytest

from .conftest import create_run, open_run, until, wait_step

PROJECTORS = [(1024, 768), (1280, 720)]
READABLE_PX = 24

#: the step's nodes as the camera frames them (follow.js): the node, its edges' ends
MEASURE = """() => {
  const area = document.getElementById('graph-area').getBoundingClientRect();
  const graph = document.getElementById('graph');
  const step = Number(document.body.dataset.step);
  const current = document.querySelector('g.node.current');
  const ids = new Set(current ? [current.dataset.id] : []);
  for (const e of document.querySelectorAll('g.edge.active')) ids.add(e.dataset.source).add(e.dataset.target);
  const nodes = [...ids].map((id) => {
    const g = document.querySelector(`g.node[data-id="${CSS.escape(id)}"]`);
    const label = g.querySelector('.node-label');
    const r = g.querySelector('.box').getBoundingClientRect();
    const inside = r.left >= area.left - 1 && r.right <= area.right + 1
      && r.top >= area.top - 1 && r.bottom <= area.bottom + 1;
    const px = parseFloat(getComputedStyle(label).fontSize) * label.getScreenCTM().a;
    return { id, px, inside, current: g === current };
  });
  const over = [...document.querySelectorAll('#dock, #dock *, #stage, #mode-switch')]
    .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > innerWidth + 1)
    .map((e) => e.id || e.className);
  const narration = document.getElementById('narration');
  const lh = parseFloat(getComputedStyle(narration).lineHeight);
  const math = document.getElementById('lecture-math');
  return { step, nodes, over, camera: graph.dataset.camera,
    pageWidth: document.documentElement.scrollWidth, width: innerWidth,
    narrationLines: narration.clientHeight / lh,
    mathCut: math.scrollWidth > math.clientWidth + 1,
    mathPx: parseFloat(getComputedStyle(math).fontSize) };
}"""


@pytest.fixture(scope="module")
def projector_runs(api):
    return {
        "d2l": create_run(api, preset="d2l-mlp-l2", iterations=2),
        "seed": create_run(api, preset="pytorch-numpy-two-layer", iterations=2),
    }


def settle(page):
    """Wait until the camera has stopped easing."""
    until(page, "!document.getElementById('graph').hasAttribute('data-moving')")


@pytest.mark.parametrize("size", PROJECTORS, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("which", ["d2l", "seed"])
def test_projector_every_step_fits_and_reads(guard, server, projector_runs, which, size):
    page = guard
    page.set_viewport_size({"width": size[0], "height": size[1]})
    run = projector_runs[which]
    open_run(page, server, run["run_id"], mode="lecture")
    followed = 0
    for k in range(run["steps_per_iteration"]):
        if k:
            page.keyboard.press("ArrowRight")
            wait_step(page, 0, k)
        settle(page)
        m = page.evaluate(MEASURE)
        assert m["pageWidth"] <= m["width"], (k, m)
        assert not m["over"], (k, m["over"])
        assert m["narrationLines"] <= 2.05, (k, m["narrationLines"])
        assert not m["mathCut"], k
        assert m["mathPx"] >= 22, (k, m["mathPx"])
        current = [n for n in m["nodes"] if n["current"]]
        if current:
            assert current[0]["inside"], (k, current)
        for node in m["nodes"]:
            if node["inside"]:
                assert node["px"] >= READABLE_PX - 0.5, (k, node)
        followed += m["camera"] == "follow"
    # on a projector this small the whole graph is unreadable: the camera did follow
    assert followed > run["steps_per_iteration"] // 2


def test_narration_two_lines_and_the_whole_sentence_one_key_away(guard, server, projector_runs):
    page = guard
    page.set_viewport_size({"width": 1024, "height": 768})
    run = projector_runs["d2l"]
    steps = run["phases"]["backward"]
    open_run(page, server, run["run_id"], 0, steps[0] + 11, mode="lecture")
    narration = page.locator("#narration")
    clipped = page.evaluate("() => { const n = document.getElementById('narration'); "
                            "return n.scrollHeight > n.clientHeight + 1; }")
    assert clipped, "pick a step whose narration is longer than two lines"
    page.keyboard.press("n")
    assert "full" in narration.get_attribute("class")
    assert page.evaluate("() => { const n = document.getElementById('narration'); "
                         "return n.scrollHeight <= n.clientHeight + 1; }")
    page.keyboard.press("n")
    assert "full" not in (narration.get_attribute("class") or "")


def test_inspector_is_a_large_panel_in_lecture_mode(guard, server, projector_runs):
    page = guard
    page.set_viewport_size({"width": 1024, "height": 768})
    run = projector_runs["seed"]
    open_run(page, server, run["run_id"], 0, 3, mode="lecture")
    page.keyboard.press("i")
    until(page, "document.body.dataset.overlay === 'inspector-panel'")
    panel = page.locator("#inspector-panel")
    assert panel.is_visible()
    assert page.locator("#inspector-panel #inspector .stats").is_visible()
    box = panel.locator(".overlay-card").bounding_box()
    assert box["width"] >= 1000 and box["height"] >= 700
    # the node inspected is the step's, marked in the graph
    current = page.get_attribute("g.node.current", "data-id")
    assert current in page.inner_text("#inspector-title")
    page.keyboard.press("ArrowRight")
    wait_step(page, 0, 4)
    assert page.locator("#inspector-panel #inspector .stats").is_visible()
    page.keyboard.press("Escape")
    until(page, "!document.body.dataset.overlay")
    assert page.locator("#side #inspector").count() == 1
    # a click on a node opens it too (the whole graph in view first: 0)
    page.keyboard.press("0")
    settle(page)
    page.locator('g.node[data-id="w1"]').click()
    until(page, "document.body.dataset.overlay === 'inspector-panel'")
    assert "w1" in page.inner_text("#inspector-title")


#: every element in the chain-rule card stays inside it, the formula readable
CARD = """() => {
  const card = document.getElementById('chain').getBoundingClientRect();
  const box = document.querySelector('#chain .mathml');
  const cut = [...document.querySelectorAll('#chain *')].filter((e) => e.getClientRects().length)
    .map((e) => e.getBoundingClientRect())
    .filter((r) => r.width && (r.right > card.right + 1 || r.left < card.left - 1));
  return { cut: cut.length, scroll: box.scrollWidth > box.clientWidth + 1,
           px: parseFloat(getComputedStyle(box).fontSize), fit: box.dataset.fit || 'whole',
           empty: !box.textContent.trim() };
}"""


def test_chain_card_never_cut_on_any_step_of_any_preset(guard, server, api):
    page = guard
    page.set_viewport_size({"width": 1280, "height": 800})
    presets = [p["id"] for p in api.get("/presets").json()["presets"]]
    assert len(presets) >= 10
    fits = set()
    for preset in presets:
        run = create_run(api, preset=preset, iterations=1)
        open_run(page, server, run["run_id"])
        for k in range(run["steps_per_iteration"]):
            if k:
                page.keyboard.press("ArrowRight")
                wait_step(page, 0, k)
            card = page.evaluate(CARD)
            assert not card["cut"] and not card["scroll"], (preset, k, card)
            assert card["px"] >= 12, (preset, k, card)
            fits.add(card["fit"])
    # the long formulas were scaled or wrapped, not left as they came
    assert fits & {"scaled", "wrapped"}
