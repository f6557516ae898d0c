"""The iteration document's compact form (docs/json.md, Iteration): read back exactly, small
where a deep network repeats itself, and described by the OpenAPI schema."""

from __future__ import annotations

import jsonschema_rs
from apihelpers import API, make_client

from app.api import present
from app.api.compact import Templates, compact_steps, decode_iteration, decode_text
from app.engine.core.limits import Limits
from app.engine.core.run import Run, RunSpec
from bench.graphs import deep_mlp_source


def test_texts_equal_but_for_digits_share_a_template_and_read_back_exactly():
    texts = ["h_{31} = w_{32} h_{31}", "h_{4} = w_{5} h_{4}", "no digits", "no digits",
             "x_{07} + 1", "x_{8} + 1", "<mn>1998</mn> 12345678901234567890 <mn>1998</mn>"]
    templates = Templates(texts)
    for text in texts:
        assert decode_text(templates.table, templates.ref(text)) == text
    # one template for the two layers: two slots (31/4 twice is one slot, 32/5 the other)
    assert templates.ref(texts[0]) == [0, "31", "32"]
    assert templates.table[0] == ["h_{", 0, "} = w_{", 1, "} h_{", 0, "}"]
    assert templates.ref(texts[2]) == templates.ref(texts[3]) == [1]
    # a run equal in every text of its template stays in it; a leading zero is kept
    assert templates.ref(texts[4]) == [2, "07"] and templates.table[2] == ["x_{", 0, "} + 1"]
    assert templates.ref(texts[6]) == [3]


def test_held_lists_are_sent_as_what_to_keep_and_what_to_add():
    steps = [{"narration": "", "latex": "", "mathml": "", "code": "", "rule": "",
              "contributions": [], "held": held}
             for held in ([], ["a"], ["a", "b"], ["a"], ["c", "a"], [])]
    texts, compact = compact_steps(steps)
    assert [s["held"] for s in compact] == [
        {"keep": 0, "add": []}, {"keep": 0, "add": ["a"]}, {"keep": 1, "add": ["b"]},
        {"keep": 1, "add": []}, {"keep": 0, "add": ["c", "a"]}, {"keep": 0, "add": []}]
    document = {"texts": texts, "steps": compact, "tensors": []}
    assert decode_iteration(document)["steps"] == steps


def test_a_48_layer_mlps_document_is_at_most_a_mebibyte_and_means_what_it_meant():
    run = Run(RunSpec(source=deep_mlp_source(48), iterations=1), Limits())
    trace = run.trace(0)
    sent = present.iteration_document(trace)
    assert len(present.encode_json(sent)) <= 2**20
    plain = decode_iteration(sent)
    assert plain["steps"] == present.steps_json(trace.step_list)
    assert list(plain) == ["iteration", "loss", "steps", "tensors", "changes", "layers"]
    state = present.state_json(trace.state(200))
    nodes: dict = {}
    for changed in plain["changes"][:201]:
        for nid, fields in changed.items():
            nodes.setdefault(nid, {}).update(
                {k: plain["tensors"][v] if k in ("value", "grad") and v else v
                 for k, v in fields.items()})
    assert nodes == state["nodes"]


def test_the_document_sent_is_what_the_openapi_schema_says():
    client = make_client()
    run_id = client.post(f"{API}/runs", json={"preset": "micrograd-neuron",
                                              "iterations": 2}).json()["run_id"]
    sent = client.get(f"{API}/runs/{run_id}/iterations/1").json()
    schema = client.get("/openapi.json").json()
    validator = jsonschema_rs.validator_for(
        {**schema, "$ref": "#/components/schemas/IterationOut"})
    validator.validate(sent)
    assert not validator.is_valid(decode_iteration(sent))  # the plain form is not what is sent
