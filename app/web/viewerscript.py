"""The viewer's modules as one script, `/static/viewer/{digest}.js`: static/js/main.js and every
module it imports, bundled as the one-file page bundles them (app/web/onefile.py). A first visit
then fetches the viewer's code in one request instead of one per module (44, which a single
server process answers one after another: most of the time to the first drawn graph). The
page names it by a digest of its text, so it is cached for good (`immutable`, at nginx too:
it is under /static/); the bundle is made again when a module changes (their sizes and times
are its key), gzipped once. An old digest is a 404: a page names the script it was made with.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from app.web.onefile import STATIC, bundle

JS = STATIC / "js"
ENTRY = "main.js"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Script:
    digest: str
    text: bytes
    gzipped: bytes


_lock = threading.Lock()
_built: dict[tuple, Script] = {}


def _key() -> tuple:
    """What the bundle is made of: every module's name, size and time."""
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in JS.glob("*.js")))


def viewer_script() -> Script:
    """The bundle of the viewer's modules as they are now (made once per change)."""
    key = _key()
    with _lock:
        script = _built.get(key)
        if script is None:
            text = bundle(ENTRY, JS).encode()
            script = Script(hashlib.sha256(text).hexdigest()[:16], text,
                            gzip.compress(text, compresslevel=9, mtime=0))
            _built.clear()
            _built[key] = script
    return script


router = APIRouter(include_in_schema=False)


@router.get("/static/viewer/{name}")
def read_viewer_script(name: str, request: Request) -> Response:
    script = viewer_script()
    if name != f"{script.digest}.js":
        return Response(f"no viewer script {name!r}: this server's is {script.digest}.js\n",
                        status_code=404, media_type="text/plain")
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding",
               "X-Content-Type-Options": "nosniff"}
    body = script.text
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = script.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)
