"""Export for slides: the graph as SVG or PNG at a chosen width (1920 by default), every pixel
opaque on the theme's background, with a caption (where in the run, the narration), from the
Export dialog in normal and in lecture mode (X); every text placed as on screen; a link that
reopens the run at the same iteration and step."""

from __future__ import annotations

import base64
import struct

from axe_playwright_python.sync_playwright import Axe

from .conftest import create_run, open_run, until, wait_step

#: every text of the graph: where it is inside the drawing, and what it says
TEXTS = """svg => [...svg.querySelectorAll('text')].filter(t => t.getBBox().width > 0).map(t => {
    const b = t.getBoundingClientRect(), s = svg.getBoundingClientRect();
    return [t.textContent, Math.round(b.x - s.x), Math.round(b.y - s.y), Math.round(b.width)];
})"""

#: a PNG's pixels, decoded by the browser: size, the least alpha, the colour of the top-left
#: pixel, and how many pixels of the bottom band differ from that background
PIXELS = """async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }),
        { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let alpha = 255;
    for (let i = 3; i < data.length; i += 4) alpha = Math.min(alpha, data[i]);
    const corner = [data[0], data[1], data[2]];
    const band = Math.round(bitmap.height * 0.9);
    let ink = 0;
    for (let i = band * bitmap.width * 4; i < data.length; i += 4) {
        const off = [0, 1, 2].reduce((sum, c) => sum + Math.abs(data[i + c] - corner[c]), 0);
        if (off > 200) ink += 1;
    }
    return { width: bitmap.width, height: bitmap.height, alpha, corner, ink };
}"""

STILL = "!document.getElementById('graph').hasAttribute('data-moving')"


def export(page, what: str, width: int | None = None, caption: bool = True) -> bytes:
    """Open the Export dialog (by X, the key works in every mode), set it, save `what`."""
    page.keyboard.press("x")
    page.wait_for_selector("#export-dialog[open]")
    if width is not None:
        page.fill("#export-width", str(width))
    page.set_checked("#export-caption", caption)
    with page.expect_download() as download:
        page.click(f"#btn-export-{what}")
    return open(download.value.path(), "rb").read()


def test_exported_svg_places_every_text_as_the_screen_does(guard, server, api, context):
    page = guard
    run = create_run(api, preset="colah-sum-of-paths")
    open_run(page, server, run["run_id"], 0, run["steps_per_iteration"] - 3)
    # where the graph is too small to read whole the camera follows: measure once it has eased
    until(page, STILL)
    on_screen = page.eval_on_selector("#graph svg", TEXTS)
    assert len(on_screen) >= 3 * len(run["graph"]["nodes"])
    box = page.locator("#graph svg").bounding_box()
    svg = export(page, "svg", width=round(box["width"]), caption=False).decode("utf-8")
    assert 'text-anchor="middle"' in svg
    viewer = context.new_page()  # the file alone, without the page's CSS
    viewer.set_content(f'<!doctype html><body style="margin:0">{svg}</body>')
    exported = viewer.eval_on_selector("svg svg", TEXTS)
    viewer.close()
    assert len(exported) == len(on_screen)
    for (text, x, y, w), (text2, x2, y2, w2) in zip(on_screen, exported, strict=True):
        assert text == text2
        assert abs(x - x2) <= 1 and abs(y - y2) <= 1 and abs(w - w2) <= 1, (text, (x, y, w), (x2, y2, w2))


def test_png_slide_in_lecture_mode_is_opaque_1920_wide_with_its_caption(guard, server, api):
    page = guard
    page.set_viewport_size({"width": 1024, "height": 768})
    run = create_run(api, preset="micrograd-neuron")
    open_run(page, server, run["run_id"], 0, 6, mode="lecture")
    until(page, STILL)
    box = page.locator("#graph svg").bounding_box()
    png = export(page, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 1920
    graph_height = round(1920 * round(box["height"]) / round(box["width"]))
    assert height > graph_height + 60  # the caption's band under the drawing
    pixels = page.evaluate(PIXELS, base64.b64encode(png).decode("ascii"))
    assert (pixels["width"], pixels["height"]) == (1920, height)
    assert pixels["alpha"] == 255  # dark text cannot vanish on a dark slide
    assert pixels["corner"] == [0, 0, 0]  # lecture mode's black
    assert pixels["ink"] > 2000  # the caption's letters


def test_svg_caption_says_where_and_the_narration(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"], 1, 9)
    until(page, STILL)
    words = page.text_content("#narration").split()
    svg = export(page, "svg").decode("utf-8")
    assert 'width="1920"' in svg
    assert "iteration 1 · step 9 of" in svg
    assert words[0] in svg and words[-1].rstrip(".…") in svg
    assert "iteration 1 · step 9 of" in page.text_content("#export-preview")
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []
    # a width outside the limits is refused in words
    page.fill("#export-width", "99999")
    page.click("#btn-export-svg")
    assert "320 to 3840" in page.text_content("#export-error")


def test_copied_link_reopens_the_run_at_the_same_iteration_and_step(guard, server, small_run, context):
    page = guard
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_run(page, server, small_run["run_id"], 2, 7, mode="lecture")
    page.keyboard.press("x")
    page.click("#btn-copy-link")
    until(page, "document.getElementById('export-copied').textContent === 'Link copied.'")
    link = page.evaluate("() => navigator.clipboard.readText()")
    assert link == page.input_value("#export-link")
    assert "mode=" not in link  # who opens it chooses lecture mode
    other = page.watch(context.new_page())
    other.goto(link)
    wait_step(other, 2, 7)
    assert other.evaluate("() => document.body.classList.contains('lecture')") is False
    other.close()
    # the graph tools' Link button copies the same link, and says so
    page.keyboard.press("Escape")
    page.keyboard.press("l")
    page.click("#btn-link")
    until(page, "document.getElementById('btn-link').textContent.startsWith('Copied')")
    assert page.evaluate("() => navigator.clipboard.readText()") == link
