"""The one shape of every error the API sends, and the OpenAPI entries that say which a route
can answer."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from app.api.schemas.common import Number, Out


class ErrorDetail(Out):
    """What went wrong; beside status, kind and message, the fields of its kind."""

    status: int
    kind: str = Field(description="source, limit, not_found, invalid_request, validation, http, "
                      "busy, internal, unsupported_model, and class mode's own")
    message: str
    line: int | None = Field(None, description="source: the line")
    column: int | None = Field(None, description="source: the column")
    detail: str | None = Field(None, description="source: the message without its place")
    limit: str | None = Field(None, description="limit: the limit's name")
    value: Number | None = Field(None, description="limit: the limit's setting")
    actual: Number | None = Field(None, description="limit: what was asked for, where known")
    what: str | None = Field(None, description="not_found: what kind of thing is unknown")
    name: Any = Field(None, description="not_found: the unknown name or number")
    available: str | None = Field(None, description="not_found: what exists")
    field: str | None = Field(None, description="invalid_request, validation: the field")
    errors: list[dict[str, str]] | None = Field(None, description="validation: every problem, "
                                                "each a field and a message")
    retry_after: int | None = Field(None, description="busy: seconds to wait, as Retry-After")
    error_id: str | None = Field(None, description="internal: the id in the server's log")
    problems: list[str] | None = Field(None, description="unsupported_model: each part of the "
                                       "model the importer could not write")


class ErrorBody(Out):
    error: ErrorDetail


def error_responses(*statuses: int) -> dict:
    """OpenAPI `responses=` entries for the given error statuses."""
    meaning = {
        404: "unknown run, preset, iteration, step or node; `available` says what exists",
        413: "over a limit; `limit` names it, `value` is its setting",
        422: "invalid source (`line`, `column`) or request (`field`)",
        503: "busy (the queue is full, or the watchdog stopped the work): nothing is wrong "
             "with the request; send it again after `Retry-After` seconds",
    }
    # every route that computes can be busy
    return {status: {"model": ErrorBody, "description": meaning[status]}
            for status in (*statuses, 503)}
