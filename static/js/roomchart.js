/**
 * The room's answers as a bar chart, drawn in SVG from the server's histogram (docs/json.md,
 * Classes: `bins`, each `{label, low?, high?, count, correct, right}`, and the answers
 * `below` and `above` the bins' range): one bar per bin in the server's order, its count above
 * it, its band or answer under it, and after the reveal the right band marked (a colour, a ✓
 * and a thick outline: not by colour alone). Drawing only: the bins, their counts and which
 * is right are the server's.
 *
 * `g.bin[data-count][data-right]` per bin; `data-right` is `true`, `false`, or absent before
 * the reveal; `.outside` on the bars of the answers below and above the range.
 */

import { num } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 800;
const H = 340;
const TOP = 44;
const BOTTOM = 64;
const SIDE = 10;

function el(name, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/** A bin's words: its answer, or its band as two lines ("−0.12", "to −0.05"). */
export function binLines(bin) {
  if (typeof bin.low !== "number" || typeof bin.high !== "number") return [String(bin.label)];
  return [num(bin.low), `to ${num(bin.high)}`];
}

/** The bins drawn: the server's, with the answers outside their range as a bar each side. */
function allBins(histogram) {
  const bins = [...(histogram?.bins || [])];
  const first = bins[0];
  const last = bins.at(-1);
  if (histogram?.below) bins.unshift({ label: `below ${num(first?.low)}`, count: histogram.below, outside: true });
  if (histogram?.above) bins.push({ label: `above ${num(last?.high)}`, count: histogram.above, outside: true });
  return bins;
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
  const most = Math.max(...bins.map((b) => b.count));
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "room-chart", role: "img" });
  const slot = (W - 2 * SIDE) / bins.length;
  const barW = Math.min(140, slot * 0.78);
  const plot = H - TOP - BOTTOM;
  const labelSize = Math.max(14, Math.min(24, slot / 6));
  const words = [];
  svg.appendChild(el("line", { x1: SIDE, x2: W - SIDE, y1: H - BOTTOM, y2: H - BOTTOM, class: "room-axis" }));
  bins.forEach((bin, i) => {
    const x = SIDE + slot * i + (slot - barW) / 2;
    const h = bin.count ? Math.max(3, (bin.count / most) * plot) : 0;
    const g = el("g", { class: "bin", "data-count": bin.count });
    if (bin.outside) g.classList.add("outside");
    if (bin.right === true || bin.right === false) {
      g.dataset.right = String(bin.right);
      g.classList.add(bin.right ? "correct" : "wrong");
    }
    g.appendChild(el("rect", { x, y: H - BOTTOM - h, width: barW, height: h, rx: 4, class: "bar" }));
    const mark = bin.right === true ? "✓ " : "";
    g.appendChild(el("text", { x: x + barW / 2, y: H - BOTTOM - h - 10, class: "bin-count" }, `${mark}${bin.count}`));
    const lines = binLines(bin);
    const label = el("text", { x: x + barW / 2, y: H - BOTTOM + labelSize + 6, class: "bin-label", "font-size": labelSize });
    lines.forEach((line, j) => {
      const span = el("tspan", { x: x + barW / 2, dy: j ? labelSize * 1.15 : 0 }, line);
      label.appendChild(span);
    });
    // never wider than its slot: a long answer is narrowed, not cut
    if (lines.some((line) => line.length * labelSize * 0.6 > slot - 4)) {
      for (const span of label.children) span.setAttribute("textLength", String(Math.min(slot - 4, span.textContent.length * labelSize * 0.6)));
      label.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
    g.appendChild(label);
    svg.appendChild(g);
    words.push(`${lines.join(" ")}: ${bin.count}${bin.right === true ? " (right)" : ""}`);
  });
  svg.setAttribute("aria-label", `${total} answer${total === 1 ? "" : "s"} — ${words.join("; ")}`);
  return svg;
}
