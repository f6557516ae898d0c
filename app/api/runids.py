"""Self-contained run ids: `g1.` + base64url(zlib(canonical JSON of the run)).

A run id carries everything needed to recompute its run, so any worker, after any restart,
serves any id with no shared store. Decoding is untrusted input: the length is bounded before
anything else, decompression is bounded, and the description is validated by the engine and
must be canonical (one run, one id). Nothing here runs the engine's math.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib

from app.engine.core.errors import InvalidRequestError, LimitError, NotFoundError
from app.engine.core.spec import RunSpec

VERSION = "g1"
_ID_PATTERN = re.compile(r"g1\.[A-Za-z0-9_-]+")
_WHERE_IDS_COME_FROM = "run ids are made by POST /api/v1/runs and start with 'g1.'"


def canonical_bytes(spec: RunSpec) -> bytes:
    """The run's canonical description as compact JSON with sorted keys (stable bytes)."""
    text = json.dumps(
        spec.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in some text of the run: not a character
        raise InvalidRequestError("the run's text holds a lone surrogate (like \\ud800), "
                                  "which is not a character; send Unicode text") from None


def encode(spec: RunSpec) -> str:
    """The run id of `spec`."""
    packed = base64.urlsafe_b64encode(zlib.compress(canonical_bytes(spec), 9))
    return f"{VERSION}.{packed.decode('ascii').rstrip('=')}"


def check_length(run_id: str, max_chars: int) -> None:
    """LimitError when the id is longer than URLs of this server may be."""
    if len(run_id) > max_chars:
        raise LimitError("max_run_id_chars", max_chars, len(run_id), "for the run id")


def _not_a_run(run_id: str, why: str) -> NotFoundError:
    shown = run_id if len(run_id) <= 40 else run_id[:37] + "..."
    return NotFoundError("run id", shown, f"{why}; {_WHERE_IDS_COME_FROM}")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def decode(run_id: str, max_chars: int, max_json_bytes: int) -> RunSpec:
    """The RunSpec a run id encodes.

    Raises LimitError (too long), NotFoundError (not an id: wrong version, bad base64,
    truncated or corrupt data) or InvalidRequestError (decodes, but is no valid run).
    """
    check_length(run_id, max_chars)
    if not run_id.startswith(f"{VERSION}."):
        raise _not_a_run(run_id, f"it does not start with '{VERSION}.'")
    if not _ID_PATTERN.fullmatch(run_id):
        raise _not_a_run(run_id, "it has characters outside base64url (A-Z a-z 0-9 - _)")
    packed = run_id[len(VERSION) + 1 :]
    try:
        compressed = base64.b64decode(packed + "=" * (-len(packed) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise _not_a_run(run_id, "it is not valid base64url") from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, max_json_bytes)
    except zlib.error:
        raise _not_a_run(run_id, "its data is corrupt") from None
    if inflater.unconsumed_tail:
        raise LimitError("max_run_id_json_bytes", max_json_bytes, None, "decoding the run id")
    if not inflater.eof or inflater.unused_data:
        raise _not_a_run(run_id, "its data is truncated or has trailing bytes")
    try:
        description = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _not_a_run(run_id, "its data is not a JSON run description") from None
    spec = RunSpec.from_canonical(description)
    if canonical_bytes(spec) != raw:
        raise InvalidRequestError(
            "the run id is not in canonical form; create the run with POST /api/v1/runs "
            "and use the id it returns",
            "run_id",
        )
    return spec
