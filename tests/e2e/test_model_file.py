"""Open a model file: an ONNX file chosen in the source panel becomes source and a run; an
unsupported one lists what Gradwalk cannot write, as text."""

from __future__ import annotations

from onnx import helper

from tests.importers.test_onnx_import import _mlp_file

from .conftest import open_run, until


def test_an_onnx_file_becomes_the_source_and_runs(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"])
    page.click("#btn-edit-source")
    page.select_option("#model-loss", "cross_entropy")
    page.set_input_files("#model-file", files=[{
        "name": "mlp.onnx", "mimeType": "application/octet-stream", "buffer": _mlp_file()}])
    until(page, "document.getElementById('source').value.includes('fc1_weight')", timeout=30)
    until(page, f"document.body.dataset.ready === '1' && !location.search.includes('{small_run['run_id']}')")
    source = page.input_value("#source")
    assert 'with group("fc1"):' in source and "loss = cross_entropy(" in source
    # the graph drawn is the model's: its layers' groups are there
    until(page, "document.querySelector('#graph svg') && "
                "document.querySelector('#graph svg').textContent.includes('fc1')")
    assert page.text_content("#source-error") == ""


def test_an_unsupported_model_lists_its_nodes_as_text(guard, server, small_run):
    page = guard
    page.expected.append("422")  # the browser logs the refused upload
    open_run(page, server, small_run["run_id"])
    page.click("#btn-edit-source")
    page.select_option("#model-loss", "mse")
    extra = [helper.make_node("Floor", ["r"], ["f"], name="/block/<b>Floor</b>")]
    page.set_input_files("#model-file", files=[{
        "name": "odd.onnx", "mimeType": "application/octet-stream",
        "buffer": _mlp_file(extra)}])
    until(page, "document.getElementById('source-error').textContent.includes('Floor')",
          timeout=30)
    text = page.text_content("#source-error")
    assert "odd.onnx: 1 part(s) Gradwalk cannot write yet" in text
    assert "<b>Floor</b>" in text  # the node's name as text, never as HTML
    assert page.locator("#source-error b").count() == 0
