/**
 * Axes, scales and bars for the panels' SVG charts (memory, modes, gradient check). Positions
 * only: each chart maps the server's numbers to pixels and labels them; nothing is derived.
 * Charts are drawn in a fixed view box scaled as a whole (text keeps its proportions).
 */

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element with attributes, appended to `parent` when given. */
export function svgEl(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

/** A text element holding `content` as text. */
export function svgText(parent, attrs, content) {
  const t = svgEl("text", attrs, parent);
  t.textContent = content;
  return t;
}

/** A chart of `width` × `height` units that scales with its box, text included. */
export function chart(cls, width, height, label) {
  const svg = svgEl("svg", { class: cls, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": label, preserveAspectRatio: "xMidYMid meet" });
  const title = svgEl("title", {}, svg);
  title.textContent = label;
  return svg;
}

/** A linear map from [lo, hi] to [a, b]. */
export function linear(lo, hi, a, b) {
  const span = hi - lo || 1;
  return (v) => a + ((v - lo) / span) * (b - a);
}

/** A log10 map from [lo, hi] (both > 0) to [a, b]. */
export function logarithmic(lo, hi, a, b) {
  const [l, h] = [Math.log10(lo), Math.log10(hi)];
  const span = h - l || 1;
  return (v) => a + ((Math.log10(v) - l) / span) * (b - a);
}

/** The powers of ten from ≤ lo to ≥ hi, for a log axis. */
export function decades(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e += 1) out.push(10 ** e);
  return out;
}

/** Superscript digits for 10^e labels. */
const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
export const power = (v) => `10${String(Math.round(Math.log10(v))).split("").map((c) => SUP[c]).join("")}`;

/**
 * A left axis at x from y0 (bottom) to y1 (top): tick marks and labels at `ticks` placed by
 * `scale`, and an axis title written upwards.
 */
export function leftAxis(svg, { x, y0, y1, ticks, scale, format, title, titleOffset = 58 }) {
  const g = svgEl("g", { class: "axis-group" }, svg);
  svgEl("line", { class: "axis-line", x1: x, x2: x, y1: y0, y2: y1 }, g);
  for (const t of ticks) {
    const y = scale(t);
    svgEl("line", { class: "axis-line", x1: x - 4, x2: x, y1: y, y2: y }, g);
    svgText(g, { class: "tick", x: x - 7, y: y + 4, "text-anchor": "end" }, format(t));
  }
  if (title) {
    svgText(g, { class: "axis-title", transform: `translate(${x - titleOffset} ${(y0 + y1) / 2}) rotate(-90)`,
      "text-anchor": "middle" }, title);
  }
  return g;
}

/** A bottom axis at y from x0 to x1, ticks placed by `scale`, a title under it. */
export function bottomAxis(svg, { y, x0, x1, ticks, scale, format, title }) {
  const g = svgEl("g", { class: "axis-group" }, svg);
  svgEl("line", { class: "axis-line", x1: x0, x2: x1, y1: y, y2: y }, g);
  for (const t of ticks) {
    const x = scale(t);
    svgEl("line", { class: "axis-line", x1: x, x2: x, y1: y, y2: y + 4 }, g);
    svgText(g, { class: "tick", x, y: y + 17, "text-anchor": "middle" }, format(t));
  }
  if (title) svgText(g, { class: "axis-title", x: (x0 + x1) / 2, y: y + 36, "text-anchor": "middle" }, title);
  return g;
}
