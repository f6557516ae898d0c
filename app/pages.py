"""The viewer's page: `/` rendered from templates/index.html under a strict CSP.

Only the page: the viewer's behaviour lives in static/js, its math on the server's API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app import __version__

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

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

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def read_viewer(request: Request) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(request, "index.html", {"version": __version__})
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
