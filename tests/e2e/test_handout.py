"""The handout: the Handout dialog's step range printed to PDF is one page per step, each with
the step's graph, narration, chain-rule card and numpy line, in order."""

from __future__ import annotations

import io
import unicodedata

from pypdf import PdfReader

from .conftest import SMALL_SEED, create_run, open_run, wait_step

#: the viewer's print() answered by the test: headless Chromium cannot print and make a PDF
#: at once; the call is recorded instead
RECORD_PRINT = """() => { window.print = () => {
  document.body.dataset.printed = String(Number(document.body.dataset.printed || 0) + 1); }; }"""


def words(text: str) -> str:
    """Text as compared: whitespace runs as one space, the PDF's ligatures (ﬁ) as letters."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_five_steps_print_as_five_pages_in_order(guard, server, api):
    page = guard
    run = create_run(api, **SMALL_SEED)
    steps = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
    open_run(page, server, run["run_id"], 0, 9)
    page.evaluate(RECORD_PRINT)
    page.click("#btn-handout")
    assert page.input_value("#handout-from") == "9" and page.input_value("#handout-to") == "13"
    page.fill("#handout-from", "14")  # a wrong range is said, nothing printed
    page.click("#btn-handout-print")
    assert page.inner_text("#handout-error") == "The first step comes after the last."
    page.fill("#handout-from", "9")
    page.fill("#handout-to", "99")
    page.click("#btn-handout-print")
    assert page.inner_text("#handout-error") == "Steps go from 0 to 15."
    page.fill("#handout-to", "13")
    page.click("#btn-handout-print")
    page.wait_for_selector('body[data-handout="9-13"][data-printed="1"]', timeout=20000)
    wait_step(page, 0, 9)  # the viewer is back where it was
    assert page.locator("#handout-dialog").is_hidden()

    # the stylesheet's A4 landscape, as a print dialog takes it, and Letter portrait
    for options in ({"prefer_css_page_size": True}, {"format": "Letter"}):
        assert_pages(PdfReader(io.BytesIO(page.pdf(**options))), steps, range(9, 14))
    # what the screen shows is the viewer, not the pages
    assert page.locator("#handout").is_hidden() and page.locator("#graph svg").is_visible()


def assert_pages(pdf, steps, ks) -> None:
    assert len(pdf.pages) == len(ks)
    for k, sheet in zip(ks, pdf.pages, strict=True):
        text = words(sheet.extract_text())
        assert f"iteration 0, step {k} of 15" in text
        assert words(steps[k]["narration"]) in text, (k, text)
        assert words(steps[k]["code"]) in text
        assert "CHAIN RULE" in text.upper()
