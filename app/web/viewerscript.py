"""The viewer's modules as one script, `/static/viewer/{digest}.js`: static/js/main.js and every
module it imports, bundled as the one-file page bundles them (app/web/onefile.py). A first visit
then fetches the viewer's code in one request instead of one per module (44, which a single
server process answers one after another: most of the time to the first drawn graph). Its
stylesheets likewise, `/static/viewer/{digest}.css` (onefile.STYLESHEETS, in their order): one
request, not eight queued on the browser's six connections ahead of the script. The page names
each by a digest of its text, so it is cached for good (`immutable`, at nginx too: it is under
/static/); a bundle is made again when a file changes (their sizes and times are its key),
gzipped once. An old digest is a 404: a page names the files it was made with.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response

from app.web.onefile import STATIC, bundle, stylesheet

JS = STATIC / "js"
CSS = STATIC / "css"
ENTRY = "main.js"
MEDIA = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Script:
    digest: str
    text: bytes
    gzipped: bytes


_lock = threading.Lock()
_built: dict[str, tuple[tuple, Script]] = {}


def _key(folder: Path, pattern: str) -> tuple:
    """What a bundle is made of: every file's name, size and time."""
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                        for p in folder.glob(pattern)))


def _made(kind: str, key: tuple, make) -> Script:
    """The bundle `kind` ("js", "css") made of `key`: made once, again when the key changes."""
    with _lock:
        known = _built.get(kind)
        if known is None or known[0] != key:
            text = make().encode()
            known = (key, Script(hashlib.sha256(text).hexdigest()[:16], text,
                                 gzip.compress(text, compresslevel=9, mtime=0)))
            _built[kind] = known
    return known[1]


def viewer_script() -> Script:
    """The bundle of the viewer's modules as they are now (made once per change)."""
    return _made("js", _key(JS, "*.js"), lambda: bundle(ENTRY, JS))


def viewer_style() -> Script:
    """The viewer's stylesheets as one, as they are now (made once per change)."""
    return _made("css", _key(CSS, "*.css"), lambda: stylesheet(CSS))


router = APIRouter(include_in_schema=False)


@router.get("/static/viewer/{name}")
def read_viewer_script(name: str, request: Request) -> Response:
    script, style = viewer_script(), viewer_style()
    found = {f"{script.digest}.js": ("js", script), f"{style.digest}.css": ("css", style)}
    if name not in found:
        return Response(f"no viewer file {name!r}: this server's are {script.digest}.js and "
                        f"{style.digest}.css\n", status_code=404, media_type="text/plain")
    kind, made = found[name]
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding",
               "X-Content-Type-Options": "nosniff"}
    body = made.text
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = made.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=MEDIA[kind], headers=headers)
