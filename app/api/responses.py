"""Serving run-addressed bodies: encoded once, then byte-identical, cacheable and gzipped.

A run id fixes everything under it, so these responses never change: they carry an ETag and
`Cache-Control: public, max-age=31536000, immutable`, answer `If-None-Match` with 304, and are
gzipped once (at cache time) for clients that accept it.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.canonical import canonical_target, written_plainly
from app.api.errors import engine_error_response
from app.api.present import encode_json
from app.api.store import Encoded, RunEntry, RunStore, encoded

__all__ = ["IMMUTABLE", "ServeCachedRuns", "built", "cached", "cached_json", "encoded", "redirect",
           "serve"]

IMMUTABLE = "public, max-age=31536000, immutable"


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


def _matches(request: Request, digest: str) -> bool:
    wanted = request.headers.get("if-none-match")
    if not wanted:
        return False
    for tag in wanted.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag == "*" or tag.removesuffix("-gzip") == digest:
            return True
    return False


def serve(
    request: Request,
    body: Encoded,
    immutable: bool = True,
    status_code: int = 200,
    headers: dict | None = None,
) -> Response:
    """The response for `body`: 304 when a GET already has it, gzip when the client accepts it."""
    use_gzip = body.gzipped is not None and _accepts_gzip(request)
    sent = {"ETag": f'"{body.etag}-gzip"' if use_gzip else f'"{body.etag}"'}
    if immutable:
        sent["Cache-Control"] = IMMUTABLE
    if body.gzipped is not None:
        sent["Vary"] = "Accept-Encoding"
    sent.update(body.headers)
    sent.update(headers or {})
    if request.method == "GET" and _matches(request, body.etag):
        return Response(status_code=304, headers=sent)
    if use_gzip:
        sent["Content-Encoding"] = "gzip"
    content = body.gzipped if use_gzip else body.body
    return Response(content, status_code, media_type=body.media_type, headers=sent)


async def cached(
    request: Request,
    store: RunStore,
    produce: Callable[[], Encoded],
    variant: str = "",
    immutable: bool = True,
    cost: Callable | None = None,
) -> Response:
    """Serve the cached bytes of this path (and variant, e.g. a non-default format), or
    produce them off the event loop (one computation per key and per run at a time: compute.py)
    and keep them. Unvalidated query never reaches the key. Under a run id the work is light
    (compute.py's light lane) when `cost(run)` — default: the run's whole counted cost — is
    small; `cost` returning None means heavy."""
    key = cache_key(request.url.path, variant)
    body = store.response(key)
    if body is None:
        run_id = request.path_params.get("run_id")
        light = False
        if run_id is not None:
            run = (await built(store, run_id)).run
            counted = run.cost.total if cost is None else cost(run)
            light = counted is not None and store.light(run, counted)
        body = await store.compute.run(key, produce, group=run_id, light=light)
        body = store.keep_response(key, body)
    return serve(request, body, immutable)


async def cached_json(request: Request, store: RunStore, document: Callable[[], object],
                      **options) -> Response:
    """`cached` for a JSON document: `document()` runs off the event loop and is encoded once
    (the one route body of every JSON document; `options` as `cached`'s)."""
    return await cached(request, store, lambda: encoded(encode_json(document())), **options)


async def built(store: RunStore, run_id: str):
    """The entry of `run_id`, built off the event loop if it is not cached."""
    store.raise_failure(run_id)  # a run known to fail costs no queue place
    if not store.has_run(run_id):
        # Every request under the id first shares the run's one build (one queue place for
        # the run, however many of its URLs are asked for at once): a run that cannot be
        # built fails them all with its own error, not a full queue. Validating and counting
        # it is light; finishing it (checks, layout) as light as it counts.
        prepared = await store.compute.run(("prepare", run_id), lambda: store.prepare_id(run_id),
                                           group=run_id, light=True)
        if not isinstance(prepared, RunEntry):
            await store.compute.run(("entry", run_id), lambda: store.finish(*prepared),
                                    group=run_id, light=store.light(prepared[1]))
    return store.entry(run_id)


def redirect(location: str) -> Response:
    """308 to the one spelling of an answer: everything under a run id is immutable, so the
    redirect is too (a cache keeps it and never asks again)."""
    return Response(status_code=308, headers={"Location": location, "Cache-Control": IMMUTABLE})


def cache_key(path: str, variant: str = "") -> str:
    return f"{path}|{variant}"


class ServeCachedRuns:
    """Sends a run-addressed request written in another spelling to its canonical URL (308),
    answers a plain GET of an already encoded run-addressed URL before routing, and any
    request under a run id whose run is remembered as failed (store.py).

    The bytes are the ones the route produced; skipping validation and dependency injection
    on the hot path is what keeps a cached state at thousands of requests per second.
    """

    def __init__(self, app: ASGIApp, store: RunStore, prefix: str = "/api/v1/runs/"):
        self.app = app
        self.store = store
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["method"] in ("GET", "HEAD")
                and scope["path"].startswith(self.prefix)):
            if (scope["method"] == "GET" and not scope.get("query_string")
                    and written_plainly(scope)):
                # cached bytes were made for a canonical URL: this one is, and is answered
                body = self.store.response(cache_key(scope["path"]))
                if body is not None:
                    await serve(Request(scope), body)(scope, receive, send)
                    return
            # one spelling per answer, before any cache key is made of this one (canonical.py)
            target = canonical_target(scope, self.prefix, self.store)
            if target is not None:
                await redirect(target)(scope, receive, send)
                return
            # a run known to fail is answered here too: a crowd asking for it costs no routing
            run_id = scope["path"][len(self.prefix):].partition("/")[0]
            failed = self.store.failure(run_id)
            if failed is not None and scope["method"] == "GET":
                await engine_error_response(failed)(scope, receive, send)
                return
        await self.app(scope, receive, send)
