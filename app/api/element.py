"""The route for one element at a time: element `index` of what backward step k sends to an
input, as the sum of its terms with the real numbers (app/engine/presenter/element.py computes it)."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Path, Query, Request
from starlette.responses import Response

from app.api import present
from app.api.deps import IterationPath, RunIdPath, StoreDep
from app.api.responses import cached_json
from app.api.routing import Resource
from app.api.schemas import ElementOut, error_responses
from app.api.symbolic import element_index, finite
from app.engine.presenter.element import element_sum

router = Resource(prefix="/runs/{run_id}/iterations/{t}", tags=["steps"])


def element_document(found) -> dict:
    document = dataclasses.asdict(found)
    for key in ("total", "contribution"):
        document[key] = finite(document[key])
    for term in document["terms"]:
        for key in ("upstream", "local", "product"):
            term[key] = finite(term[key])
    document["mathml"] = present.mathml(found.latex)
    return document


@router.get(
    "/steps/{k}/element",
    response_model=ElementOut,
    responses=error_responses(404, 413, 422),
    summary="One element of a backward step's contribution, as the sum of its terms",
)
async def read_element(
    request: Request,
    run_id: RunIdPath,
    t: IterationPath,
    k: Annotated[int, Path(ge=0, description="step k of the iteration: a backward step that "
                                             "sends a gradient", examples=[10])],
    store: StoreDep,
    to: Annotated[str | None, Query(max_length=64, description="the input receiving (default: "
                                                               "the step's first)")] = None,
    index: Annotated[str | None, Query(max_length=200, pattern=r"^[0-9, ]*$",
                                       description="the element, one whole number per axis "
                                                   "(`3,7`); omitted: the largest")] = None,
) -> Response:
    element = element_index(index) if index is not None and index.strip() else None

    def document():
        return element_document(store.with_trace(
            run_id, t, lambda trace: element_sum(trace, k, to, element)))

    variant = f"element|{to or ''}|{'' if element is None else ','.join(map(str, element))}"
    return await cached_json(request, store, document, variant=variant)
