"""The application: create_app() wires settings, middleware, error handlers, routers, static.

Owns the assembly only; the routes live in app/api (REST) and app/pages (the viewer).
`/docs` is served from fastapi-offline's own Swagger UI files, so it needs no internet.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.middleware.gzip import GZipMiddleware

from app import __version__
from app.api import presets, runs, steps
from app.api.errors import BodySizeLimit, install_error_handlers
from app.api.responses import ServeCachedRuns
from app.api.settings import Settings
from app.api.store import RunStore

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

DESCRIPTION = """Walk a computational graph one operation at a time: values flow forward,
gradients (∂loss/∂node) flow back. Create a run, then read any step of any iteration.
Everything under a run id is immutable and cacheable."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """A fresh application; `settings` default to the GRADWALK_* environment."""
    from app.pages import router as pages_router

    settings = settings or Settings()
    app = FastAPIOffline(
        title="Gradwalk",
        version=__version__,
        description=DESCRIPTION,
        redoc_url=None,
    )
    app.state.store = RunStore(settings)

    install_error_handlers(app)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ServeCachedRuns, store=app.state.store)

    api = APIRouter(prefix="/api/v1")
    api.include_router(presets.router)
    api.include_router(runs.router)
    api.include_router(steps.router)
    app.include_router(api)

    @app.get("/healthz", tags=["health"], summary="Liveness: 200 when the server answers")
    async def read_health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
