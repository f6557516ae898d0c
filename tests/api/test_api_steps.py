"""Steps, states and tensors of an iteration; 404s that name what exists."""

from __future__ import annotations

import io

import numpy as np
from apihelpers import API


def _base(run: dict, t: int = 0) -> str:
    return f"{API}/runs/{run['run_id']}/iterations/{t}/steps"


def test_steps_carry_latex_mathml_code_and_memory(client, small_run):
    response = client.get(_base(small_run))
    assert response.status_code == 200
    document = response.json()
    assert document["iteration"] == 0
    steps = document["steps"]
    assert len(steps) == small_run["steps_per_iteration"]
    assert [step["index"] for step in steps] == list(range(len(steps)))
    assert steps[0]["phase"] == "load"
    for step in steps:
        assert step["mathml"].startswith("<math") and step["mathml"].endswith("</math>")
        assert isinstance(step["memory_bytes"], int) and step["narration"]
    backward = [step for step in steps if step["phase"] == "backward"]
    assert backward and all("loss" in step["narration"] for step in backward)
    assert any("grad_w1 = x.T @ grad_h" in step["code"].splitlines() for step in backward)


def test_state_after_every_phase(client, small_run):
    phases = small_run["phases"]
    last = small_run["steps_per_iteration"] - 1
    final = client.get(f"{_base(small_run)}/{last}").json()
    assert final["step"] == last and final["phase"] == "update"
    assert final["nodes"]["w1"]["grad_status"] == "complete"
    assert final["nodes"]["w1"]["updated"] is True
    start = client.get(f"{_base(small_run)}/0").json()
    assert start["loss"] is None and start["nodes"]["w1"]["grad"] is None
    after_forward = client.get(f"{_base(small_run)}/{phases['forward'][1]}").json()
    losses = client.get(f"{API}/runs/{small_run['run_id']}/losses").json()["losses"]
    assert after_forward["loss"] == losses[0]


def test_tensor_json_and_npy_agree_bit_for_bit(client, small_run):
    last = small_run["steps_per_iteration"] - 1
    url = f"{_base(small_run, 2)}/{last}/tensors/w1/grad"
    as_json = client.get(url)
    as_npy = client.get(url, params={"format": "npy"})
    assert as_json.status_code == as_npy.status_code == 200
    assert as_npy.headers["content-type"] == "application/octet-stream"
    assert 'filename="w1_grad_t2_k' in as_npy.headers["content-disposition"]
    array = np.load(io.BytesIO(as_npy.content), allow_pickle=False)
    document = as_json.json()
    assert array.shape == tuple(document["shape"]) == (20, 10)
    assert array.dtype == np.dtype(document["dtype"])
    assert np.array_equal(array, np.array(document["values"]))
    assert array.tobytes() == np.array(document["values"], dtype=array.dtype).tobytes()


def test_npy_equals_the_engine_bit_for_bit(client, small_run):
    from app.engine.core.limits import Limits
    from app.engine.core.run import Run, RunSpec

    spec = RunSpec(preset=small_run["preset"], params=small_run["params"], iterations=5)
    expected = Run(spec, Limits()).trace(1).tensor(3, "w2", "value")
    response = client.get(f"{_base(small_run, 1)}/3/tensors/w2/value", params={"format": "npy"})
    assert np.load(io.BytesIO(response.content)).tobytes() == np.asarray(expected).tobytes()


def test_unknown_iteration_step_node_are_404_naming_what_exists(client, small_run):
    cases = [
        (f"{API}/runs/{small_run['run_id']}/iterations/5/steps", "iteration"),
        (f"{_base(small_run)}/{small_run['steps_per_iteration']}", "step"),
        (f"{_base(small_run)}/1/tensors/nope/value", "node"),
    ]
    for url, what in cases:
        response = client.get(url)
        assert response.status_code == 404, url
        error = response.json()["error"]
        assert what in error["message"] and error["available"]


def test_grad_not_known_yet_is_404_saying_from_which_step(client, small_run):
    response = client.get(f"{_base(small_run)}/0/tensors/w1/grad")
    assert response.status_code == 404
    assert "step" in response.json()["error"]["message"]


def test_negative_or_non_integer_indices_are_422(client, small_run):
    for url in (f"{_base(small_run)}/-1", f"{API}/runs/{small_run['run_id']}/iterations/x/steps",
                f"{_base(small_run)}/1/tensors/w1/weights"):
        response = client.get(url)
        assert response.status_code == 422, url
        assert response.json()["error"]["kind"] == "validation"


def test_every_preset_step_has_real_mathml(client):
    from app.engine.presets import PRESETS

    for preset in PRESETS:
        run = client.post(f"{API}/runs", json={"preset": preset, "iterations": 2}).json()
        for step in client.get(_base(run)).json()["steps"]:
            # the fallback would carry the raw LaTeX (backslashes) inside <mtext>
            assert "\\" not in step["mathml"], (preset, step["latex"])
            assert "<mi" in step["mathml"] or "<mn" in step["mathml"] or "<mo" in step["mathml"]
