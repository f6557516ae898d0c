"""Routes inside one iteration of a run: the iteration document, its steps, the state after a
step, exact tensors. All are read from the same cached trace."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import Query, Request
from starlette.responses import Response

from app.api import present
from app.api.deps import IterationPath, NodePath, RunIdPath, StepPath, StoreDep, WhichPath
from app.api.responses import cached, cached_json, encoded
from app.api.routing import Resource
from app.api.schemas import (
    GradCheckOut,
    IterationOut,
    StateOut,
    StepsOut,
    TensorOut,
    error_responses,
)
from app.engine.instruments import gradcheck

router = Resource(prefix="/runs/{run_id}/iterations/{t}", tags=["steps"])

ERRORS = error_responses(404, 413, 422)


@router.get(
    "",
    response_model=IterationOut,
    responses=ERRORS,
    summary="Iteration t as one document: every step, every summary once, what each step changed",
)
async def read_iteration(
    request: Request, run_id: RunIdPath, t: IterationPath, store: StoreDep
) -> Response:
    return await cached_json(request, store,
                             lambda: store.with_trace(run_id, t, present.iteration_document))


@router.get(
    "/gradcheck",
    response_model=GradCheckOut,
    responses=ERRORS,
    summary="Autodiff against finite differences: every parameter, and a sweep of h",
)
async def read_gradcheck(
    request: Request,
    run_id: RunIdPath,
    t: IterationPath,
    store: StoreDep,
    dtype: Annotated[Literal["float64", "float32"],
                     Query(description="the dtype of the forward passes of the differences")]
    = "float64",
) -> Response:
    def document():
        return present.gradcheck_document(store.with_run(run_id, lambda run: run.gradcheck(t, dtype)))

    return await cached_json(request, store, document, variant="" if dtype == "float64" else dtype,
                             cost=lambda run: gradcheck.cost(gradcheck.schedule_of(run.graph))[0])


@router.get("/steps", response_model=StepsOut, responses=ERRORS, summary="The steps of iteration t")
async def read_steps(
    request: Request, run_id: RunIdPath, t: IterationPath, store: StoreDep
) -> Response:
    return await cached_json(request, store, lambda: store.with_trace(
        run_id, t, lambda trace: present.steps_document(t, trace.step_list)))


@router.get(
    "/steps/{k}", response_model=StateOut, responses=ERRORS, summary="The full state after step k"
)
async def read_state(
    request: Request, run_id: RunIdPath, t: IterationPath, k: StepPath, store: StoreDep
) -> Response:
    return await cached_json(request, store, lambda: store.with_trace(
        run_id, t, lambda trace: present.state_json(trace.state(k))))


def _filename(node_id: str, which: str, t: int, k: int) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", node_id)[:64]
    return f"{safe}_{which}_t{t}_k{k}.npy"


@router.get(
    "/steps/{k}/tensors/{node_id}/{which}",
    response_model=TensorOut,
    responses={
        200: {
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            "description": "JSON, or with ?format=npy a .npy file",
        },
        **ERRORS,
    },
    summary="Exact values of a node's value or gradient after step k (JSON or .npy)",
)
async def read_tensor(
    request: Request,
    run_id: RunIdPath,
    t: IterationPath,
    k: StepPath,
    node_id: NodePath,
    which: WhichPath,
    store: StoreDep,
    format: Annotated[Literal["json", "npy"], Query(description="npy: a numpy .npy file")] = "json",
) -> Response:
    def array():
        return store.with_trace(run_id, t, lambda trace: trace.tensor(k, node_id, which))

    if format == "json":
        return await cached_json(
            request, store, lambda: present.tensor_document(node_id, which, t, k, array()))
    disposition = f'attachment; filename="{_filename(node_id, which, t, k)}"'
    return await cached(request, store, lambda: encoded(
        present.npy_bytes(array()), "application/octet-stream",
        {"Content-Disposition": disposition}), variant=format)
