"""Routes of a run as a whole: create it, describe it, its losses, its numpy script."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from app.api import present
from app.api.deps import RunIdPath, StoreDep
from app.api.responses import built, cached, cached_json, encoded, redirect, serve
from app.api.routing import Resource
from app.api.schemas import (
    LayoutOut,
    LossesOut,
    MemoryOut,
    ModesOut,
    RunCreate,
    RunOut,
    error_responses,
)
from app.api.store import RunEntry
from app.drawing.collapse import collapse, parse_collapsed
from app.drawing.layout import layout
from app.engine.core.errors import InvalidRequestError
from app.engine.core.spec import RunSpec
from app.engine.instruments import modes

router = Resource(prefix="/runs", tags=["runs"])


@router.post(
    "",
    status_code=201,
    response_model=RunOut,
    responses=error_responses(404, 413, 422),
    summary="Create a run (the same body always gives the same run_id)",
)
async def create_run(request: Request, body: RunCreate, store: StoreDep) -> Response:
    entry = await make_run(store, RunSpec(**body.model_dump()))
    location = {"Location": f"{request.url.path}/{entry.run_id}"}
    return serve(request, entry.document, immutable=False, status_code=201, headers=location)


async def make_run(store, spec: RunSpec) -> RunEntry:
    """The run of `spec`, made (or found) in the store's compute pool."""
    key = ("create", present.encode_json(spec.canonical()))
    # validating and counting the run is light; finishing it (checks, layout) as it counts
    entry = await store.compute.run(("prepare", *key), lambda: store.prepare(spec), light=True)
    if not isinstance(entry, RunEntry):
        run_id, run = entry
        entry = await store.compute.run(key, lambda: store.finish(run_id, run),
                                        light=store.light(run))
    return entry


@router.get(
    "/{run_id}",
    response_model=RunOut,
    responses=error_responses(404, 413, 422),
    summary="Describe a run: graph with layout, steps per iteration, phases",
)
async def read_run(request: Request, run_id: RunIdPath, store: StoreDep) -> Response:
    return await cached(request, store, lambda: store.entry(run_id).document)


@router.get(
    "/{run_id}/losses",
    response_model=LossesOut,
    responses=error_responses(404, 413, 422),
    summary="The loss at every iteration (before its update), or a page of them",
)
async def read_losses(
    request: Request,
    run_id: RunIdPath,
    store: StoreDep,
    start: Annotated[int | None, Query(ge=0, lt=2**31, description="the first iteration of "
                                       "a page (default 0)")] = None,
    stop: Annotated[int | None, Query(ge=0, lt=2**31, description="the iteration after the "
                                      "page's last (default: the run's iterations)")] = None,
) -> Response:
    if start is None and stop is None:
        return await cached_json(request, store, lambda: present.losses_document(
            store.with_run(run_id, lambda run: run.losses())))
    # a page: only its iterations are trained, so a chart draws the first ones at once
    iterations = (await built(store, run_id)).run.iterations
    start, stop = start or 0, iterations if stop is None else stop
    if not start < stop <= iterations:
        raise InvalidRequestError(f"a page is start < stop <= {iterations} (the run's "
                                  f"iterations); got start={start}, stop={stop}", "stop")
    query = f"start={start}&stop={stop}"
    if request.url.query != query:  # one URL per page: every spelling is sent to it
        return redirect(f"{request.url.path}?{query}")

    def page():
        losses = store.with_run(run_id, lambda run: run.losses_until(stop))
        return present.losses_document(losses, start, iterations)

    return await cached_json(request, store, page, variant=query,
                             cost=lambda run: run.cost.replay(stop))


@router.get(
    "/{run_id}/code",
    response_class=Response,
    responses={
        200: {
            "content": {"text/x-python": {"schema": {"type": "string"}}},
            "description": "a standalone numpy script",
        },
        **error_responses(404, 413, 422),
    },
    summary="A standalone numpy script that reproduces the run's losses",
)
async def read_code(request: Request, run_id: RunIdPath, store: StoreDep) -> Response:
    def produce():
        script = store.with_run(run_id, lambda run: run.script())
        return encoded(script.encode("utf-8"), "text/x-python; charset=utf-8")

    return await cached(request, store, produce)


@router.get(
    "/{run_id}/memory",
    response_model=MemoryOut,
    responses=error_responses(404, 413, 422),
    summary="The memory ledger: bytes held for the backward pass after every step, the peak",
)
async def read_memory(request: Request, run_id: RunIdPath, store: StoreDep) -> Response:
    return await cached_json(request, store, lambda: store.with_run(
        run_id, lambda run: present.memory_document(run.memory(), run.graph)))


@router.get(
    "/{run_id}/modes",
    response_model=ModesOut,
    responses=error_responses(404, 413, 422),
    summary="Forward vs reverse mode: sweeps, FLOPs and measured seconds for a whole Jacobian",
)
async def read_modes(
    request: Request,
    run_id: RunIdPath,
    store: StoreDep,
    of: Annotated[str | None, Query(max_length=64, description="the output node (default: "
                                    "the loss)")] = None,
    wrt: Annotated[str | None, Query(max_length=2000, description="leaves, comma-separated "
                                     "(default: every parameter)")] = None,
) -> Response:
    wanted = None if wrt is None else [w.strip() for w in wrt.split(",") if w.strip()]
    graph = (await built(store, run_id)).run.graph
    query = modes.canonical_query(graph, of, wanted)
    if request.url.query != query:  # one URL per question: every spelling is sent to it
        return redirect(request.url.path + (f"?{query}" if query else ""))

    def document():
        return present.modes_document(store.with_run(run_id, lambda run: run.modes(of, wanted)))

    # seconds are measured on this worker: kept per worker, but not immutable across workers
    return await cached_json(request, store, document, variant=f"modes|{query}", immutable=False,
                             cost=lambda run: None)  # timed for up to a second: never light


@router.get(
    "/{run_id}/layout",
    response_model=LayoutOut,
    responses=error_responses(404, 413, 422),
    summary="The graph drawn with some groups collapsed, each into one node",
)
async def read_layout(
    request: Request,
    run_id: RunIdPath,
    store: StoreDep,
    collapsed: Annotated[str | None, Query(
        max_length=10_000, pattern=r"^[^\x00-\x1f]*$",
        description="groups to collapse, comma-separated (`layer 1,layer 2`); a group inside "
                    "a collapsed group is hidden with it. Empty or omitted: the run's own graph",
    )] = None,
    stacked: Annotated[bool, Query(
        description="3 or more collapsed groups in a row that are copies of one another (the "
                    "layers of a deep MLP) drawn as one box, `layer 1 … layer 100 × 100`",
    )] = False,
) -> Response:
    names = parse_collapsed(collapsed)

    def document():
        graph = store.entry(run_id).run.graph_document()
        return layout(collapse(graph, names, stacked), store.drawings.geometry)

    # no group collapsed: the plain path, which ServeCachedRuns answers before routing
    variant = f"collapsed={','.join(names)}{'|stacked' if stacked else ''}" if names else ""
    return await cached_json(request, store, document, variant=variant)

