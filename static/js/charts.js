/**
 * Small pictures of numbers the server sent: heatmaps (canvas), histograms and the loss curve
 * (log scale); the memory ledger is memory.js's. Colour scales only map numbers to colours.
 */

import { num } from "./format.js";
import { quantityClass } from "./names.js";
import { svgEl } from "./plots.js";

/**
 * Colour-blind-safe ramps (light = low, dark = high): values in blues, gradients in oranges,
 * tangents in yellows; a quantity the page does not know in greys.
 */
const RAMPS = {
  value: [[240, 246, 252], [107, 174, 214], [8, 81, 156]],
  grad: [[255, 245, 230], [253, 174, 97], [166, 54, 3]],
  tangent: [[255, 251, 222], [240, 200, 40], [110, 82, 0]],
  other: [[245, 245, 245], [160, 160, 160], [40, 40, 40]],
};

function colour(which, f) {
  const ramp = RAMPS[which] || RAMPS.other;
  const x = Math.max(0, Math.min(1, f)) * (ramp.length - 1);
  const i = Math.min(ramp.length - 2, Math.floor(x));
  const t = x - i;
  return ramp[i].map((c, j) => Math.round(c + (ramp[i + 1][j] - c) * t));
}

/** Draw heatmap cells on a canvas, each cell scaled between the cells' min and max. */
export function drawHeatmap(canvas, heatmap, which) {
  const { rows, cols, cells } = heatmap;
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext("2d");
  const flat = cells.flat().filter((v) => typeof v === "number");
  const lo = Math.min(...flat);
  const hi = Math.max(...flat);
  const image = ctx.createImageData(cols, rows);
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < cols; c += 1) {
      const v = cells[r][c];
      const f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      const [R, G, B] = colour(which, f);
      const o = 4 * (r * cols + c);
      image.data.set([R, G, B, 255], o);
    }
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

const urlCache = new Map();
/** heatmap object -> { quantity: data URL }: a summary shared by many states is drawn once */
const byHeatmap = new WeakMap();
const scratch = document.createElement("canvas");

/** A heatmap as a data URL for an SVG <image> (cached: the same cells give the same picture). */
export function heatmapDataUrl(heatmap, which) {
  let urls = byHeatmap.get(heatmap);
  if (!urls) byHeatmap.set(heatmap, urls = {});
  if (urls[which]) return urls[which];
  const key = `${which}|${heatmap.rows}|${heatmap.cols}|${heatmap.cells.join(";")}`;
  if (!urlCache.has(key)) {
    if (urlCache.size > 600) urlCache.delete(urlCache.keys().next().value);
    urlCache.set(key, drawHeatmap(scratch, heatmap, which).toDataURL());
  }
  urls[which] = urlCache.get(key);
  return urls[which];
}

/** Bars of a summary's histogram. */
export function histogram(hist, which) {
  const svg = svgEl("svg", { class: `histogram ${quantityClass(which)}`, viewBox: "0 0 160 48",
    preserveAspectRatio: "none" });
  const top = Math.max(1, ...hist.counts);
  hist.counts.forEach((count, i) => {
    const h = (44 * count) / top;
    svgEl("rect", { x: i * 10 + 0.5, y: 46 - h, width: 9, height: Math.max(h, count ? 1 : 0) }, svg);
  });
  const title = svgEl("title", {}, svg);
  title.textContent = hist.edges.length
    ? `from ${num(hist.edges[0])} to ${num(hist.edges[hist.edges.length - 1])}` : "no finite values";
  return svg;
}

/**
 * The loss curve on a log scale, the current iteration marked. `onPick(t)` is called with the
 * iteration under a click.
 */
export class LossChart {
  constructor(container, onPick) {
    this.svg = svgEl("svg", { viewBox: "0 0 600 90", preserveAspectRatio: "none" }, container);
    this.onPick = onPick;
    this.losses = [];
    this.svg.addEventListener("click", (e) => {
      if (!this.losses.length) return;
      const rect = this.svg.getBoundingClientRect();
      const f = (e.clientX - rect.left) / rect.width;
      this.onPick(Math.round(f * (this.losses.length - 1)));
    });
  }

  /** `losses`: the API's list (numbers, or "NaN"/"Infinity" for a diverged run). */
  show(losses, current) {
    this.losses = losses;
    this.svg.replaceChildren();
    const finite = losses.map((v) => (typeof v === "number" && v > 0 ? Math.log10(v) : null));
    const known = finite.filter((v) => v !== null);
    if (!known.length) return;
    const lo = Math.min(...known);
    const hi = Math.max(...known);
    const n = Math.max(1, losses.length - 1);
    const x = (i) => 6 + (588 * i) / n;
    const y = (v) => 82 - (hi > lo ? (74 * (v - lo)) / (hi - lo) : 37);
    const pts = finite.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`))
      .filter(Boolean).join(" ");
    svgEl("polyline", { points: pts, class: "loss-line" }, this.svg);
    for (const [v, label] of [[hi, losses[finite.indexOf(hi)]], [lo, losses[finite.indexOf(lo)]]]) {
      const t = svgEl("text", { x: 592, y: y(v) + (v === hi ? 10 : -3), class: "axis",
        "text-anchor": "end" }, this.svg);
      t.textContent = num(label);
    }
    this.marker = svgEl("g", { class: "loss-marker" }, this.svg);
    svgEl("line", { x1: 0, x2: 0, y1: 2, y2: 88 }, this.marker);
    svgEl("circle", { r: 4 }, this.marker);
    this.x = x;
    this.y = y;
    this.finite = finite;
    this.mark(current);
  }

  mark(t) {
    if (!this.marker) return;
    const v = this.finite[t];
    this.marker.setAttribute("transform", `translate(${this.x(t).toFixed(1)} 0)`);
    this.marker.querySelector("circle").setAttribute("cy", v === null ? 45 : this.y(v).toFixed(1));
  }
}
