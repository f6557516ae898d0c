/**
 * The memory ledger of D2L 4.7: bytes held for the backward pass after each step (the server's
 * `GET …/memory`), drawn with axes, its peak and the current step marked; which intermediates
 * are held, by their labels; and how the peak grows with a preset's batch size or depth
 * (`GET /presets/{id}/memory?vary=…`). Draws the server's numbers; computes none.
 */

import * as api from "./api.js";
import { bytes, count } from "./format.js";
import { phaseClass } from "./names.js";
import { showPending } from "./pending.js";
import { bottomAxis, chart, leftAxis, linear, svgEl, svgText } from "./plots.js";

const $ = (id) => document.getElementById(id);

/** Step ticks: the first, the last, and a few round ones between. */
function stepTicks(last) {
  const every = [1, 2, 5, 10, 20, 50, 100, 200, 500].find((s) => last / s <= 8) || 1000;
  const ticks = [];
  for (let s = 0; s < last; s += every) ticks.push(s);
  if (last - ticks[ticks.length - 1] < every / 2 && ticks.length > 1) ticks.pop();
  ticks.push(last);
  return ticks;
}

/**
 * Bars of bytes held after each step, coloured by phase, in a `width` × `height` box: the
 * current step `.now`, the peak's bar `.peak` under a dashed line labelled with its bytes.
 * `compact` (the dock's strip): no axis titles, small margins.
 */
export class LedgerChart {
  constructor(svg, { width, height, compact }) {
    this.svg = svg;
    this.width = width;
    this.height = height;
    this.compact = compact;
    this.bars = [];
    this.marked = null;
  }

  /** `ledger`: the /memory answer; `steps`: the iteration's steps (their phases). */
  draw(ledger, steps) {
    const { width, height, compact } = this;
    this.svg.replaceChildren();
    this.marked = null;
    const m = compact ? { l: 52, r: 6, t: 14, b: 14 } : { l: 104, r: 16, t: 28, b: 62 };
    const n = ledger.bytes_after.length;
    const top = Math.max(1, ledger.peak_bytes);
    const y = linear(0, top, height - m.b, m.t);
    const w = (width - m.l - m.r) / n;
    const x = (k) => m.l + k * w;
    const labels = new Map(ledger.nodes.map((h) => [h.node, h.label]));
    this.bars = ledger.bytes_after.map((b, k) => {
      // a bar as tall as the plot: hovering anywhere over a step names what it holds
      const hit = svgEl("path", { class: "hover-step",
        d: `M ${x(k).toFixed(1)} ${m.t} h ${w.toFixed(2)} V ${y(0)} h ${(-w).toFixed(2)} Z` }, this.svg);
      const held = (steps[k]?.held || []).map((id) => labels.get(id) || id);
      svgEl("title", {}, hit).textContent = `step ${k}${steps[k] ? ` (${steps[k].phase})` : ""}: `
        + `${bytes(b)} held${held.length ? ` — ${held.join(", ")}` : ""}`;
      const bar = svgEl("rect", { x: x(k) + 0.5, y: y(b),
        width: Math.max(1, w - 1), height: y(0) - y(b), class: phaseClass(steps[k]?.phase ?? ""),
        "data-step": k, "data-bytes": b }, this.svg);
      hit.after(bar);
      return bar;
    });
    if (ledger.peak_bytes) this.bars[ledger.peak_step]?.classList.add("peak");
    const ticks = !ledger.peak_bytes ? [0] : compact ? [0, top] : [0, top / 4, top / 2, (3 * top) / 4, top];
    const format = (b) => bytes(Math.round(b));
    leftAxis(this.svg, { x: m.l - 2, y0: y(0), y1: m.t, ticks, scale: y, format,
      title: compact ? "" : "bytes held", titleOffset: 88 });
    // the current step, seen even where nothing is held
    this.now = svgEl("line", { class: "now-line", x1: 0, x2: 0, y1: m.t - 4, y2: y(0) + (compact ? 2 : 6) }, this.svg);
    const stepAxis = (k) => x(k) + w / 2;
    this.stepX = stepAxis;
    if (compact) {
      svgText(this.svg, { class: "tick", x: stepAxis(0), y: height - 2, "text-anchor": "start" }, "step 0");
      svgText(this.svg, { class: "tick", x: stepAxis(n - 1), y: height - 2, "text-anchor": "end" }, String(n - 1));
    } else {
      bottomAxis(this.svg, { y: y(0) + 2, x0: m.l, x1: width - m.r, ticks: stepTicks(n - 1),
        scale: stepAxis, format: String, title: "step of the iteration" });
    }
    if (!ledger.peak_bytes) {
      svgText(this.svg, { class: "peak-label", x: (m.l + width - m.r) / 2, y: (m.t + height - m.b) / 2 + 4,
        "text-anchor": "middle" }, "nothing is held for a backward pass");
      return;
    }
    const peak = svgEl("g", { class: "memory-peak", "data-bytes": ledger.peak_bytes,
      "data-step": ledger.peak_step }, this.svg);
    svgEl("line", { x1: m.l, x2: width - m.r, y1: y(ledger.peak_bytes), y2: y(ledger.peak_bytes) }, peak);
    const anchorRight = ledger.peak_step > n / 2;
    svgText(peak, { class: "peak-label", x: stepAxis(ledger.peak_step),
      y: y(ledger.peak_bytes) - 4, "text-anchor": anchorRight ? "end" : "start" },
    `peak ${bytes(ledger.peak_bytes)} at step ${ledger.peak_step}`);
  }

  mark(k) {
    this.marked?.classList.remove("now");
    this.marked = this.bars[k] || null;
    this.marked?.classList.add("now");
    const at = this.stepX(k).toFixed(1);
    this.now.setAttribute("x1", at);
    this.now.setAttribute("x2", at);
  }
}

/** The labels of the nodes a step holds, as the page shows them. */
const heldLabels = (step, labels) => step.held.map((id) => labels.get(id) || id);

/**
 * The dock's strip: the ledger at a glance, sized in the strip's own pixels (text is never
 * stretched), with the bytes and the labels held now in its head.
 */
export class MemoryStrip {
  constructor(container, onOpen) {
    this.container = container;
    this.svg = svgEl("svg", { class: "ledger-strip", role: "img",
      "aria-label": "bytes held for the backward pass at each step" }, container);
    this.now = container.querySelector(".memory-now");
    this.ledger = null;
    this.steps = null;
    this.k = 0;
    this.size = "";
    this.svg.addEventListener("click", onOpen);
    new ResizeObserver(() => this.redraw()).observe(this.svg);
  }

  /** Nothing drawn: no ledger, no step (a run that has shown none). */
  clear() {
    this.steps = null;
    this.chart = null;
    this.svg.replaceChildren();
    this.now.textContent = "";
    this.setLedger(null);
    showPending(this.svg, false);
  }

  /** A run's ledger (null while it loads: "computing…"). */
  setLedger(ledger) {
    this.ledger = ledger;
    this.size = "";
    if (!ledger) { this.svg.replaceChildren(); this.chart = null; }
    showPending(this.svg, !ledger);
    this.redraw();
  }

  /** The ledger could not be had (the status line says why): no longer "computing…". */
  failed() { showPending(this.svg, false); }

  /** The step marked on the strip (cheap: while scrubbing, at every step passed). */
  mark(steps, k) {
    const changed = steps !== this.steps;
    this.steps = steps;
    this.k = k;
    if (changed) { this.size = ""; this.redraw(); }
    this.chart?.mark(k);
  }

  /** The step marked, and the bytes and labels it holds said in the strip's head. */
  show(steps, k, labels) {
    this.mark(steps, k);
    const step = steps[k];
    const held = heldLabels(step, labels);
    this.now.textContent = `${bytes(step.memory_bytes)}${held.length ? ` (${held.join(", ")})` : ""}`;
  }

  redraw() {
    if (!this.ledger || !this.steps || this.ledger.bytes_after.length !== this.steps.length) return;
    const width = Math.round(this.svg.clientWidth);
    const height = Math.round(this.svg.clientHeight);
    if (!width || !height || this.size === `${width}x${height}`) return;
    this.size = `${width}x${height}`;
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    this.chart = new LedgerChart(this.svg, { width, height, compact: true });
    this.chart.draw(this.ledger, this.steps);
    this.chart.mark(this.k);
  }
}

/** Values of an integer parameter to vary: powers of two in its range and the run's own. */
function valuesToTry(param, current) {
  const values = new Set([current]);
  for (let v = 1; v <= param.max; v *= 2) if (v >= param.min) values.add(v);
  let sorted = [...values].sort((a, b) => a - b);
  while (sorted.length > 10) {
    // keep the run's value near the middle: drop from the end farther from it
    const at = sorted.indexOf(current);
    sorted = at > sorted.length - 1 - at ? sorted.slice(1) : sorted.slice(0, -1);
  }
  return sorted;
}

/**
 * The Memory panel: the ledger with axes, what is held now (labels, bytes, from which step to
 * which), and for a preset with integer parameters its peak against one of them.
 */
export class MemoryPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.summary = $("memory-summary");
    this.held = $("memory-held");
    this.box = $("memory-ledger");
    this.varyBox = $("memory-vary");
    this.varySelect = $("memory-vary-param");
    this.varyChart = $("memory-vary-chart");
    this.varyNote = $("memory-vary-note");
    this.varySelect.addEventListener("change", () => this.showVary());
    this.drawn = null;
    this.varied = null;
  }

  open() { this.follow(); }

  /** The step moved (or the run changed): redraw what depends on it. */
  follow() {
    const { ledger, current, player } = this.ctx;
    if (!ledger || !current) {
      this.summary.textContent = "loading the memory ledger…";
      return;
    }
    const run = player.run;
    if (this.drawn !== ledger || this.drawnSteps !== current.steps) {
      this.drawn = ledger;
      this.drawnSteps = current.steps;
      const svg = chart("ledger-chart", 620, 280, "bytes held for the backward pass after each step");
      this.box.replaceChildren(svg);
      this.chart = new LedgerChart(svg, { width: 620, height: 280, compact: false });
      this.chart.draw(ledger, current.steps);
      this.fillHeld(ledger);
      this.setupVary(run);
    }
    this.chart.mark(current.k);
    this.showSummary(ledger, current, run);
    for (const tr of this.held.querySelectorAll("tr[data-node]")) {
      tr.classList.toggle("held", current.step.held.includes(tr.dataset.node));
    }
  }

  showSummary(ledger, { step, k }, run) {
    const labels = this.ctx.labels;
    const held = heldLabels(step, labels);
    const peak = document.createElement("strong");
    peak.className = "memory-peak-text";
    peak.dataset.bytes = String(ledger.peak_bytes);
    peak.textContent = `peak ${bytes(ledger.peak_bytes)} at step ${ledger.peak_step}`;
    const now = document.createElement("span");
    now.className = "memory-held-now";
    now.textContent = held.length
      ? `After step ${k}: ${bytes(step.memory_bytes)} held — ${held.join(", ")}.`
      : `After step ${k}: nothing held.`;
    const why = document.createElement("span");
    why.textContent = run.mode === "forward"
      ? " Forward mode keeps nothing for a backward pass: switch to reverse mode to see the ledger."
      : " Each intermediate is kept from the forward step whose backward will read it until that backward step has used it: the bytes grow through the forward pass and fall through the backward pass.";
    this.summary.replaceChildren(peak, " · ", now, why);
  }

  /** One row per intermediate the ledger holds: its label, bytes and the steps it is held. */
  fillHeld(ledger) {
    const tbody = this.held.tBodies[0];
    tbody.replaceChildren();
    for (const node of ledger.nodes) {
      const tr = tbody.insertRow();
      tr.dataset.node = node.node;
      const label = tr.insertCell();
      label.className = "label";
      label.textContent = node.label;
      tr.insertCell().textContent = bytes(node.bytes);
      tr.insertCell().textContent = `step ${node.first} → ${node.released}`;
    }
    this.held.hidden = !ledger.nodes.length;
  }

  /** The vary chart is for a preset with integer parameters (the run's values for the rest). */
  setupVary(run) {
    const preset = this.ctx.presets.find((p) => p.id === run.preset);
    const ints = preset ? preset.params.filter((p) => p.kind === "int") : [];
    this.varyBox.hidden = !ints.length;
    this.preset = preset;
    if (!ints.length) return;
    const keep = this.varySelect.value;
    this.varySelect.replaceChildren(...ints.map((p) => {
      const option = document.createElement("option");
      option.value = p.name;
      option.textContent = `${p.name} (${p.description})`;
      return option;
    }));
    const batch = ints.find((p) => /batch/i.test(p.description));
    this.varySelect.value = ints.some((p) => p.name === keep) ? keep : (batch || ints[0]).name;
    this.showVary();
  }

  async showVary() {
    const run = this.ctx.player.run;
    const param = this.preset.params.find((p) => p.name === this.varySelect.value);
    const current = run.params[param.name] ?? param.default;
    const values = valuesToTry(param, current);
    const others = Object.entries(run.params).filter(([name]) => name !== param.name)
      .map(([name, v]) => `${name} = ${v}`).join(", ");
    this.varyNote.textContent = `Peak held for the backward pass (reverse mode) against ${param.name}`
      + `${others ? `, with ${others} as in this run` : ""}.`;
    this.varyParam = param;
    this.varyChart.setAttribute("aria-busy", "true");
    const token = (this.varied = {});
    try {
      const answer = await api.getPresetMemory(run.preset, param.name, values, run.params);
      if (token !== this.varied) return;
      this.drawVary(answer, current);
    } catch (error) {
      if (token === this.varied) this.ctx.status(error.message);
    } finally {
      if (token === this.varied) this.varyChart.removeAttribute("aria-busy");
    }
  }

  drawVary(answer, current) {
    const [width, height] = [760, 250];
    const m = { l: 104, r: 16, t: 34, b: 50 };
    const svg = chart("vary-chart", width, height, `peak bytes against ${answer.vary}`);
    const top = Math.max(1, ...answer.peak_bytes);
    const y = linear(0, top, height - m.b, m.t);
    const slot = (width - m.l - m.r) / answer.values.length;
    leftAxis(svg, { x: m.l - 2, y0: y(0), y1: m.t, ticks: [0, top / 2, top], scale: y,
      format: (b) => bytes(Math.round(b)), title: "peak held", titleOffset: 88 });
    answer.values.forEach((v, i) => {
      const x = m.l + i * slot;
      const b = answer.peak_bytes[i];
      const g = svgEl("g", { class: `vary-bar${v === current ? " current" : ""}`, "data-value": v,
        "data-bytes": b }, svg);
      svgEl("rect", { x: x + slot * 0.15, y: y(b), width: slot * 0.7, height: y(0) - y(b) }, g);
      svgText(g, { class: "bar-label vary-label", x: x + slot / 2, y: y(b) - 6, "text-anchor": "middle" }, bytes(b));
      svgText(g, { class: "tick", x: x + slot / 2, y: y(0) + 18, "text-anchor": "middle" }, count(v));
    });
    svgText(svg, { class: "axis-title", x: (m.l + width - m.r) / 2, y: height - 8, "text-anchor": "middle" },
      `${answer.vary} (${this.varyParam.description}) — this run's value highlighted`);
    this.varyChart.replaceChildren(svg);
  }
}
