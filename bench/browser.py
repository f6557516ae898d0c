"""How the front-end benchmarks drive the viewer: Debian's Chromium, launched so that nothing
leaves the machine; a fresh page (an empty cache) on a run, timed from navigation start to its
first drawn graph; the frame clock; polling the page; the server measured (this checkout's, on
a free port, or `--url`'s) and a run made on it. bench/viewer_timings.py times what a user does
with these, bench/frontend.py prints it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from app.serving.devserver import devserver

CHROMIUM = "/usr/bin/chromium"
# Chromium 156 (Debian's, installed 4 December) builds its omnibox popup, a WebUI page of about
# 400 modules in a renderer of its own, for every new browser context: beside each "empty
# cache" load the bench times, on the same two cores (a trace of one load of `/`: 405 of its
# 431 requests were chrome://omnibox-popup's). A visitor's browser built it once, long before
# opening the page; the bench leaves it out so that it times the viewer.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                 "--disable-features=PreloadTopChromeWebUI,WebUIOmniboxPopup,OmniboxWebUIPopup,"
                 "WebUIOmniboxFullPopup",
                 # every host but loopback through a proxy that is not there: nothing leaves
                 # the machine, and nothing on 127.0.0.1 waits for anything but the server
                 "--proxy-server=127.0.0.1:9"]
#: requests that could leave the machine (data: and blob: URLs are the page's own)
WEB_SCHEMES = ("http", "https", "ws", "wss")
SPEEDS = [0.25, 0.5, 1, 2, 4]  # static/js/player.js; `]` moves one up, the page starts at 1×

# Runs before any page script: remembers when body[data-ready] first becomes "1" (ms since
# navigation start, the origin of performance.now()).
READY_PROBE = """
(() => {
  const seen = () => {
    if (window.__readyAt === undefined && document.body && document.body.dataset.ready === '1') {
      window.__readyAt = performance.now();
    }
  };
  new MutationObserver(seen).observe(document, {subtree: true, attributes: true,
                                               attributeFilter: ['data-ready'], childList: true});
})();
"""


START_FRAMES = """
() => {
  const frames = window.__frames = [];
  const run = window.__frameRun = (window.__frameRun || 0) + 1;  // one recording loop at a time
  let last = null;
  const tick = (now) => {
    if (window.__frameRun !== run) return;
    if (last !== null) frames.push(now - last);
    last = now;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
"""


# Runs before any page script: the tour has been seen in this browser (as in tests/e2e).
TOUR_SEEN = "try { localStorage.setItem('gradwalk.tour.seen', '1'); } catch {}"

STOP_FRAMES = "() => { window.__frameRun = (window.__frameRun || 0) + 1; return window.__frames; }"


PAGE_WEIGHT = """
() => {
  const entries = [...performance.getEntriesByType('navigation'),
                   ...performance.getEntriesByType('resource')];
  return entries.map(e => ({name: e.name, type: e.initiatorType,
                            transfer: e.transferSize, encoded: e.encodedBodySize,
                            decoded: e.decodedBodySize}));
}
"""


def open_page(browser, base: str, run: dict | None, off_host: list[str], probes: tuple[str, ...] = ()):
    """A fresh context (empty cache) and page on `/?run=ID` (`/` without a run: the seed
    network the page makes itself), guarded to loopback, with the init scripts `probes`; returns
    the page, the ms from navigation start to `body[data-ready="1"]`, and the HTML/JS/CSS bytes."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()

    # seen, not intercepted: a route would pause every request until this process let it go
    # (a fetch of /healthz took 6-11 ms with one, 2-4.5 without; more when the cores are busy),
    # which no user's browser does. Chromium itself refuses any host but 127.0.0.1 (CHROMIUM_ARGS).
    def off_loopback(request):
        if request.url.split(":", 1)[0] in WEB_SCHEMES and not request.url.startswith(base):
            off_host.append(request.url)

    page.on("request", off_loopback)
    fetched: dict[str, int] = {}

    def on_response(response):
        if response.request.resource_type in ("document", "script", "stylesheet"):
            try:
                fetched[response.url] = len(response.body())
            except Exception:  # noqa: BLE001 - a redirect or an aborted body: no bytes
                fetched[response.url] = 0

    page.on("response", on_response)
    page.add_init_script(TOUR_SEEN)
    page.add_init_script(READY_PROBE)
    for probe in probes:
        page.add_init_script(probe)
    page.goto(f"{base}/?run={run['run_id']}&iter=0&step=0" if run else f"{base}/")
    page.wait_for_selector('body[data-ready="1"][data-step="0"]', timeout=120000)
    return page, page.evaluate("window.__readyAt"), fetched


def frames_for(page, ms: float) -> list[float]:
    page.evaluate(START_FRAMES)
    page.wait_for_timeout(ms)
    return page.evaluate(STOP_FRAMES)


def until(page, expression: str, timeout_s: float) -> None:
    """Poll a JS expression until true (page.wait_for_function evaluates strings, which the
    page's Content-Security-Policy may refuse)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise SystemExit(f"still false after {timeout_s:g} s: {expression}")
        page.wait_for_timeout(50)


def set_speed(page, speed: float) -> None:
    """Each `]` is one step up the player's speed table; the page starts at 1×."""
    for _ in range(SPEEDS.index(speed) - SPEEDS.index(1)):
        page.keyboard.press("]")
    until(page, f"document.getElementById('speed-label').textContent === '{speed:g}×'", 5)


def create(base: str, body: dict) -> dict:
    response = httpx.post(f"{base}/api/v1/runs", timeout=300, json=body)
    if response.status_code != 201:
        raise SystemExit(f"POST /runs: {response.status_code} {response.text}")
    return response.json()


@contextmanager
def served(url: str | None) -> Iterator[str]:
    """The base URL of the server measured: `url`, or this checkout's on a free port."""
    if url:
        yield url.rstrip("/")
        return
    with devserver(["--log-level", "warning"]) as base:
        yield base
