/**
 * The step's words: narration, the chain-rule card (the server's MathML, sanitised, the op's
 * gate pattern and the contributions with their shapes), the verdict on a custom op's
 * hand-written backward, and the whole script with the step's lines highlighted.
 * User text always goes in as text; MathML is parsed as XML and rebuilt from a whitelist.
 */

import { num, shape } from "./format.js";
import { cssName, phaseClass } from "./names.js";

const MATHML = "http://www.w3.org/1998/Math/MathML";
const TAGS = new Set(["math", "mi", "mn", "mo", "mrow", "mfrac", "msub", "msup", "msubsup",
  "mtext", "mspace", "mstyle", "munder", "mover", "munderover", "msqrt", "mroot", "mtable",
  "mtr", "mtd", "menclose", "mpadded", "mphantom", "semantics", "mfenced"]);
const ATTRS = new Set(["display", "mathvariant", "stretchy", "fence", "separator", "lspace",
  "rspace", "width", "form", "accent", "accentunder", "columnalign", "linethickness", "notation",
  "movablelimits", "largeop", "symmetric", "minsize", "maxsize", "open", "close", "separators",
  "scriptlevel", "displaystyle"]);

/** Rebuild MathML markup from whitelisted elements and attributes only; null if unparsable. */
export function safeMathml(markup) {
  const doc = new DOMParser().parseFromString(markup, "application/xml");
  if (doc.querySelector("parsererror")) return null;
  const copy = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.textContent);
    if (node.nodeType !== Node.ELEMENT_NODE || !TAGS.has(node.localName)) return null;
    const out = document.createElementNS(MATHML, node.localName);
    for (const attr of node.attributes) {
      if (ATTRS.has(attr.name)) out.setAttribute(attr.name, attr.value);
    }
    for (const child of node.childNodes) {
      const c = copy(child);
      if (c) out.appendChild(c);
    }
    return out;
  };
  return copy(doc.documentElement);
}

export class Panels {
  constructor() {
    this.narration = document.getElementById("narration");
    this.math = document.querySelector("#chain .mathml");
    this.lectureMath = document.getElementById("lecture-math");
    this.contributions = document.getElementById("contributions");
    this.rule = document.getElementById("chain-rule");
    this.check = document.getElementById("step-check");
    this.code = document.getElementById("code");
    /** node id -> the run's custom op its node runs (docs/json.md, Run: `custom_ops`) */
    this.customNodes = new Map();
    this.lines = [];
    /** step -> its sanitised MathML (parsed once; clones go on the page) */
    this.maths = new WeakMap();
    /** the line to scroll to at the next frame */
    this.scrollLine = null;
  }

  /** The run's whole script, one element per line. */
  showScript(text) {
    this.code.replaceChildren();
    this.lines = text.replace(/\n$/, "").split("\n").map((line, i) => {
      const div = document.createElement("div");
      div.className = "line";
      div.dataset.line = String(i + 1);
      div.textContent = line || " ";
      this.code.appendChild(div);
      return div;
    });
  }

  /** The run's custom ops, by the ids of the nodes that run them. */
  setRun(run) {
    const ops = new Map((run.custom_ops || []).map((c) => [c.name, c]));
    this.customNodes = new Map(run.graph.nodes.filter((n) => n.kind === "op" && ops.has(n.op))
      .map((n) => [n.id, ops.get(n.op)]));
  }

  /**
   * A backward step through a custom op with a hand-written backward says what the server's
   * check of it found: failing, with the mismatch, or quietly checked.
   */
  showCheck(step) {
    const custom = step.phase === "backward" ? this.customNodes.get(step.node) : null;
    const check = custom?.check;
    this.check.hidden = !check;
    if (!check) {
      this.check.textContent = "";
      delete this.check.dataset.check;
      return;
    }
    this.check.dataset.check = check.ok ? "ok" : "failed";
    this.check.dataset.op = custom.name;
    this.check.dataset.maxRelError = String(check.max_rel_error);
    this.check.textContent = check.ok
      ? `✓ ${custom.name}_backward checked against central differences (max relative error ${num(check.max_rel_error)})`
      : `✗ ${custom.name}_backward fails the gradient check (max relative error ${num(check.max_rel_error)})`;
  }

  /** No step: a run that has shown none keeps no words of the run before. */
  clear() {
    this.narration.textContent = "";
    this.math.replaceChildren();
    this.lectureMath.replaceChildren();
    this.rule.hidden = true;
    this.contributions.replaceChildren();
    this.check.hidden = true;
    for (const line of this.code.querySelectorAll(".hl")) line.className = "line";
  }

  show(step, labels) {
    this.narration.textContent = step.narration;
    // a long narration a size smaller, so the graph keeps room (large in lecture mode still)
    this.narration.classList.toggle("long", step.narration.length > 200);
    // parsed once: a step shown again clones it
    if (!this.maths.has(step)) this.maths.set(step, safeMathml(step.mathml || ""));
    const math = this.maths.get(step);
    if (math) {
      this.math.replaceChildren(math.cloneNode(true));
      this.lectureMath.replaceChildren(math.cloneNode(true));
    } else {
      this.math.textContent = step.latex;
      this.lectureMath.textContent = step.latex;
    }
    this.rule.hidden = !step.rule;
    this.rule.replaceChildren();
    if (step.rule) {
      const what = document.createElement("strong");
      what.textContent = "Gate pattern: ";
      this.rule.append(what, step.rule);
    }
    this.showCheck(step);
    this.contributions.replaceChildren();
    for (const c of step.contributions || []) {
      const li = document.createElement("li");
      li.className = `contribution${c.accumulate ? " accumulate" : ""}`;
      li.dataset.to = c.to;
      const op = document.createElement("strong");
      op.textContent = c.accumulate ? "+=" : "=";
      const what = document.createElement("span");
      // the server's notation: the loss's own name, parentheses where needed
      what.textContent = ` ${c.gradient || `∂loss/∂${labels.get(c.to) || c.to}`}  [${shape(c.shape)}]  `;
      const count = document.createElement("em");
      count.textContent = `contribution ${c.arrived} of ${c.expected}`;
      const code = document.createElement("code");
      code.textContent = c.code;
      li.append(op, what, count, document.createElement("br"), code);
      this.contributions.appendChild(li);
    }
    for (const line of this.code.querySelectorAll(".hl")) line.className = "line";
    step.lines.forEach((n, i) => {
      const line = this.lines[n - 1];
      if (!line) return;
      line.classList.add("hl", `hl-${cssName(step.phase)}`, phaseClass(step.phase));
      if (i === 0) {
        line.classList.add("hl-first");
        this.scrollTo(line);
      }
    });
  }

  /**
   * Bring the step's first line into view at the next frame: reading where it is forces a
   * layout, so it happens once a frame however many steps a scrub goes through meanwhile.
   */
  scrollTo(line) {
    const first = !this.scrollLine;
    this.scrollLine = line;
    if (!first) return;
    requestAnimationFrame(() => {
      const box = this.code;
      const top = this.scrollLine.offsetTop - box.clientHeight / 3;
      this.scrollLine = null;
      box.scrollTo({ top: Math.max(0, top), behavior: "auto" });
    });
  }
}
