"""Every person: axe-core finds no serious or critical violation in normal mode, lecture mode,
with the help open and with an error shown; every control has a name; the help is a modal
dialog that takes the focus; Enter in the iteration box gives the keys back to the viewer."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import create_run, open_run, until, wait_step

SMALL = {"preset": "pytorch-numpy-two-layer", "iterations": 3,
         "params": {"N": 8, "D_in": 20, "H": 10, "D_out": 10}}


@pytest.fixture(scope="module")
def small_run(api):
    return create_run(api, **SMALL)


def serious(page) -> list[str]:
    """axe-core's serious and critical violations, each with the elements it found."""
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
            for v in violations if v["impact"] in ("serious", "critical")]


def test_axe_normal_mode_with_a_node_inspected(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"], 0, small_run["phases"]["backward"][1])
    page.click('g.node[data-id="w1"]')
    page.click('#inspector button[data-tab="grad"]')
    page.wait_for_selector("#inspector svg.heat-scale")
    assert serious(page) == []


def test_axe_lecture_mode(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"], 0, 12, mode="lecture")
    assert serious(page) == []


def test_axe_with_the_help_open(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"], 0, 3)
    page.keyboard.press("?")
    until(page, "!document.getElementById('help').hidden")
    assert serious(page) == []


def test_axe_with_an_error_shown(guard, server, small_run):
    page = guard
    page.expected.append("status of 413")
    open_run(page, server, small_run["run_id"])
    page.fill("#iterations", "100000")
    page.click("#btn-run")
    until(page, "document.getElementById('run-error').textContent.length > 0")
    assert serious(page) == []


def test_every_control_has_a_name(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"])
    for name in ("first step", "step back", "play", "step forward", "last step", "slower", "faster",
                 "keyboard shortcuts"):
        assert page.get_by_role("button", name=name, exact=True).count() == 1, name
    assert page.get_by_role("spinbutton", name="iteration", exact=True).count() == 1
    unnamed = page.evaluate("""() => [...document.querySelectorAll('button, input, select, textarea')]
        .filter(e => e.offsetParent !== null)
        .filter(e => !(e.getAttribute('aria-label') || e.labels?.length || e.textContent.trim()
                       || e.getAttribute('aria-labelledby') || e.title))
        .map(e => e.outerHTML.slice(0, 80))""")
    assert unnamed == []


def test_help_is_modal_takes_the_focus_and_gives_it_back(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"])
    page.focus("#btn-help")
    page.keyboard.press("Enter")
    until(page, "!document.getElementById('help').hidden")
    assert page.get_attribute("#help", "aria-modal") == "true"
    assert page.evaluate("document.getElementById('help').contains(document.activeElement)")
    for _ in range(3):  # Tab stays inside
        page.keyboard.press("Tab")
        assert page.evaluate("document.getElementById('help').contains(document.activeElement)")
    page.keyboard.press("Escape")
    until(page, "document.getElementById('help').hidden")
    assert page.evaluate("document.activeElement.id") == "btn-help"


def test_enter_in_the_iteration_box_returns_the_keys_to_the_graph(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"], 0, 4)
    page.fill("#iteration", "2")
    page.press("#iteration", "Enter")
    wait_step(page, 2, 4)
    assert page.evaluate("document.activeElement.id") == "graph-area"
    page.keyboard.press("ArrowRight")  # a shortcut again, not the number box's arrow
    wait_step(page, 2, 5)
