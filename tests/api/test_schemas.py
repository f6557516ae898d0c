"""The response models of schemas.py say exactly what the routes send: every document of every
preset (reverse and forward mode) validates against its route's model, which forbids fields it
does not name; and every field a model names is documented in docs/json.md.

A field the engine adds without its model (or a model field nothing sends any more) fails here,
so the OpenAPI schema, docs/json.md and the bytes cannot drift apart.
"""

from __future__ import annotations

import re

import pytest
from apihelpers import API, ROOT, make_client
from pydantic import BaseModel

from app.api import element, presets, runs, schemas, steps, symbolic
from app.engine.presets import PRESETS

CLIENT = make_client()
#: the response model of every JSON route of runs and presets, by its path template
MODELS = {API + route.path: route.response_model
          for module in (presets, runs, steps, element, symbolic) for route in module.router.routes
          if isinstance(getattr(route, "response_model", None), type)}
RUN = f"{API}/runs/{{run_id}}"
STEP = f"{RUN}/iterations/{{t}}/steps/{{k}}"
#: the routes this test fetches: every run and preset route (class rooms and imports answer
#: from their own modules, not present.py)
FETCHED = {f"{API}/presets", f"{API}/presets/{{preset_id}}", f"{API}/presets/{{preset_id}}/memory",
           f"{API}/presets/{{preset_id}}/symbolic", f"{API}/runs", RUN, f"{RUN}/iterations/{{t}}",
           f"{RUN}/iterations/{{t}}/steps", STEP, f"{STEP}/tensors/{{node_id}}/{{which}}",
           f"{RUN}/losses", f"{RUN}/layout", f"{RUN}/memory", f"{RUN}/iterations/{{t}}/gradcheck",
           f"{STEP}/element", f"{RUN}/modes", f"{RUN}/symbolic"}


def _valid(template: str, query: str = "", **values) -> dict:
    assert template in FETCHED
    response = CLIENT.get(template.format(**values) + query)
    assert response.status_code == 200, response.text
    document = response.json()
    MODELS[template].model_validate(document)
    return document


def _run(body: dict) -> dict:
    response = CLIENT.post(f"{API}/runs", json=body)
    assert response.status_code == 201, response.text
    MODELS[f"{API}/runs"].model_validate(response.json())
    return response.json()


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("preset_id", sorted(PRESETS))
def test_every_document_of_every_preset_is_its_model(preset_id, mode):
    _valid(f"{API}/presets/{{preset_id}}", preset_id=preset_id)
    run_id = _run({"preset": preset_id, "mode": mode, "iterations": 2})["run_id"]
    _valid(RUN, run_id=run_id)
    iteration = _valid(f"{RUN}/iterations/{{t}}", run_id=run_id, t=0)
    steps = _valid(f"{RUN}/iterations/{{t}}/steps", run_id=run_id, t=1)["steps"]
    for k in range(len(steps)):
        _valid(STEP, run_id=run_id, t=1, k=k)
    node = next(iter(iteration["tensors"])) if "tensors" in iteration else None
    node = steps[-1].get("node") or node
    for which in ("value", "grad" if mode == "reverse" else "tangent"):
        _valid(f"{STEP}/tensors/{{node_id}}/{{which}}", run_id=run_id, t=0, k=len(steps) - 1,
               node_id=node, which=which)
    _valid(f"{RUN}/losses", run_id=run_id)
    _valid(f"{RUN}/losses", "?start=0&stop=1", run_id=run_id)
    _valid(f"{RUN}/layout", run_id=run_id)
    if mode == "reverse":
        _valid(f"{RUN}/memory", run_id=run_id)
        _valid(f"{RUN}/iterations/{{t}}/gradcheck", run_id=run_id, t=0)
        sends = [k for k, s in enumerate(steps) if s.get("phase") == "backward"]
        if sends:
            _valid(f"{STEP}/element", run_id=run_id, t=0, k=sends[0])


def test_the_remaining_documents_are_their_models():
    _valid(f"{API}/presets")
    _valid(f"{API}/presets/{{preset_id}}/memory", "?vary=N&values=2,4", preset_id="logistic-regression")
    _valid(f"{API}/presets/{{preset_id}}/symbolic", "?vary=depth&values=1,2", preset_id="deep-tanh")
    run_id = _run({"preset": "micrograd-neuron"})["run_id"]
    _valid(f"{RUN}/modes", run_id=run_id)
    _valid(f"{RUN}/symbolic", "?wrt=w1", run_id=run_id)
    error = CLIENT.get(f"{API}/presets/no-such-preset")
    assert error.status_code == 404
    schemas.ErrorBody.model_validate(error.json())


def test_every_run_and_preset_route_is_fetched_here():
    wanted = {path for path in MODELS if path.startswith((f"{API}/runs", f"{API}/presets"))}
    assert wanted == FETCHED, sorted(wanted ^ FETCHED)


def _models() -> list[type[BaseModel]]:
    """Every model of the schemas package (its modules' models, each exported by the package)."""
    models = [m for m in vars(schemas).values() if isinstance(m, type) and issubclass(m, BaseModel)
              and m.__module__.startswith(schemas.__name__ + ".")]
    assert len(models) > 60, "the schemas package exports its models"
    return models


def test_response_models_forbid_what_they_do_not_name():
    for model in _models():
        assert model.model_config.get("extra") == "forbid", model.__name__


def test_every_field_of_a_model_is_in_the_json_documentation():
    text = (ROOT / "docs/json.md").read_text()
    documented = set(re.findall(r"[`\"]([a-z_][a-z0-9_]*)[`\"]", text))
    missing = sorted({f"{model.__name__}.{name}" for model in _models()
                      for name in model.model_fields if name not in documented})
    assert not missing, missing
