"""POST /api/v1/imports: an ONNX model file becomes Gradwalk source and the run it makes.

The body is the file's bytes (`Content-Type: application/octet-stream`), read as data by
app/importers/onnx_source.py — never pickle, never code. Bounded: `max_import_bytes` of body,
the importer's node count, then every limit a run of that source has.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from app.api import present
from app.api.deps import StoreDep
from app.api.errors import error_response
from app.api.responses import encoded, serve
from app.api.routing import Resource
from app.api.runs import make_run
from app.api.schemas import error_responses
from app.engine.core.spec import RunSpec
from app.importers.errors import UnsupportedModelError

router = Resource(prefix="/imports", tags=["imports"])


class ImportOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(description="the model as Gradwalk source (edit it, POST it to /runs)")
    run_id: str = Field(description="the run that source makes, with the seed, lr and "
                        "iterations asked for")
    viewer_url: str = Field(description="the viewer on that run, relative to this server")


@router.post(
    "",
    status_code=201,
    response_model=ImportOut,
    responses={**error_responses(413, 422)},
    summary="An ONNX model file (the request body) as Gradwalk source and a run of it",
    openapi_extra={"requestBody": {"required": True, "description": "the bytes of an ONNX "
                   "model file (torch.onnx.export writes one), e.g. `curl --data-binary "
                   "@model.onnx -H 'Content-Type: application/octet-stream'`", "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
)
async def create_import(
    request: Request,
    store: StoreDep,
    loss: Annotated[Literal["mse", "cross_entropy"] | None, Query(
        description="add this loss against a target leaf (omit if the model's output is a "
                    "scalar loss)")] = None,
    batch: Annotated[int, Query(ge=1, le=1024, description="the size of a symbolic first "
                                "dimension (batch_size)")] = 8,
    seed: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    lr: Annotated[float | None, Query(gt=0, le=1e6)] = None,
    iterations: Annotated[int | None, Query(ge=1, le=10**9)] = None,
) -> Response:
    from app.importers import onnx_source  # onnx is imported only when a model arrives

    data = await request.body()
    if not data:
        return error_response(422, "invalid_request", "the request body must be an ONNX model "
                              "file (Content-Type: application/octet-stream)", field="body")
    key = ("import", hashlib.sha256(data).hexdigest(), loss, batch)
    try:
        source = await store.compute.run(
            key, lambda: onnx_source.to_source(data, loss=loss, batch=batch), light=False)
    except UnsupportedModelError as error:
        return error_response(422, "unsupported_model", str(error), problems=error.problems)
    entry = await make_run(store, RunSpec(source=source, seed=seed, lr=lr,
                                          iterations=iterations))
    body = {"source": source, "run_id": entry.run_id,
            "viewer_url": f"/?run={entry.run_id}"}
    return serve(request, encoded(present.encode_json(body)), immutable=False, status_code=201,
                 headers={"Location": f"/api/v1/runs/{entry.run_id}"})
