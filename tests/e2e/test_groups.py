"""Groups in the viewer: a large graph opens collapsed, identical groups in a row stacked into
one box until it is clicked, a group collapses and expands (click or Enter), and the animation
keeps stepping inside a collapsed group or a stack."""

from __future__ import annotations

import pytest

from .conftest import create_run, open_run, until, wait_step


def mlp_source(layers: int, width: int = 3) -> str:
    """A tanh MLP, each layer a group of 5 nodes: 2 + 5 · layers + 3 nodes."""
    lines, previous = ["x = input(4, 3)", "y = input(4, 3)"], "x"
    for k in range(1, layers + 1):
        lines += [f'with group("layer {k}"):', f"    w{k} = param(3, {width}, scale=0.3)",
                  f"    b{k} = param(1, {width}, scale=0.1)",
                  f"    h{k} = tanh({previous} @ w{k} + b{k})"]
        previous = f"h{k}"
    lines.append(f"loss = mean(({previous} - y) ** 2)")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def big_run(api):
    """13 layers: 70 nodes, over the 60 past which a graph opens collapsed."""
    return create_run(api, source=mlp_source(13), iterations=2)


@pytest.fixture(scope="module")
def small_run(api):
    """4 layers: 25 nodes, drawn expanded."""
    return create_run(api, source=mlp_source(4), iterations=2)


def collapsed(page) -> list[str]:
    return [g for g in (page.get_attribute("body", "data-collapsed") or "").split(",") if g]


def unstack(page) -> None:
    """Click the stack of identical groups: each group gets its own box."""
    until(page, "document.querySelector('#graph g.node.stack') !== null")
    page.locator("#graph g.node.stack").click()
    until(page, "document.querySelector('#graph g.node.stack') === null")


def test_a_large_graph_opens_with_its_groups_collapsed(guard, server, big_run):
    page = guard
    open_run(page, server, big_run["run_id"])
    until(page, "document.body.dataset.collapsed !== undefined")
    assert sorted(collapsed(page)) == sorted(f"layer {k}" for k in range(1, 14))
    # the 13 layers are copies of one another: one box, "× 13"
    stack = page.locator("#graph g.node.kind-group.stack")
    assert stack.count() == 1 and page.locator("#graph g.node").count() == 1 + 2 + 3
    assert stack.locator(".node-label").text_content() == "▸ layer 1–13 × 13"
    assert stack.locator(".node-op").text_content() == "13 groups · 65 nodes"
    assert stack.locator("title").text_content().startswith("13 identical groups, layer 1 to layer 13")
    stack.focus()
    page.keyboard.press("Enter")  # Enter, as a click: a box per group
    until(page, "document.querySelector('#graph g.node.stack') === null")
    assert sorted(collapsed(page)) == sorted(f"layer {k}" for k in range(1, 14))
    boxes = page.locator("#graph g.node.kind-group")
    assert boxes.count() == 13
    assert page.locator("#graph g.node").count() == 13 + 2 + 3  # x, y, the loss's 3 ops
    assert page.locator('#graph g.node[data-id="w5"]').count() == 0
    box = page.locator('#graph g.node[data-group="layer 5"]')
    assert box.locator("title").text_content().startswith("group layer 5: 5 nodes")
    assert box.locator(".node-label").text_content() == "▸ layer 5"


def test_collapse_and_expand_by_click_and_by_key(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"])
    until(page, "document.body.dataset.collapsed !== undefined")
    assert collapsed(page) == []
    assert page.locator("#graph g.node").count() == len(small_run["graph"]["nodes"])
    tab = page.locator('#graph g.group-tab[data-group="layer 2"]')
    tab.click()
    until(page, "document.body.dataset.collapsed === 'layer 2'")
    assert page.locator('#graph g.node[data-id="w2"]').count() == 0
    box = page.locator('#graph g.node[data-group="layer 2"]')
    assert box.count() == 1
    # the box's edges are the boundary edges, with the run's own edge ids
    layout = page.evaluate("""async (id) => (await (await fetch(
        `/api/v1/runs/${id}/layout?collapsed=layer%202`)).json())""", small_run["run_id"])
    drawn = sorted(page.eval_on_selector_all("#graph g.edge", "gs => gs.map(g => g.dataset.id)"))
    assert drawn == sorted(e["id"] for e in layout["edges"])
    into = [e for e in layout["edges"] if e["target"] == "layer 2"]
    assert [e["source"] for e in into] == ["h1"]
    box.focus()
    page.keyboard.press("Enter")
    until(page, "document.body.dataset.collapsed === ''")
    assert page.locator('#graph g.node[data-id="w2"]').count() == 1
    page.locator('#graph g.group-tab[data-group="layer 3"]').focus()
    page.keyboard.press("Enter")
    until(page, "document.body.dataset.collapsed === 'layer 3'")


def test_steps_inside_a_collapsed_group_light_the_box_and_its_boundary_edges(guard, server, api,
                                                                            big_run):
    page = guard
    run_id = big_run["run_id"]
    steps = api.get(f"/runs/{run_id}/iterations/0/steps").json()["steps"]
    layout = api.get(f"/runs/{run_id}/layout",
                     params={"collapsed": ",".join(f"layer {k}" for k in range(1, 14))}).json()
    boundary = {e["id"] for e in layout["edges"]}
    # the forward step computing h3 = tanh(…): inside "layer 3"
    k = next(s["index"] for s in steps if s["phase"] == "forward" and s["node"] == "h3")
    open_run(page, server, run_id, 0, k - 1)
    until(page, "document.body.dataset.collapsed.includes('layer 3')")
    # stacked, the step's box is the stack, naming the group and the node
    page.keyboard.press("ArrowRight")
    wait_step(page, 0, k)
    stack = page.locator("#graph g.node.stack")
    assert "current" in stack.get_attribute("class").split()
    assert stack.locator(".group-step").text_content() == "layer 3: h3"
    page.keyboard.press("ArrowLeft")
    wait_step(page, 0, k - 1)
    unstack(page)
    page.keyboard.press("ArrowRight")
    wait_step(page, 0, k)
    box = page.locator('#graph g.node[data-group="layer 3"]')
    assert "current" in box.get_attribute("class").split()
    assert box.locator(".group-step").text_content() == "forward: h3"
    assert "h3" in page.locator("#narration").text_content(), "the narration names the node"
    # the step's edges: the one from inside layer 2 into layer 3 is a boundary edge, lit
    lit = set(page.eval_on_selector_all("#graph g.edge.active", "gs => gs.map(g => g.dataset.id)"))
    assert lit == {e for e in steps[k]["edges"] if e in boundary}
    # and the backward pass steps inside it too, the chain-rule card showing the inner step
    back = next(s for s in steps if s["phase"] == "backward" and s["node"] == "h3")
    open_run(page, server, run_id, 0, back["index"])
    until(page, "document.body.dataset.collapsed.includes('layer 3')")
    unstack(page)
    assert box.locator(".group-step").text_content() == "backward: h3"
    # the chain-rule card holds the inner step's formula (the server's MathML)
    assert "h" in page.locator("#chain .mathml").text_content()
    assert page.locator("#chain .mathml math").count() >= 1
    assert page.locator('#graph g.node.current').count() == 1


def test_search_finds_a_node_inside_a_collapsed_group_and_opens_it(guard, server, big_run):
    page = guard
    open_run(page, server, big_run["run_id"])
    until(page, "document.body.dataset.collapsed !== undefined && "
                "document.body.dataset.collapsed.includes('layer 7')")
    assert page.locator('#graph g.node[data-id="w7"]').count() == 0  # in the stack
    page.locator("#graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    page.keyboard.type("w7")
    assert page.locator('#search-results li[data-id="w7"]').count() == 1
    page.keyboard.press("Enter")
    until(page, "!document.body.dataset.collapsed.split(',').includes('layer 7')")
    assert "layer 6" in collapsed(page)  # only the group hiding it was opened
    until(page, "document.querySelector('#graph g.node[data-id=\"w7\"]') !== null")
    # the layers on either side of it stack still
    labels = page.eval_on_selector_all("#graph g.node.stack .node-label", "ls => ls.map(l => l.textContent)")
    assert labels == ["▸ layer 1–6 × 6", "▸ layer 8–13 × 6"]


def test_the_collapsed_groups_are_in_the_link_and_a_link_opens_them(guard, server, small_run,
                                                                     big_run):
    page = guard
    open_run(page, server, small_run["run_id"])
    until(page, "document.body.dataset.collapsed !== undefined")
    assert "collapsed" not in page.url  # the default set writes nothing
    page.locator('#graph g.group-tab[data-group="layer 2"]').click()
    until(page, "new URLSearchParams(location.search).get('collapsed') === 'layer 2'")
    link = page.url
    # the link opens the same drawing in a fresh page
    page.goto("about:blank")
    page.goto(link)
    until(page, "document.body.dataset.collapsed === 'layer 2'")
    assert page.locator('#graph g.node[data-group="layer 2"]').count() == 1
    # a large graph expanded by hand: `collapsed=` (nothing) keeps it expanded
    page.goto(f"{server}/?run={big_run['run_id']}&iter=0&step=0&collapsed=")
    until(page, "document.body.dataset.ready === '1'")
    until(page, "document.body.dataset.collapsed === ''")
    assert page.locator('#graph g.node[data-id="w5"]').count() == 1
    # a group the run does not have is said in words; the others are still collapsed
    page.goto(f"{server}/?run={small_run['run_id']}&iter=0&step=0"
              "&collapsed=layer%203,no%20such%20group")
    until(page, "document.body.dataset.collapsed === 'layer 3'")
    message = page.locator("#link-error")
    until(page, "!document.getElementById('link-error').hidden")
    assert "no such group" in message.text_content()


WORLD = "document.querySelector('#graph svg g.world').outerHTML"
BOX_WIDTH = "document.querySelector('#graph svg g.world .box').getAttribute('width')"


def test_a_drawing_made_again_is_the_drawing_made_afresh(guard, server, big_run):
    """What a drawing keeps from the ones before (a label letter's width, measured once per
    mode; a collapsed group's empty box, copied per box) draws exactly what a page that makes
    it first draws: each mode switched to equals that mode opened, and a group expanded and
    collapsed again is drawn as before."""
    page = guard
    drawn = {}
    for first, then in (("normal", "lecture"), ("lecture", "normal")):
        open_run(page, server, big_run["run_id"], mode="lecture" if first == "lecture" else "")
        until(page, "document.querySelector('#graph g.node.stack') !== null")
        drawn[first, "opened"] = page.evaluate(WORLD)
        page.keyboard.press("l")
        until(page, f"{BOX_WIDTH} === '{230 if then == 'lecture' else 132}'")
        drawn[then, "switched"] = page.evaluate(WORLD)
    assert drawn["normal", "opened"] != drawn["lecture", "opened"]
    assert drawn["normal", "switched"] == drawn["normal", "opened"]
    assert drawn["lecture", "switched"] == drawn["lecture", "opened"]
    # a box per group; one group expanded (the other boxes and the edges moved, not made
    # again) is what a page opened on its link draws, and collapsed again as it was
    unstack(page)
    boxes = page.evaluate(WORLD)
    page.locator('#graph g.node[data-group="layer 5"]').focus()
    page.keyboard.press("Enter")
    until(page, "!document.body.dataset.collapsed.split(',').includes('layer 5')")
    until(page, "new URLSearchParams(location.search).has('collapsed')")
    expanded, link = page.evaluate(WORLD), page.url
    page.locator('#graph g.group-tab[data-group="layer 5"]').focus()
    page.keyboard.press("Enter")
    until(page, "document.body.dataset.collapsed.split(',').includes('layer 5')")
    assert page.evaluate(WORLD) == boxes
    page.goto("about:blank")
    page.goto(link)
    until(page, "document.querySelectorAll('#graph g.node.stack').length === 2")
    page.locator("#graph g.node.stack").first.focus()  # either shows each group
    page.keyboard.press("Enter")
    until(page, "document.querySelector('#graph g.node.stack') === null")
    assert page.evaluate(WORLD) == expanded


# records, until `window.__rewrites()` returns them, every attribute the page sets to the value
# it already has on what the drawing has now (its edges and group boxes, which a new drawing
# moves rather than makes again)
REWRITES = """() => {
  const kept = new Set(document.querySelectorAll('#graph svg g.world *'));
  const found = [];
  const set = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (kept.has(this) && this.getAttribute(name) === String(value)) {
      found.push(`${this.closest('[data-id]')?.dataset.id} ${this.tagName} ${name}`);
    }
    return set.call(this, name, value);
  };
  window.__rewrites = () => {
    Element.prototype.setAttribute = set;
    return found;
  };
}"""


def test_a_group_expanded_writes_only_what_changes_on_the_boxes_and_edges_kept(guard, server,
                                                                                  big_run):
    """Expanding a group keeps the other boxes and the edges, moved where the new drawing has
    them: an attribute is written only where its value changes (the browser lays out again
    whatever is written, even a value it had: on a hundred boxes, a millisecond or two of each
    click)."""
    page = guard
    open_run(page, server, big_run["run_id"])
    unstack(page)
    page.evaluate(REWRITES)
    page.locator('#graph g.node[data-group="layer 5"]').focus()
    page.keyboard.press("Enter")
    until(page, "!document.body.dataset.collapsed.split(',').includes('layer 5')")
    assert page.evaluate("window.__rewrites()") == []


# every node box a frame or a tab touches, but not its own members: a grid of points of each
# box, tried against the frame's fill (its own shape, in the drawing's units) and the tab's box
COVERED = """(groups) => {
  const world = document.querySelector('#graph svg g.world');
  const boxes = [...world.querySelectorAll('g.node')].map((g) => {
    const r = g.querySelector('rect.box');
    const m = g.transform.baseVal.consolidate().matrix;
    const x = m.e + Number(r.getAttribute('x')), y = m.f + Number(r.getAttribute('y'));
    return { id: g.dataset.id, x, y, w: Number(r.getAttribute('width')),
             h: Number(r.getAttribute('height')) };
  });
  const svg = document.querySelector('#graph svg');
  const found = [];
  for (const frame of world.querySelectorAll('g.group-frame')) {
    const name = frame.dataset.group;
    const shape = frame.querySelector('.frame');
    const tab = world.querySelector(`g.group-tab[data-group="${CSS.escape(name)}"] text`).getBBox();
    const members = new Set(groups[name]);
    for (const b of boxes) {
      const overTab = b.x < tab.x + tab.width && tab.x < b.x + b.w
        && b.y < tab.y + tab.height && tab.y < b.y + b.h;
      if (overTab) found.push(`${b.id} covers the tab of ${name}`);
      if (!shape || members.has(b.id)) continue;
      let inside = 0;
      for (let i = 0; i <= 8; i += 1) for (let j = 0; j <= 8; j += 1) {
        const p = svg.createSVGPoint();
        p.x = b.x + (b.w * i) / 8; p.y = b.y + (b.h * j) / 8;
        if (shape.isPointInFill(p)) inside += 1;
      }
      if (inside) found.push(`${b.id} is inside the frame of ${name} (${inside} of 81 points)`);
    }
  }
  return found;
}"""


@pytest.mark.parametrize("mode", ["", "lecture"])
def test_an_expanded_groups_frame_and_tab_leave_every_other_box_clear(guard, server, big_run, mode):
    """Expanding a group in a row of collapsed ones: its parameters sit in the column of the
    box before it, above or below it. The frame drawn around the group's nodes keeps that box
    out, and no box covers the tab that names the group (a click on it collapses it)."""
    page = guard
    groups = {}
    for node in big_run["graph"]["nodes"]:
        for name in node.get("groups", []):
            groups.setdefault(name, []).append(node["id"])
    open_run(page, server, big_run["run_id"], mode=mode)
    unstack(page)
    for name in ("layer 5", "layer 9"):
        page.locator(f'#graph g.node[data-group="{name}"]').focus()
        page.keyboard.press("Enter")
        until(page, f"!document.body.dataset.collapsed.split(',').includes('{name}')")
        assert page.evaluate(COVERED, groups) == []
        page.locator(f'#graph g.group-tab[data-group="{name}"]').focus()
        page.keyboard.press("Enter")
        until(page, f"document.body.dataset.collapsed.split(',').includes('{name}')")
