"""Panels get a narrow context, never the App (issue 19): only the wiring holds the viewer's App.

main.js makes the App; context.js reads it to give the panels (panelContext) and the lecture
tools (lectureContext) what they may read and do; controls.js binds the keys and buttons to the
App's actions (its table of shortcuts is the wiring of every panel's key). Any other module that
takes the App (a parameter or a member named `app`), or main.js handing `this` to anything else,
fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

JS = Path(__file__).resolve().parents[1] / "static" / "js"
#: the modules that hold the App: the viewer itself, the contexts, the controls
WIRING = {"main.js", "context.js", "controls.js"}
#: what main.js may hand the App (`this`) to
GIVEN_THE_APP = {"panelContext", "lectureContext", "bindControls", "showPhases"}


def _code(text: str) -> str:
    """The module without its comments (a comment may name app.css or the App)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(?m)//.*$", "", text)


def _takes_the_app(code: str) -> list[str]:
    """Each place a module receives or reads an `app`: a parameter, `this.app`, `app.…`."""
    found = re.findall(r"[(,]\s*app\s*[,)=]", code)
    found += re.findall(r"\bthis\.app\b", code)
    found += re.findall(r"(?<![\w.$])app\.\w+", code)
    return found


def test_no_module_but_the_wiring_takes_the_app():
    modules = sorted(JS.glob("*.js"))
    assert len(modules) > 40
    taking = {path.name: found for path in modules if path.name not in WIRING
              if (found := _takes_the_app(_code(path.read_text())))}
    assert not taking, taking


def test_main_hands_the_app_only_to_the_contexts_and_the_controls():
    code = _code((JS / "main.js").read_text())
    given = set(re.findall(r"(?:new\s+)?([\w.]+)\(\s*this\s*\)", code))
    assert given == GIVEN_THE_APP, given ^ GIVEN_THE_APP


def test_the_checks_see_a_module_that_takes_the_app():
    lecture = "export class Lecture {\n  constructor(app) {\n    this.app = app;\n  }\n}\n"
    assert _takes_the_app(_code(lecture)) == ["(app)", "this.app"]
    assert not _takes_the_app(_code("// app.css sets it\nconst x = happ.y; f(apple);\n"))
