"""Check gradients tells the truth about its numbers: on the default (piecewise quadratic)
preset it says there is no truncation arm and offers a graph where both arms show; the table's
h is a point of the plot; a float32 mismatch from the difference's round-off is marked as the
difference's, with the estimate shown."""

from __future__ import annotations

from .conftest import create_run, open_run, until
from .test_a11y import serious
from .test_panels import open_panel


def test_the_default_preset_says_piecewise_quadratic_and_leads_to_the_v(guard, server, api):
    page = guard
    run = create_run(api, preset="pytorch-numpy-two-layer", iterations=2)
    open_run(page, server, run["run_id"])
    open_panel(page, "g", "gradcheck", "#gradcheck-table tbody tr")
    plot = page.inner_text("#gradcheck-plot")
    assert "no truncation error" in plot and "truncation error ∝ h²" not in plot
    assert "(piecewise) quadratic along w1" in plot
    regime = page.inner_text("#gradcheck-regime")
    assert "every parameter of this graph" in regime
    assert serious(page) == []
    # float32: w1's direction is off by 0.0119, within the difference's round-off of ±640
    page.click('#gradcheck-dtype button[data-dtype="float32"]')
    until(page, "document.getElementById('gradcheck-table').dataset.dtype === 'float32'")
    answer = api.get(f"/runs/{run['run_id']}/iterations/0/gradcheck",
                     params={"dtype": "float32"}).json()
    direction = answer["params"][0]["direction"]
    assert direction["verdict"] == "roundoff"
    cell = page.locator('#gradcheck-table tr[data-leaf="w1"][data-check="direction"] td.verdict')
    assert cell.text_content().startswith("≈ round-off ±")
    assert "the finite difference is the inaccurate side" in cell.get_attribute("title")
    assert "the finite difference is the inaccurate side" in page.inner_text("#gradcheck-lead")
    assert page.locator("#gradcheck-table tr.bad").count() == 0
    assert serious(page) == []
    # the offer: a graph whose loss is smooth along its parameters
    page.click("#btn-gradcheck-smooth")
    until(page, "document.querySelector('#gradcheck-plot')?.textContent.includes('∝ h²')", 60)
    assert "/?run=" in page.url
    assert api.get("/runs/" + page.url.split("run=")[1].split("&")[0]).json()["preset"] == \
        "logistic-regression"
    assert "where the loss is smooth" in page.inner_text("#gradcheck-regime")
    assert page.locator("#btn-gradcheck-smooth").count() == 0
