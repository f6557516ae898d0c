"""The viewer's modules served as one script: the page names it by its digest, it is the
one-file bundler's bundle of main.js, cached for good, gzipped when asked; a module changed
makes a new one."""

from __future__ import annotations

import gzip
import re

from fastapi.testclient import TestClient

from app.main import create_app
from app.web import onefile, viewerscript


def test_the_page_loads_the_viewer_as_one_bundled_script():
    client = TestClient(create_app())
    page = client.get("/").text
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert len(scripts) == 1 and "modulepreload" not in page
    (url,) = scripts
    assert re.fullmatch(r"/static/viewer/[0-9a-f]{16}\.js", url)
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith("text/javascript")
    assert "immutable" in plain.headers["cache-control"]
    assert plain.text == onefile.bundle("main.js")
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # the client undoes the gzip
    assert len(viewerscript.viewer_script().gzipped) < len(plain.content) / 3
    assert client.get("/static/viewer/0000000000000000.js").status_code == 404
    assert client.get("/static/js/main.js").status_code == 200  # the modules stay served


def test_a_changed_module_makes_a_new_script(tmp_path, monkeypatch):
    (tmp_path / "main.js").write_text('import { b } from "./b.js";\nconsole.log(b);\n')
    (tmp_path / "b.js").write_text("export const b = 1;\n")
    monkeypatch.setattr(viewerscript, "JS", tmp_path)
    first = viewerscript.viewer_script()
    assert viewerscript.viewer_script() is first  # made once while nothing changes
    (tmp_path / "b.js").write_text("export const b = 22;\n")
    second = viewerscript.viewer_script()
    assert second.digest != first.digest and b"const b = 22;" in second.text
    assert gzip.decompress(second.gzipped) == second.text
