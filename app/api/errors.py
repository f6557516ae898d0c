"""Every error a client can cause, as the JSON error body of docs/json.md.

`{"error": {"status", "kind", "message", ...}}`: 404 names what exists (`available`), 413 names
the limit and its value, 422 gives line and column for source errors and the field for
request errors. Also the request body size limit, which must act before the body is read, and
the catch-all: any other exception is a JSON 500 whose error id is in the log.
"""

from __future__ import annotations

import json
import logging
import math
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.engine.core.errors import (
    BusyError,
    GradwalkError,
    InvalidRequestError,
    LimitError,
    NotFoundError,
    SourceError,
)

log = logging.getLogger("gradwalk")


def _jsonable(value):
    """Non-finite numbers by name (docs/json.md); containers walked."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def error_json(body: dict) -> bytes:
    """The bytes of an error body: UTF-8 JSON, or ASCII-escaped JSON when it holds what UTF-8
    cannot (a lone surrogate echoed from the request)."""
    body = _jsonable(body)
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=str)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body, separators=(",", ":"), allow_nan=False,
                          default=str).encode("ascii")


def error_response(status: int, kind: str, message: str, headers=None, **extra) -> Response:
    body = {"error": {"status": status, "kind": kind, "message": message, **extra}}
    return Response(
        error_json(body),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def engine_error_response(error: GradwalkError) -> Response:
    """The one place where an engine error becomes an HTTP status."""
    if isinstance(error, SourceError):
        return error_response(
            422, "source", error.message, line=error.line, column=error.column, detail=error.detail
        )
    if isinstance(error, BusyError):
        return error_response(
            503, "busy", error.message, headers={"Retry-After": str(error.retry_after)},
            retry_after=error.retry_after,
        )
    if isinstance(error, LimitError):
        return error_response(
            413, "limit", error.message, limit=error.limit, value=error.value, actual=error.actual
        )
    if isinstance(error, NotFoundError):
        # how a client asks for what does not exist, in the API's words (the engine names
        # only the run's option)
        ask = f' (create the run with "{error.option}": true)' if error.option else ""
        return error_response(
            404, "not_found", error.message + ask, what=error.what, name=error.name,
            available=error.available + ask,
        )
    if isinstance(error, InvalidRequestError):
        return error_response(422, "invalid_request", error.message, field=error.field)
    return error_response(422, "invalid_request", error.message, field=None)


def _field(location: tuple) -> str:
    return ".".join(str(part) for part in location)


async def _engine_error(request: Request, error: GradwalkError) -> Response:
    return engine_error_response(error)


async def _validation_error(request: Request, error: RequestValidationError) -> Response:
    problems = [
        {"field": _field(problem.get("loc", ())), "message": problem.get("msg", "invalid")}
        for problem in error.errors()
    ]
    first = problems[0] if problems else {"field": "", "message": "invalid request"}
    return error_response(
        422,
        "validation",
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=problems,
    )


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    if isinstance(error, BodyTooLarge):
        return body_too_large_response(error.max_bytes, error.actual)
    if error.status_code == 400:
        # FastAPI's answer to a body it cannot decode (e.g. not UTF-8): the same as bad JSON.
        return error_response(
            422, "validation", "body: the request body is not valid UTF-8 JSON", field="body",
            errors=[{"field": "body", "message": "not valid UTF-8 JSON"}],
        )
    message = error.detail if isinstance(error.detail, str) else "request failed"
    if error.status_code == 404:
        return error_response(
            404, "not_found", f"no such page: {request.url.path}", headers=error.headers,
            available="the API lives under /api/v1; see /docs",
        )
    return error_response(error.status_code, "http", message, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GradwalkError, _engine_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


class CatchAll:
    """Any exception no handler answered: a JSON 500 with an error id, logged with its
    traceback under that id. The exception goes no further, so the server keeps the
    connection (a response already started is closed by the server, as before)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            return  # nobody is left to answer
        except Exception:
            error_id = uuid.uuid4().hex[:16]
            log.error("error %s: %s %s", error_id, scope.get("method"), scope.get("path"),
                      exc_info=True)
            if started:
                raise
            response = error_response(
                500, "internal",
                f"an unexpected error on the server; it is logged as error {error_id}: "
                "please report it with that id",
                error_id=error_id,
            )
            await response(scope, receive, send)


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so FastAPI passes it through."""

    def __init__(self, max_bytes: int, actual: int | None):
        super().__init__(413, "request body too large")
        self.max_bytes = max_bytes
        self.actual = actual


def body_too_large_response(max_bytes: int, actual: int | None) -> Response:
    got = f" (got {actual})" if actual is not None else ""
    return error_response(
        413, "limit",
        f"limit exceeded for the request body: max_body_bytes is {max_bytes}{got}",
        limit="max_body_bytes", value=max_bytes, actual=actual,
    )


class BodySizeLimit:
    """413 for a request body over `max_bytes`, declared (Content-Length) or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        #: paths whose bodies may be larger (a model file): path -> bytes
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope.get("path", ""), self.max_bytes)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
                if declared is not None and declared > max_bytes:
                    await body_too_large_response(max_bytes, declared)(scope, receive, send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge(max_bytes, None)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await body_too_large_response(max_bytes, None)(scope, receive, send)
