/**
 * The loss per iteration, as the API sent it (`GET …/losses`): axes with ticks and labels, a
 * log scale while every loss is above 0 and a linear one as soon as one is not (micrograd's
 * loss goes below 0), NaN and ±Inf marked where they happen and the divergence said in words
 * with what to try. The current iteration is marked; a click picks an iteration. Draws the
 * server's numbers; computes none.
 */

import { num } from "./format.js";
import { showPending } from "./pending.js";
import { decades, linear, logarithmic, power, svgEl, svgText } from "./plots.js";

/** Up to `count` round numbers (1, 2 or 5 × 10^e apart) from lo to hi. */
function roundTicks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const e = 10 ** Math.floor(Math.log10((hi - lo) / count));
  const inside = (s) => Math.floor(hi / s) - Math.ceil(lo / s) + 1;
  const step = [0.1, 0.2, 0.5, 1, 2, 5, 10].map((m) => m * e).find((s) => inside(s) <= count + 1);
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return ticks;
}

/** Iteration ticks: 0, the last, and round ones between that do not crowd either end. */
function iterationTicks(last, room) {
  if (last < 1) return [0];
  const most = Math.max(1, Math.floor(room / 44));
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000]
    .find((s) => last / s <= most) || 10000;
  const ticks = [];
  for (let t = 0; t <= last - step / 2; t += step) ticks.push(t);
  ticks.push(last);
  return ticks;
}

const finite = (v) => typeof v === "number" && Number.isFinite(v);

export class LossChart {
  /**
   * `container`: `#losses` (holding `#loss-scale`, `#loss-note`); `onPick(t)` is called with the
   * iteration under a click.
   */
  constructor(container, onPick) {
    this.container = container;
    this.svg = svgEl("svg", { class: "loss-chart", role: "img", "aria-label": "loss per iteration" },
      container);
    this.scaleLabel = container.querySelector("#loss-scale");
    this.note = container.querySelector("#loss-note");
    this.onPick = onPick;
    this.losses = null;
    /** the run's iterations: the axis spans them while the losses arrive page by page */
    this.total = 0;
    this.current = 0;
    this.size = "";
    this.svg.addEventListener("click", (e) => {
      if (!this.losses?.length || !this.plot) return;
      const rect = this.svg.getBoundingClientRect();
      const { l, r } = this.plot;
      const f = (e.clientX - rect.left - l) / Math.max(1, rect.width - l - r);
      // the axis spans every iteration; one still training picks the last one known
      const at = Math.round(f * (Math.max(this.total, this.losses.length) - 1));
      this.onPick(Math.max(0, Math.min(this.losses.length - 1, at)));
    });
    new ResizeObserver(() => this.redraw()).observe(this.svg);
  }

  /** No curve: a new run's while it loads ("computing…"), or `message` when it could not be had. */
  clear(message = "") {
    this.losses = null;
    this.total = 0;
    this.marker = null;
    this.svg.replaceChildren();
    this.svg.removeAttribute("data-scale");
    this.scaleLabel.textContent = "";
    this.note.hidden = true;
    this.note.textContent = "";
    this.container.classList.remove("diverged");
    showPending(this.svg, !message);
    if (message) {
      svgText(this.svg, { class: "chart-error", x: 8, y: 20 }, `no loss curve: ${message}`);
    }
  }

  /**
   * `losses`: the API's list (numbers, or "NaN", "Infinity", "-Infinity"), or its first part
   * while the rest trains; `total`: the run's iterations (the axis spans them all); `current`:
   * the iteration shown; `lr`: the run's learning rate, for the hint when the loss diverges.
   */
  show(losses, current, lr, total = losses.length) {
    this.losses = losses;
    this.total = Math.max(total, losses.length);
    this.current = current;
    this.lr = lr;
    this.size = "";
    showPending(this.svg, false);
    this.redraw();
    this.say();
  }

  /** The divergence in words, with what to try (`#loss-note`). */
  say() {
    const bad = this.losses.findIndex((v) => !finite(v));
    const diverged = bad >= 0;
    this.container.classList.toggle("diverged", diverged);
    this.note.hidden = !diverged;
    if (!diverged) { this.note.textContent = ""; return; }
    const what = this.losses[bad] === "NaN" ? "not a number (NaN)" : `${num(this.losses[bad])} (it overflowed)`;
    this.note.dataset.iteration = String(bad);
    this.note.textContent = `The loss diverged: at iteration ${bad} it is ${what}, and SGD cannot `
      + `come back from there. The learning rate ${num(this.lr)} is too large for this graph: `
      + `try a smaller one, such as ${num(this.lr / 10)}, and run again.`;
  }

  redraw() {
    const losses = this.losses;
    if (!losses) return;
    const width = Math.round(this.svg.clientWidth);
    const height = Math.round(this.svg.clientHeight);
    if (!width || !height || this.size === `${width}x${height}`) return;
    this.size = `${width}x${height}`;
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    this.svg.replaceChildren();
    const m = { l: 68, r: 10, t: 8, b: 20 };
    this.plot = m;
    const known = losses.filter(finite);
    const log = known.length > 0 && known.every((v) => v > 0);
    this.svg.dataset.scale = log ? "log" : "linear";
    this.scaleLabel.textContent = log ? "(log scale)" : "(linear scale: a loss is ≤ 0)";
    const total = this.total ?? losses.length;
    const last = Math.max(1, total - 1);
    const x = linear(0, last, m.l, width - m.r);
    const xAt = (i) => (total === 1 ? (m.l + width - m.r) / 2 : x(i));
    let lo = known.length ? Math.min(...known) : 0;
    let hi = known.length ? Math.max(...known) : 1;
    if (hi === lo) [lo, hi] = log ? [lo / 2, hi * 2] : [lo - 1, hi + 1];
    const y = log ? logarithmic(lo, hi, height - m.b, m.t) : linear(lo, hi, height - m.b, m.t);
    let ticks;
    const room = Math.max(2, Math.floor((height - m.t - m.b) / 16));
    if (log) {
      ticks = decades(lo, hi).filter((v) => v >= lo * 0.999 && v <= hi * 1.001);
      const every = Math.ceil(ticks.length / room);
      ticks = ticks.filter((_, i) => (ticks.length - 1 - i) % every === 0);
      if (ticks.length < 2) ticks = roundTicks(lo, hi, 2).filter((v) => v > 0);
    } else {
      ticks = roundTicks(lo, hi, 3);
    }
    const decade = (v) => log && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
    const axes = svgEl("g", { class: "axis-group" }, this.svg);
    svgEl("line", { class: "axis-line", x1: m.l, x2: m.l, y1: m.t, y2: height - m.b }, axes);
    svgEl("line", { class: "axis-line", x1: m.l, x2: width - m.r, y1: height - m.b, y2: height - m.b }, axes);
    for (const v of ticks) {
      const at = y(v);
      svgEl("line", { class: "axis-line", x1: m.l - 4, x2: m.l, y1: at, y2: at }, axes);
      svgText(axes, { class: "tick", x: m.l - 6, y: at + 3.5, "text-anchor": "end" },
        decade(v) && (v >= 1e4 || v < 1e-2) ? power(v) : num(v));
    }
    if (!log && lo < 0 && hi > 0) {
      svgEl("line", { class: "zero-line", x1: m.l, x2: width - m.r, y1: y(0), y2: y(0) }, axes);
    }
    for (const t of iterationTicks(total - 1, width - m.l - m.r)) {
      svgEl("line", { class: "axis-line", x1: xAt(t), x2: xAt(t), y1: height - m.b, y2: height - m.b + 4 }, axes);
      svgText(axes, { class: "tick", x: xAt(t), y: height - 5, "text-anchor": t === 0 ? "start" : "middle" },
        String(t));
    }
    svgText(axes, { class: "axis-title", x: 2, y: height - 5, "text-anchor": "start" }, "iteration");
    // up the left edge, beside the tick labels: never over the top tick, however close they are
    const middle = ((m.t + height - m.b) / 2).toFixed(1);
    svgText(axes, { class: "axis-title", x: 9, y: middle, "text-anchor": "middle",
      transform: `rotate(-90 9 ${middle})` }, "loss");
    // the curve, broken where a loss is not a number
    let run = [];
    const runs = [run];
    losses.forEach((v, i) => {
      if (finite(v)) run.push(`${xAt(i).toFixed(1)},${y(v).toFixed(1)}`);
      else if (run.length) runs.push(run = []);
    });
    for (const points of runs.filter((r) => r.length)) {
      if (points.length === 1) {
        const [cx, cy] = points[0].split(",");
        svgEl("circle", { class: "loss-point", cx, cy, r: 2.5 }, this.svg);
      } else {
        svgEl("polyline", { class: "loss-line", points: points.join(" ") }, this.svg);
      }
    }
    this.drawNotFinite(losses, xAt, m, width);
    this.marker = svgEl("g", { class: "loss-marker" }, this.svg);
    svgEl("line", { x1: 0, x2: 0, y1: m.t - 2, y2: height - m.b }, this.marker);
    svgEl("circle", { r: 3.5 }, this.marker);
    this.xAt = xAt;
    this.y = y;
    this.top = m.t;
    this.mark(this.current);
  }

  /** NaN and ±Inf losses: a red tick at the top of their iterations and what they are. */
  drawNotFinite(losses, xAt, m, width) {
    const bad = losses.map((v, i) => (finite(v) ? null : i)).filter((i) => i !== null);
    if (!bad.length) return;
    const g = svgEl("g", { class: "loss-nonfinite", "data-iterations": bad.join(",") }, this.svg);
    for (const i of bad) {
      svgEl("line", { x1: xAt(i), x2: xAt(i), y1: m.t - 4, y2: m.t + 10 }, g);
    }
    const first = losses[bad[0]];
    const label = `${first === "NaN" ? "NaN" : num(first)} from iteration ${bad[0]}`;
    const anchorEnd = xAt(bad[0]) > (m.l + width) / 2;
    svgText(g, { class: "nonfinite-label", x: xAt(bad[0]) + (anchorEnd ? -6 : 6), y: m.t + 18,
      "text-anchor": anchorEnd ? "end" : "start" }, label);
  }

  mark(t) {
    this.current = t;
    if (!this.marker || !this.losses) return;
    const v = this.losses[t];
    // an iteration still training: the marker's line only
    this.marker.classList.toggle("training", v === undefined);
    this.marker.setAttribute("transform", `translate(${this.xAt(t).toFixed(1)} 0)`);
    this.marker.classList.toggle("bad", v !== undefined && !finite(v));
    this.marker.querySelector("circle").setAttribute("cy", finite(v) ? this.y(v).toFixed(1) : this.top);
  }
}
