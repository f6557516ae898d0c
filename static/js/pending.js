/**
 * A chart whose numbers are still on their way says so: "computing…" in the middle of its
 * drawing and `aria-busy="true"` on it, until the numbers are drawn or the request fails.
 * Owns only that mark; the charts decide when.
 */

import { svgText } from "./plots.js";

export const PENDING_TEXT = "computing…";

/** Mark `svg` as waiting for its numbers (`on`), or no longer. */
export function showPending(svg, on) {
  svg.querySelector(":scope > .chart-pending")?.remove();
  if (!on) {
    svg.removeAttribute("aria-busy");
    return;
  }
  svg.setAttribute("aria-busy", "true");
  svgText(svg, { class: "chart-pending", x: "50%", y: "50%", "text-anchor": "middle",
    "dominant-baseline": "middle" }, PENDING_TEXT);
}
