"""Where a user waits (issue 24): scrubbing draws the graph at every step it passes but the
words (formula, code, narration) only where it rests, and nothing else on the page changes size
meanwhile; the loss chart draws a run's first losses before the rest has trained, on an axis
that spans every iteration, and the rest page by page."""

from __future__ import annotations

from bench.graphs import deep_mlp_source

from .conftest import create_run, open_run, until

# Scrubs steps 1..last one input a frame (as a dragged scrubber sends them) and counts, meanwhile,
# the narration's and chain-rule card's changes and the charts' size changes.
SCRUB = """
async (last) => {
  const seen = { words: 0, resized: 0, steps: [], rests: 0 };
  let before = null;
  const words = new MutationObserver((records) => { seen.words += records.length; });
  for (const id of ['narration', 'chain']) {
    words.observe(document.getElementById(id), { childList: true, subtree: true, characterData: true });
  }
  let first = true;
  const sizes = new ResizeObserver(() => { if (!first) seen.resized += 1; first = false; });
  for (const svg of document.querySelectorAll('#charts svg')) sizes.observe(svg);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  first = false;
  const scrubber = document.getElementById('scrubber');
  for (let k = 1; k <= last; k += 1) {
    const now = performance.now();
    if (before !== null && now - before > 100) seen.rests += 1;  // a loaded machine's long frame
    before = now;
    scrubber.value = String(k);
    scrubber.dispatchEvent(new Event('input'));
    await new Promise((r) => requestAnimationFrame(r));
    seen.steps.push(document.body.dataset.step);
  }
  words.disconnect();
  sizes.disconnect();
  return seen;
}
"""


def test_scrubbing_draws_each_step_and_the_words_only_where_it_rests(guard, server, api):
    page = guard
    run = create_run(api, source=deep_mlp_source(12), iterations=2, lr=0.01)
    open_run(page, server, run["run_id"])
    until(page, "!document.getElementById('graph').hasAttribute('data-moving')")
    until(page, "document.querySelector('#memory svg rect')")  # the ledger drawn
    last = 60
    seen = page.evaluate(SCRUB, last)
    # the graph follows every input, one step a frame
    assert seen["steps"] == [str(k) for k in range(1, last + 1)]
    # the words of the steps passed were never written (the old viewer wrote them 60 times,
    # 272 changes), except where a frame was so long the scrubber rested (a loaded machine)
    assert seen["words"] <= 2 + 8 * seen["rests"], seen
    # nothing in the dock changed size (a longer "held for backward" list widened its column
    # and redrew both charts, every bar of the ledger, at every step)
    assert seen["resized"] == 0, seen["resized"]
    # at rest, the words are the step's own
    until(page, "!document.body.hasAttribute('data-words')")
    state = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"][last]
    assert page.text_content("#narration") == state["narration"]
    until(page, "window.location.search.includes('step=60')")  # the link too, once


def test_the_loss_chart_draws_the_first_losses_before_the_rest_has_trained(guard, server, api):
    page = guard
    run = create_run(api, preset="pytorch-numpy-two-layer", iterations=100,
                     params={"N": 8, "D_in": 20, "H": 10, "D_out": 10}, seed=77)
    losses = api.get(f"/runs/{run['run_id']}/losses").json()["losses"]
    held = []
    asked = []

    def hold(route):  # the pages after the first wait until the test lets them go
        asked.append(route.request.url.split("/losses")[1])
        if "start=0&" in route.request.url:
            route.continue_()
        else:
            held.append(route)

    page.route(f"**/runs/{run['run_id']}/losses*", hold)
    open_run(page, server, run["run_id"])
    until(page, "document.querySelector('#losses polyline.loss-line')")
    points = page.get_attribute("#losses polyline.loss-line", "points").split()
    assert len(points) == 16  # the first page, drawn alone
    # on an axis for all 100 iterations: the 16th point is at a sixth of the way, not the end
    box = page.locator("#losses svg").bounding_box()
    assert float(points[-1].split(",")[0]) < box["width"] / 3
    while len(points) < 100:  # each page let go in turn: the curve grows
        page.wait_for_timeout(50)
        for route in held:
            route.continue_()
        held.clear()
        grown = page.get_attribute("#losses polyline.loss-line", "points").split()
        # the points drawn stay where they were along the axis (the loss axis may rescale)
        xs = [q.split(",")[0] for q in points]
        assert len(grown) >= len(points) and [q.split(",")[0] for q in grown[:len(points)]] == xs
        points = grown
    assert asked == ["?start=0&stop=16", "?start=16&stop=32", "?start=32&stop=64",
                     "?start=64&stop=100"]
    # the server's losses, in order: a higher loss is drawn higher (a smaller y)
    ys = [float(p.split(",")[1]) for p in points]
    for i in range(99):
        if losses[i] != losses[i + 1]:
            assert (ys[i] < ys[i + 1]) == (losses[i] > losses[i + 1]), i
