"""What bench/frontend.py times in the viewer, each as a user does it: a page opened (empty
cache) and its first drawn graph, playing, scrubbing every step, expanding and collapsing
groups, a cold run's loss chart, the "Check gradients" panel; and over HTTP, the iteration
document's size and fresh POSTs. Each returns the raw figures; bench/frontend.py prints them
against their targets.
"""

from __future__ import annotations

import time

import httpx

from bench.browser import (
    PAGE_WEIGHT,
    START_FRAMES,
    STOP_FRAMES,
    create,
    frames_for,
    open_page,
    set_speed,
    until,
)

LOSS_ITERATIONS = 500

# Runs before any page script: remembers when the loss chart first draws a point and when it
# first draws `window.__lossWanted` of them (ms since navigation start).
LOSS_PROBE = """
(() => {
  const drawn = () => {
    const chart = document.querySelector('#losses svg.loss-chart');
    if (!chart) return 0;
    let n = chart.querySelectorAll('circle.loss-point').length;
    for (const line of chart.querySelectorAll('polyline.loss-line')) {
      n += line.getAttribute('points').trim().split(/\\s+/).length;
    }
    return n;
  };
  const seen = () => {
    const n = drawn();
    if (n > 0 && window.__lossFirst === undefined) window.__lossFirst = performance.now();
    if (n >= (window.__lossWanted || Infinity) && window.__lossAll === undefined) {
      window.__lossAll = performance.now();
    }
  };
  new MutationObserver(seen).observe(document, {subtree: true, childList: true, attributes: true,
                                               attributeFilter: ['points']});
})();
"""


#: clicks "Check gradients" and waits for its table's rows to be drawn (or its error said);
#: returns [ms from the click to the frame after, the panel's status line]
GRADCHECK_OPEN = """
async () => {
  const start = performance.now();
  document.getElementById('btn-gradcheck').click();
  const status = document.getElementById('gradcheck-status');
  const done = () => document.querySelector('#gradcheck-table tbody tr[data-check]')
    || status.textContent.startsWith('Could not');
  while (!done()) await new Promise((r) => requestAnimationFrame(r));
  await new Promise((r) => requestAnimationFrame(r));
  return [performance.now() - start, status.textContent];
}
"""


# Scrubs every step with the scrubber, one input event a frame, and waits for each step to be
# drawn; returns the ms from each input to the frame after its step was drawn.
SCRUB_ALL = """
async (last) => {
  const scrubber = document.getElementById('scrubber');
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const took = [];
  for (let k = 0; k <= last; k += 1) {
    const start = performance.now();
    scrubber.value = String(k);
    scrubber.dispatchEvent(new Event('input'));
    while (document.body.dataset.step !== String(k)) await new Promise((r) => setTimeout(r, 0));
    await nextFrame();
    took.push(performance.now() - start);
  }
  return took;
}
"""


# Clicks a collapsed group's box (expand) or an expanded group's tab (collapse) and returns the
# ms until the frame after the new drawing (body[data-collapsed] changes once it is drawn);
# `hover` ms of pointing at it first (the page then asks for the layout before the click).
TOGGLE_GROUP = """
async ([name, expand, hover]) => {
  const selector = expand ? `#graph g.node[data-group="${CSS.escape(name)}"]`
    : `#graph g.group-tab[data-group="${CSS.escape(name)}"]`;
  const target = document.querySelector(selector);
  if (!target) return null;
  if (hover) {
    target.dispatchEvent(new PointerEvent("pointerenter"));
    await new Promise((r) => setTimeout(r, hover));
  }
  const before = document.body.dataset.collapsed;
  const start = performance.now();
  target.dispatchEvent(new MouseEvent("click", { bubbles: true }));
  while (document.body.dataset.collapsed === before) await new Promise((r) => setTimeout(r, 0));
  await new Promise((r) => requestAnimationFrame(r));
  return performance.now() - start;
}
"""


def measure(browser, base: str, run: dict, speed: float, loads: int, off_host: list[str]) -> dict:
    """First drawn graph, page weight, and frames while the forward and backward phases play."""
    last_backward = run["phases"]["backward"][1]
    first_graph = []
    for _ in range(loads):  # the first load also fills the server's per-worker state cache
        page, ready_ms, fetched = open_page(browser, base, run, off_host)
        first_graph.append(ready_ms)
        if len(first_graph) < loads:
            page.context.close()
    drawn = page.locator("#graph svg g.node").count()
    entries = page.evaluate(PAGE_WEIGHT)

    set_speed(page, speed)
    idle = frames_for(page, 2000)  # the same page doing nothing: the browser's own frame clock

    page.evaluate(START_FRAMES)
    started = time.perf_counter()
    page.keyboard.press(" ")
    page.wait_for_selector('#btn-play[aria-pressed="true"]', timeout=5000)
    per_step_ms = 1100 / speed
    timeout = (last_backward + 10) * per_step_ms * 3 + 30000
    page.wait_for_function(f"() => Number(document.body.dataset.step) >= {last_backward}",
                           timeout=timeout)
    page.wait_for_timeout(per_step_ms * 0.8)  # the last backward step's animation
    frames = page.evaluate(STOP_FRAMES)
    played_s = time.perf_counter() - started
    page.keyboard.press(" ")
    page.context.close()

    assets = [e for e in entries if e["type"] in ("navigation", "script", "link", "css")
              or e["name"].split("?")[0].endswith((".js", ".css"))]
    return {
        "drawn": drawn, "first_graph": first_graph, "frames": frames, "idle": idle,
        "played_s": played_s, "decoded": sum(fetched.values()), "files": len(fetched),
        "wire": sum(e["transfer"] for e in assets),
    }


def measure_deep(browser, base: str, run: dict, speed: float, play_s: float, off_host: list[str]) -> dict:
    """On the 48-layer MLP: API requests and frames while scrubbing the whole iteration, then
    frames while playing at `speed` (half the time from the forward phase's start, half from
    the backward phase's) against the same page idle."""
    page, ready_ms, _ = open_page(browser, base, run, off_host)
    page.wait_for_load_state("networkidle")  # the first load's script, losses and presets
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/v1/" in r.url else None)
    last = run["steps_per_iteration"] - 1
    page.evaluate(START_FRAMES)
    started = time.perf_counter()
    per_step = page.evaluate(SCRUB_ALL, last)
    scrub_s = time.perf_counter() - started
    scrub_frames = page.evaluate(STOP_FRAMES)
    reached = int(page.get_attribute("body", "data-step"))
    scrub_requests = list(requests)

    set_speed(page, speed)
    page.keyboard.press("Home")
    until(page, "document.body.dataset.step === '0'", 5)
    idle = frames_for(page, 2000)
    play: list[float] = []
    for phase in ("forward", "backward"):
        page.click(f'button.phase[data-phase="{phase}"]')
        until(page, f"document.body.dataset.step === '{run['phases'][phase][0]}'", 5)
        page.evaluate(START_FRAMES)
        page.keyboard.press(" ")
        page.wait_for_timeout(play_s * 1000 / 2)
        play += page.evaluate(STOP_FRAMES)
        page.keyboard.press(" ")
    page.context.close()
    return {"ready_ms": ready_ms, "scrub_s": scrub_s, "per_step": per_step,
            "scrub_frames": scrub_frames, "reached": reached, "last": last,
            "scrub_requests": scrub_requests, "idle": idle, "play": play,
            "requests_while_playing": len(requests) - len(scrub_requests)}


def measure_groups(browser, base: str, run: dict, off_host: list[str], groups: int = 4) -> dict:
    """On a graph with groups: how many nodes the page draws first, then the ms from a click to
    the next frame when expanding a group and collapsing it again: `groups` groups clicked
    at once (the expand waits for the server's layout of the new set; the collapse draws one
    already fetched), then `groups` others pointed at for 300 ms first, as a mouse does."""
    page, ready_ms, _ = open_page(browser, base, run, off_host)
    drawn = page.locator("#graph svg g.node").count()
    if page.locator("#graph g.node.stack").count():  # identical groups stacked: a box each
        page.locator("#graph g.node.stack").first.click()
        page.wait_for_selector("#graph g.node.stack", state="detached")
    names = [g for g in (page.get_attribute("body", "data-collapsed") or "").split(",") if g]
    found: dict[str, list[float]] = {"expand": [], "collapse": [], "expand_hover": []}
    for i, name in enumerate(names[: 2 * groups]):
        hover = 300 if i >= groups else 0
        found["expand_hover" if hover else "expand"].append(
            page.evaluate(TOGGLE_GROUP, [name, True, hover]))
        found["collapse"].append(page.evaluate(TOGGLE_GROUP, [name, False, 0]))
    page.context.close()
    return {"ready_ms": ready_ms, "drawn": drawn, "collapsed": len(names),
            **{k: [v for v in vs if v is not None] for k, vs in found.items()}}


def measure_seed_first(browser, base: str, loads: int, off_host: list[str]) -> list[float]:
    """ms from navigation start to the first drawn graph of `/` (the seed network), each load
    in a fresh context (an empty browser cache); the server's run cache is warm after the
    first."""
    took = []
    for _ in range(loads):
        page, ready_ms, _ = open_page(browser, base, None, off_host)
        took.append(ready_ms)
        page.context.close()
    return took


def measure_losses(browser, base: str, off_host: list[str]) -> dict:
    """A cold run of LOSS_ITERATIONS iterations of the seed network (a seed no run had), opened
    in the page at once: ms from navigation start to its loss chart's first point, and to its
    last."""
    run = create(base, {"preset": "pytorch-numpy-two-layer", "iterations": LOSS_ITERATIONS,
                        "seed": int(time.time() * 1000) % 1_000_000_000})
    wanted = f"window.__lossWanted = {LOSS_ITERATIONS};"
    page, ready_ms, _ = open_page(browser, base, run, off_host, (wanted, LOSS_PROBE))
    until(page, "window.__lossAll !== undefined || document.querySelector('#losses .chart-error')", 600)
    first, last, error = page.evaluate(
        "[window.__lossFirst, window.__lossAll, document.querySelector('#losses .chart-error')?.textContent]")
    page.context.close()
    return {"ready_ms": ready_ms, "first": first if first is not None else float("nan"),
            "all": last if last is not None else float("nan"), "error": error}


def measure_gradcheck(browser, base: str, off_host: list[str], loads: int) -> list[tuple[float, str]]:
    """The "Check gradients" panel on a fresh seed network run (a seed no run had: nothing of it
    cached), opened in the page once its graph is drawn: ms from the click to the frame after
    its table's rows are drawn (both dtypes asked for, as the panel does), and any error."""
    took = []
    for _ in range(loads):
        run = create(base, {"preset": "pytorch-numpy-two-layer",
                            "seed": int(time.time() * 1000) % 1_000_000_000})
        page, _, _ = open_page(browser, base, run, off_host)
        ms, status = page.evaluate(GRADCHECK_OPEN)
        took.append((ms, status))
        page.context.close()
    return took


def document_sizes(base: str, run_id: str) -> tuple[int, int, str]:
    """Bytes of iteration 0's document: uncompressed, and as served to a client taking gzip
    (with the Content-Encoding it came in)."""
    url = f"{base}/api/v1/runs/{run_id}/iterations/0"
    with httpx.Client(timeout=300) as client:
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        plain.raise_for_status()
        with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
            response.raise_for_status()
            wire = sum(len(chunk) for chunk in response.iter_raw())
            encoding = response.headers.get("content-encoding", "identity")
    return len(plain.content), wire, encoding


def timed_posts(base: str, body: dict, repeats: int = 3) -> list[float]:
    """Seconds of fresh POSTs of `body` (a new seed each: a new run id, nothing cached) over
    loopback: the server's time to validate, build and lay out the run, plus a round trip."""
    took = []
    for i in range(repeats):
        started = time.perf_counter()
        create(base, {**body, "seed": 1000 + i})
        took.append(time.perf_counter() - started)
    return took
