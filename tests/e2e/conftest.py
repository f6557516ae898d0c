"""Browser tests: a real uvicorn server (app.serving.devserver), the system Chromium, and guards on
every page.

Each page fails its test on a console error, a page error, a dialog (an injected script would
open one), or a request that leaves 127.0.0.1; a failing test leaves a screenshot in
test-results/.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from app.serving.devserver import devserver

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = ROOT / "test-results"
#: elements an injected markup would make: the page's own are its module scripts and the
#: room's QR code image
INJECTED = "img:not(#room-qr), script:not([type='module'])"



@pytest.fixture(autouse=True)
def _needs_chromium():
    """Without Debian's chromium (make test installs it) every browser test is a skip."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")


@pytest.fixture(scope="session")
def server() -> str:
    with devserver(["--log-level", "warning"]) as base:
        yield base


@pytest.fixture(scope="session")
def api(server):
    with httpx.Client(base_url=f"{server}/api/v1", timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def guard(page, request):
    """The page, watched: `problems` collects console errors, page errors, dialogs and
    requests off 127.0.0.1 (aborted). `expected` lists console texts a test provokes."""
    problems: list[str] = []
    page.expected = []
    # the first-visit tour stays away from every page of the test (test_tour opens its own)
    page.context.add_init_script("try { localStorage.setItem('gradwalk.tour.seen', '1'); } catch {}")

    def on_console(message):
        if message.type == "error" and not any(e in message.text for e in page.expected):
            problems.append(f"console: {message.text}")

    def on_dialog(dialog):
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def on_route(route):
        url = route.request.url
        if urlparse(url).hostname != "127.0.0.1":
            problems.append(f"request off 127.0.0.1: {url}")
            route.abort()
        else:
            route.continue_()

    def watch(other):
        """Watch another page of the test the same way."""
        other.expected = page.expected
        other.on("console", on_console)
        other.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        other.on("dialog", on_dialog)
        other.route("**/*", on_route)
        return other

    watch(page)
    page.problems = problems
    page.watch = watch
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is None or report.failed:
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{request.node.name}.png"), full_page=True)
    assert not problems, problems


def open_run(page, server: str, run_id: str, t: int = 0, k: int = 0, mode: str = "") -> None:
    suffix = f"&mode={mode}" if mode else ""
    page.goto(f"{server}/?run={run_id}&iter={t}&step={k}{suffix}")
    wait_step(page, t, k)


def wait_step(page, t: int, k: int) -> None:
    page.wait_for_selector(f'body[data-ready="1"][data-iter="{t}"][data-step="{k}"]', timeout=15000)


def until(page, expression: str, timeout: float = 10.0) -> None:
    """Poll a JS expression until it is true. (page.wait_for_function evaluates strings, which
    the viewer's Content-Security-Policy rightly refuses.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(f"() => Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)


def create_run(api, **body) -> dict:
    response = api.post("/runs", json=body)
    assert response.status_code == 201, response.text
    return response.json()


#: the seed network, small: quick to draw and to step through
SMALL_SEED = {"preset": "pytorch-numpy-two-layer", "iterations": 3,
              "params": {"N": 8, "D_in": 20, "H": 10, "D_out": 10}}


@pytest.fixture(scope="module")
def small_run(api) -> dict:
    return create_run(api, **SMALL_SEED)


def headline(summary):
    """The number a node shows: a one-element tensor's value, else the L2 norm (viewer-dom.md)."""
    if summary is None:
        return None
    if summary["size"] != 1:
        return summary["norm"]
    value = summary["values"]
    while isinstance(value, list):
        value = value[0]
    return value
