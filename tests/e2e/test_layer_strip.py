"""The layer strip: ‖∂loss/∂W‖ per layer on a log scale, filled in as the backward pass
reaches each layer, in normal and lecture mode at every screen size; deep-mlp's activation is
chosen in the form. The bars are the server's norms (iteration document `layers`)."""

from __future__ import annotations

import math

import pytest

from .conftest import create_run, open_run, until
from .test_a11y import serious

SIGMOID_16 = {"preset": "deep-mlp", "params": {"depth": 16, "activation": 2}, "iterations": 2}
SIZES = [(1024, 768, "lecture"), (1280, 720, ""), (1920, 1080, ""), (768, 1024, ""),
         (390, 844, ""), (1280, 720, "lecture")]


@pytest.fixture(scope="module")
def sigmoid_run(api) -> tuple[dict, list[dict]]:
    run = create_run(api, **SIGMOID_16)
    doc = api.get(f"/runs/{run['run_id']}/iterations/0").json()
    return run, doc["layers"]


def bars(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('#layers rect.layer-bar')]
      .map((r) => ({ seen: r.classList.contains('seen'), now: r.classList.contains('now'),
                     height: r.getBBox().height }))""")


def wait_still(page) -> None:
    until(page, "!document.getElementById('graph').hasAttribute('data-moving')")


@pytest.mark.parametrize(("width", "height", "mode"), SIZES,
                         ids=[f"{w}x{h}{'-' + m if m else ''}" for w, h, m in SIZES])
def test_the_strip_fills_in_as_the_backward_pass_goes_down(guard, server, sigmoid_run,
                                                           width, height, mode):
    page = guard
    run, layers = sigmoid_run
    page.set_viewport_size({"width": width, "height": height})
    first, last = run["phases"]["backward"]
    open_run(page, server, run["run_id"], 0, first - 1, mode=mode)
    strip = page.locator("#layers svg.layer-strip")
    assert strip.is_visible()
    box = strip.bounding_box()
    # on screen whole, not under the fold (lecture mode has no scrolling)
    if mode:
        assert box["y"] + box["height"] <= height
    assert len(bars(page)) == len(layers) == 17
    assert not any(b["seen"] for b in bars(page))
    for k in (layers[-1]["step"], layers[8]["step"], last):
        open_run(page, server, run["run_id"], 0, k, mode=mode)
        shown = bars(page)
        assert [b["seen"] for b in shown] == [layer["step"] <= k for layer in layers]
        known = [layer for layer in layers if layer["step"] <= k]
        latest = max(known, key=lambda layer: layer["step"])
        assert [b["now"] for b in shown] == [layer is latest for layer in layers]
        assert page.locator("#layers .layers-now").text_content().startswith(latest["name"])
    # all known: the bars fall toward the input, one decade about every two layers
    heights = [b["height"] for b in bars(page)]
    assert all(lower < upper for lower, upper in zip(heights[:-1], heights[1:], strict=True))
    if mode:
        tick = page.locator("#layers .tick").first
        assert float(tick.evaluate("(t) => getComputedStyle(t).fontSize")[:-2]) >= 18
        head = page.locator("#layers .chart-head")
        assert float(head.evaluate("(t) => getComputedStyle(t).fontSize")[:-2]) >= 20
    wait_still(page)
    assert serious(page) == []


def test_a_bar_says_its_layer_and_norm(guard, server, sigmoid_run):
    page = guard
    run, layers = sigmoid_run
    open_run(page, server, run["run_id"], 0, run["phases"]["backward"][1])
    title = page.locator("#layers rect.layer-bar title").first.text_content()
    assert title.startswith("layer 1: ‖∂loss/∂W‖ = ")
    shown = float(title.rsplit("= ", 1)[1])
    assert math.isclose(shown, layers[0]["norm"], rel_tol=5e-3)
    label = page.locator("#layers svg").get_attribute("aria-label")
    assert "17 of 17 layers known" in label and "layer 1 " in label


def test_one_layer_or_forward_mode_shows_no_strip(guard, server, api):
    page = guard
    run = create_run(api, preset="deep-mlp", mode="forward", iterations=1)
    open_run(page, server, run["run_id"], 0, 3)
    assert page.locator("#layers").is_hidden()
    one = create_run(api, preset="logistic-regression", iterations=1)
    open_run(page, server, one["run_id"], 0, 3)
    # w and b: two layers of one parameter each
    assert page.locator("#layers").is_visible()


def test_the_form_chooses_the_activation(guard, server, api):
    page = guard
    run = create_run(api, preset="deep-mlp", iterations=1)
    open_run(page, server, run["run_id"])
    until(page, "document.querySelector('select[name=\"param-activation\"]')")
    assert page.locator('select[name="param-activation"] option').all_text_contents() == \
        ["relu", "tanh", "sigmoid"]
    page.select_option('select[name="param-activation"]', label="sigmoid")
    page.click("#btn-run")
    until(page, "document.body.dataset.ready === '1' && "
                "document.querySelector('#source').value.includes('sigmoid(x @ w1)')")
    assert "activation" in page.url or "run=" in page.url
