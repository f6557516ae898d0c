"""The page bench/frontend.py times: a request off 127.0.0.1 is refused and recorded, and no
request waits for the bench's own process (a Playwright route would pause each one until this
process let it go, adding its wait to every fetch timed)."""

from __future__ import annotations

import time

from bench.browser import CHROMIUM, CHROMIUM_ARGS, open_page

#: starts a fetch of `/healthz` and keeps, on the page, the ms it took once it is done
START_FETCH = """() => {
  const start = performance.now();
  window.__took = fetch('/healthz').then((r) => r.text()).then(() => performance.now() - start);
}"""


def test_the_bench_page_fetches_without_waiting_for_the_bench(playwright, server):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        off_host: list[str] = []
        page, ready_ms, fetched = open_page(browser, server, None, off_host)
        assert ready_ms > 0 and fetched  # the seed network drawn, its HTML, JS and CSS counted
        page.evaluate(START_FETCH)
        # while this process sleeps it handles nothing the browser sends it: a fetch that had
        # to wait for it would finish only after the sleep
        asleep = time.perf_counter()
        time.sleep(1.0)
        slept_ms = (time.perf_counter() - asleep) * 1000
        assert page.evaluate("() => window.__took") < slept_ms
        assert off_host == []

        # a page with no Content-Security-Policy of its own (the viewer's would stop the fetch
        # before it is a request): the request is seen, and Chromium refuses it
        page.goto(f"{server}/healthz")
        said = page.evaluate("""async () => {
          try { await fetch('http://example.com/gradwalk-bench', { mode: 'no-cors' }); return 'sent'; }
          catch (error) { return 'refused'; }
        }""")
        assert said == "refused"
        assert off_host == ["http://example.com/gradwalk-bench"]
        page.context.close()
    finally:
        browser.close()
