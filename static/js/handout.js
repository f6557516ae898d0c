/**
 * The handout: a step range of the iteration shown, printed (or saved as PDF) one step a page —
 * the graph, the narration, the chain-rule card with its numbers, the step's numpy line. Each
 * page is the viewer's own drawing at that step (the player goes there, the graph and the
 * card are copied), so nothing is drawn twice; print.css prints the pages and nothing else.
 * Owns the Handout dialog and the #handout pages; no math, no request.
 */

/** the most steps one handout holds (a page each) */
export const MAX_HANDOUT_STEPS = 200;
/** room around the whole graph on a page, in the drawing's units */
const MARGIN = 24;

const $ = (id) => document.getElementById(id);

export class Handout {
  constructor(ctx) {
    this.ctx = ctx;
    this.dialog = $("handout-dialog");
    this.pages = $("handout");
    $("btn-handout").addEventListener("click", () => this.open());
    $("btn-handout-cancel").addEventListener("click", () => this.dialog.close());
    $("handout-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
  }

  /** The dialog, its range the current step and the four after it (as far as they go). */
  open() {
    const { player } = this.ctx;
    if (!player.run) return;
    player.pause();
    const last = player.lastStep;
    for (const id of ["handout-from", "handout-to"]) $(id).max = String(last);
    $("handout-from").value = String(player.k);
    $("handout-to").value = String(Math.min(last, player.k + 4));
    $("handout-error").textContent = "";
    this.dialog.showModal();
  }

  /** Check the range, make the pages, and print. */
  async submit() {
    const from = Number($("handout-from").value);
    const to = Number($("handout-to").value);
    const last = this.ctx.player.lastStep;
    const error = rangeError(from, to, last);
    $("handout-error").textContent = error;
    if (error) return;
    this.dialog.close();
    await this.build(this.ctx.player.t, from, to);
    window.print();
  }

  /** One page per step `from`..`to` of iteration t; the viewer comes back where it was. */
  async build(t, from, to) {
    const { player } = this.ctx;
    const back = { t: player.t, k: player.k };
    document.body.dataset.handout = "building";
    const pages = [];
    try {
      for (let k = from; k <= to; k += 1) {
        await player.go(t, k, "scrub");
        pages.push(this.page(t, k));
      }
    } finally {
      await player.go(back.t, back.k, "scrub");
    }
    this.pages.replaceChildren(...pages);
    document.body.dataset.handout = `${from}-${to}`;
  }

  /** The page of the step drawn now. */
  page(t, k) {
    const { run } = this.ctx.player;
    const { step } = this.ctx.current;
    const page = document.createElement("section");
    page.className = "handout-page";
    page.dataset.step = String(k);
    const head = document.createElement("h2");
    head.textContent = `${run.title || run.preset || "Gradwalk"} — iteration ${t}, step ${k} of `
      + `${run.steps_per_iteration - 1} (${step.phase})`;
    const narration = document.createElement("p");
    narration.className = "handout-narration";
    narration.textContent = step.narration;
    const code = document.createElement("pre");
    code.className = "handout-code";
    code.textContent = step.code || "";
    page.append(head, this.graph(), narration, withoutIds($("chain")), code);
    return page;
  }

  /** The graph as drawn now, the whole of it in view. */
  graph() {
    const svg = this.ctx.picture.svg.cloneNode(true);
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    const bounds = this.ctx.picture.camera?.bounds;
    if (bounds) {
      const [x, y, w, h] = bounds;
      svg.setAttribute("viewBox", [x - MARGIN, y - MARGIN, w + 2 * MARGIN, h + 2 * MARGIN].join(" "));
    }
    svg.classList.add("handout-graph");
    return svg;
  }
}

/** What is wrong with a range of steps, in words ("" when nothing). */
export function rangeError(from, to, last) {
  if (!Number.isInteger(from) || !Number.isInteger(to)) return "Give whole step numbers.";
  if (from < 0 || to > last) return `Steps go from 0 to ${last}.`;
  if (from > to) return "The first step comes after the last.";
  if (to - from + 1 > MAX_HANDOUT_STEPS) return `A handout holds at most ${MAX_HANDOUT_STEPS} steps.`;
  return "";
}

/** A copy of an element of the page whose ids are left out (the page keeps them unique). */
function withoutIds(element) {
  const copy = element.cloneNode(true);
  for (const e of [copy, ...copy.querySelectorAll("[id]")]) e.removeAttribute("id");
  copy.classList.add("handout-chain");
  return copy;
}
