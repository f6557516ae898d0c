"""The application: create_app() wires settings, middleware, error handlers, routers, static.

Owns the assembly, and the protocol every response shares (`Protocol`: nosniff, HEAD as GET
without a body; `DocsSecurity`: the docs' CSP and frame protection); the routes live in
app/api (REST) and app/pages (the viewer). `/docs` is served from fastapi-offline's own
Swagger UI files, so it needs no internet.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.api import classes, element, imports, onepage, presets, runs, steps, symbolic
from app.api.errors import BodySizeLimit, CatchAll, install_error_handlers
from app.api.responses import ServeCachedRuns
from app.api.routing import API_PREFIX
from app.api.schemas import strict_openapi
from app.api.settings import Settings
from app.api.store import RunStore
from app.classes.service import Classroom
from app.serving import collector
from app.web.pages import docs_security_headers

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

DESCRIPTION = """Walk a computational graph one operation at a time: values flow forward,
gradients (∂loss/∂node) flow back. Create a run, then read any step of any iteration.
Everything under a run id is immutable and cacheable."""


#: pages of the interactive docs: their CSP lists the hashes of their inline scripts
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")


class Protocol:
    """What every response shares: `X-Content-Type-Options: nosniff`, and HEAD answered as
    the GET of the same URL, without its body."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def protected_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", ()))
                MutableHeaders(scope=message)["X-Content-Type-Options"] = "nosniff"
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, protected_send)


class DocsSecurity:
    """The docs pages' CSP (their inline scripts by hash) and frame protection. Inside the
    gzip middleware: it reads the page as written."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in DOCS_PATHS:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def protected_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                held.append(message)  # the CSP needs the page's scripts: wait for the body
                return
            if message["type"] != "http.response.body" or not held:
                await send(message)
                return
            held.append(message)
            if message.get("more_body", False):
                return
            start, *parts = held
            held.clear()
            body = b"".join(part.get("body", b"") for part in parts)
            start["headers"] = list(start.get("headers", ()))
            MutableHeaders(scope=start).update(docs_security_headers(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, protected_send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A fresh application; `settings` default to the GRADWALK_* environment."""
    from app.web.pages import router as pages_router
    from app.web.viewerscript import router as viewer_script_router

    settings = settings or Settings()
    # the event loop takes the GIL back from a computing thread within this (process-wide)
    sys.setswitchinterval(settings.gil_switch_ms / 1000)
    app = FastAPIOffline(
        title="Gradwalk",
        version=__version__,
        description=DESCRIPTION,
        redoc_url=None,
        lifespan=collector.lifespan,
    )
    app.state.store = RunStore(settings)

    install_error_handlers(app)
    classes.install(app, Classroom(settings, app.state.store))
    app.add_middleware(DocsSecurity)  # innermost: it reads the docs pages before gzip
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       larger={"/api/v1/imports": settings.max_import_bytes})
    app.add_middleware(ServeCachedRuns, store=app.state.store)
    app.add_middleware(CatchAll)  # outside the others: whatever escapes them is a JSON 500
    app.add_middleware(Protocol)  # outermost: every response, the fast path's and 500s too

    generated_openapi = app.openapi

    def openapi() -> dict:
        """The generated schema made as strict as the server (this server's limits)."""
        if getattr(app.state, "openapi", None) is None:
            app.state.openapi = strict_openapi(generated_openapi(), settings)
        return app.state.openapi

    app.openapi = openapi

    for resource in (presets, runs, steps, element, symbolic, classes, onepage, imports):
        app.include_router(resource.router, prefix=API_PREFIX)

    @app.get("/healthz", tags=["health"], summary="Liveness: 200 when the server answers")
    async def read_health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(pages_router)
    app.include_router(viewer_script_router)  # before /static's files: /static/viewer/…
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
