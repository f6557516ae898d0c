"""`/` names the seed network's run and preloads its two documents, so the browser asks for
them while the viewer's script loads; a link that names a run preloads nothing."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from app.main import create_app
from app.web.pages import SEED_PRESET, seed_run_id


def preloads(page: str) -> list[str]:
    return [html.unescape(href) for href in
            re.findall(r'<link rel="preload" as="fetch" crossorigin href="([^"]+)">', page)]


def test_the_page_names_the_run_a_post_of_the_seed_preset_makes():
    client = TestClient(create_app())
    made = client.post("/api/v1/runs", json={"preset": SEED_PRESET})
    assert made.status_code == 201
    run_id = made.json()["run_id"]
    assert seed_run_id() == run_id
    page = client.get("/").text
    assert f'<meta name="gradwalk-seed-run" content="{run_id}">' in page
    assert preloads(page) == [f"/api/v1/runs/{run_id}", f"/api/v1/runs/{run_id}/iterations/0"]
    # each preloaded URL is an answer of the run (the same bytes as the POST's document)
    for url in preloads(page):
        got = client.get(url)
        assert got.status_code == 200, url
    assert client.get(f"/api/v1/runs/{run_id}").content == made.content
    # lecture mode opens the seed network too
    assert preloads(client.get("/?mode=lecture").text) == preloads(page)


def test_a_link_to_a_run_preloads_nothing():
    client = TestClient(create_app())
    page = client.get("/?run=g1.abc&iter=0&step=3").text
    assert preloads(page) == [] and "gradwalk-seed-run" not in page
