/**
 * The text in a node's box: how many letters of its label fit, and its quantity rows (a
 * scalar's number, or a heatmap thumbnail and the norm), narrowed where a row is longer than
 * its box. Draws only; every number comes from the server.
 */

import { heatmapDataUrl } from "./charts.js";
import { headline, num } from "./format.js";
import { quantity } from "./names.js";
import { el, text } from "./svg.js";

/** mode -> the width of one letter of a node label, in drawing units, as last measured */
const LETTER_WIDTHS = new Map();
document.fonts?.addEventListener("loadingdone", () => LETTER_WIDTHS.clear());

/**
 * How many of a node label's letters fit `width` drawing units (a fraction) in `mode`. The
 * label's font is monospaced and its size is the mode's: a letter's width is measured in
 * `layer` once per mode (and again when a font loads), not per drawing — the measure lays out
 * the page, and a drawing after it would lay it out a second time.
 */
export function labelRoom(layer, width, mode) {
  let letter = LETTER_WIDTHS.get(mode);
  if (!letter) {
    const probe = text(layer, "node-label", 0, 0, "0".repeat(20));
    letter = probe.getComputedTextLength() / 20;
    probe.remove();
    if (letter > 0) LETTER_WIDTHS.set(mode, letter);
  }
  return letter > 0 ? Math.max(4, width / letter) : (mode === "lecture" ? 12 : 14);
}

/**
 * One quantity row of a box: `summary` of quantity `which` (none: the row emptied), with
 * `suffix` (a partial gradient's "(i/n)") after it. Returns the room the row must be narrowed
 * to (0: it fits), for `narrow`.
 */
export function fillRow(textNode, image, summary, which, suffix, w, thumb) {
  textNode.removeAttribute("textLength");
  textNode.removeAttribute("lengthAdjust");
  if (!summary) {
    textNode.textContent = "";
    image.setAttribute("visibility", "hidden");
    return 0;
  }
  const { mark } = quantity(which);
  const scalar = summary.size === 1 && summary.values !== null;
  if (scalar) {
    image.setAttribute("visibility", "hidden");
    textNode.setAttribute("x", 0);
    textNode.setAttribute("text-anchor", "middle");
    textNode.textContent = `${mark}${num(headline(summary))}`;
  } else {
    image.setAttribute("href", heatmapDataUrl(summary.heatmap, which));
    image.setAttribute("visibility", "visible");
    textNode.setAttribute("x", -w / 2 + thumb + 10);
    textNode.setAttribute("text-anchor", "start");
    textNode.textContent = `${mark}‖·‖ ${num(summary.norm)}`;
  }
  if (suffix) el("tspan", { class: "partial" }, textNode).textContent = suffix;
  // the row stays inside its box: a long number with its "(i/n)" may need narrowing
  if (!(suffix || textNode.textContent.length > 12) || !textNode.isConnected) return 0;
  return scalar ? w - 12 : w - thumb - 18;
}

/**
 * Narrow the rows `fits` ([text, room] pairs) that are longer than their room: every length
 * read in one pass, so the page is laid out once, not once a row (a few hundred times when
 * a large graph is drawn).
 */
export function narrow(fits) {
  const over = fits.filter(([textNode, room]) => textNode.getComputedTextLength() > room);
  for (const [textNode, room] of over) {
    textNode.setAttribute("textLength", String(room));
    textNode.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
}
