"""SVG and PNG export look exactly like the screen: every text where it is on screen (text-anchor
and the rest of the CSS kept), the PNG at twice the screen's pixels."""

from __future__ import annotations

import struct

from .conftest import create_run, open_run, until

#: every text of the graph: where it is inside the drawing, and what it says
TEXTS = """svg => [...svg.querySelectorAll('text')].filter(t => t.getBBox().width > 0).map(t => {
    const b = t.getBoundingClientRect(), s = svg.getBoundingClientRect();
    return [t.textContent, Math.round(b.x - s.x), Math.round(b.y - s.y), Math.round(b.width)];
})"""


def test_exported_svg_places_every_text_as_the_screen_does(guard, server, api, context):
    page = guard
    run = create_run(api, preset="colah-sum-of-paths")
    open_run(page, server, run["run_id"], 0, run["steps_per_iteration"] - 3)
    # where the graph is too small to read whole the camera follows: measure once it has eased
    until(page, "!document.getElementById('graph').hasAttribute('data-moving')")
    on_screen = page.eval_on_selector("#graph svg", TEXTS)
    assert len(on_screen) >= 3 * len(run["graph"]["nodes"])
    with page.expect_download() as download:
        page.click("#btn-export-svg")
    svg = open(download.value.path(), encoding="utf-8").read()
    assert 'text-anchor="middle"' in svg
    viewer = context.new_page()  # the file alone, without the page's CSS
    viewer.set_content(f'<!doctype html><body style="margin:0">{svg}</body>')
    exported = viewer.eval_on_selector("svg", TEXTS)
    viewer.close()
    assert len(exported) == len(on_screen)
    for (text, x, y, w), (text2, x2, y2, w2) in zip(on_screen, exported, strict=True):
        assert text == text2
        assert abs(x - x2) <= 1 and abs(y - y2) <= 1 and abs(w - w2) <= 1, (text, (x, y, w), (x2, y2, w2))


def test_png_export_is_twice_the_screen(guard, server, api):
    page = guard
    run = create_run(api, preset="micrograd-neuron")
    open_run(page, server, run["run_id"], 0, 6)
    box = page.locator("#graph svg").bounding_box()
    with page.expect_download() as download:
        page.click("#btn-export-png")
    png = open(download.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (round(round(box["width"]) * 2), round(round(box["height"]) * 2))
