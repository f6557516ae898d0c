"""Routes of the presets: the named example graphs, their parameters and source."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from app.api import present
from app.api.deps import StoreDep
from app.api.responses import cached, encoded
from app.api.schemas import PresetDetail, PresetList, error_responses
from app.engine.presets import PRESETS, get_preset

router = APIRouter(prefix="/presets", tags=["presets"])


@router.get("", response_model=PresetList, summary="List the example graphs")
async def read_presets(request: Request, store: StoreDep) -> Response:
    def produce():
        presets = [present.preset_summary(preset) for preset in PRESETS.values()]
        return encoded(present.encode_json({"presets": presets}))

    return await cached(request, store, produce, immutable=False)


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
    return await cached(
        request, store, lambda: encoded(present.encode_json(present.preset_detail(preset))),
        immutable=False,
    )
