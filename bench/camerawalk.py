"""The lecture camera's walk through an iteration: every step (this script, slow) or a sample
(tests/e2e/test_camera.py, in CI). At each step visited, once the camera rests, the current
node (or its collapsed group's box) and the nodes the step sends to must be inside the graph's
box with labels of at least 24 px — in lecture mode at 1024×768, on a 40-layer tanh MLP typed
with a group per layer and a 100-layer one typed without groups.

A step is reached the way a lecturer reaches it: → from the step before, or the scrubber dragged
there (then the camera holds while dragged and frames the step once the words are written).

    PYTHONPATH=$PWD .venv/bin/python bench/camerawalk.py [--port 8765]

prints, per graph, the steps walked and those that failed; a script, not a test: it asserts
nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.path.insert(0, str(HERE.parent))

from bench.graphs import deep_mlp_source  # noqa: E402

#: the two graphs of issue 20, as POST /runs bodies
GRAPHS = {
    "grouped 40": {"source": deep_mlp_source(40), "iterations": 2},
    "ungrouped 100": {"source": deep_mlp_source(100, grouped=False), "iterations": 2},
}

#: the drawn node of each [id, its groups] (a member of a collapsed group: the group's box, or
#: the stack of identical groups it is in; null: the current node), where it is on screen and
#: how large its label is there
MEASURE = """(ids) => {
  const area = document.getElementById('graph').getBoundingClientRect();
  const stacks = [...document.querySelectorAll('g.node[data-stack]')];
  const drawn = ([id, groups]) => [id, ...groups].map((g) =>
    document.querySelector(`g.node[data-id="${CSS.escape(g)}"]`)
    ?? stacks.find((s) => s.dataset.stack.split(',').includes(g))).find(Boolean);
  return ids.map((id) => {
    const g = id === null ? document.querySelector('g.node.current') : drawn(id);
    if (!g) return { id, missing: true };
    const label = g.querySelector('.node-label');
    const r = g.querySelector('.box').getBoundingClientRect();
    const inside = r.left >= area.left - 1 && r.right <= area.right + 1
      && r.top >= area.top - 1 && r.bottom <= area.bottom + 1;
    const px = parseFloat(getComputedStyle(label).fontSize) * label.getScreenCTM().a;
    return { id, drawn: g.dataset.id, px, inside };
  });
}"""

#: the walk, in the page (808 round trips from Python would take minutes): `plan` lists
#: [k, how], how "step" (→ pressed) or "drag" (the scrubber moved to k, then left to rest);
#: after each, once the words are written and the camera has stopped, MEASURE of the current
#: node and the nodes the step sends to (`targets[k]`); returns the steps where one is missing,
#: out of view or under `readable` px
WALK = """async ([targets, plan, readable]) => {
  const measure = (""" + MEASURE + """);
  const bad = [];
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  const graph = document.getElementById('graph');
  for (const [k, how] of plan) {
    if (how === 'drag') {
      const scrubber = document.getElementById('scrubber');
      scrubber.value = String(k);
      scrubber.dispatchEvent(new Event('input'));
    } else {
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    }
    while (document.body.dataset.step !== String(k) || 'words' in document.body.dataset) await frame();
    await frame();
    await frame();
    while (graph.hasAttribute('data-moving')) await frame();
    if (targets[k] === null) continue;
    const nodes = measure([null, ...targets[k]]);
    if (nodes.some((n) => n.missing || !n.inside || n.px < readable - 0.5)) bad.push([k, how, nodes]);
  }
  return bad;
}"""

#: the nodes inside the graph's box and the smallest label among them
VISIBLE = """() => {
  const area = document.getElementById('graph').getBoundingClientRect();
  const seen = [...document.querySelectorAll('#graph g.node')].filter((g) => {
    const r = g.querySelector('.box').getBoundingClientRect();
    return r.right > area.left && r.left < area.right && r.bottom > area.top && r.top < area.bottom;
  });
  const px = seen.map((g) => { const l = g.querySelector('.node-label');
    return parseFloat(getComputedStyle(l).fontSize) * l.getScreenCTM().a; });
  return { count: seen.length, px: Math.min(...px), camera: document.getElementById('graph').dataset.camera };
}"""


def targets_of(run: dict, steps: list[dict]) -> list:
    """Per step: None (no node), else [[node the step sends to, its groups], ...]."""
    groups = {n["id"]: n.get("groups") or [] for n in run["graph"]["nodes"]}
    return [None if step["node"] is None else
            [[c["to"], groups[c["to"]]] for c in step.get("contributions") or []]
            for step in steps]


def every_step(steps: list[dict]) -> list:
    """→ from step 0 to the last."""
    return [[k, "step"] for k in range(1, len(steps))]


def sampled(run: dict, steps: list[dict], every: int = 7) -> list:
    """Every `every`-th step, reached by the scrubber; reached by → from the step before
    (itself reached by the scrubber unless it was just visited): the first step of each phase,
    each step into or out of the groups (the step's node in a group, the step before's in
    none, or the other way), and every `every`-th step from one group into the next."""
    groups = {n["id"]: tuple(n.get("groups") or ()) for n in run["graph"]["nodes"]}
    last = len(steps) - 1
    stepped_into = {first for first, _ in run["phases"].values()}
    crossings = [k for k in range(1, last + 1)
                 if groups.get(steps[k]["node"]) != groups.get(steps[k - 1]["node"])]
    inside = [k for k in crossings if groups.get(steps[k]["node"]) and groups.get(steps[k - 1]["node"])]
    stepped_into |= set(crossings) - set(inside) | set(inside[::every])
    picks = set(range(every, last + 1, every)) | stepped_into | {k - 1 for k in stepped_into}
    plan = []
    for k in sorted(p for p in picks if 0 < p <= last):
        reached = plan[-1][0] if plan else 0
        plan.append([k, "step" if k in stepped_into and reached == k - 1 else "drag"])
    return plan


def open_lecture(page, base: str, run_id: str, expanded: bool = False) -> None:
    """The run at step 0 in lecture mode at 1024×768 (`expanded`: every group too), the camera
    at rest."""
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{base}/?run={run_id}&iter=0&step=0&mode=lecture{'&collapsed=' if expanded else ''}")
    page.wait_for_selector('body[data-ready="1"][data-iter="0"][data-step="0"]', state="attached",
                           timeout=30000)
    page.wait_for_selector("#graph:not([data-moving])", state="attached")


def main() -> None:
    import httpx
    from playwright.sync_api import sync_playwright

    from app.serving.devserver import devserver

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eased", action="store_true", help="ease the camera (slower)")
    args = parser.parse_args()
    with devserver(["--log-level", "warning"]) as base, sync_playwright() as p, \
            httpx.Client(base_url=f"{base}/api/v1", timeout=300) as api:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, body in GRAPHS.items():
            run = api.post("/runs", json=body).json()
            steps = api.get(f"/runs/{run['run_id']}/iterations/0/steps").json()["steps"]
            page = browser.new_page()
            page.add_init_script("try { localStorage.setItem('gradwalk.tour.seen', '1'); } catch {}")
            if not args.eased:
                page.emulate_media(reduced_motion="reduce")
            open_lecture(page, base, run["run_id"])
            start = page.evaluate(VISIBLE)
            began = time.perf_counter()
            bad = page.evaluate(WALK, [targets_of(run, steps), every_step(steps), 24])
            took = time.perf_counter() - began
            print(f"{name}: {len(steps)} steps by →, {len(bad)} failed; step 0 shows "
                  f"{start['count']} nodes, smallest label {start['px']:.1f} px ({took:.0f} s)")
            for k, how, nodes in bad[:10]:
                print(f"  step {k} ({steps[k]['phase']}, {how}): {nodes}")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
