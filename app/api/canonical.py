"""One spelling per answer: the canonical URL of a run-addressed request.

A run id is the canonical encoding of its run (runids.py) and an iteration or step number is
written in decimal without sign, padding or spaces. Another spelling of the same answer — a
run id packed at another zlib level, `/iterations/00`, `/+0`, `/%200`, `/0_0`, a path with
needless percent-escapes — would be another key for the response cache, for single flight
and for nginx (whose key is the request URI): each a second computation. The middleware
(responses.ServeCachedRuns) sends such a request to the canonical URL with a 308 instead;
what is not a spelling of anything is left to the routes, which answer 404 or 422.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from pydantic import TypeAdapter, ValidationError

from app.api import runids
from app.engine.core.errors import GradwalkError

#: how the routes read a number of the path (what they accept is what is redirected)
_INT = TypeAdapter(int)
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
#: characters a path segment keeps unescaped (RFC 3986 pchar without '%')
_SAFE = "/-._~!$&'()*+,;=:@"


def _number(text: str) -> str:
    if _DECIMAL.fullmatch(text):
        return text
    try:
        value = _INT.validate_python(text)
    except ValidationError:
        return text  # not a number: the route says so
    return str(value) if value >= 0 else text


def _run_id(run_id: str, store) -> str:
    if store.has_run(run_id) or store.failure(run_id) is not None:
        return run_id
    settings = store.settings
    try:
        spec = runids.decode(run_id, settings.max_run_id_chars, settings.max_run_id_json_bytes)
        return runids.encode(spec)
    except GradwalkError:
        return run_id  # not an id: the route says so


def canonical_path(path: str, prefix: str, store) -> str:
    """The canonical spelling of `path` (under `prefix`, the runs' URL)."""
    parts = path[len(prefix):].split("/")
    parts[0] = _run_id(parts[0], store)
    # /{run_id}/iterations/{t}/steps/{k}/…: the numbers are at fixed places
    if len(parts) > 2 and parts[1] == "iterations":
        parts[2] = _number(parts[2])
        if len(parts) > 4 and parts[3] == "steps":
            parts[4] = _number(parts[4])
    return prefix + "/".join(parts)


def written_plainly(scope) -> bool:
    """Whether the request's path is written as its decoded path encodes (no needless
    escapes): what the response cache's keys, made of decoded paths, may answer."""
    raw = scope.get("raw_path")
    return raw is None or raw.decode("latin-1") == quote(scope["path"], safe=_SAFE)


def canonical_target(scope, prefix: str, store) -> str | None:
    """Where a request whose URL is not canonical belongs (path and query), or None."""
    path = scope["path"]
    wanted = canonical_path(path, prefix, store)
    if wanted == path and written_plainly(scope):
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    return quote(wanted, safe=_SAFE) + (f"?{query}" if query else "")
