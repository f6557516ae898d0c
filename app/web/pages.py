"""The viewer's pages: `/` rendered from templates/index.html, the presenter view
`/presenter` from templates/presenter.html and a student's page of class mode `/join` from
templates/join.html, under a strict CSP; the CSP of
`/docs` (fastapi-offline's Swagger UI, whose one inline script is allowed by its hash).

Only the page: the viewer's behaviour lives in static/js, its math on the server's API.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import __version__
from app.api import runids
from app.api.schemas import RunCreate
from app.engine.core.spec import RunSpec
from app.web.templating import TEMPLATES

#: the run `/` opens when its link names none (static/js/main.js's DEFAULT_PRESET)
SEED_PRESET = "pytorch-numpy-two-layer"

#: no inline script or style, nothing from another origin
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

#: the Swagger UI of /docs: its own files only, its inline start-up script by hash (added per
#: page), never framed (Swagger UI sets styles through the DOM, which style-src allows)
DOCS_CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'{hashes}",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_security_headers(html: bytes) -> dict[str, str]:
    """The headers that protect a docs page: its CSP allows exactly its inline scripts."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return {
        "Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY.format(hashes=hashes),
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, **context) -> HTMLResponse:
    """A page of the viewer under the strict CSP."""
    response = TEMPLATES.TemplateResponse(request, template, {"version": __version__, **context})
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@functools.cache
def seed_run_id() -> str:
    """The id POST /api/v1/runs gives `{"preset": SEED_PRESET}`."""
    return runids.encode(RunSpec(**RunCreate(preset=SEED_PRESET).model_dump()))


@router.get("/", response_class=HTMLResponse)
def read_viewer(request: Request) -> HTMLResponse:
    """The viewer; its modules come as one script, its stylesheets as one
    (app/web/viewerscript.py). A link that names no run opens the seed network: the page names
    its run, and the browser asks for the run's document and its first iteration's while the
    script loads (not after it, then a POST)."""
    # they bundle as app.web.onefile, which reads TEMPLATES
    from app.web.viewerscript import viewer_script, viewer_style

    seed_run = None if "run" in request.query_params else seed_run_id()
    return _page(request, "index.html", viewer_script=viewer_script().digest,
                 viewer_style=viewer_style().digest, seed_run=seed_run)


@router.get("/presenter", response_class=HTMLResponse)
async def read_presenter(request: Request) -> HTMLResponse:
    """The lecturer's second window: it follows and drives the viewer that opened it."""
    return _page(request, "presenter.html")


@router.get("/join", response_class=HTMLResponse)
async def read_join(request: Request) -> HTMLResponse:
    """A student's page in class mode (phones first): join with the class code, answer the
    open question with one's own numbers, see one's result."""
    return _page(request, "join.html")
