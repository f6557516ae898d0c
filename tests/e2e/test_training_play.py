"""Watching training, not just one iteration: → from an iteration's last step goes on to the
next iteration's first (← back again), and Play can play training — the update steps of
iteration after iteration, the loss curve's marker moving along.
"""

from __future__ import annotations

from .conftest import create_run, open_run, until, wait_step

SMALL_SEED = {"preset": "pytorch-numpy-two-layer", "iterations": 300,
              "params": {"N": 8, "D_in": 20, "H": 6, "D_out": 3}}


# records body[data-iter] at every change (the iterations drawn, in turn)
SEEN_ITERATIONS = """
() => {
  window.seenIterations = [document.body.dataset.iter];
  new MutationObserver(() => {
    const t = document.body.dataset.iter;
    if (t !== window.seenIterations.at(-1)) window.seenIterations.push(t);
  }).observe(document.body, { attributes: true, attributeFilter: ['data-iter'] });
}
"""


def marker_x(page) -> float:
    transform = page.get_attribute("#losses .loss-marker", "transform") or ""
    return page.evaluate("(t) => { const m = /translate\\(([-\\d.]+)/.exec(t); "
                         "return m ? Number(m[1]) : NaN; }", transform)


def test_right_arrow_at_the_last_step_goes_to_the_next_iteration(guard, server, api):
    page = guard
    run = create_run(api, **SMALL_SEED)
    last = run["steps_per_iteration"] - 1
    open_run(page, server, run["run_id"], 0, last)
    page.keyboard.press("ArrowRight")
    wait_step(page, 1, 0)
    assert page.input_value("#iteration") == "1"
    # the first step of iteration 1 holds the parameters the last step of iteration 0 made
    state = api.get(f"/runs/{run['run_id']}/iterations/1/steps/0").json()
    before = api.get(f"/runs/{run['run_id']}/iterations/0/steps/{last}").json()
    assert state["nodes"]["w1"]["value"]["norm"] == before["nodes"]["w1"]["value"]["norm"]
    page.keyboard.press("ArrowLeft")
    wait_step(page, 0, last)
    # the very last step of the run stays where it is
    open_run(page, server, run["run_id"], run["iterations"] - 1, last)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    wait_step(page, run["iterations"] - 1, last - 1)


def test_play_training_moves_the_loss_marker_through_the_iterations(guard, server, api):
    page = guard
    run = create_run(api, **SMALL_SEED)
    update = run["phases"]["update"]
    open_run(page, server, run["run_id"])
    until(page, "document.querySelector('#losses .loss-marker')")
    start = marker_x(page)
    page.click("#btn-scope")
    assert page.get_attribute("#btn-scope", "aria-pressed") == "true"
    assert page.get_attribute("body", "data-play-scope") == "training"
    page.keyboard.press("Space")
    assert page.get_attribute("#btn-play", "aria-pressed") == "true"
    phases, iterations = set(), []
    for _ in range(400):
        at = page.evaluate("() => [Number(document.body.dataset.iter), Number(document.body.dataset.step), "
                           "document.body.dataset.phase]")
        iterations.append(at[0])
        if at[0] > 0:
            phases.add(at[2])
            assert update[0] <= at[1] <= update[1], at
        if at[0] >= 20:
            break
        page.wait_for_timeout(100)
    assert iterations[-1] >= 20, iterations[-5:]
    assert phases == {"update"}
    # iteration after iteration, never backwards
    assert iterations == sorted(iterations)
    assert marker_x(page) > start
    page.keyboard.press("Space")
    assert page.get_attribute("#btn-play", "aria-pressed") == "false"
    # T switches back: Play plays this iteration's steps and stops at its end
    page.keyboard.press("t")
    assert page.get_attribute("#btn-scope", "aria-pressed") == "false"
    t = int(page.get_attribute("body", "data-iter"))
    page.keyboard.press("End")
    wait_step(page, t, run["steps_per_iteration"] - 1)
    assert page.get_attribute("body", "data-iter") == str(t)


def test_play_training_from_the_last_iteration_starts_again(guard, server, api):
    page = guard
    run = create_run(api, **{**SMALL_SEED, "iterations": 4})
    update = run["phases"]["update"]
    open_run(page, server, run["run_id"], 3, update[1])
    # every iteration drawn, as the page draws it: polling from here can miss one shown for
    # 180 ms on a loaded machine
    page.evaluate(SEEN_ITERATIONS)
    page.keyboard.press("t")
    page.keyboard.press("Space")
    until(page, "document.getElementById('btn-play').getAttribute('aria-pressed') === 'false'", 30)
    seen = [int(t) for t in page.evaluate("() => window.seenIterations")]
    # it started again from iteration 0, went on (every iteration, or every stride-th when the
    # server lags), never back, and stopped at the end of the last one
    assert seen[:2] == [3, 0], seen
    assert seen[1:] == sorted(set(seen[1:])) and seen[-1] == 3, seen
    assert page.get_attribute("#btn-play", "aria-pressed") == "false"
    assert page.get_attribute("body", "data-iter") == "3"
    assert page.get_attribute("body", "data-step") == str(update[1])
