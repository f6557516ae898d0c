"""Routes of the presets: the named example graphs, their parameters and source."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from starlette.responses import Response

from app.api import present
from app.api.deps import StoreDep
from app.api.responses import cached_json
from app.api.routing import Resource
from app.api.schemas import MemorySweepOut, PresetDetail, PresetList, error_responses
from app.engine.core.errors import InvalidRequestError
from app.engine.core.run import MAX_SWEEP_VALUES, peak_memory_sweep
from app.engine.core.spec import SOURCE_DEFAULTS
from app.engine.presets import PRESETS, get_preset

router = Resource(prefix="/presets", tags=["presets"])


@router.get("", response_model=PresetList, summary="List the example graphs")
async def read_presets(request: Request, store: StoreDep) -> Response:
    def document():
        return {"presets": [present.preset_summary(preset) for preset in PRESETS.values()],
                "source_defaults": SOURCE_DEFAULTS}

    return await cached_json(request, store, document, immutable=False)


@router.get(
    "/{preset_id}",
    response_model=PresetDetail,
    responses=error_responses(404),
    summary="One example graph, with its source text",
)
async def read_preset(
    request: Request,
    store: StoreDep,
    preset_id: Annotated[str, Path(examples=["pytorch-numpy-two-layer"])],
) -> Response:
    preset = get_preset(preset_id)
    return await cached_json(request, store, lambda: present.preset_detail(preset),
                             immutable=False)


def _number(text: str, name: str) -> float | int:
    try:
        value = float(text)
    except ValueError:
        raise InvalidRequestError(f"{text[:40]!r} is not a number", name) from None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


@router.get(
    "/{preset_id}/memory",
    response_model=MemorySweepOut,
    responses=error_responses(404, 413, 422),
    summary="Peak memory held for the backward pass as one integer parameter varies",
)
async def read_preset_memory(
    request: Request,
    store: StoreDep,
    preset_id: Annotated[str, Path(examples=["logistic-regression"])],
    vary: Annotated[str, Query(max_length=32, description="an integer parameter (others: "
                               "`params.NAME=value`, else their defaults)", examples=["N"])],
    values: Annotated[str, Query(max_length=400, description="comma-separated values",
                                 examples=["8,16,32"])],
) -> Response:
    get_preset(preset_id)
    wanted = [_number(v.strip(), "values") for v in values.split(",") if v.strip()]
    if len(wanted) > MAX_SWEEP_VALUES:
        raise InvalidRequestError(f"give 1 to {MAX_SWEEP_VALUES} values", "values")
    params = {key.removeprefix("params."): _number(value, key)
              for key, value in request.query_params.items() if key.startswith("params.")}

    def document():
        return {"vary": vary, "values": wanted,
                "peak_bytes": peak_memory_sweep(preset_id, vary, wanted, params, store.limits)}

    variant = f"memory|{vary}|{wanted}|{sorted(params.items())}"
    return await cached_json(request, store, document, variant=variant, immutable=False)
