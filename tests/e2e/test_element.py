"""One element at a time: the chain-rule card's toggle (and E) writes one element of what a
backward step sends as its sum with the server's real numbers, above the whole-tensor formula,
in normal and lecture mode; on other steps the toggle is not offered."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from .conftest import open_run, until, wait_step

SHOWN = "document.getElementById('element-sum').dataset.state === 'shown'"


def serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']} {[n['target'] for n in v['nodes']][:4]}" for v in violations
            if v["impact"] in ("serious", "critical")]


def test_one_element_of_a_matmul_step_with_the_real_numbers(guard, server, api, small_run):
    page = guard
    rid = small_run["run_id"]
    steps = api.get(f"/runs/{rid}/iterations/1/steps").json()["steps"]
    k = next(s["index"] for s in steps if s["phase"] == "backward" and s["node"] == "h")
    doc = api.get(f"/runs/{rid}/iterations/1/steps/{k}/element").json()
    open_run(page, server, rid, 1, 1)
    assert page.locator("#btn-element").is_hidden()  # a forward step: nothing to pick
    page.keyboard.press("e")  # the toggle is remembered for the backward steps
    page.evaluate(f"() => document.getElementById('scrubber').value = '{k}'")
    page.dispatch_event("#scrubber", "input")
    wait_step(page, 1, k)
    until(page, SHOWN)
    box = page.locator("#element-sum")
    assert box.get_attribute("data-to") == "w1"
    assert box.get_attribute("data-index") == ",".join(map(str, doc["index"]))
    head = page.text_content("#element-sum .element-head")
    assert f"w1[{', '.join(map(str, doc['index']))}]" in head and "its largest" in head
    assert f"a sum of {doc['count']} terms" in head
    assert page.locator("#element-sum math").count() == 1
    # the sum first, then the whole tensor's formula
    order = page.evaluate("""() => {
        const card = document.getElementById('chain');
        const sum = card.querySelector('#element-sum'), whole = card.querySelector('.mathml');
        return Boolean(sum.compareDocumentPosition(whole) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    assert order
    assert page.locator("#chain .mathml math").count() >= 1
    assert serious(page) == []
    # lecture mode: the sum above the large formula
    page.keyboard.press("l")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    wait_step(page, 1, k)
    until(page, "document.querySelector('#lecture-element math') !== null")
    assert page.locator("#lecture-element").is_visible()
    assert serious(page) == []
    # E again: the whole tensor alone
    page.keyboard.press("e")
    until(page, "document.getElementById('element-sum').hidden")
    assert page.locator("#lecture-element").is_hidden()
