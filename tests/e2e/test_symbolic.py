"""The Symbolic panel: SymPy's derivative written out, its size against the tape's, the growth
against depth on a log scale, and a refusal past a bound — every number the API's."""

from __future__ import annotations

from .conftest import create_run, open_run, until

DEEP_TANH = {"preset": "deep-tanh", "params": {"depth": 3}, "iterations": 2}


def open_symbolic(page) -> None:
    page.keyboard.press("s")
    until(page, "!document.getElementById('symbolic').hidden")
    until(page, "document.querySelector('#symbolic .overlay-card').dataset.answer", 30)


def test_the_derivative_its_sizes_and_the_growth(guard, server, api):
    page = guard
    run = create_run(api, **DEEP_TANH)
    answer = api.get(f"/runs/{run['run_id']}/symbolic",
                     params={"wrt": "w1", "index": "0,0"}).json()
    open_run(page, server, run["run_id"])
    open_symbolic(page)
    assert page.get_attribute("#symbolic .overlay-card", "data-answer") == "derivative"
    assert page.input_value("#symbolic-wrt") == "w1"
    assert page.input_value("#symbolic-index") == "0, 0"
    # the expression is the server's MathML, scrollable, with its size said
    assert page.locator("#symbolic-expression math").count() == 1
    box = page.eval_on_selector("#symbolic-expression",
                                "e => [e.scrollHeight, e.clientHeight, getComputedStyle(e).overflowY]")
    assert box[2] == "auto"
    assert int(page.get_attribute("#symbolic-expression", "data-nodes")) == answer["size"]["expression"]
    note = page.text_content("#symbolic-note")
    assert f"the first 300 of its {answer['size']['expression']:,} nodes" in note
    sizes = page.locator("#symbolic-sizes")
    assert int(sizes.locator('tr[data-size="expression"]').get_attribute("data-value")) == \
        answer["size"]["expression"]
    assert int(sizes.locator('tr[data-size="tape-ops"]').get_attribute("data-value")) == \
        answer["size"]["tape_ops"]
    assert "operations reverse mode ran for the whole gradient" in sizes.inner_text()
    assert "swells because" in page.inner_text("#symbolic .symbolic-why")
    # the growth chart: depth 1 … 8, log scale, one point per depth for each series
    page.wait_for_selector("#symbolic-growth svg.growth-chart", timeout=60000)
    growth = api.get("/presets/deep-tanh/symbolic", params={
        "vary": "depth", "values": "1,2,3,4,5,6,7,8", "params.width": "2",
        "params.N": "1"}).json()
    drawn = page.eval_on_selector_all(
        '#symbolic-growth g[data-series="expression"] circle',
        "cs => cs.map(c => [Number(c.dataset.value), Number(c.dataset.size)])")
    assert drawn == [[p["value"], p["expression"]] for p in growth["points"]]
    tape = page.eval_on_selector_all('#symbolic-growth g[data-series="tape_ops"] circle',
                                     "cs => cs.map(c => Number(c.dataset.size))")
    assert tape == [p["tape_ops"] for p in growth["points"]]
    ys = page.eval_on_selector_all('#symbolic-growth g[data-series="expression"] circle',
                                   "cs => cs.map(c => Number(c.getAttribute('cy')))")
    assert ys == sorted(ys, reverse=True)  # grows upwards
    assert "this run" in page.inner_text("#symbolic-growth")
    # another element: asked again, the table follows
    page.select_option("#symbolic-wrt", "w_out")
    until(page, "document.getElementById('symbolic-note').textContent.includes('w_out[0, 0]')", 30)
    other = api.get(f"/runs/{run['run_id']}/symbolic", params={"wrt": "w_out", "index": "0,0"}).json()
    assert int(page.get_attribute('#symbolic-sizes tr[data-size="expression"]', "data-value")) == \
        other["size"]["expression"]


def test_lecture_mode_writes_it_large(guard, server, api):
    page = guard
    run = create_run(api, preset="micrograd-neuron")
    open_run(page, server, run["run_id"])
    open_symbolic(page)
    normal = page.eval_on_selector("#symbolic-expression", "e => parseFloat(getComputedStyle(e).fontSize)")
    page.keyboard.press("Escape")
    page.keyboard.press("l")
    until(page, "document.body.classList.contains('lecture')")
    open_symbolic(page)
    large = page.eval_on_selector("#symbolic-expression", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert large >= 1.5 * normal
    assert "all 17 nodes" in page.text_content("#symbolic-note")
    # micrograd's neuron has no sizes: the chart is deep-tanh's, and says so
    page.wait_for_selector("#symbolic-growth svg.growth-chart", timeout=60000)
    assert "no sizes to vary" in page.inner_text("#symbolic-growth")


def test_past_the_bound_the_refusal_is_the_answer(guard, server, api):
    page = guard
    page.expected.append("status of 413")
    run = create_run(api, preset="deep-mlp", params={"depth": 2, "N": 4}, iterations=2)
    open_run(page, server, run["run_id"])
    open_symbolic(page)
    assert page.get_attribute("#symbolic .overlay-card", "data-answer") == "refused"
    status = page.text_content("#symbolic-status")
    assert "Refused" in status and "max_symbolic_leaves is 512" in status
    assert "reduce the batch or the widths" in status
    assert "The tape has no such bound" in status
    assert page.locator("#symbolic-expression *").count() == 0
    # the family's chart still draws the tape, and says which depths were not differentiated
    page.wait_for_selector("#symbolic-growth svg.growth-chart", timeout=30000)
    assert page.locator('#symbolic-growth g[data-series="expression"] circle').count() == 0
    assert page.locator('#symbolic-growth g[data-series="tape_ops"] circle').count() == 8
    assert "not differentiated" in page.inner_text("#symbolic-growth")
