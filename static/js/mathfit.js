/**
 * A formula always whole inside its box: too wide, it is scaled down to fit, never below a
 * readable size; still too wide there, it is wrapped — cut into pieces before its top-level
 * operators (=, +, −, ×, the shape after it; never inside brackets), which flow onto as many
 * lines as they need. A piece wider than the box on its own is the one thing scaled further.
 * Watches its box: whoever puts MathML in it (panels.js, the presenter view) needs not call it.
 * Layout only; the MathML is the server's, rearranged, never changed.
 *
 * The box gets `data-fit`: `whole` (as it came), `scaled` or `wrapped`.
 */

const MATHML = "http://www.w3.org/1998/Math/MathML";
const BREAK_BEFORE = new Set(["=", "+", "−", "-", "×", "·", "⊙", "≈", "←", "+="]);
const OPEN = new Set(["(", "[", "{", "⟨", "‖"]);
const CLOSE = new Set([")", "]", "}", "⟩"]);

/** The rows of a formula: a table's cells, else the formula itself, as lists of elements. */
function rows(math) {
  let top = math;
  while (top.children.length === 1 && ["mrow", "semantics"].includes(top.firstElementChild.localName)) {
    top = top.firstElementChild;
  }
  const table = top.children.length === 1 && top.firstElementChild.localName === "mtable"
    ? top.firstElementChild : null;
  if (!table) return [[...top.children]];
  return [...table.querySelectorAll(":scope > mtr")].map((tr) => {
    const cells = [...tr.children].flatMap((td) => [...td.children]);
    return cells.length === 1 && cells[0].localName === "mrow" ? [...cells[0].children] : cells;
  });
}

/**
 * A row cut before its top-level operators and wide spaces and after its commas, brackets
 * kept whole.
 */
function pieces(row) {
  const out = [[]];
  let depth = 0;
  let afterComma = false;
  for (const node of row) {
    const text = node.textContent.trim();
    const op = node.localName === "mo";
    const space = node.localName === "mspace";
    const wideSpace = space && parseFloat(node.getAttribute("width")) >= 0.5;
    const cut = (op && BREAK_BEFORE.has(text)) || wideSpace || (afterComma && !space);
    if (depth === 0 && out.at(-1).length && cut) out.push([]);
    if (op && OPEN.has(text)) depth += 1;
    if (op && CLOSE.has(text)) depth = Math.max(0, depth - 1);
    if (!space) afterComma = op && [",", ";"].includes(text);
    out.at(-1).push(node);
  }
  return out.filter((p) => p.length);
}

/** Whether the box is not drawn (in a hidden panel, another mode's): asked of its style, not
 * of a layout, so a formula put into a hidden box costs no layout of the page. */
const hidden = (box) => (box.checkVisibility ? !box.checkVisibility() : box.offsetParent === null);

/** fits already found: "room|base|min|markup" -> how the formula was fitted (the outcome) */
const FITTED = new Map();
/** formulas remembered at most (a deep network's iteration has a few hundred) */
const FITTED_MAX = 2000;

export class MathFit {
  /**
   * `box`: the element the formula goes in; `min`: the smallest readable font size in px
   * (a function: it may depend on the mode).
   */
  constructor(box, min) {
    this.box = box;
    this.min = min;
    this.pending = false;
    /** the box's width at the ResizeObserver's last report: only a new width fits again */
    this.width = null;
    this.observer = new MutationObserver(() => this.fit());
    this.observer.observe(box, { childList: true });
    new ResizeObserver((entries) => {
      const width = entries.at(-1).contentRect.width;
      if (width === this.width) return;  // taller or shorter (its own formula): still fitted
      this.width = width;
      this.later();
    }).observe(box);
  }

  /** Fit again at the next frame (the box changed size). */
  later() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      if (this.source) this.fit(this.source);
    });
  }

  /**
   * Fit the formula in the box (`source`: the formula as it came, when refitting). A formula
   * fitted before at the same width is laid out as it was then, without measuring it again;
   * else the page is laid out once to measure it, once more if it is scaled, and once a round
   * while its wrapped pieces shrink.
   */
  fit(source = null) {
    const box = this.box;
    const math = source || box.querySelector(":scope > math");
    if (!math || !box.isConnected || hidden(box)) {
      this.source = math || null;
      this.observer.takeRecords();
      return;
    }
    this.source = math;
    box.style.fontSize = "";
    if (source) box.replaceChildren(source);
    box.dataset.fit = "whole";
    const room = box.clientWidth - 2;
    const base = parseFloat(getComputedStyle(box).fontSize);
    const min = Math.min(this.min(), base);
    const key = `${room}|${base}|${min}|${math.outerHTML}`;
    const known = FITTED.get(key);
    if (known) this.apply(math, room, known);
    else this.remember(key, this.measure(math, room, base, min));
    this.observer.takeRecords();
  }

  /** Measure how the formula fits: { size } scaled (null: whole), { pieces } wrapped. */
  measure(math, room, base, min) {
    const width = math.getBoundingClientRect().width;
    if (width <= room) return { size: null, pieces: null };
    const size = `${Math.max(min, Math.floor(base * (room / width) * 0.98 * 10) / 10)}px`;
    this.box.style.fontSize = size;
    this.box.dataset.fit = "scaled";
    if (math.getBoundingClientRect().width <= room) return { size, pieces: null };
    return { size, pieces: this.wrap(math, room) };
  }

  /** A formula fitted before: its font size, its pieces' sizes, set without measuring. */
  apply(math, room, { size, pieces }) {
    if (!size) return;
    this.box.style.fontSize = size;
    this.box.dataset.fit = "scaled";
    if (pieces) this.wrap(math, room, pieces);
  }

  remember(key, outcome) {
    if (FITTED.size >= FITTED_MAX) FITTED.delete(FITTED.keys().next().value);
    FITTED.set(key, outcome);
  }

  /**
   * Rebuild the formula as lines of pieces that wrap; a piece too wide alone shrinks (to
   * `sizes`, one per piece, when known). Returns each piece's font size ("" when whole).
   */
  wrap(math, room, sizes = null) {
    const lines = document.createElement("div");
    lines.className = "math-lines";
    const parts = [];
    for (const row of rows(math)) {
      const line = document.createElement("div");
      line.className = "math-line";
      for (const piece of pieces(row)) {
        const part = document.createElementNS(MATHML, "math");
        const mrow = document.createElementNS(MATHML, "mrow");
        for (const node of piece) mrow.appendChild(node.cloneNode(true));
        part.appendChild(mrow);
        part.classList.add("math-piece");
        if (sizes?.[parts.length]) part.style.fontSize = sizes[parts.length];
        line.appendChild(part);
        parts.push(part);
      }
      lines.appendChild(line);
    }
    this.box.replaceChildren(lines);
    this.box.dataset.fit = "wrapped";
    if (sizes) return sizes;
    // scripts have a smallest size of their own: shrinking is not linear, so measure again;
    // every piece still too wide shrinks in the same round (a piece's width is its own), so
    // the page is laid out once a round, not once a piece
    const scales = parts.map(() => 1);
    let over = parts.map((_, i) => i);
    for (let round = 0; round < 6 && over.length; round += 1) {
      const widths = over.map((i) => parts[i].getBoundingClientRect().width);
      over = over.filter((i, j) => {
        if (widths[j] <= room) return false;
        scales[i] *= (room / widths[j]) * 0.97;
        parts[i].style.fontSize = `${(scales[i] * 100).toFixed(1)}%`;
        return true;
      });
    }
    return parts.map((part) => part.style.fontSize);
  }
}
