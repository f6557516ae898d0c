"""Lecture mode on a 1024×768 projector: every panel is one screen — nothing to scroll, its
chart whole on screen — and the ledger's numbers are not a third the size of its table's."""

from __future__ import annotations

import pytest

from .conftest import create_run, open_run, until
from .test_a11y import serious

#: key, overlay id, what shows once it has its numbers
PANELS = [("w", "why", "#why-bars svg"), ("g", "gradcheck", "#gradcheck-plot svg"),
          ("s", "symbolic", "#symbolic-growth svg"), ("m", "memory-panel", "#memory-vary-chart svg"),
          ("a", "room", "#room .overlay-head")]
CHARTS = {"gradcheck": "#gradcheck-plot svg", "memory-panel": "#memory-ledger svg",
          "symbolic": "#symbolic-growth svg", "why": "#why-bars svg"}


@pytest.mark.parametrize("preset", ["pytorch-numpy-two-layer", "d2l-mlp-l2"])
def test_every_panel_fits_the_projector(guard, server, api, preset):
    page = guard
    page.expected.append("status of 413")  # the seed network is too large for SymPy: refused
    page.set_viewport_size({"width": 1024, "height": 768})
    run = create_run(api, preset=preset, iterations=2)
    open_run(page, server, run["run_id"], 0, 5, mode="lecture")
    for key, overlay, ready in PANELS:
        page.keyboard.press(key)
        until(page, f"!document.getElementById('{overlay}').hidden")
        page.wait_for_selector(ready, state="attached", timeout=60000)
        page.wait_for_timeout(300)  # the charts' sizes settle with their fonts
        card = page.locator(f"#{overlay} .overlay-card")
        scroll, client = card.evaluate("(c) => [c.scrollHeight, c.clientHeight]")
        assert scroll <= client + 1, (overlay, scroll, client)
        if overlay in CHARTS:
            box = page.locator(CHARTS[overlay]).first.bounding_box()
            assert box["height"] >= 100 and box["y"] >= 0 and box["y"] + box["height"] <= 768, \
                (overlay, box)
        assert serious(page) == [], overlay
        page.keyboard.press("Escape")
        until(page, f"document.getElementById('{overlay}').hidden")


def test_the_ledgers_numbers_are_read_with_its_table(guard, server, api):
    page = guard
    page.set_viewport_size({"width": 1024, "height": 768})
    run = create_run(api, preset="pytorch-numpy-two-layer", iterations=1)
    open_run(page, server, run["run_id"], 0, 5, mode="lecture")
    page.keyboard.press("m")
    page.wait_for_selector("#memory-ledger svg .tick", timeout=30000)
    tick = page.locator("#memory-ledger svg .tick").first.bounding_box()["height"]
    cell = page.locator("#memory-held td").first.bounding_box()["height"]
    # 10 px text beside a 20 px table before (a third of its rows' height)
    assert tick >= 0.5 * cell, (tick, cell)


#: every text of the Check gradients plot: its size on screen in px (a rotated one's too)
PLOT_TEXT = """() => [...document.querySelectorAll('#gradcheck-plot svg text')].map((t) => {
  const m = t.getScreenCTM();
  return [t.textContent, parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b)];
})"""


@pytest.mark.parametrize("size", [(1024, 768), (1280, 720), (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_gradient_checks_plot_reads_from_the_back(guard, server, api, size):
    """Its ticks, axis titles, best-h labels and regime notes at least 16 px on the projector
    (8–10 px before: the plot's 760×380 drawing scaled into a box 270 px tall)."""
    page = guard
    page.set_viewport_size({"width": size[0], "height": size[1]})
    run = create_run(api, preset="pytorch-numpy-two-layer", iterations=1)
    open_run(page, server, run["run_id"], 0, 5, mode="lecture")
    page.keyboard.press("g")
    page.wait_for_selector("#gradcheck-plot svg .sweep", state="attached", timeout=60000)
    page.wait_for_selector("#gradcheck-regime:not(:empty)", state="attached")
    until(page, "document.querySelector('#gradcheck-plot svg').getBoundingClientRect().height"
                " === document.getElementById('gradcheck-plot').getBoundingClientRect().height")
    texts = page.evaluate(PLOT_TEXT)
    assert len(texts) >= 10
    small = [(t, round(px, 1)) for t, px in texts if px < 15.9]
    assert not small, small
