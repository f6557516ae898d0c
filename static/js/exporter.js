/**
 * Download the current graph view as an SVG file, or as a PNG picture of it at twice the
 * screen's pixels (for slides). The file looks exactly like the screen: every property the
 * page's CSS sets on the drawing is written onto the copy, text placement included.
 */

/** Every CSS property app.css sets on the graph's elements, written out as attributes. */
const STYLE_PROPS = ["fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity",
  "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "paint-order",
  "font-size", "font-weight", "font-family", "font-style", "letter-spacing", "text-anchor",
  "dominant-baseline", "opacity", "visibility", "display", "image-rendering", "vector-effect"];

/** The PNG's pixels per screen pixel. */
const PNG_SCALE = 2;

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
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  const background = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  const [x, y, w, h] = (svg.getAttribute("viewBox") || "0 0 0 0").split(" ");
  Object.entries({ x, y, width: w, height: h, fill: window.getComputedStyle(svg.parentElement).backgroundColor })
    .forEach(([k, v]) => background.setAttribute(k, v));
  copy.insertBefore(background, copy.firstChild);
  return { text: new XMLSerializer().serializeToString(copy), width: box.width, height: box.height };
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

export function exportSvg(svg, name) {
  download(new Blob([standalone(svg).text], { type: "image/svg+xml" }), `${name}.svg`);
}

export async function exportPng(svg, name) {
  const { text, width, height } = standalone(svg);
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  const img = new Image();
  await new Promise((resolve, reject) => { img.onload = resolve; img.onerror = reject; img.src = url; });
  const scale = PNG_SCALE;
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext("2d");
  ctx.scale(scale, scale);
  ctx.drawImage(img, 0, 0, width, height);
  URL.revokeObjectURL(url);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  download(blob, `${name}.png`);
}
