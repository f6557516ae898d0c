"""The viewer's modules served as one script, its stylesheets as one: the page names each by its
digest, the script is the one-file bundler's bundle of main.js, the stylesheet the viewer's
stylesheets in their order; both cached for good, gzipped when asked; a file changed makes a
new one."""

from __future__ import annotations

import gzip
import re

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.web import onefile, viewerscript


def served(client, pattern: str, kind: str, media: str):
    """The one file the page links by `pattern`, as served: a digest's name, cached for good, gzipped
    when asked. Returns its URL and its plain response."""
    found = re.findall(pattern, client.get("/").text)
    assert len(found) == 1
    (url,) = found
    assert re.fullmatch(rf"/static/viewer/[0-9a-f]{{16}}\.{kind}", url)
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith(media)
    assert "immutable" in plain.headers["cache-control"]
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # the client undoes the gzip
    return url, plain


def test_the_page_loads_the_viewer_as_one_bundled_script():
    client = TestClient(create_app())
    assert "modulepreload" not in client.get("/").text
    url, plain = served(client, r'<script[^>]*src="([^"]+)"', "js", "text/javascript")
    assert plain.text == onefile.bundle("main.js")
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


def test_the_page_loads_the_viewers_stylesheets_as_one_in_their_order():
    client = TestClient(create_app())
    url, plain = served(client, r'<link rel="stylesheet" href="([^"]+)"', "css", "text/css")
    text = plain.text
    # every stylesheet whole, in the order the page used to link them one by one
    at = [text.index(f"/* {name} */\n" + (onefile.STATIC / "css" / name).read_text().rstrip())
          for name in onefile.STYLESHEETS]
    assert at == sorted(at) and len(onefile.STYLESHEETS) == 8
    assert client.get("/static/viewer/0000000000000000.css").status_code == 404
    assert client.get(url.replace(".css", ".js")).status_code == 404  # the digest names one file


def test_a_changed_stylesheet_makes_a_new_one(tmp_path, monkeypatch):
    for name in onefile.STYLESHEETS:
        (tmp_path / name).write_text(f".{name.split('.')[0]} {{ color: red; }}\n")
    monkeypatch.setattr(viewerscript, "CSS", tmp_path)
    first = viewerscript.viewer_style()
    assert viewerscript.viewer_style() is first
    (tmp_path / "room.css").write_text(".room { color: blue; }\n")
    second = viewerscript.viewer_style()
    assert second.digest != first.digest and b".room { color: blue; }" in second.text
    assert gzip.decompress(second.gzipped) == second.text


def test_a_stylesheet_that_cannot_be_joined_is_refused(tmp_path):
    for name in onefile.STYLESHEETS:
        (tmp_path / name).write_text("a { color: red; }\n")
    (tmp_path / "fit.css").write_text('@import "other.css";\n')
    with pytest.raises(onefile.BundleError, match="fit.css"):
        onefile.stylesheet(tmp_path)
