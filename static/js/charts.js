/**
 * Small pictures of numbers the server sent: heatmaps (canvas) with their colour scale, and
 * histograms; the loss curve is losses.js's, the memory ledger memory.js's. Colour scales only
 * map numbers to colours.
 */

import { num } from "./format.js";
import { quantityClass } from "./names.js";
import { svgEl, svgText } from "./plots.js";

/**
 * Colour-blind-safe ramps (light = low, dark = high): values in blues, tangents in yellows; a
 * quantity the page does not know in greys.
 */
const RAMPS = {
  value: [[240, 246, 252], [107, 174, 214], [8, 81, 156]],
  tangent: [[255, 251, 222], [240, 200, 40], [110, 82, 0]],
  other: [[245, 245, 245], [160, 160, 160], [40, 40, 40]],
};

/**
 * A gradient's sign is what a learner reads first: gradients use a diverging ramp centred at 0
 * (purple below, white at 0, orange above; ColorBrewer PuOr, colour-blind safe), scaled by the
 * largest magnitude so that equal magnitudes of either sign look equally strong.
 */
const DIVERGING = {
  grad: [[84, 39, 136], [153, 142, 195], [247, 247, 247], [241, 163, 64], [179, 88, 6]],
};

/** Cells that are NaN or ±Inf (the API's strings): a dark grey, outside every ramp. */
const NOT_FINITE = [60, 60, 60];

function ramp(stops, f) {
  const x = Math.max(0, Math.min(1, f)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const t = x - i;
  return stops[i].map((c, j) => Math.round(c + (stops[i + 1][j] - c) * t));
}

/**
 * How a quantity's heatmap maps numbers to colours: `{ diverging, lo, hi, colour(v) }`, lo and
 * hi the ends of the scale (−m and +m, m the largest magnitude, when diverging).
 */
export function colourScale(heatmap, which) {
  const flat = heatmap.cells.flat().filter((v) => typeof v === "number");
  let lo = flat.length ? Math.min(...flat) : 0;
  let hi = flat.length ? Math.max(...flat) : 0;
  const stops = DIVERGING[which];
  if (stops) {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    [lo, hi] = [-m, m];
  }
  const colour = (v) => {
    if (typeof v !== "number") return NOT_FINITE;
    const f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    return ramp(stops || RAMPS[which] || RAMPS.other, f);
  };
  return { diverging: Boolean(stops), lo, hi, colour };
}

/** Draw heatmap cells on a canvas, one pixel per cell, coloured by the quantity's scale. */
export function drawHeatmap(canvas, heatmap, which) {
  const { rows, cols, cells } = heatmap;
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext("2d");
  const { colour } = colourScale(heatmap, which);
  const image = ctx.createImageData(cols, rows);
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < cols; c += 1) {
      image.data.set([...colour(cells[r][c]), 255], 4 * (r * cols + c));
    }
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/**
 * The legend of a heatmap: its colour ramp from one end of the scale to the other, the ends
 * labelled (and 0 in the middle of a gradient's diverging scale). `svg.heat-scale` carries
 * `data-scale` ("diverging" or "sequential"), `data-min` and `data-max`.
 */
export function heatLegend(heatmap, which) {
  const { diverging, lo, hi, colour } = colourScale(heatmap, which);
  const [width, height, bar] = [200, 30, 12];
  const svg = svgEl("svg", { class: "heat-scale", viewBox: `0 0 ${width} ${height}`, role: "img",
    "data-scale": diverging ? "diverging" : "sequential", "data-min": lo, "data-max": hi,
    "aria-label": diverging
      ? `colour scale: purple negative, white 0, orange positive, from ${num(lo)} to ${num(hi)}`
      : `colour scale: light ${num(lo)} to dark ${num(hi)}` });
  const steps = 40;
  for (let i = 0; i < steps; i += 1) {
    const v = lo + ((hi - lo) * (i + 0.5)) / steps;
    svgEl("rect", { x: 4 + (i * (width - 8)) / steps, y: 1, width: (width - 8) / steps + 0.5,
      height: bar, fill: `rgb(${colour(v).join(",")})` }, svg);
  }
  svgEl("rect", { class: "heat-scale-frame", x: 4, y: 1, width: width - 8, height: bar }, svg);
  const tick = (x, anchor, v) => svgText(svg, { class: "heat-scale-tick", x, y: height - 3,
    "text-anchor": anchor }, num(v));
  tick(4, "start", lo);
  tick(width - 4, "end", hi);
  if (diverging) {
    svgEl("line", { class: "heat-scale-zero", x1: width / 2, x2: width / 2, y1: 0, y2: bar + 3 }, svg);
    tick(width / 2, "middle", 0);
  }
  return svg;
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
