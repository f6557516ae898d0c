/**
 * The viewer driven by the page that embeds it (a slide deck's iframe), by postMessage:
 * `{"type": "gradwalk:step", "step": k}` (and optionally `"iteration": t`), `"gradwalk:next"`,
 * `"gradwalk:prev"`. It answers `"gradwalk:ready"` once its first state is drawn and
 * `"gradwalk:step"` (step, iteration, phase, narration) after every state drawn. It moves the
 * viewer through its own controls, so a message does exactly what a click does; it reads what
 * is drawn from the page (docs/viewer-dom.md), never from the player's internals.
 */

const $ = (id) => document.getElementById(id);

/** Listen to the embedding page `parent` (nothing happens in a page that is not embedded). */
export function bindEmbedding(parent = window.parent) {
  if (!parent || parent === window) return;
  const say = (message) => parent.postMessage(message, "*");
  window.addEventListener("message", (e) => {
    if (e.source !== parent || typeof e.data !== "object" || e.data === null) return;
    const { type } = e.data;
    if (type === "gradwalk:next") $("btn-forward").click();
    else if (type === "gradwalk:prev") $("btn-back").click();
    else if (type === "gradwalk:step") goTo(e.data, say);
  });
  let last = null;
  new MutationObserver(() => {
    const { ready, iter, step, phase, words } = document.body.dataset;
    // a step the scrubber passes draws its words once it rests (data-words="pending" until then)
    if (ready !== "1" || words === "pending" || `${iter}/${step}` === last) return;
    if (last === null) say({ type: "gradwalk:ready", iteration: Number(iter), step: Number(step) });
    last = `${iter}/${step}`;
    say({ type: "gradwalk:step", iteration: Number(iter), step: Number(step), phase,
      narration: $("narration").textContent });
  }).observe(document.body, { attributes: true, attributeFilter: ["data-ready", "data-iter", "data-step", "data-words"] });
}

/** Step k (of iteration t, if given): the next step animated, as the ▶▶ button does. */
function goTo({ step, iteration }, say) {
  const whole = (x) => Number.isInteger(x) && x >= 0;
  if (!whole(step) || (iteration !== undefined && !whole(iteration))) {
    say({ type: "gradwalk:error", message: "gradwalk:step wants a whole number `step` >= 0 "
      + "(and optionally `iteration`)" });
    return;
  }
  const { iter, step: now } = document.body.dataset;
  if (iteration !== undefined && iteration !== Number(iter)) {
    $("iteration").value = String(iteration);
    $("iteration").dispatchEvent(new Event("change"));
  } else if (step === Number(now) + 1) {
    $("btn-forward").click();
    return;
  }
  const scrubber = $("scrubber");
  scrubber.value = String(step);
  scrubber.dispatchEvent(new Event("input"));
}
