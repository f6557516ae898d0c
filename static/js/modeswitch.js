/**
 * Forward mode beside reverse mode: the switch on the graph, and the request bodies that make
 * the same run in the other mode (docs/json.md, Run: the same preset and parameters or source,
 * seed, lr and iterations, plus `mode` and `direction`). The server makes the run; this module
 * only says which one to ask for.
 */

import { element } from "./format.js";

/** The leaves a direction can start from: inputs and parameters (not constants). */
export const isLeaf = (node) => node.kind === "input" || node.kind === "param";

/** The body that creates `run` again, in reverse mode. */
export function reverseBody(run) {
  const body = run.preset ? { preset: run.preset } : { source: run.source };
  return { ...body, params: { ...run.params }, seed: run.seed, lr: run.lr, iterations: run.iterations,
    input_grads: run.input_grads };
}

/**
 * The body of `run` in forward mode along `direction` ({leaf, index}); without one (or with a
 * leaf the graph does not have) the server's default, the first parameter's first element.
 */
export function forwardBody(run, direction = null) {
  const leaves = new Set(run.graph.nodes.filter(isLeaf).map((n) => n.id));
  const body = { ...reverseBody(run), mode: "forward" };
  if (direction && leaves.has(direction.leaf)) {
    body.direction = { leaf: direction.leaf, index: [...(direction.index || [])] };
  }
  return body;
}

/** Two directions are the same leaf element. */
const sameDirection = (a, b) => Boolean(a && b) && a.leaf === b.leaf
  && (a.index || []).join(",") === (b.index || []).join(",");

/** What identifies a run apart from its mode: its reverse-mode body. */
const runKey = (run) => JSON.stringify(reverseBody(run));

/** "w1[3, 7]" (or "w1", "w1[]") as a direction; null when it is not one. */
export function parseDirection(text) {
  const m = /^\s*([A-Za-z_]\w*)\s*(?:\[\s*([0-9,\s]*)\])?\s*$/.exec(text || "");
  if (!m) return null;
  const index = (m[2] || "").split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  return { leaf: m[1], index };
}

/** A direction as the page writes it: w1[3, 7]. */
export const directionText = (direction) => (direction ? element(direction.leaf, direction.index) : "");

/**
 * The Reverse / Forward switch drawn on the graph (`#mode-switch`). Emits "switch" with the
 * body of the run to create; remembers the last direction chosen, so switching back and forth
 * keeps it.
 */
export class ModeSwitch extends EventTarget {
  constructor(box) {
    super();
    this.box = box;
    this.run = null;
    /** the last direction shown or chosen: a forward run's, or an element clicked */
    this.direction = null;
    /**
     * run key -> the server's default direction, learned from a forward run asked for without
     * one: asking along it again leaves it out, so the same run keeps the same id (and link)
     */
    this.defaults = new Map();
    /** the run key of a forward run asked for without a direction, until it arrives */
    this.askedDefault = null;
    this.reverse = box.querySelector("#btn-mode-reverse");
    this.forward = box.querySelector("#btn-mode-forward");
    this.along = box.querySelector("#mode-direction");
    this.reverse.addEventListener("click", () => this.choose("reverse"));
    this.forward.addEventListener("click", () => this.choose("forward"));
  }

  get mode() { return this.run?.mode || "reverse"; }

  /** Reflect a loaded run: which mode is pressed, and the direction of a forward one. */
  show(run) {
    this.run = run;
    if (run.direction) this.direction = run.direction;
    if (run.mode === "forward" && this.askedDefault === runKey(run)) this.defaults.set(this.askedDefault, run.direction);
    this.askedDefault = null;
    const forward = run.mode === "forward";
    this.reverse.setAttribute("aria-pressed", String(!forward));
    this.forward.setAttribute("aria-pressed", String(forward));
    this.along.textContent = forward
      ? `tangents along ${directionText(run.direction)}`
      : "back from the loss";
    const loss = run.graph?.nodes.find((n) => n.id === run.graph.loss)?.label || "loss";
    this.along.title = forward
      ? `each node's derivative along ${directionText(run.direction)}: ${loss}'s is ∂${loss}/∂${directionText(run.direction)}`
      : `∂${loss}/∂node for every node, from one sweep back from ${loss}`;
    this.box.dataset.mode = run.mode || "reverse";
  }

  /** Ask for the run in `mode` (nothing when it is the mode shown). */
  choose(mode) {
    if (!this.run || mode === this.mode) return;
    this.request(mode === "forward" ? forwardBody(this.run, this.direction) : reverseBody(this.run));
  }

  toggle() { this.choose(this.mode === "forward" ? "reverse" : "forward"); }

  /** Forward mode along one leaf element (an element clicked in the inspector). */
  goAlong(direction) {
    if (!this.run) return;
    this.direction = direction;
    this.request(forwardBody(this.run, direction));
  }

  request(body) {
    if (body.mode === "forward") {
      const key = runKey(this.run);
      if (sameDirection(body.direction, this.defaults.get(key))) delete body.direction;
      this.askedDefault = body.direction ? null : key;
    }
    this.dispatchEvent(new CustomEvent("switch", { detail: body }));
  }
}
