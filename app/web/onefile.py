"""The one-file page: the viewer's own page, styles and ES modules, and a run's answers, in one
HTML file that opens from `file://` with the network off (`gradwalk html`, and
`GET /api/v1/runs/{id}/page.html`).

Owns the bundling of static/js into one module script (each module a function scope, its
imports read from the modules evaluated before it, in ES evaluation order), of the viewer's
stylesheets into one, and the page's CSP.
No math and no viewer behaviour: the answers are the API's documents, the behaviour is
static/js (onefile-main.js, source.js, embed.js).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from app import __version__
from app.api import present
from app.api.store import RunStore
from app.engine.core.errors import InvalidRequestError
from app.engine.core.spec import SOURCE_DEFAULTS
from app.engine.presets import PRESETS
from app.web.templating import TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"

#: the viewer's stylesheets (static/css), in the order they cascade: the page links them as one
#: (app/web/viewerscript.py), the one-file page inlines that one
STYLESHEETS = ("app.css", "lecture.css", "layers.css", "gradcheck.css", "fit.css", "symbolic.css",
               "room.css", "print.css")

#: the most iterations one page holds (each is one iteration document, ~70 kB for the seed)
MAX_PAGE_ITERATIONS = 20

_IMPORT = re.compile(r'^import (?:\{(?P<names>[^}]*)\}|\* as (?P<star>\w+)) '
                     r'from "\./(?P<file>[\w-]+\.js)";[ \t]*$', re.M)
_BARE_IMPORT = re.compile(r'^import "\./(?P<file>[\w-]+\.js)";[ \t]*$', re.M)
_EXPORT = re.compile(r"^export (?=(?:async function|function|class|const|let) (\w+))", re.M)
_DEPENDENCY = re.compile(r'^import (?:[^"\n]* from )?"\./([\w-]+\.js)";', re.M)
_DOC_COMMENT = re.compile(r"^[ \t]*/\*(?:(?!\*/).)*\*/[ \t]*\n", re.M | re.S)
_COMMENT_LINE = re.compile(r"^[ \t]*//.*\n", re.M)
_LEFT = re.compile(r"^(?:import|export)\b.*$", re.M)


class BundleError(ValueError):
    """static/js holds a module form the bundler does not read (it never guesses)."""


def _module_name(file: str) -> str:
    return "__gw_" + re.sub(r"\W", "_", file)


def bundle(entry: str, js_dir: Path = STATIC / "js") -> str:
    """The modules reachable from `entry` as one module script. Each module becomes a
    function scope that returns its exports; a module runs after what it imports, in import
    order, as an ES module graph is evaluated. Imports are bound once (no module here
    reassigns an export)."""
    order: list[str] = []
    visiting: list[str] = []

    def visit(file: str) -> None:
        if file in order:
            return
        if file in visiting:
            raise BundleError(f"static/js: import cycle {' -> '.join([*visiting, file])}")
        visiting.append(file)
        text = (js_dir / file).read_text(encoding="utf-8")
        for dependency in _DEPENDENCY.findall(text):
            visit(dependency)
        visiting.pop()
        order.append(file)

    visit(entry)
    return "\n".join(_wrap(file, _lean((js_dir / file).read_text(encoding="utf-8")))
                     for file in order)


def stylesheet(css_dir: Path = STATIC / "css") -> str:
    """The viewer's stylesheets as one, each whole and in its order: the same cascade as
    linking them one after another (none has an `@import`, `@charset` or relative `url()`)."""
    parts = []
    for name in STYLESHEETS:
        text = (css_dir / name).read_text(encoding="utf-8")
        if re.search(r"@import|@charset|url\(", text):
            raise BundleError(f"static/css/{name} has an @import, @charset or url(): it cannot "
                              "be joined to the others as it is")
        parts.append(f"/* {name} */\n{text.rstrip()}\n")
    return "".join(parts)


def _lean(text: str) -> str:
    """The module without its comment lines (a fifth of the bytes; for people, not browsers).
    Only whole lines that start a comment go: never anything after code on a line."""
    return _COMMENT_LINE.sub("", _DOC_COMMENT.sub("", text))


def _wrap(file: str, text: str) -> str:
    exported = _EXPORT.findall(text)

    def imported(match: re.Match) -> str:
        source = _module_name(match["file"])
        if match["star"]:
            return f"const {match['star']} = {source};"
        names = [re.sub(r"\s+as\s+", ": ", n.strip()) for n in match["names"].split(",")]
        return f"const {{ {', '.join(n for n in names if n)} }} = {source};"

    body = _BARE_IMPORT.sub("", _IMPORT.sub(imported, text))
    body = _EXPORT.sub("", body)
    left = _LEFT.search(body)
    if left:
        raise BundleError(f"static/js/{file}: {left.group(0)[:80]!r} is an import or export "
                          "form the one-file bundler does not read")
    return (f"const {_module_name(file)} = (() => {{\n{body}\n"
            f"return Object.freeze({{ {', '.join(exported)} }});\n}})();")


def parse_range(text: str, iterations: int) -> tuple[int, int]:
    """`0-2` or `4`: the first and last iteration a page holds, within the run's."""
    first, sep, last = text.strip().partition("-")
    try:
        a = int(first)
        b = int(last) if sep else a
    except ValueError:
        raise InvalidRequestError(f"{text[:40]!r} is not an iteration range: write FIRST-LAST, "
                                  "e.g. 0-2, or one iteration", "iterations") from None
    if not 0 <= a <= b < iterations:
        raise InvalidRequestError(f"iterations {text[:40]!r} are outside this run's 0-"
                                  f"{iterations - 1}", "iterations")
    if b - a + 1 > MAX_PAGE_ITERATIONS:
        raise InvalidRequestError(f"a page holds at most {MAX_PAGE_ITERATIONS} iterations; "
                                  f"{text[:40]!r} asks for {b - a + 1}", "iterations")
    return a, b


@dataclass(frozen=True)
class Page:
    html: bytes
    #: the CSP a server sends with it: exactly its own script and styles, by hash
    csp: str


def recorded_answers(store: RunStore, run_id: str, first: int, last: int) -> dict:
    """The API's answers the viewer asks for, keyed by path under /api/v1. The run says it
    has `last + 1` iterations (the loss curve stops there); iterations before `first` are not
    held."""
    entry = store.entry(run_id)
    run = json.loads(entry.document.body)
    run["iterations"] = last + 1
    base = f"/runs/{run_id}"
    answers = {base: run}
    for t in range(first, last + 1):
        answers[f"{base}/iterations/{t}"] = store.with_trace(run_id, t,
                                                             present.iteration_document)
    losses = store.with_run(run_id, lambda r: r.training().losses_until(last + 1))
    answers[f"{base}/losses"] = present.losses_document(losses)
    answers[f"{base}/memory"] = store.with_run(
        run_id, lambda r: present.memory_document(r.memory(), r.graph))
    answers[f"{base}/code"] = store.with_run(run_id, lambda r: r.script())
    preset = PRESETS.get(run.get("preset") or "")
    listed = [present.preset_summary(preset)] if preset else []
    answers["/presets"] = {"presets": listed, "source_defaults": SOURCE_DEFAULTS}
    if preset:
        answers[f"/presets/{preset.id}"] = present.preset_detail(preset)
    return json.loads(present.encode_json(answers))


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def page(store: RunStore, run_id: str, iterations: str = "0", lecture: bool = False) -> Page:
    """The one-file page of a run: iterations `iterations` (`0-2`), in lecture mode if asked."""
    run = store.entry(run_id).run
    first, last = parse_range(iterations, run.describe()["iterations"])
    data = {"run_id": run_id, "first": first, "last": last, "lecture": lecture,
            "answers": recorded_answers(store, run_id, first, last)}
    # `<` never appears raw inside the data block, so nothing in it can close the script
    data_text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    script = bundle("onefile-main.js")
    if "</script" in script.lower():
        raise BundleError("static/js holds '</script': it cannot be inlined")
    html = TEMPLATES.env.get_template("index.html").render(version=__version__)
    styles = [stylesheet()]
    # the viewer's stylesheet (app/web/viewerscript.py, its name left empty here): inlined
    html, count = re.subn(r'<link rel="stylesheet" href="/static/viewer/\w*\.css">',
                          lambda _: f"<style>{styles[0]}</style>", html)
    if count != 1:
        raise BundleError("templates/index.html: the one-file page finds no link to the "
                          "viewer's stylesheet")
    html = re.sub(r'\s*<link rel="modulepreload"[^>]*>', "", html)
    css = (STATIC / "css" / "onefile.css").read_text(encoding="utf-8")
    styles.append(css)
    head = (f"<style>{css}</style>\n  <script type=\"module\">{script}</script>")
    # the viewer's script (app/web/viewerscript.py, its name left empty here): the bundle inlined
    html, count = re.subn(r'<script type="module" src="/static/viewer/\w*\.js"></script>',
                          lambda _: head, html)
    if count != 1 or "/static/" in html:
        raise BundleError("templates/index.html: the one-file page cannot replace its links "
                          "to /static/ (a new kind of link?)")
    html = html.replace("</body>", '<script type="application/json" id="gradwalk-data">'
                        f"{data_text}</script>\n</body>", 1)
    style_hashes = " ".join(f"'sha256-{_sha256(s)}'" for s in styles)
    csp = "; ".join([
        "default-src 'none'",
        f"script-src 'sha256-{_sha256(script)}'",
        f"style-src {style_hashes}",
        "img-src data: blob:",
        "base-uri 'none'",
        "form-action 'none'",
    ])
    return Page(html.encode("utf-8"), csp)
