"""The route of a run's one-file page (app/web/onefile.py): the viewer and the run's answers in
one HTML file, served with a CSP that allows exactly its own inline script and styles."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from app.api.deps import RunIdPath, StoreDep
from app.api.responses import cached, encoded
from app.api.routing import Resource
from app.api.schemas import error_responses
from app.web import onefile

router = Resource(prefix="/runs", tags=["runs"])


@router.get(
    "/{run_id}/page.html",
    response_class=Response,
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}},
              "description": "one self-contained HTML page: opens offline, from file:// too"},
        **error_responses(404, 413, 422),
    },
    summary="The run as one self-contained HTML page (offline, embeddable in slides)",
)
async def read_page(
    request: Request,
    run_id: RunIdPath,
    store: StoreDep,
    iterations: Annotated[str, Query(max_length=24, pattern=r"^\d+(-\d+)?$",
                                     description="FIRST-LAST or one iteration (at most "
                                     f"{onefile.MAX_PAGE_ITERATIONS})")] = "0",
    lecture: Annotated[bool, Query(description="open in lecture mode")] = False,
) -> Response:
    def produce():
        made = onefile.page(store, run_id, iterations, lecture)
        return encoded(made.html, "text/html; charset=utf-8", headers={
            "Content-Security-Policy": made.csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        })

    # the page holds this version's viewer, not only the run's immutable answers
    return await cached(request, store, produce, variant=f"{iterations}|{lecture}", immutable=False)
