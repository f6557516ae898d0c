"""Nothing drawn over the graph hides what the step is about: the minimap takes a corner where
it covers neither the step's nodes nor the controls (the Fit/SVG/PNG buttons, the mode switch),
and of those one that covers no node where one does, or hides; the Reverse/Forward switch sits
above the drawing, never over a node. Stepped through a whole iteration in lecture mode at
1024×768 and on a phone (390×844).
"""

from __future__ import annotations

import pytest

from .conftest import create_run, open_run, until, wait_step

#: what covers what after a step: the minimap over the current node, the nodes its edges
#: touch, or a control; the mode switch over any node
COVERS = """() => {
  const rect = (e) => e.getBoundingClientRect();
  const meets = (a, b) => a.left < b.right && b.left < a.right
    && a.top < b.bottom && b.top < a.bottom;
  const mini = document.getElementById('minimap');
  // the drawing is clipped to #graph: a node past its edge is not seen
  const area = rect(document.getElementById('graph'));
  const visible = (r) => r.right > area.left && r.left < area.right
    && r.bottom > area.top && r.top < area.bottom;
  const shown = !mini.hidden && mini.getClientRects().length > 0;
  const ids = new Set();
  const current = document.querySelector('#graph g.node.current');
  if (current) ids.add(current.dataset.id);
  for (const e of document.querySelectorAll('#graph g.edge.active')) {
    ids.add(e.dataset.source).add(e.dataset.target);
  }
  const step = [...ids].map((id) =>
    document.querySelector(`#graph g.node[data-id="${CSS.escape(id)}"] .box`)).filter(Boolean);
  const controls = [...document.querySelectorAll('#graph-tools button, #mode-switch')]
    .filter((e) => e.getClientRects().length);
  const switchBox = rect(document.getElementById('mode-switch'));
  const over = (list) => (shown ? list.filter((e) => meets(rect(mini), rect(e))) : []);
  // the node boxes each corner the minimap may take would cover (one free of the step's nodes
  // and the controls): where one covers none, it takes such a one
  const graph = rect(document.getElementById('graph'));
  const [w, h] = [mini.offsetWidth, mini.offsetHeight];
  const seen = [...document.querySelectorAll('#graph g.node .box')].map(rect).filter(visible);
  const covers = (r) => seen.filter((b) => meets(r, b)).length;
  const corners = [[graph.left + 8, graph.top + 8], [graph.right - 8 - w, graph.top + 8],
    [graph.left + 8, graph.bottom - 8 - h], [graph.right - 8 - w, graph.bottom - 8 - h]]
    .map(([x, y]) => new DOMRect(x, y, w, h))
    .filter((r) => !step.some((b) => meets(r, rect(b))) && !controls.some((c) => meets(r, rect(c))));
  return {
    minimap: shown,
    coversNodes: shown ? covers(rect(mini)) : 0,
    fewestAnyCornerCovers: Math.min(...corners.map(covers)),
    overStep: over(step).map((b) => b.parentNode.dataset.id),
    overControls: over(controls).map((c) => c.id || c.textContent),
    switchOverNodes: [...document.querySelectorAll('#graph g.node .box')].map(rect).filter(visible)
      .map((r) => new DOMRect(Math.max(r.left, area.left), Math.max(r.top, area.top),
        Math.min(r.right, area.right) - Math.max(r.left, area.left),
        Math.min(r.bottom, area.bottom) - Math.max(r.top, area.top)))
      .filter((r) => meets(r, switchBox)).length,
  };
}"""


def settle(page):
    until(page, "!document.getElementById('graph').hasAttribute('data-moving')")


@pytest.fixture(scope="module")
def d2l(api):
    return create_run(api, preset="d2l-mlp-l2", iterations=2)


@pytest.mark.parametrize("where", [((1024, 768), "lecture"), ((390, 844), ""), ((1024, 768), "")],
                         ids=["1024x768-lecture", "390x844", "1024x768"])
def test_minimap_and_switch_never_cover_the_step(guard, server, d2l, where):
    (width, height), mode = where
    page = guard
    page.emulate_media(reduced_motion="reduce")
    page.set_viewport_size({"width": width, "height": height})
    open_run(page, server, d2l["run_id"], mode=mode)
    shown = 0
    for k in range(d2l["steps_per_iteration"]):
        if k:
            page.keyboard.press("ArrowRight")
            wait_step(page, 0, k)
        settle(page)
        c = page.evaluate(COVERS)
        assert not c["overStep"] and not c["overControls"], (k, c)
        assert c["switchOverNodes"] == 0, (k, c)
        if c["minimap"] and c["fewestAnyCornerCovers"] == 0:  # a corner it may take is empty
            assert c["coversNodes"] == 0, (k, c)
        shown += c["minimap"]
    # the camera followed (the whole graph does not read here), so the minimap was needed; in
    # normal mode's small graph box at 1024×768 it mostly finds no free corner and hides
    assert shown > (0 if (width, mode) == (1024, "") else d2l["steps_per_iteration"] // 3)
