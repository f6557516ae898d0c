"""The `input_grads` switch of the setup form: the preset's default, the run it makes, a deep
link that restores it, and the mode switch that keeps it."""

from __future__ import annotations

from .conftest import create_run, open_run, until, wait_step

SMALL = {"preset": "pytorch-numpy-two-layer", "iterations": 3,
         "params": {"N": 8, "D_in": 20, "H": 6, "D_out": 3}}


def wait_run(page, run_id: str) -> None:
    until(page, f"new URLSearchParams(location.search).get('run') === '{run_id}'", 20)


def test_the_switch_makes_the_run_and_a_link_restores_it(guard, server, api):
    page = guard
    default = create_run(api, **SMALL)
    with_inputs = create_run(api, **SMALL, input_grads=True)
    assert default["run_id"] != with_inputs["run_id"]
    open_run(page, server, default["run_id"])
    page.wait_for_selector('#params input[name="param-D_in"]')
    assert not page.is_checked("#input-grads")  # the tutorial computes no grad_x
    page.check("#input-grads")
    page.click("#btn-run")
    wait_run(page, with_inputs["run_id"])
    wait_step(page, 0, 0)
    assert page.is_checked("#input-grads")
    # a deep link to each run shows its own setting
    open_run(page, server, default["run_id"], 0, 3)
    assert not page.is_checked("#input-grads")
    open_run(page, server, with_inputs["run_id"], 0, 3)
    assert page.is_checked("#input-grads")
    # the mode switch there and back keeps it
    page.click("#btn-mode-forward")
    until(page, "document.body.dataset.mode === 'forward'", 20)
    page.click("#btn-mode-reverse")
    wait_run(page, with_inputs["run_id"])


def test_colah_starts_with_the_switch_on(guard, server, api):
    page = guard
    colah = create_run(api, preset="colah-sum-of-paths")
    open_run(page, server, colah["run_id"])
    until(page, "document.getElementById('preset').value === 'colah-sum-of-paths'")
    assert page.is_checked("#input-grads")
