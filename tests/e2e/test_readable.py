"""The smaller readability fixes of issue 20: byte units said as they are (KiB, MiB), the
presenter's glyphs distinct and closing it restoring the view, charts saying "computing…" while
their numbers are on the way, the loss chart's title clear of its ticks, the heatmap legend
saying what its cells are, and a legend for the marks on the graph."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from .conftest import create_run, open_run, until


def serious_violations(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


FORMAT = "async (n) => (await import('/static/js/format.js')).bytes(n)"


def test_bytes_are_written_in_binary_units_named_as_such(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"], 0, 0)
    said = {n: page.evaluate(FORMAT, n) for n in (512, 51_200, 3 * 1024 * 1024)}
    assert said == {512: "512 B", 51_200: "50.0 KiB", 3 * 1024 * 1024: "3.00 MiB"}


def test_presenter_glyphs_are_distinct_and_closing_it_restores_the_view(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"], 0, 2)
    with page.expect_popup() as popup:
        page.keyboard.press("p")
    presenter = page.watch(popup.value)
    presenter.wait_for_selector('body[data-connected="1"]', timeout=15000)
    glyphs = [presenter.text_content(f"#p-{b}") for b in ("first", "back", "play", "forward", "last")]
    assert len(set(glyphs)) == 5, glyphs
    # the same glyphs as the viewer's own buttons
    assert glyphs == [page.text_content(f"#btn-{b}") for b in ("start", "back", "play", "forward", "end")]
    until(page, "document.body.classList.contains('lecture')")
    presenter.close()
    # the lecturer was in normal mode before: the view comes back as it was
    until(page, "!document.body.classList.contains('presented')")
    until(page, "!document.body.classList.contains('lecture')")
    assert "mode=lecture" not in page.url


def test_charts_say_computing_while_their_numbers_are_on_the_way(guard, server, small_run):
    page = guard
    held = []
    for path in ("**/api/v1/runs/*/losses", "**/api/v1/runs/*/memory"):
        page.route(f"{path}*", lambda route: held.append(route))  # and pages: ?start=&stop=
    page.goto(f"{server}/?run={small_run['run_id']}&iter=0&step=3")
    until(page, "document.body.dataset.ready === '1'")
    for chart in ("#losses svg", "#memory svg"):
        until(page, f"document.querySelector('{chart}').textContent.includes('computing…')")
        assert page.get_attribute(chart, "aria-busy") == "true"
    deadline = 0
    while len(held) < 2 and deadline < 200:
        page.wait_for_timeout(50)
        deadline += 1
    for route in held:
        route.continue_()
    for chart in ("#losses svg", "#memory svg"):
        until(page, f"!document.querySelector('{chart}').textContent.includes('computing…')")
        assert page.get_attribute(chart, "aria-busy") is None
    assert page.locator("#losses svg .tick").count() > 0

#: every text of the loss chart that the title "loss" overlaps
OVER_TITLE = """() => {
    const svg = document.querySelector('#losses svg');
    const title = [...svg.querySelectorAll('.axis-title')].find((t) => t.textContent === 'loss');
    const a = title.getBoundingClientRect();
    return [...svg.querySelectorAll('.tick')].filter((t) => {
        const b = t.getBoundingClientRect();
        return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    }).map((t) => t.textContent);
}"""


def test_loss_title_clear_of_its_ticks_on_a_narrow_range(guard, server, api):
    page = guard
    # a learning rate so small the loss hardly moves: ticks close together, long labels
    run = create_run(api, preset="micrograd-neuron", lr=1e-7, iterations=40)
    for width, height in ((1024, 768), (1280, 720), (390, 844)):
        size = {"width": width, "height": height}
        page.set_viewport_size(size)
        open_run(page, server, run["run_id"], 0, 0)
        until(page, "document.querySelectorAll('#losses svg .tick').length > 2")
        assert page.evaluate(OVER_TITLE) == [], size


def test_heatmap_legend_says_its_cells_are_block_means_and_the_true_range(guard, server, small_run, api):
    page = guard
    k = small_run["phases"]["backward"][1]
    open_run(page, server, small_run["run_id"], 0, k)
    page.click('g.node[data-id="w1"]')
    page.click('#inspector button[data-tab="grad"]')
    page.wait_for_selector("#inspector svg.heat-scale")
    words = page.text_content("#inspector .heat-legend")
    state = api.get(f"/runs/{small_run['run_id']}/iterations/0/steps/{k}").json()
    summary = state["nodes"]["w1"]["grad"]
    cells = summary["heatmap"]["rows"] * summary["heatmap"]["cols"]
    assert summary["size"] > cells  # 200 elements in 160 cells: blocks averaged
    assert "mean of" in words
    fmt = "async (x) => (await import('/static/js/format.js')).num(x)"
    assert f"min {page.evaluate(fmt, summary['min'])}" in words
    assert f"max {page.evaluate(fmt, summary['max'])}" in words


def test_the_marks_on_the_graph_have_a_legend_and_tooltips(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"], 0, small_run["phases"]["backward"][0] + 1)
    page.keyboard.press("?")
    legend = page.text_content("#marks-legend")
    for mark in ("‖·‖", "∂", "= k/n"):
        assert mark in legend
    assert "L2 norm" in legend and "gradient of the loss with respect to" in legend
    assert "L2 norm" in page.text_content('g.node[data-id="w1"] title')
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []


def test_tablet_upright_shows_the_card_directly_under_the_graph(guard, server, small_run):
    page = guard
    page.set_viewport_size({"width": 768, "height": 1024})
    open_run(page, server, small_run["run_id"], 0, small_run["phases"]["backward"][0] + 3)
    box = {name: page.locator(name).bounding_box() for name in ("#graph-area", "#chain", "#controls")}
    # graph, narration and controls, then the chain-rule card: all of the card's head in view
    assert box["#chain"]["y"] >= box["#controls"]["y"] + box["#controls"]["height"] - 1
    assert box["#chain"]["y"] + 120 <= 1024, box
    assert box["#graph-area"]["height"] >= 400
    assert serious_violations(page) == []
