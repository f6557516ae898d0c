/**
 * The room's answers as a bar chart, drawn in SVG from the server's histogram (docs/json.md,
 * Classes: `bins`, each `{label, low?, high?, count, correct, right}`, and the answers
 * `below` and `above` the bins' range). Numbers: a histogram, one bar per band in the
 * server's order over an axis marked at the bands' edges, the answers outside the range a bar
 * each side; choices and other answers: one row per answer, its words above its bar. Each bar
 * has its count, and after the reveal the right band is marked (a colour, a ✓ and a thick
 * outline: not by colour alone). Drawing only: the bins, their counts and which is right are
 * the server's.
 *
 * `g.bin[data-count][data-right]` per bin; `data-right` is `true`, `false`, or absent before
 * the reveal; `.outside` on the bars of the answers below and above the range.
 */

import { num } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 800;
/** a row's label is cut into lines of about this many characters (at its font size) */
const LINE_CHARS = 68;

function el(name, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/** An edge of a band, short enough to sit under the axis: 3 significant digits. */
const edge = (x) => num(Number(x.toPrecision(3)));

/** The bins drawn: the server's, with the answers outside their range as a bar each side. */
function allBins(histogram) {
  const bins = [...(histogram?.bins || [])];
  if (histogram?.below) bins.unshift({ label: `below ${edge(bins[0].low)}`, count: histogram.below, outside: "below" });
  if (histogram?.above) bins.push({ label: `above ${edge(bins.at(-1).high)}`, count: histogram.above, outside: "above" });
  return bins;
}

/** A bar's group: its count and, after the reveal, whether the right answer is in it. */
function binGroup(bin) {
  const g = el("g", { class: "bin", "data-count": bin.count });
  if (bin.outside) g.classList.add("outside");
  if (bin.right === true || bin.right === false) {
    g.dataset.right = String(bin.right);
    g.classList.add(bin.right ? "correct" : "wrong");
  }
  return g;
}

const countText = (bin) => `${bin.right === true ? "✓ " : ""}${bin.count}`;

/** Words cut at spaces into lines of at most `n` characters (a longer word alone). */
function lines(text, n) {
  const out = [""];
  for (const word of String(text).split(/\s+/)) {
    if (out.at(-1) && out.at(-1).length + word.length + 1 > n) out.push(word);
    else out[out.length - 1] = out.at(-1) ? `${out.at(-1)} ${word}` : word;
  }
  return out;
}

/** Numbers: vertical bars side by side, the axis marked at the bands' edges. */
function numbers(svg, bins) {
  const H = 330;
  const top = 46;
  // the answers outside the bands are named on a second line under the axis
  const bottom = bins.some((b) => b.outside) ? 72 : 40;
  const side = 44;
  const slot = (W - 2 * side) / bins.length;
  const most = Math.max(...bins.map((b) => b.count));
  const plot = H - top - bottom;
  const base = H - bottom;
  const size = 24;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.appendChild(el("line", { x1: side, x2: W - side, y1: base, y2: base, class: "room-axis" }));
  const inside = bins.filter((b) => !b.outside);
  const every = Math.ceil((size * 0.62 * 7) / slot);  // an edge label needs about 7 characters
  bins.forEach((bin, i) => {
    const x = side + slot * i;
    const h = bin.count ? Math.max(3, (bin.count / most) * plot) : 0;
    const g = binGroup(bin);
    g.appendChild(el("rect", { x: x + 2, y: base - h, width: slot - 4, height: h, rx: 3, class: "bar" }));
    g.appendChild(el("text", { x: x + slot / 2, y: base - h - 10, class: "bin-count" }, countText(bin)));
    if (bin.outside) {
      g.appendChild(el("text", { x: x + slot / 2, y: base + 2 * size + 16, class: "bin-label", "font-size": size }, bin.outside));
    }
    svg.appendChild(g);
  });
  const first = bins.indexOf(inside[0]);
  const edges = [...inside.map((b) => b.low), inside.at(-1).high];
  edges.forEach((value, j) => {
    if (j % every && j !== edges.length - 1) return;
    const x = side + slot * (first + j);
    svg.appendChild(el("line", { x1: x, x2: x, y1: base, y2: base + 8, class: "room-axis" }));
    svg.appendChild(el("text", { x, y: base + size + 8, class: "bin-label", "font-size": size }, edge(value)));
  });
}

/** Choices and other answers: one row each, its words above its bar, the count after it. */
function categories(svg, bins) {
  const size = 22;
  const bar = 26;
  const most = Math.max(...bins.map((b) => b.count), 1);
  const room = W - 90;
  let y = 6;
  for (const bin of bins) {
    const g = binGroup(bin);
    const words = lines(bin.label, LINE_CHARS);
    const label = el("text", { x: 0, y: y + size, class: "bin-label row-label", "font-size": size });
    words.forEach((line, j) => label.appendChild(el("tspan", { x: 0, dy: j ? size * 1.2 : 0 }, line)));
    g.appendChild(label);
    y += words.length * size * 1.2 + 6;
    const w = bin.count ? Math.max(4, (bin.count / most) * room) : 0;
    g.appendChild(el("rect", { x: 0, y, width: w, height: bar, rx: 3, class: "bar" }));
    g.appendChild(el("text", { x: w + 10, y: y + bar * 0.78, class: "bin-count row-count" }, countText(bin)));
    svg.appendChild(g);
    y += bar + 10;
  }
  svg.setAttribute("viewBox", `0 0 ${W} ${Math.ceil(y)}`);
}

/** The chart of `histogram` (null: nothing answered yet): an <svg>, or a <p> saying so. */
export function roomChart(histogram) {
  const bins = allBins(histogram);
  const total = bins.reduce((s, b) => s + b.count, 0);
  if (!total) {
    const none = document.createElement("p");
    none.className = "room-chart-empty";
    none.textContent = "No answers yet.";
    return none;
  }
  const svg = el("svg", { class: "room-chart", role: "img" });
  const banded = bins.some((b) => typeof b.low === "number");
  if (banded) numbers(svg, bins);
  else categories(svg, bins);
  svg.classList.add(banded ? "banded" : "rows");
  const words = bins.map((b) => {
    const what = typeof b.low === "number" ? `${edge(b.low)} to ${edge(b.high)}` : b.label;
    return `${what}: ${b.count}${b.right === true ? " (right)" : ""}`;
  });
  svg.setAttribute("aria-label", `${total} answer${total === 1 ? "" : "s"} — ${words.join("; ")}`);
  return svg;
}
