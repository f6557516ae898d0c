"""Routes of symbolic differentiation: one derivative of a run, and a preset's sizes as one of
its sizes varies (docs/json.md, Symbolic). The engine (app/engine/instruments/swell.py) checks its bounds
before any work; the work runs through the store's compute pool, as every computing route."""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated

from fastapi import Path, Query, Request
from starlette.responses import Response

from app.api import present
from app.api.deps import RunIdPath, StoreDep
from app.api.responses import cached_json
from app.api.routing import Resource
from app.api.schemas import SymbolicOut, SymbolicSweepOut, error_responses
from app.engine.core.errors import InvalidRequestError
from app.engine.instruments import swell
from app.engine.presets import get_preset

router = Resource(tags=["symbolic"])

ERRORS = error_responses(404, 413, 422)


def finite(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def _bounds(limits) -> dict[str, int]:
    return {"max_symbolic_work": limits.max_symbolic_work,
            "max_symbolic_leaves": limits.max_symbolic_leaves,
            "max_symbolic_nodes": limits.max_symbolic_nodes}


def element_index(text: str | None) -> tuple[int, ...]:
    """"0,3" -> (0, 3); empty or omitted: a scalar's ()."""
    if not text or not text.strip():
        return ()
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise InvalidRequestError("must be whole numbers separated by commas, one per axis "
                                  "of the leaf (`0,3`), or omitted for a scalar",
                                  "index") from None


def symbolic_document(found: swell.SymbolicDerivative, iteration: int, limits) -> dict:
    return {
        "wrt": found.wrt, "index": found.index, "iteration": iteration,
        "derivative_latex": found.latex, "derivative_mathml": present.mathml(found.latex),
        "latex_shortened": found.latex_shortened, "nodes_shown": found.nodes_shown,
        "latex_nodes": swell.LATEX_NODES,
        "size": dataclasses.asdict(found.sizes),
        "leaves": found.leaves, "derivative_leaves": found.derivative_leaves,
        "value": finite(found.value), "autodiff": finite(found.autodiff),
        "rel_error": finite(found.rel_error),
        "seconds": found.seconds, "bounds": _bounds(limits),
    }


@router.get(
    "/runs/{run_id}/symbolic",
    response_model=SymbolicOut,
    responses=ERRORS,
    summary="Symbolic differentiation: ∂loss/∂ one element by SymPy, its expression's size "
            "against the tape's",
)
async def read_symbolic(
    request: Request,
    run_id: RunIdPath,
    store: StoreDep,
    wrt: Annotated[str, Query(max_length=64, description="an input or parameter",
                              examples=["w1"])],
    index: Annotated[str | None, Query(max_length=200, pattern=r"^[0-9, ]*$",
                                       description="the element, one whole number per axis "
                                                   "(`0,3`); omitted for a scalar")] = None,
    iteration: Annotated[int, Query(ge=0, description="the leaves' values after this many "
                                                      "updates")] = 0,
) -> Response:
    element = element_index(index)

    def document():
        # the run's lock only while its leaves are read (training to `iteration` if needed):
        # SymPy works on its own data, beside the run's other requests
        graph, leaves = store.with_run(run_id, lambda run: (run.graph, run.leaves_at(iteration)))
        found = swell.derivative(graph, leaves, wrt, element, store.limits)
        return symbolic_document(found, iteration, store.limits)

    # seconds are measured on this worker: kept per worker, not immutable across workers
    variant = f"symbolic|{wrt}|{','.join(map(str, element))}|{iteration}"
    return await cached_json(request, store, document, variant=variant, immutable=False)


def _numbers(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InvalidRequestError("must be whole numbers separated by commas (`1,2,3`)",
                                  "values") from None


@router.get(
    "/presets/{preset_id}/symbolic",
    response_model=SymbolicSweepOut,
    responses=ERRORS,
    summary="Expression swell: the symbolic derivative's size against the tape's as one "
            "integer parameter (depth, width) varies",
)
async def read_preset_symbolic(
    request: Request,
    store: StoreDep,
    preset_id: Annotated[str, Path(examples=["deep-tanh"])],
    vary: Annotated[str, Query(max_length=32, description="an integer parameter (others: "
                               "`params.NAME=value`, else their defaults)",
                               examples=["depth"])],
    values: Annotated[str, Query(max_length=200, description="comma-separated whole numbers",
                                 examples=["1,2"])],
) -> Response:
    get_preset(preset_id)
    wanted = _numbers(values)
    if not 1 <= len(wanted) <= swell.MAX_SWEEP_VALUES:
        raise InvalidRequestError(f"give 1 to {swell.MAX_SWEEP_VALUES} values", "values")
    params = {}
    for key, value in request.query_params.items():
        if key.startswith("params."):
            try:
                params[key.removeprefix("params.")] = float(value)
            except ValueError:
                raise InvalidRequestError(f"{value[:40]!r} is not a number", key) from None

    def document():
        points = swell.sweep(preset_id, vary, wanted, params, store.limits)
        return {"vary": vary, "wrt": points[0].wrt if points else "",
                "points": [{k: v for k, v in dataclasses.asdict(p).items() if k != "wrt"}
                           for p in points],
                "bounds": _bounds(store.limits)}

    variant = f"symbolic|{vary}|{wanted}|{sorted(params.items())}"
    return await cached_json(request, store, document, variant=variant, immutable=False)
