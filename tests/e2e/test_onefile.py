"""The one-file page (`gradwalk html`, `GET …/page.html`): opened from file:// with every
network request refused it draws the seed network and steps through the API's own states
without a request; a parent page drives it by postMessage; served by the API it runs under a
CSP that allows exactly its own inline script and styles.
"""

from __future__ import annotations

import re

import httpx
import pytest

from app.cli import main

from .conftest import ROOT, headline, until, wait_step
from .test_iteration import assert_merged_states_are_the_servers, drawn

SEED = "pytorch-numpy-two-layer"


@pytest.fixture(scope="module")
def walk(tmp_path_factory, api) -> dict:
    """The seed network's first 3 iterations as walk.html, and the API's run of the same body."""
    folder = tmp_path_factory.mktemp("onefile")
    path = folder / "walk.html"
    assert main(["html", SEED, "-o", str(path), "--iterations", "0-2"]) == 0
    run = api.post("/runs", json={"preset": SEED}).json()
    size = path.stat().st_size
    print(f"\none-file page of the seed network, 3 iterations: {size:,} bytes")
    assert size < 700_000, size  # lean: the viewer once, three iteration documents
    return {"path": path, "folder": folder, "run": run}


class Offline:
    """A page where only file:// loads: every other request is refused and recorded, as are
    console errors and page errors."""

    def __init__(self, page):
        self.page = page
        self.requests: list[str] = []
        self.refused: list[str] = []
        self.problems: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.route("**/*", self._route)

    def _route(self, route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()


def test_the_page_works_from_file_with_the_network_off(page, api, walk):
    offline = Offline(page)
    run_id = walk["run"]["run_id"]
    page.goto(walk["path"].as_uri())
    wait_step(page, 0, 0)
    assert page.url.startswith(walk["path"].as_uri())
    assert f"run={run_id}" in page.url  # the API's run id: the same body, the same run
    loaded = len(offline.requests)
    assert offline.requests == [walk["path"].as_uri()]

    steps = api.get(f"/runs/{run_id}/iterations/0/steps").json()["steps"]
    for k in range(1, 6):  # the keys step it, each state the API's
        page.keyboard.press("ArrowRight")
        wait_step(page, 0, k)
        assert page.inner_text("#narration") == steps[k]["narration"]
        state = api.get(f"/runs/{run_id}/iterations/0/steps/{k}").json()
        assert drawn(page) == {nid: (headline(s["value"]), headline(s["grad"]))
                               for nid, s in state["nodes"].items()}
    last = walk["run"]["steps_per_iteration"] - 1
    assert_merged_states_are_the_servers(page, api, run_id, 0, range(last + 1))
    assert_merged_states_are_the_servers(page, api, run_id, 2, (0, 9, last))
    # on into the next iteration, and the loss curve's iterations are the ones held
    page.keyboard.press("End")
    wait_step(page, 0, last)
    page.keyboard.press("ArrowRight")
    wait_step(page, 1, 0)
    assert page.get_attribute("#iteration", "max") == "2"
    assert page.locator("#chain math").count() >= 1
    assert len(offline.requests) == loaded and offline.refused == []
    assert offline.problems == []


def test_what_the_page_does_not_hold_is_said_not_fetched(page, tmp_path):
    offline = Offline(page)
    path = tmp_path / "later.html"
    assert main(["html", SEED, "-o", str(path), "--iterations", "1-2", "--lecture"]) == 0
    page.goto(path.as_uri())
    wait_step(page, 1, 0)
    assert page.locator("body.lecture.onefile").count() == 1
    assert page.locator("#run-form").is_hidden() and page.locator("#btn-gradcheck").is_hidden()
    page.keyboard.press("ArrowLeft")  # back from iteration 1's first step: iteration 0
    until(page, "document.getElementById('status').textContent.includes('not in this one-file page')")
    assert "holds iterations 1–2" in page.inner_text("#status")
    assert offline.requests == [path.as_uri()] and offline.refused == []


PARENT = """<!doctype html><meta charset="utf-8"><title>deck</title>
<iframe src="walk.html" width="1200" height="800"></iframe>
<script>
window.got = [];
window.addEventListener("message", (e) => window.got.push(e.data));
window.send = (message) => document.querySelector("iframe").contentWindow.postMessage(message, "*");
</script>"""


def test_a_parent_page_drives_it_by_post_message(page, api, walk):
    offline = Offline(page)
    parent = walk["folder"] / "deck.html"
    parent.write_text(PARENT)
    run_id = walk["run"]["run_id"]
    steps = api.get(f"/runs/{run_id}/iterations/0/steps").json()["steps"]
    page.goto(parent.as_uri())
    until(page, "window.got.some((m) => m.type === 'gradwalk:ready')", 20)
    frame = page.frame_locator("iframe")

    def said(k, t=0):
        until(page, f"window.got.some((m) => m.type === 'gradwalk:step' && m.step === {k} "
                    f"&& m.iteration === {t})")
        return [m for m in page.evaluate("window.got") if m.get("step") == k][-1]

    assert said(0)["narration"] == steps[0]["narration"]
    for k in (1, 2, 3):
        page.evaluate("window.send({type: 'gradwalk:next'})")
        assert said(k)["narration"] == steps[k]["narration"]
    page.evaluate("window.send({type: 'gradwalk:prev'})")
    page.wait_for_function("window.got.at(-1).step === 2")
    page.evaluate("window.send({type: 'gradwalk:step', step: 13})")
    message = said(13)
    assert message["narration"] == steps[13]["narration"] and message["phase"] == "backward"
    assert frame.locator("body").get_attribute("data-step") == "13"
    page.evaluate("window.send({type: 'gradwalk:step', step: 4, iteration: 2})")
    assert said(4, 2)["narration"] == api.get(
        f"/runs/{run_id}/iterations/2/steps").json()["steps"][4]["narration"]
    page.evaluate("window.send({type: 'gradwalk:step', step: 'x'})")
    until(page, "window.got.at(-1).type === 'gradwalk:error'")
    assert offline.refused == [] and offline.problems == []


def test_served_page_runs_under_its_own_hashes(page, server, api, walk):
    run_id = walk["run"]["run_id"]
    url = f"{server}/api/v1/runs/{run_id}/page.html?iterations=0-1"
    response = httpx.get(url, timeout=120)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe" not in csp
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)", csp)
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    wait_step(page, 0, 0)
    page.keyboard.press("ArrowRight")
    wait_step(page, 0, 1)
    assert problems == [] and requests == [url]
    # a changed script would not run: the hash is of exactly this one
    bad = httpx.get(f"{server}/api/v1/runs/{run_id}/page.html?iterations=0-99")
    assert bad.status_code == 422 and "at most 20" in bad.json()["error"]["message"]


#: what examples/reveal-gradwalk.js uses of reveal.js (`Reveal.on`, `Reveal.initialize`), so
#: the example's glue runs without reveal.js (which the user supplies); `advance` shows the
#: next fragment of the current slide as reveal.js would
REVEAL_STAND_IN = """window.Reveal = {
  handlers: {},
  on(name, f) { (this.handlers[name] ||= []).push(f); },
  fire(name, detail) { for (const f of this.handlers[name] || []) f(detail); },
  initialize() { this.slide = document.querySelectorAll("section")[1]; },
  advance() {
    const fragment = this.slide.querySelector(".fragment:not(.visible)");
    fragment.classList.add("visible");
    this.fire("fragmentshown", { fragment });
  },
  retreat() {
    const fragment = [...this.slide.querySelectorAll(".fragment.visible")].at(-1);
    fragment.classList.remove("visible");
    this.fire("fragmenthidden", { fragment });
  },
};
"""


def test_the_reveal_example_makes_each_fragment_one_step(page, walk):
    offline = Offline(page)
    deck = walk["folder"]
    (deck / "reveal.js" / "dist").mkdir(parents=True, exist_ok=True)
    (deck / "reveal.js" / "dist" / "reveal.js").write_text(REVEAL_STAND_IN)
    (deck / "reveal.js" / "dist" / "reveal.css").write_text("")
    (deck / "reveal.js" / "dist" / "theme").mkdir(exist_ok=True)
    (deck / "reveal.js" / "dist" / "theme" / "white.css").write_text("")
    root = walk["path"].parent
    for name in ("reveal-gradwalk.html", "reveal-gradwalk.js"):
        (root / name).write_text((ROOT / "examples" / name).read_text())
    page.goto((root / "reveal-gradwalk.html").as_uri())
    frame = page.frame_locator("iframe.gradwalk")
    frame.locator('body[data-ready="1"][data-step="0"].lecture').wait_for(timeout=20000)
    for k in (1, 2, 3):
        page.evaluate("Reveal.advance()")
        frame.locator(f'body[data-step="{k}"]').wait_for()
    page.evaluate("Reveal.retreat()")
    frame.locator('body[data-step="2"]').wait_for()
    assert page.locator("section .fragment").count() == walk["run"]["steps_per_iteration"] - 1
    assert offline.refused == [] and offline.problems == []
