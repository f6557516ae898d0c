"""/docs works with no internet: every asset it loads is local (checked in a real Chromium)."""

from __future__ import annotations

import os
import re

import pytest
from apihelpers import API

CHROMIUM = "/usr/bin/chromium"


def test_docs_html_refers_only_to_local_urls(client):
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)""", page.text)
    assert urls, "the page loads its assets"
    for url in urls:
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url


def test_openapi_has_an_example_for_every_request_body(client):
    spec = client.get("/openapi.json").json()
    bodies = [op["requestBody"] for path in spec["paths"].values() for op in path.values()
              if "requestBody" in op]
    assert bodies
    for body in bodies:
        if "application/octet-stream" in body["content"]:  # a file's bytes: said in words
            assert body.get("description"), body
            continue
        schema = body["content"]["application/json"]["schema"]
        ref = schema["$ref"].rsplit("/", 1)[-1]
        assert spec["components"]["schemas"][ref].get("examples"), ref


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium")
def test_docs_render_in_chromium_with_the_network_blocked(live_server):
    from playwright.sync_api import sync_playwright

    blocked = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"],
        )
        page = browser.new_page()

        def only_local(route):
            if route.request.url.startswith(live_server):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.goto(f"{live_server}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        browser.close()
    assert f"{API}/runs" in paths
    assert any(path.endswith("/tensors/{node_id}/{which}") for path in paths)
    assert blocked == []
