"""Panels that showed less than they hold: the loss chart's axes and scales, the memory ledger's
hover, the inspector's names, gradient colour scale and selected node, the partial-gradient
suffix inside its node, and the two edges of `s * s`."""

from __future__ import annotations

import pytest

from .conftest import create_run, open_run, until


def boxes(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(
        selector, "es => es.map(e => { const b = e.getBoundingClientRect();"
        " return {x: b.x, y: b.y, r: b.right, b: b.bottom, text: e.textContent}; })")


def chart_frame(page) -> dict:
    """The plot area of the loss chart: right of its left axis, above its bottom axis."""
    lines = boxes(page, "#losses .axis-group > line.axis-line")
    left, bottom = lines[0], lines[1]
    return {"x": left["x"], "y": bottom["y"]}


def test_loss_chart_has_axes_and_a_log_scale_for_positive_losses(guard, server, api, small_run):
    page = guard
    open_run(page, server, small_run["run_id"])
    page.wait_for_selector("#losses polyline.loss-line")
    assert page.get_attribute("#losses svg", "data-scale") == "log"
    assert "(log scale)" in page.text_content("#loss-scale")
    ticks = boxes(page, "#losses .tick")
    frame = chart_frame(page)
    iterations = [t["text"] for t in ticks if t["y"] >= frame["y"] - 1]
    assert iterations[0] == "0" and iterations[-1] == str(small_run["iterations"] - 1)
    levels = [t for t in ticks if t["y"] < frame["y"] - 1]
    assert len(levels) >= 2
    # labels never sit on the curve: loss ticks left of the plot, iteration ticks under it
    assert all(t["r"] <= frame["x"] + 0.5 for t in levels)
    assert all(t["y"] >= frame["y"] - 0.5 for t in boxes(page, "#losses .tick") if t not in levels)
    titles = page.eval_on_selector_all("#losses .axis-title", "es => es.map(e => e.textContent)")
    assert titles == ["iteration", "loss"]


def test_loss_chart_turns_linear_when_a_loss_is_not_above_zero(guard, server, api):
    page = guard
    run = create_run(api, preset="micrograd-neuron")
    losses = api.get(f"/runs/{run['run_id']}/losses").json()["losses"]
    assert min(losses) < 0 < max(losses)
    # the chart draws its losses page by page (lossfeed.js): 16 first, then the other 4. The
    # second page is held until the first is drawn, as a slow machine may hold it
    held = []
    page.route(f"**/runs/{run['run_id']}/losses*",
               lambda route: route.continue_() if "start=0&" in route.request.url
               else held.append(route))
    open_run(page, server, run["run_id"])
    page.wait_for_selector("#losses polyline.loss-line")
    until(page, "document.querySelector('#losses polyline.loss-line')"
                ".getAttribute('points').split(' ').length === 16")
    for route in held:
        route.continue_()
    # every loss drawn, once the last page has come
    until(page, "document.querySelector('#losses polyline.loss-line')"
                ".getAttribute('points').split(' ').length === 20")
    assert page.get_attribute("#losses svg", "data-scale") == "linear"
    assert "linear scale" in page.text_content("#loss-scale")
    points = page.get_attribute("#losses polyline.loss-line", "points").split()
    assert len(points) == len(losses) == 20  # every loss drawn, the negative ones too
    ys = [float(p.split(",")[1]) for p in points]
    # a linear scale: the height on screen is an affine function of the loss, lower is lower
    i, j = losses.index(max(losses)), losses.index(min(losses))
    slope = (ys[i] - ys[j]) / (losses[i] - losses[j])
    assert slope < 0
    assert all(abs(ys[j] + slope * (v - losses[j]) - y) < 0.1 for v, y in zip(losses, ys, strict=True))
    assert page.locator("#losses .zero-line").count() == 1
    assert "0" in [t["text"] for t in boxes(page, "#losses .tick")]


def test_memory_strip_hover_names_the_held_nodes_by_label(guard, server, api, small_run):
    page = guard
    run_id = small_run["run_id"]
    open_run(page, server, run_id)
    ledger = api.get(f"/runs/{run_id}/memory").json()
    steps = api.get(f"/runs/{run_id}/iterations/0/steps").json()["steps"]
    page.wait_for_selector("#memory .memory-peak", state="attached")
    titles = page.eval_on_selector_all("#memory path.hover-step title", "ts => ts.map(t => t.textContent)")
    assert len(titles) == len(ledger["bytes_after"])
    labels = {n["node"]: n["label"] for n in ledger["nodes"]}
    k = ledger["peak_step"]
    assert titles[k].startswith(f"step {k} ({steps[k]['phase']}): ")
    for node in steps[k]["held"]:
        assert labels[node] in titles[k]
    assert "y_pred - y" in titles[k] and "tmp" not in " ".join(titles)
    assert page.locator("#memory .axis-group .tick").count() >= 2  # the bytes axis
    assert page.locator("#memory rect.peak").count() == 1


def test_inspector_names_as_written_gradient_scale_centred_at_zero_and_node_marked(
        guard, server, api, small_run):
    page = guard
    run_id = small_run["run_id"]
    back_last = small_run["phases"]["backward"][1]
    open_run(page, server, run_id, 0, back_last)
    # the camera follows the step here, and the minimap may lie over other nodes: the whole graph
    page.click("#btn-fit")
    page.click('g.node[data-id="w1"]')
    page.wait_for_selector("#inspector .stats")
    assert page.inner_text("#inspector-title").startswith("w1 — ")  # as written, not W1
    assert page.locator("g.node.selected").count() == 1
    assert page.get_attribute("g.node.selected", "data-id") == "w1"
    page.click('#inspector button[data-tab="grad"]')
    page.wait_for_selector("#inspector svg.heat-scale")
    scale = page.locator("#inspector svg.heat-scale")
    assert scale.get_attribute("data-scale") == "diverging"
    lo, hi = float(scale.get_attribute("data-min")), float(scale.get_attribute("data-max"))
    assert lo == -hi and hi > 0
    assert "0" in page.eval_on_selector_all("#inspector .heat-scale-tick", "ts => ts.map(t => t.textContent)")
    state = api.get(f"/runs/{run_id}/iterations/0/steps/{back_last}").json()
    cells = state["nodes"]["w1"]["grad"]["heatmap"]["cells"]
    flat = [(v, r, c) for r, row in enumerate(cells) for c, v in enumerate(row)]
    assert max(abs(v) for v, _, _ in flat) == hi
    (neg, nr, nc), (pos, pr, pc) = min(flat), max(flat)
    assert neg < 0 < pos
    pixel = "([r, c]) => Array.from(document.querySelector('#inspector canvas.heatmap')" \
            ".getContext('2d').getImageData(c, r, 1, 1).data.slice(0, 3))"
    red, _, blue = page.evaluate(pixel, [nr, nc])
    assert blue > red  # below 0: purple
    red, _, blue = page.evaluate(pixel, [pr, pc])
    assert red > blue  # above 0: orange
    # the value tab keeps a one-sided scale, labelled from its lowest to its highest cell
    page.click('#inspector button[data-tab="value"]')
    assert page.get_attribute("#inspector svg.heat-scale", "data-scale") == "sequential"
    # another node inspected: the mark moves
    page.click('g.node[data-id="w2"]')
    until(page, "document.querySelector('g.node.selected')?.dataset.id === 'w2'")
    assert page.locator("g.node.selected").count() == 1


def test_inspector_keeps_an_upper_case_name_upper_case(guard, server, api):
    page = guard
    run = create_run(api, preset="d2l-mlp-l2", iterations=2)
    open_run(page, server, run["run_id"])
    page.click('g.node[data-id="W1"]')
    page.wait_for_selector("#inspector .stats")
    assert page.inner_text("#inspector-title").startswith("W1 — ")
    page.click('g.node[data-id="z"]')
    until(page, "document.getElementById('inspector-title').innerText.startsWith('z — ')")


def inside(page, node: str, row: str) -> tuple[dict, dict]:
    box = page.locator(f'g.node[data-id="{node}"] rect.box').bounding_box()
    text = page.locator(f'g.node[data-id="{node}"] {row}').bounding_box()
    return box, text


def test_partial_gradient_suffix_stays_inside_its_node(guard, server, api):
    page = guard
    # a tensor's norm written with an exponent, and its (1/2): b feeds two consumers
    run = create_run(api, source="a = param(3, 4)\nb = a * 1.0\n"
                     "loss = sum(b * 0.0001234) + sum(b * 0.00005)\n", iterations=1)
    steps = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
    k = next(i for i, s in enumerate(steps) if s["phase"] == "backward"
             and any(c["to"] == "b" and c["arrived"] == 1 and c["expected"] == 2 for c in s["contributions"]))
    open_run(page, server, run["run_id"], 0, k)
    assert "grad-partial" in page.get_attribute('g.node[data-id="b"]', "class")
    text = page.text_content('g.node[data-id="b"] .node-grad')
    assert "e-" in text and text.endswith(" (1/2)")
    for node in [n["id"] for n in run["graph"]["nodes"]]:
        box, text = inside(page, node, ".node-grad")
        if text is None or text["width"] == 0:
            continue
        assert box["x"] <= text["x"] and text["x"] + text["width"] <= box["x"] + box["width"], node


def test_the_two_edges_of_s_times_s_are_drawn_apart(guard, server, api):
    page = guard
    run = create_run(api, source="a = param(value=2.0)\ns = a + 1\nloss = s * s\n", iterations=1)
    twins = [e["id"] for e in run["graph"]["edges"] if e["source"] == "s" and e["target"] == "loss"]
    assert len(twins) == 2
    open_run(page, server, run["run_id"])
    middles = [page.evaluate(f"""() => {{
        const p = document.querySelector('g.edge[data-id="{e}"] path');
        const at = p.getPointAtLength(p.getTotalLength() / 2);
        return [at.x, at.y];
    }}""") for e in twins]
    (x0, y0), (x1, y1) = middles
    assert ((x0 - x1) ** 2 + (y0 - y1) ** 2) ** 0.5 >= 8  # two lines a reader can tell apart
    # the backward step of s * s sends one contribution along each: both light up
    steps = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
    k = next(i for i, st in enumerate(steps) if st["phase"] == "backward" and st["node"] == "loss")
    open_run(page, server, run["run_id"], 0, k)
    for e in twins:
        assert "active" in page.get_attribute(f'g.edge[data-id="{e}"]', "class")


#: labels of 12, 14, 15 and 21 characters; two nodes labelled alike (`x * x`)
LABELS = """x = input(4, 3)
y = input(4, 3)
abcdefghijkl = param(3, 3)
abcdefghijklmn = x @ abcdefghijkl
abcdefghijklmno = tanh(abcdefghijklmn)
p = abcdefghijklmno * abcdefghijklmno + sigmoid(abcdefghijklmno * abcdefghijklmno)
loss = mean((p - y) ** 2)
"""


@pytest.mark.parametrize("mode", ["normal", "lecture"])
def test_a_label_is_cut_only_where_its_box_has_no_room(guard, server, api, mode):
    """Every label inside its box; one that fits is whole, a longer one narrowed a little or
    cut in the middle (a 15-character label spilled out of a normal-mode box before)."""
    page = guard
    page.set_viewport_size({"width": 1280, "height": 720})
    run = create_run(api, source=LABELS, iterations=1)
    open_run(page, server, run["run_id"], 0, 0, mode="lecture" if mode == "lecture" else "")
    page.keyboard.press("0")  # the whole graph: nothing off screen
    until(page, "!document.getElementById('graph').hasAttribute('data-moving')")
    room = page.evaluate("""() => { const svg = document.querySelector('#graph svg');
        const probe = document.createElementNS('http://www.w3.org/2000/svg', 'text');
        probe.setAttribute('class', 'node-label'); probe.textContent = '0'.repeat(20);
        svg.querySelector('.nodes').appendChild(probe);
        const letter = probe.getComputedTextLength() / 20; probe.remove();
        return Math.floor((svg.querySelector('rect.box').getBBox().width - 14) / letter); }""")
    assert 10 <= room <= 16, room
    shown = {}
    for node in run["graph"]["nodes"]:
        box, label = inside(page, node["id"], ".node-label")
        assert box["x"] <= label["x"] + 1 and label["x"] + label["width"] <= box["x"] + box["width"] + 1, \
            (node["label"], box, label)
        shown[node["id"]] = page.text_content(f'g.node[data-id="{node["id"]}"] .node-label')
        alike = sum(n["label"] == node["label"] for n in run["graph"]["nodes"]) > 1
        # whole where it fits, or narrowed a little (15 letters in lecture mode's 12): not cut
        if len(node["label"]) <= max(room, 15) and not alike:
            assert shown[node["id"]] == node["label"], (shown[node["id"]], node["label"], room)
    assert len(set(shown.values())) == len(shown), shown  # no two read alike
