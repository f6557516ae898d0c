/**
 * The layer strip under the graph: one bar per layer, ‖∂loss/∂W‖ on a log scale, filled in as
 * the backward pass reaches each layer (the iteration document's `layers`, docs/json.md), so a
 * deep sigmoid net's vanishing gradient reads at a glance: the bars fall decade by decade
 * toward the input. Shown in normal and lecture mode when a run has two layers or more. Draws
 * the server's norms and steps only: it computes none.
 */

import { num } from "./format.js";
import { svgEl, svgText } from "./plots.js";

/** decades written out where that is as short as 1eN */
const DECADES = { [-1]: "0.1", 0: "1", 1: "10", 2: "100" };

export class LayerStrip {
  /** `container`: the #layers chart box (its head holds `.layers-now`). */
  constructor(container) {
    this.container = container;
    this.now = container.querySelector(".layers-now");
    this.svg = svgEl("svg", { class: "layer-strip", role: "img" }, container);
    this.layers = [];
    this.k = -1;
    /** the picture's size in px [width, height] as last laid out; null: to be read again */
    this.box = null;
    /** the bars drawn, one per layer, and the scale they were drawn with; null: none */
    this.drawn = null;
    // read where the browser has just laid the page out: never a layout of its own mid-step
    new ResizeObserver(() => {
      const box = [Math.round(this.svg.clientWidth), Math.round(this.svg.clientHeight)];
      if (String(box) === String(this.box) && this.drawn) return;
      this.box = box;
      this.drawn = null;
      this.draw();
    }).observe(this.svg);
  }

  /** Nothing to show (a run with no step drawn, or one layer or none). */
  clear() {
    this.layers = [];
    this.container.hidden = true;
    document.body.classList.remove("has-layers");
    this.svg.replaceChildren();
    this.drawn = null;
  }

  /** The layers of the iteration shown, at step k. */
  show(layers, k) {
    const changed = layers !== this.layers;
    this.layers = layers || [];
    const shown = this.layers.length >= 2;
    if (this.container.hidden === shown) {
      this.container.hidden = !shown;
      document.body.classList.toggle("has-layers", shown);
      this.box = null;
    }
    if (!shown) return;
    if (changed) this.drawn = null;
    this.k = k;
    this.draw();
  }

  /**
   * The bars at step k: drawn once per iteration and size, then only the bars whose state
   * the step changes (seen, the latest) are touched, so scrubbing lays nothing out.
   */
  draw() {
    if (this.container.hidden || !this.layers.length) return;
    if (!this.box) this.box = [Math.round(this.svg.clientWidth), Math.round(this.svg.clientHeight)];
    const [width, height] = this.box;
    if (!width || !height) return;
    if (!this.drawn) this.build(width, height);
    if (this.drawn.k === this.k) return;
    this.drawn.k = this.k;
    const known = this.layers.filter((l) => l.step <= this.k);
    const latest = known.reduce((a, l) => (a && a.step >= l.step ? a : l), null);
    this.describe(known, latest);
    const { bars, y, top, bottom } = this.drawn;
    this.layers.forEach((layer, i) => {
      const seen = layer.step <= this.k;
      const state = `${seen ? " seen" : ""}${layer === latest ? " now" : ""}`;
      const bar = bars[i];
      if (bar.state === state) return;
      const was = bar.state;
      bar.state = state;
      bar.rect.setAttribute("class", `layer-bar${state}`);
      if (was !== undefined && was.startsWith(" seen") === seen) return;
      let barTop = top;
      if (typeof layer.norm === "number") barTop = layer.norm > 0 ? y(layer.norm) : bottom - 1;
      bar.rect.setAttribute("y", seen ? Math.min(barTop, bottom - 1) : top);
      bar.rect.setAttribute("height", seen ? Math.max(1, bottom - barTop) : bottom - top);
      bar.title.textContent = seen ? `${layer.name}: ‖∂loss/∂W‖ = ${num(layer.norm)}`
        : `${layer.name}: not reached by the backward pass yet`;
    });
  }

  /** The axis and one bar per layer, in a `width` × `height` picture (states set by draw). */
  build(width, height) {
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    this.svg.replaceChildren();
    const finite = this.layers.map((l) => l.norm).filter((n) => typeof n === "number" && n > 0);
    // whole decades, so the axis reads "1e-10 … 1" and equal ratios are equal heights; half a
    // decade of room below the smallest, so its bar shows
    let lo = Math.floor(Math.log10(Math.min(...finite, 1)) - 0.5);
    let hi = Math.ceil(Math.log10(Math.max(...finite, 1e-300)));
    if (!finite.length) [lo, hi] = [-1, 1];
    if (hi <= lo) hi = lo + 1;
    const font = parseFloat(getComputedStyle(this.svg).fontSize) || 11;
    const left = Math.ceil(font * 3.4);
    const top = Math.ceil(font * 0.6);
    const bottom = height - 2;
    const slot = (width - left) / this.layers.length;
    const y = (n) => bottom - ((Math.log10(n) - lo) / (hi - lo)) * (bottom - top);
    svgEl("line", { class: "axis-line", x1: left - 2, x2: width, y1: bottom, y2: bottom }, this.svg);
    for (const [decade, anchor] of [[hi, "hanging"], [lo, "auto"]]) {
      svgText(this.svg, { class: "tick", x: left - 4, y: decade === hi ? top : bottom,
        "text-anchor": "end", "dominant-baseline": anchor }, DECADES[decade] ?? `1e${decade}`);
    }
    const bars = this.layers.map((layer, i) => {
      const x = left + i * slot + Math.min(2, slot * 0.15);
      const w = Math.max(1, slot - 2 * Math.min(2, slot * 0.15));
      const rect = svgEl("rect", { class: "layer-bar", x, width: w }, this.svg);
      return { rect, title: svgEl("title", {}, rect), state: undefined };
    });
    this.drawn = { k: null, bars, y, top, bottom };
  }

  /** The head's words and the picture's label: the layer reached last, and the spread. */
  describe(known, latest) {
    const first = this.layers[0];
    const last = this.layers[this.layers.length - 1];
    let words;
    if (!latest) words = `the backward pass reaches ${last.name} first`;
    else words = `${latest.name}: ${num(latest.norm)}`;
    this.now.textContent = words;
    const all = known.length === this.layers.length
      ? `; ${first.name} ${num(first.norm)} against ${last.name} ${num(last.norm)}` : "";
    this.svg.setAttribute("aria-label", `gradient norm per layer, log scale, ${known.length} of `
      + `${this.layers.length} layers known; ${words}${all}`);
  }
}
