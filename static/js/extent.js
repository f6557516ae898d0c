/**
 * The box a drawing takes: grown by every part the view and the groups place in it (node boxes
 * with their select rings, edges, group frames, tabs, badges), from where they place them. It
 * is never measured: measuring (getBBox) lays the whole drawing out, and the frame that shows
 * it at its new view box lays it out again — a few ms on a hundred-layer MLP, at every expand.
 */

/** the font sizes (px) of the texts drawn outside boxes (app.css: .node-check, .group-name) */
const OUTSIDE_TEXT = { normal: { badge: 11, tab: 10.5 }, lecture: { badge: 18, tab: 19 } };
/** a monospace glyph's width per px of font size */
const MONO_ADVANCE = 0.62;

export class Extent {
  constructor(mode) {
    this.mode = mode;
    /** [x0, y0, x1, y1] in drawing units; empty until a part is placed */
    this.box = [Infinity, Infinity, -Infinity, -Infinity];
  }

  get empty() { return !Number.isFinite(this.box[0]); }

  /** Hold [x0, y0, x1, y1]. */
  reach(x0, y0, x1, y1) {
    const b = this.box;
    if (x0 < b[0]) b[0] = x0;
    if (y0 < b[1]) b[1] = y0;
    if (x1 > b[2]) b[2] = x1;
    if (y1 > b[3]) b[3] = y1;
  }

  /** Hold the box [x0, y0, x1, y1] of a part translated to (cx, cy), as the SVG places it: its
   * translate written to 0.1. */
  reachAround(cx, cy, x0, y0, x1, y1) {
    const [x, y] = [Number(cx.toFixed(1)), Number(cy.toFixed(1))];
    this.reach(x + x0, y + y0, x + x1, y + y1);
  }

  /** Hold a line of monospace text from (x, baseline): a badge or a tab (`kind`), by the count
   * of its characters. */
  reachText(x, baseline, words, kind) {
    const size = OUTSIDE_TEXT[this.mode][kind];
    this.reach(x, baseline - size, x + [...words].length * size * MONO_ADVANCE, baseline + size / 4);
  }
}
