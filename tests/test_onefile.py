"""The one-file bundler and page: each module a scope in ES evaluation order, loud on a form
it does not read; the page's limits and its CSP hashes."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess

import pytest

from app.api.settings import Settings
from app.api.store import RunStore
from app.engine.core.errors import InvalidRequestError
from app.engine.core.spec import RunSpec
from app.web import onefile


def write(folder, **files):
    for name, text in files.items():
        (folder / name).write_text(text)


def test_modules_run_after_what_they_import_each_in_its_own_scope(tmp_path):
    write(tmp_path,
          **{"a.js": 'import { b, b2 as two } from "./b.js";\nimport * as c from "./c.js";\n'
                     'import "./d.js";\n'
                     "const x = 1;\nexport const a = b + c.c + x + two;\nconsole.log(order, a);\n",
             "b.js": 'import { c } from "./c.js";\nconst x = 10;\nexport const b = c + x;\n'
                     "export let b2 = 2;\n",
             "c.js": "const x = 100;\nexport function f() { return x; }\nexport const c = f();\n",
             "d.js": "globalThis.order = 'd';\n"})
    text = onefile.bundle("a.js", tmp_path)
    starts = [text.index(f"const __gw_{m}_js = ") for m in "cbda"]
    assert starts == sorted(starts)  # c before b (b imports it), d before a, a last
    assert "export" not in text and "import" not in text
    # each module's `const x` in its own function scope
    assert text.count("const x = ") == 3 and text.count("})();") == 4
    if shutil.which("node"):  # and it runs as one module: 110 + 100 + 1 + 2
        ran = subprocess.run(["node", "--input-type=module", "-e", text], capture_output=True,
                             text=True, timeout=60)
        assert ran.stdout.strip() == "d 213", ran.stderr
    assert "const { b, b2: two } = __gw_b_js;" in text
    assert "return Object.freeze({ b, b2 });" in text
    assert "const c = __gw_c_js;" in text


@pytest.mark.parametrize("files, words", [
    ({"a.js": "export default 1;\n"}, "export default"),
    ({"a.js": 'import b from "./b.js";\n', "b.js": "export const b = 1;\n"}, "import b from"),
    ({"a.js": 'import "./b.js";\n', "b.js": 'import "./a.js";\n'}, "import cycle a.js -> b.js -> a.js"),
])
def test_a_form_the_bundler_does_not_read_is_an_error(tmp_path, files, words):
    write(tmp_path, **files)
    with pytest.raises(onefile.BundleError, match=re.escape(words)):
        onefile.bundle("a.js", tmp_path)


@pytest.mark.parametrize("text, message", [
    ("2-1", "outside this run's 0-4"), ("0-5", "outside"), ("x", "not an iteration range"),
    ("1-", "not an iteration range"),
])
def test_iteration_ranges_are_checked(text, message):
    with pytest.raises(InvalidRequestError, match=message):
        onefile.parse_range(text, 5)


def test_the_csp_allows_exactly_the_pages_script_and_styles():
    store = RunStore(Settings())
    run_id = store.create(RunSpec(preset="micrograd-neuron", iterations=2)).run_id
    made = onefile.page(store, run_id, "0-1")
    html = made.html.decode()
    scripts = re.findall(r'<script type="module">(.*?)</script>', html, re.S)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    # the viewer's stylesheets as one (onefile.stylesheet), then the one-file page's own
    own = (onefile.STATIC / "css" / "onefile.css").read_text()
    assert len(scripts) == 1 and styles == [onefile.stylesheet(), own]

    def digest(text):
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src 'sha256-{digest(scripts[0])}'" in made.csp
    assert all(f"'sha256-{digest(s)}'" in made.csp for s in styles)
    assert "/static/" not in html and "<script src" not in html


def test_only_whole_comment_lines_are_left_out():
    text = ("/**\n * doc\n */\nconst a = 1; // kept\n  // gone\n/* c */ const b = 2;\n"
            "const s = `\n  /* inside */ text`;\n  /* one line */\nconst c = 3; /* kept */\n")
    assert onefile._lean(text) == ("const a = 1; // kept\n/* c */ const b = 2;\n"
                                   "const s = `\n  /* inside */ text`;\nconst c = 3; /* kept */\n")
