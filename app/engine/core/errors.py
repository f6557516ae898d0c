"""Errors a person can act on: what was wrong, where, and what is allowed.

Each class maps to one HTTP status in the API; the engine itself knows nothing of HTTP.
"""

from __future__ import annotations


class GradwalkError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def position(node) -> tuple[int, int]:
    """The 1-based line and column of a syntax node of the source (`ast`)."""
    return getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1


def source_error(node, message: str) -> SourceError:
    """A SourceError at a syntax node of the source."""
    return SourceError(message, *position(node))


class SourceError(GradwalkError):
    """The expression source is invalid at a line and column (1-based)."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(f"line {line}, column {column}: {message}")
        self.detail = message
        self.line = line
        self.column = column


def _short(number) -> str:
    """A number as a message shows it: no float formatting of an int past float range."""
    if isinstance(number, int) and not isinstance(number, bool):
        text = str(number)
        return text if len(text) <= 16 else f"{text[:4]}… ({len(text)} digits)"
    return f"{number:g}"


class LimitError(GradwalkError):
    """A configurable limit was exceeded."""

    def __init__(self, limit: str, value: float, actual: float | None = None, what: str = ""):
        got = f" (got {_short(actual)})" if actual is not None else ""
        where = f" {what}" if what else ""
        super().__init__(f"limit exceeded{where}: {limit} is {_short(value)}{got}")
        self.limit = limit
        self.value = value
        self.actual = actual


class BusyError(GradwalkError):
    """The server could not do the work now (its watchdog stopped it, or its queue is full):
    nothing is wrong with the request, which may be sent again after `retry_after` seconds.
    Never remembered as the answer for a run: the same request succeeds when the server is
    less busy."""

    def __init__(self, message: str, retry_after: int = 2):
        super().__init__(message)
        self.retry_after = retry_after


class NotFoundError(GradwalkError):
    """An unknown preset, node, iteration, step or tensor; says what exists."""

    def __init__(self, what: str, name: object, available: str, option: str = ""):
        super().__init__(f"unknown {what} {name!r}; {available}")
        self.what = what
        self.name = name
        self.available = available
        #: the run's boolean option that would make it exist ("input_grads"), if one would
        self.option = option


class InvalidRequestError(GradwalkError):
    """A run description that is well-formed but not allowed (bad parameter, bounds)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
