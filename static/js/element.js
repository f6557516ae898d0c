/**
 * One element at a time: the chain-rule card's toggle (and key E). On a backward step that
 * sends a gradient it writes one element of what the step sends — to the inspected node at
 * its chosen element when the step sends there, else to the step's first input at its largest
 * element — as its sum with the real numbers, above the whole-tensor formula (in lecture mode
 * above the large formula, `#lecture-element`). The sum, its numbers and its MathML are the server's
 * (`GET …/steps/{k}/element`); this module only shows them.
 */

import * as api from "./api.js";
import { element, num } from "./format.js";
import { MathFit } from "./mathfit.js";
import { safeMathml } from "./panels.js";

/** the smallest type the lecture's element sum shrinks to, to fit the width */
const LECTURE_MIN_PX = 22;

const $ = (id) => document.getElementById(id);

export class ElementView {
  constructor(ctx) {
    this.ctx = ctx;
    /** whether the card shows one element (the toggle's state) */
    this.on = false;
    this.button = $("btn-element");
    this.box = $("element-sum");
    /** lecture mode's copy, above the large formula, fitted to the width as that one is */
    this.lectureBox = $("lecture-element");
    this.fit = new MathFit(this.lectureBox, () => LECTURE_MIN_PX);
    /** the request whose answer may still be shown */
    this.token = null;
    this.button.addEventListener("click", () => this.toggle());
    // after the app has drawn the state (its listener was added first)
    ctx.player.addEventListener("change", () => this.refresh());
  }

  toggle() {
    this.on = !this.on;
    this.button.setAttribute("aria-pressed", String(this.on));
    this.refresh();
  }

  /** The input and element to show for this step: the inspector's choice, else the server's. */
  target(step) {
    const inspected = step.contributions.find((c) => c.to === this.ctx.inspected);
    if (!inspected) return { to: step.contributions[0].to, index: null };
    const node = this.ctx.player.run.graph.nodes.find((n) => n.id === inspected.to);
    const chosen = this.ctx.chosenElement(node);
    return { to: inspected.to, index: chosen?.length === node.shape.length && chosen.length ? chosen : null };
  }

  async refresh() {
    const current = this.ctx.current;
    const step = current?.step;
    const sends = step?.phase === "backward" && step.contributions?.length > 0;
    this.button.hidden = !sends;
    if (!this.on || !sends) {
      this.lectureBox.hidden = true;
      this.lectureBox.replaceChildren();
      this.box.hidden = true;
      this.box.replaceChildren();
      this.token = null;
      return;
    }
    const { to, index } = this.target(step);
    const { run } = this.ctx.player;
    const token = (this.token = {});
    this.box.hidden = false;
    this.box.dataset.state = "computing";
    this.box.setAttribute("aria-busy", "true");
    this.box.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "computing…" }));
    let doc;
    try {
      doc = await api.getElement(run.run_id, current.t, current.k, to, index);
    } catch (error) {
      if (token !== this.token) return;
      this.box.dataset.state = "failed";
      this.box.removeAttribute("aria-busy");
      this.box.replaceChildren(Object.assign(document.createElement("p"), { className: "error", textContent: error.message }));
      return;
    }
    if (token !== this.token) return;
    this.box.dataset.state = "shown";
    this.box.removeAttribute("aria-busy");
    Object.assign(this.box.dataset, { to: doc.to, index: doc.index.join(","), total: String(doc.total) });
    this.box.replaceChildren(...this.render(doc));
    this.lectureBox.hidden = false;
    this.lectureBox.replaceChildren(...this.render(doc, false));
  }

  /** The head (which element, why this one), the sum's MathML, and the lead to the whole tensor. */
  render(doc, words = true) {
    const label = this.ctx.labels.get(doc.to) || doc.to;
    const head = document.createElement("p");
    head.className = "element-head";
    const why = doc.chosen === "largest" ? "its largest" : "the inspector's element";
    head.textContent = `One element of ∂loss/∂${label}: ${element(label, doc.index)} (${why}), `
      + `a sum of ${doc.count} term${doc.count === 1 ? "" : "s"}${doc.count > doc.terms.length
        ? ` (the first ${doc.terms.length} written out)` : ""} = ${num(doc.total)}`;
    // a hand-written backward that fails its check sends something else than the sum of the
    // definition's own derivatives: said, with both numbers (the server's)
    const differs = typeof doc.total === "number" && typeof doc.contribution === "number"
      && Math.abs(doc.total - doc.contribution) > 1e-9 * Math.max(Math.abs(doc.total), Math.abs(doc.contribution), 1e-300);
    if (differs) {
      head.textContent += `; but this step sends ${num(doc.contribution)}: the op's hand-written `
        + "backward does not agree with its definition";
      head.classList.add("element-differs");
    }
    const parsed = safeMathml(doc.mathml);
    // lecture mode: the formula alone, a direct child of its box (MathFit fits that one)
    if (!words) return [parsed || document.createTextNode(doc.latex)];
    const math = document.createElement("div");
    math.className = "element-math";
    if (parsed) math.appendChild(parsed);
    else math.textContent = doc.latex;
    const then = document.createElement("p");
    then.className = "element-then muted";
    then.textContent = "Every element the same way — the whole tensor at once:";
    return [head, math, then];
  }
}
