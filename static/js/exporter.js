/**
 * The graph view as a file for slides: an SVG or a PNG at a chosen width, on the opaque
 * background of the theme shown (light, or lecture mode's black), with an optional caption band
 * under the drawing (where in the run, and the step's narration). The drawing looks exactly
 * like the screen: every property the page's CSS sets on it is written onto the copy, text
 * placement included. Owns making the files; no math, no request.
 */

/** Every CSS property app.css sets on the graph's elements, written out as attributes. */
const STYLE_PROPS = ["fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity",
  "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "paint-order",
  "font-size", "font-weight", "font-family", "font-style", "letter-spacing", "text-anchor",
  "dominant-baseline", "opacity", "visibility", "display", "image-rendering", "vector-effect"];

const SVG_NS = "http://www.w3.org/2000/svg";

/** The widths a slide may have, in pixels. */
export const WIDTH_LIMITS = [320, 3840];
export const DEFAULT_WIDTH = 1920;

/** The caption's type size, as a part of the slide's width (36 px at 1920), and its lines' spacing. */
const CAPTION_SIZE = 0.01875;
const LINE_HEIGHT = 1.3;
/** at most this many lines of narration: a caption, not a page */
const CAPTION_LINES = 4;

/** The first opaque background behind `element` (the theme's), else white. */
export function backgroundOf(element) {
  for (let e = element; e; e = e.parentElement) {
    const colour = window.getComputedStyle(e).backgroundColor;
    if (!/^rgba\(.*,\s*0\)$|^transparent$/.test(colour)) return colour;
  }
  return "#ffffff";
}

function make(tag, attributes) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
  return e;
}

/** A standalone copy of the drawing: computed styles as attributes, the current view box kept. */
export function standalone(svg) {
  const copy = svg.cloneNode(true);
  const from = svg.querySelectorAll("*");
  const to = copy.querySelectorAll("*");
  from.forEach((node, i) => {
    const style = window.getComputedStyle(node);
    // presentation attributes, not style="": the page's CSP forbids inline styles
    for (const p of STYLE_PROPS) to[i].setAttribute(p, style.getPropertyValue(p));
  });
  const box = svg.getBoundingClientRect();
  copy.setAttribute("width", String(Math.round(box.width)));
  copy.setAttribute("height", String(Math.round(box.height)));
  copy.setAttribute("xmlns", SVG_NS);
  const [x, y, w, h] = (svg.getAttribute("viewBox") || "0 0 0 0").split(" ");
  copy.insertBefore(make("rect", { x, y, width: w, height: h, fill: backgroundOf(svg) }), copy.firstChild);
  return { text: new XMLSerializer().serializeToString(copy), width: box.width, height: box.height, copy };
}

/**
 * `text` cut into lines no wider than `width` pixels in `font` (words kept whole), at most
 * `most` lines, the last one ending in "…" when the text goes on.
 */
export function wrap(text, font, width, most) {
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = font;
  const lines = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  if (lines.length <= most) return lines;
  const kept = lines.slice(0, most);
  let last = `${kept[most - 1]}…`;
  while (ctx.measureText(last).width > width && last.length > 1) last = `${last.slice(0, -2)}…`;
  kept[most - 1] = last;
  return kept;
}

/**
 * The slide: the drawing scaled to `width` pixels, its background opaque, and under it, when
 * `caption` has lines (`{ head, body }`: one line where in the run, then the narration), a
 * band with them. Returns the SVG text and its size in pixels.
 */
export function slide(svg, { width = DEFAULT_WIDTH, caption = null } = {}) {
  const drawing = standalone(svg);
  const graphHeight = Math.round(width * drawing.height / drawing.width);
  drawing.copy.setAttribute("width", String(width));
  drawing.copy.setAttribute("height", String(graphHeight));
  const size = Math.round(width * CAPTION_SIZE);
  const pad = Math.round(size * 0.8);
  const family = window.getComputedStyle(document.body).fontFamily;
  const lines = [];
  if (caption) {
    if (caption.head) lines.push({ text: caption.head, weight: 600 });
    for (const text of wrap(caption.body || "", `${size}px ${family}`, width - 2 * pad, CAPTION_LINES)) {
      lines.push({ text, weight: 400 });
    }
  }
  const band = lines.length ? Math.round(2 * pad + lines.length * size * LINE_HEIGHT) : 0;
  const height = graphHeight + band;
  const page = make("svg", { xmlns: SVG_NS, width, height, viewBox: `0 0 ${width} ${height}` });
  page.appendChild(make("rect", { x: 0, y: 0, width, height, fill: backgroundOf(svg) }));
  page.appendChild(drawing.copy);
  if (lines.length) {
    const ink = window.getComputedStyle(document.body).color;
    page.appendChild(make("line", { x1: pad, x2: width - pad, y1: graphHeight + 1, y2: graphHeight + 1,
      stroke: ink, "stroke-opacity": 0.35, "stroke-width": Math.max(1, size / 18) }));
    const group = make("g", { class: "caption", fill: ink, "font-family": family, "font-size": size });
    lines.forEach(({ text, weight }, i) => {
      const t = make("text", { x: pad, y: graphHeight + pad + (i + 0.8) * size * LINE_HEIGHT, "font-weight": weight });
      t.textContent = text;  // the narration is text, never markup
      group.appendChild(t);
    });
    page.appendChild(group);
  }
  return { text: new XMLSerializer().serializeToString(page), width, height };
}

export function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

export function exportSvg(svg, name, options) {
  download(new Blob([slide(svg, options).text], { type: "image/svg+xml" }), `${name}.svg`);
}

/** The slide as a PNG of exactly its width in pixels, every pixel opaque. */
export async function exportPng(svg, name, options) {
  const { text, width, height } = slide(svg, options);
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  const img = new Image();
  try {
    img.src = url;
    await img.decode();
  } finally {
    URL.revokeObjectURL(url);
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  // the background once more under the picture: no pixel left transparent at its edges
  ctx.fillStyle = backgroundOf(svg);
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(img, 0, 0, width, height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  download(blob, `${name}.png`);
}
