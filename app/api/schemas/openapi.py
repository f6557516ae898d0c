"""The OpenAPI schema as strict as the server (app/main.py serves it).

What a pydantic model cannot say, because it depends on this server's limits or on each preset:
exactly one of `preset` and `source`; each preset's own parameters and bounds; iterations up to
the limit (and required when the default is over it); `lr` up to its maximum; a direction only
in forward mode; a run id's form and length. A body the schema accepts is refused only for what
no schema can see: the source's own errors and the sizes its shapes multiply to, the body's
bytes, a direction outside the graph, the length of the source a preset writes from its
parameters (deep-mlp's depth).
"""

from __future__ import annotations

#: a source's named numbers, as RunSpec.resolved checks them
_FREE_PARAM_NAME = "^[A-Za-z][A-Za-z0-9_]{0,31}$"
_FREE_PARAM_BOUND = 1e12
_SOURCE_ITERATIONS = 100


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _described(original: dict, schema: dict) -> dict:
    """`schema` with the generated property's title and description."""
    kept = {k: original[k] for k in ("title", "description") if k in original}
    return {**schema, **kept}


def _run_create_variants(properties: dict, settings) -> list[dict]:
    from app.engine.core.spec import MAX_FREE_PARAMS, MAX_LR
    from app.engine.presets import PRESETS

    special = ("preset", "source", "params", "iterations", "lr", "mode", "direction")
    common = {k: v for k, v in properties.items() if k not in special}
    common["lr"] = _described(properties["lr"], _nullable(
        {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_LR}))
    bounded = {"type": "integer", "minimum": 1, "maximum": settings.max_iterations}

    def base(key: str, value: dict, params: dict, default_iterations: int,
             input_grads: bool) -> dict:
        over = default_iterations > settings.max_iterations  # the default would be refused
        props = {key: value, **common,
                 "input_grads": {**properties["input_grads"], "default": input_grads},
                 "params": _described(properties["params"], _nullable(params)),
                 "iterations": _described(properties["iterations"],
                                          bounded if over else _nullable(bounded))}
        return {"type": "object", "additionalProperties": False, "properties": props,
                "required": [key, "iterations"] if over else [key]}

    bases = []
    for preset in PRESETS.values():
        params = {
            p.name: {"type": "number" if p.kind == "float" else "integer",
                     "minimum": p.min, "maximum": p.max, "description": p.description + (
                         f" ({', '.join(f'{i}: {o}' for i, o in enumerate(p.options))})"
                         if p.options else "")}
            for p in preset.params
        }
        bases.append(base("preset", _described(properties["preset"], {"const": preset.id}),
                          {"type": "object", "additionalProperties": False,
                           "properties": params}, preset.iterations, preset.input_grads))
    bases.append(base(
        "source",
        _described(properties["source"],
                   {"type": "string", "maxLength": settings.max_source_chars}),
        {"type": "object", "maxProperties": MAX_FREE_PARAMS,
         "propertyNames": {"pattern": _FREE_PARAM_NAME},
         "additionalProperties": {"type": "number", "minimum": -_FREE_PARAM_BOUND,
                                  "maximum": _FREE_PARAM_BOUND}},
        _SOURCE_ITERATIONS, True,
    ))
    if "mode" not in properties:
        return bases
    variants = []
    for variant in bases:  # a direction only in forward mode
        reverse = {**variant["properties"],
                   "mode": _described(properties["mode"], {"enum": ["reverse"]}),
                   "direction": {"type": "null"}}
        variants.append({**variant, "properties": reverse})
        forward = {**variant["properties"],
                   "mode": _described(properties["mode"], {"const": "forward"}),
                   "direction": properties["direction"]}
        variants.append({**variant, "properties": forward,
                         "required": [*variant["required"], "mode"]})
    return variants


def strict_openapi(schema: dict, settings) -> dict:
    """The generated OpenAPI `schema` made as strict as this server (`settings`' limits)."""
    from app.api.runids import VERSION

    components = schema.get("components", {}).get("schemas", {})
    run = components.get("RunCreate")
    if run is not None and "properties" in run:
        components["RunCreate"] = {
            **{k: v for k, v in run.items()
               if k not in ("properties", "additionalProperties", "type", "required")},
            "oneOf": _run_create_variants(run["properties"], settings),
        }
    bounds = {
        "run_id": {"maxLength": settings.max_run_id_chars,
                   "pattern": f"^{VERSION}\\.[A-Za-z0-9_-]+$"},
        "t": {"maximum": settings.max_iterations - 1},
    }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] in bounds:
                    parameter["schema"] = {**parameter["schema"], **bounds[parameter["name"]]}
    return schema
