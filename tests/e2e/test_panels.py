"""The large panels (Why reverse?, Check gradients, Memory), a custom op's check and the gate
pattern in the chain-rule card: every number the page shows is the API's."""

from __future__ import annotations

import pytest

from .conftest import create_run, open_run, until, wait_step

SMALL = {"preset": "pytorch-numpy-two-layer", "iterations": 3,
         "params": {"N": 8, "D_in": 20, "H": 10, "D_out": 10}}


#: the gradient check table's columns and the API's fields they show
COLUMNS = (("autodiff", "autodiff"), ("numerical", "numerical"), ("rel-error", "rel_error"))


@pytest.fixture(scope="module")
def small_run(api):
    return create_run(api, **SMALL)


def numbers(page, selector: str, attribute: str = "data-value") -> list[float]:
    return [float(v) for v in page.eval_on_selector_all(
        selector, f"es => es.map(e => e.getAttribute('{attribute}'))")]


def open_panel(page, key: str, overlay: str, ready: str) -> None:
    page.keyboard.press(key)
    until(page, f"!document.getElementById('{overlay}').hidden")
    page.wait_for_selector(ready, state="attached", timeout=20000)


def bar(page, metric: str, mode: str) -> float:
    selector = f'#why-bars .bar[data-metric="{metric}"][data-mode="{mode}"]'
    return float(page.get_attribute(selector, "data-value"))


def test_why_reverse_shows_the_apis_counts_and_times(guard, server, api, small_run):
    page = guard
    run_id = small_run["run_id"]
    open_run(page, server, run_id)
    modes = api.get(f"/runs/{run_id}/modes").json()
    assert (modes["outputs"], modes["inputs"]) == (1, 20 * 10 + 10 * 10)

    def sampled(route):  # the loss's answer as if its forward time were extrapolated
        body = route.fetch().json()
        body["forward"]["measured_all"] = "of=y_pred" in route.request.url
        route.fulfill(json=body)

    page.route("**/api/v1/runs/*/modes*", sampled)
    open_panel(page, "w", "why", "#why-text p")
    assert page.locator('#why-bars .bar.estimated[data-mode="forward"][data-metric="seconds"]').count() == 1
    assert page.locator('#why-bars .bar.estimated[data-mode="reverse"]').count() == 0
    assert "all forward sweeps" in page.inner_text("#why-text")
    assert "(estimated from a sample)" in page.inner_text("#why-text")
    assert page.get_attribute("#why-text", "data-inputs") == "300"
    assert bar(page, "sweeps", "forward") == modes["forward"]["sweeps"] == 300
    assert bar(page, "sweeps", "reverse") == modes["reverse"]["sweeps"] == 1
    assert bar(page, "seconds", "forward") > 0 and bar(page, "seconds", "reverse") > 0
    text = page.inner_text("#why-text")
    assert "grad_w1 and grad_w2 are ∂loss/∂w1 and ∂loss/∂w2" in text
    assert "One reverse sweep from the loss gives all 300 entries" in text
    assert "forward mode would need 300 sweeps, one per entry" in text
    assert "one sweep per input element" in page.inner_text("#why .why-rule")

    # the other way round: a wide node, one small leaf
    other = api.get(f"/runs/{run_id}/modes", params={"of": "y_pred", "wrt": "w2"}).json()
    page.select_option("#why-of", "y_pred")
    page.uncheck('#why-wrt input[value="w1"]')
    until(page, "document.getElementById('why-text').dataset.of === 'y_pred' "
          "&& document.getElementById('why-text').dataset.wrt === 'w2'", timeout=20)
    assert bar(page, "sweeps", "forward") == other["forward"]["sweeps"] == 100  # w2: 10×10
    assert bar(page, "sweeps", "reverse") == other["reverse"]["sweeps"] == 80  # y_pred: 8×10
    text = page.inner_text("#why-text")
    assert "100 sweeps, one per input element" in text and "80 sweeps, one per output element" in text
    assert "Here reverse mode needs fewer sweeps (80 against 100)" in text
    assert page.locator("#why-bars .bar.estimated").count() == 0 and "estimated" not in text

    page.keyboard.press("Escape")
    until(page, "document.getElementById('why').hidden")


def test_why_reverse_failure_goes_to_the_status_line(guard, server, small_run):
    page = guard
    page.expected.append("status of 500")
    page.route("**/api/v1/runs/*/modes*", lambda route: route.fulfill(status=500, json={"error": {
        "status": 500, "kind": "internal", "message": "the server failed: error 3f2a", "error_id": "3f2a"}}))
    open_run(page, server, small_run["run_id"])
    page.click("#btn-why")
    until(page, "document.getElementById('status').textContent === 'the server failed: error 3f2a'")
    assert "the server failed" in page.text_content("#why-status")
    assert page.locator("#why-bars *").count() == 0


def test_check_gradients_shows_the_apis_numbers(guard, server, api, small_run):
    page = guard
    run_id = small_run["run_id"]
    open_run(page, server, run_id, 1, 0)
    answers = {d: api.get(f"/runs/{run_id}/iterations/1/gradcheck", params={"dtype": d}).json()
               for d in ("float64", "float32")}
    open_panel(page, "g", "gradcheck", "#gradcheck-table tbody tr")
    assert "iteration 1" in page.text_content("#gradcheck-title")
    page.keyboard.press("PageDown")  # inside a panel it scrolls the panel, not the phases
    until(page, "document.querySelector('#gradcheck .overlay-card').scrollTop > 0")
    assert page.get_attribute("body", "data-step") == "0"
    for dtype in ("float64", "float32"):
        page.click(f'#gradcheck-dtype button[data-dtype="{dtype}"]')
        until(page, f"document.getElementById('gradcheck-table').dataset.dtype === '{dtype}'")
        answer = answers[dtype]
        assert float(page.get_attribute("#gradcheck-table", "data-tolerance")) == answer["tolerance"]
        assert "good when the relative error is under" in page.inner_text("#gradcheck-lead")
        checks = [c for p in answer["params"] for c in [p["direction"], *p["entries"]]]
        assert page.locator("#gradcheck-table tr.bad").count() == sum(
            c["verdict"] == "bad" for c in checks)
        for param in answer["params"]:
            leaf = param["leaf"]
            rows = f'#gradcheck-table tr[data-leaf="{leaf}"]'
            expected = [param["direction"], *param["entries"]]
            for column, key in COLUMNS:
                shown = numbers(page, f"{rows} td.{column}")
                assert shown == [c[key] for c in expected], (dtype, leaf, column)
            indexes = page.eval_on_selector_all(f'{rows}[data-check="entry"]',
                                                "rs => rs.map(r => r.dataset.index)")
            assert indexes == [",".join(map(str, e["index"])) for e in param["entries"]]
            verdicts = page.eval_on_selector_all(f"{rows} td.verdict", "ts => ts.map(t => t.dataset.verdict)")
            assert verdicts == [c["verdict"] for c in expected]

    # the sweep of h, both precisions on one log-log plot, each best h marked
    for dtype, answer in answers.items():
        sweep = page.locator(f'#gradcheck-plot g.sweep[data-dtype="{dtype}"]')
        assert float(sweep.get_attribute("data-best-h")) == answer["sweep"]["best_h"]
        assert float(sweep.get_attribute("data-best-rel-error")) == answer["sweep"]["best_rel_error"]
        assert sweep.locator("circle.point").count() == len(answer["sweep"]["h"])
        assert f"{dtype}: best h" in sweep.locator(".best-label").text_content()
        table = sweep.locator("path.table-h")
        assert float(table.get_attribute("data-h")) == answer["h"]
    plot = page.inner_text("#gradcheck-plot")
    assert "round-off ∝ ε/h" in plot
    # the small seed network is piecewise quadratic along w1 and w2: no truncation arm
    assert answers["float64"]["sweep"]["truncation"] is False
    assert "no truncation error" in plot and "truncation error ∝ h²" not in plot
    assert "piecewise quadratic" in page.inner_text("#gradcheck-regime")


def test_memory_panel_shows_the_apis_ledger(guard, server, api, small_run):
    page = guard
    run_id = small_run["run_id"]
    ledger = api.get(f"/runs/{run_id}/memory").json()
    k = ledger["peak_step"]
    open_run(page, server, run_id, 0, k)
    # the dock's strip: the peak marked, labels held (not internal ids)
    page.wait_for_selector("#memory .memory-peak", state="attached")
    assert float(page.get_attribute("#memory .memory-peak", "data-bytes")) == ledger["peak_bytes"]
    labels = {n["node"]: n["label"] for n in ledger["nodes"]}
    assert "tmp1" in labels and labels["tmp1"] == "y_pred - y"
    assert "y_pred - y" in page.text_content("#memory .memory-now")
    assert "tmp1" not in page.text_content("#memory .memory-now")

    open_panel(page, "m", "memory-panel", "#memory-ledger svg rect")
    summary_peak = page.get_attribute("#memory-summary .memory-peak-text", "data-bytes")
    assert float(summary_peak) == ledger["peak_bytes"]
    peak = page.locator("#memory-ledger .memory-peak")
    assert float(peak.get_attribute("data-bytes")) == ledger["peak_bytes"]
    assert int(peak.get_attribute("data-step")) == ledger["peak_step"]
    assert numbers(page, "#memory-ledger rect", "data-bytes") == ledger["bytes_after"]
    assert page.get_attribute("#memory-ledger rect.peak", "data-step") == str(ledger["peak_step"])
    assert page.get_attribute("#memory-ledger rect.now", "data-step") == str(k)
    axes = page.inner_text("#memory-ledger")
    assert "bytes held" in axes and "step of the iteration" in axes
    held = page.eval_on_selector_all("#memory-held tbody tr", "rs => rs.map(r => [r.dataset.node, "
                                     "r.querySelector('.label').textContent, r.classList.contains('held')])")
    step = api.get(f"/runs/{run_id}/iterations/0/steps").json()["steps"][k]
    assert held == [[n["node"], n["label"], n["node"] in step["held"]] for n in ledger["nodes"]]
    last = small_run["steps_per_iteration"] - 1
    for _ in range(last - k):  # → steps the viewer behind the panel, which follows
        page.keyboard.press("ArrowRight")
    wait_step(page, 0, last)  # nothing held after the backward pass
    until(page, "document.querySelectorAll('#memory-held tr.held').length === 0")
    assert "nothing held" in page.inner_text("#memory-summary")

    # the peak against the batch size, the other parameters as in this run
    page.wait_for_selector("#memory-vary-chart g.vary-bar")
    assert page.input_value("#memory-vary-param") == "N"
    values = [int(v) for v in page.eval_on_selector_all("#memory-vary-chart g.vary-bar",
                                                        "gs => gs.map(g => g.dataset.value)")]
    assert 8 in values
    expected = api.get("/presets/pytorch-numpy-two-layer/memory", params={
        "vary": "N", "values": ",".join(map(str, values)),
        **{f"params.{name}": v for name, v in SMALL["params"].items() if name != "N"}}).json()
    assert numbers(page, "#memory-vary-chart g.vary-bar", "data-bytes") == expected["peak_bytes"]
    assert page.get_attribute("#memory-vary-chart g.vary-bar.current", "data-value") == "8"


def test_deep_mlp_memory_varies_depth(guard, server, api):
    page = guard
    run = create_run(api, preset="deep-mlp", params={"depth": 2, "N": 8}, iterations=2)
    open_run(page, server, run["run_id"])
    open_panel(page, "m", "memory-panel", "#memory-vary-chart g.vary-bar")
    options = page.eval_on_selector_all("#memory-vary-param option", "os => os.map(o => o.value)")
    assert options == ["depth", "N"]
    page.select_option("#memory-vary-param", "depth")
    until(page, "document.querySelector('#memory-vary-chart g.vary-bar.current')?.dataset.value === '2'"
          " && document.getElementById('memory-vary-note').textContent.includes('against depth')")
    values = page.eval_on_selector_all("#memory-vary-chart g.vary-bar", "gs => gs.map(g => g.dataset.value)")
    expected = api.get("/presets/deep-mlp/memory", params={
        "vary": "depth", "values": ",".join(values), "params.N": 8}).json()
    assert numbers(page, "#memory-vary-chart g.vary-bar", "data-bytes") == expected["peak_bytes"]


def test_a_failing_custom_backward_is_marked(guard, server, api):
    page = guard
    run = create_run(api, preset="custom-backward", iterations=2)
    checks = {c["name"]: c["check"] for c in run["custom_ops"]}
    assert checks["my_softplus"]["ok"] and not checks["my_log_sigmoid"]["ok"]
    nodes = {n["id"]: n for n in run["graph"]["nodes"]}
    failing = sorted(i for i, n in nodes.items() if n["op"] == "my_log_sigmoid")
    passing = sorted(i for i, n in nodes.items() if n["op"] == "my_softplus")
    steps = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
    open_run(page, server, run["run_id"])
    marked = page.eval_on_selector_all("g.node.check-failed", "gs => gs.map(g => g.dataset.id)")
    assert sorted(marked) == failing and len(failing) == 2
    assert sorted(page.eval_on_selector_all("g.node.check-ok", "gs => gs.map(g => g.dataset.id)")) == passing
    error = checks["my_log_sigmoid"]["max_rel_error"]
    for nid in failing:
        badge = page.text_content(f'.node-check.failed[data-node="{nid}"]')
        assert badge.startswith("✗") and f"{error:.4g}" in badge, badge
    assert page.text_content(f'.node-check.ok[data-node="{passing[0]}"]') == "✓ checked"
    assert "FAILS the gradient check" in page.text_content(f'g.node[data-id="{failing[0]}"] title')

    back = next(s["index"] for s in steps if s["phase"] == "backward" and s["node"] in failing)
    page.keyboard.press("End")
    wait_step(page, 0, len(steps) - 1)
    assert page.is_hidden("#step-check")
    open_run(page, server, run["run_id"], 0, back)
    check = page.locator("#step-check")
    assert check.is_visible() and check.get_attribute("data-check") == "failed"
    assert check.get_attribute("data-op") == "my_log_sigmoid"
    assert float(check.get_attribute("data-max-rel-error")) == error
    assert "my_log_sigmoid_backward fails the gradient check" in check.inner_text()
    assert f"{error:.4g}" in check.inner_text()
    good = next(s["index"] for s in steps if s["phase"] == "backward" and s["node"] in passing)
    open_run(page, server, run["run_id"], 0, good)
    assert page.get_attribute("#step-check", "data-check") == "ok"
    assert page.inner_text("#step-check").startswith("✓ my_softplus_backward checked")


def test_the_chain_rule_card_names_the_gate_pattern(guard, server, api, small_run):
    page = guard
    run_id = small_run["run_id"]
    steps = api.get(f"/runs/{run_id}/iterations/0/steps").json()["steps"]
    matmul = next(s for s in steps if s["phase"] == "backward" and "matmul" in s["rule"])
    open_run(page, server, run_id, 0, matmul["index"])
    assert page.inner_text("#chain-rule") == f"Gate pattern: {matmul['rule']}"
    assert "multiplies the gradient by the other operand transposed" in page.inner_text("#chain-rule")
    forward = next(s["index"] for s in steps if s["phase"] == "forward")
    open_run(page, server, run_id, 0, forward)
    assert steps[forward]["rule"] == ""
    assert page.is_hidden("#chain-rule")
