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

export class MathFit {
  /**
   * `box`: the element the formula goes in; `min`: the smallest readable font size in px
   * (a function: it may depend on the mode).
   */
  constructor(box, min) {
    this.box = box;
    this.min = min;
    this.pending = false;
    this.observer = new MutationObserver(() => this.fit());
    this.observer.observe(box, { childList: true });
    new ResizeObserver(() => this.later()).observe(box);
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

  /** Fit the formula in the box (`source`: the formula as it came, when refitting). */
  fit(source = null) {
    const box = this.box;
    const math = source || box.querySelector(":scope > math");
    if (!math || !box.isConnected || box.offsetParent === null) {
      this.source = math || null;
      this.observer.takeRecords();
      return;
    }
    this.source = math;
    box.style.fontSize = "";
    if (source) box.replaceChildren(source);
    box.dataset.fit = "whole";
    const room = box.clientWidth - 2;
    const width = math.getBoundingClientRect().width;
    const base = parseFloat(getComputedStyle(box).fontSize);
    const min = Math.min(this.min(), base);
    if (width > room) {
      const size = Math.max(min, Math.floor(base * (room / width) * 0.98 * 10) / 10);
      box.style.fontSize = `${size}px`;
      box.dataset.fit = "scaled";
      if (math.getBoundingClientRect().width > room) this.wrap(math, room);
    }
    this.observer.takeRecords();
  }

  /** Rebuild the formula as lines of pieces that wrap; a piece too wide alone shrinks. */
  wrap(math, room) {
    const lines = document.createElement("div");
    lines.className = "math-lines";
    for (const row of rows(math)) {
      const line = document.createElement("div");
      line.className = "math-line";
      for (const piece of pieces(row)) {
        const part = document.createElementNS(MATHML, "math");
        const mrow = document.createElementNS(MATHML, "mrow");
        for (const node of piece) mrow.appendChild(node.cloneNode(true));
        part.appendChild(mrow);
        part.classList.add("math-piece");
        line.appendChild(part);
      }
      lines.appendChild(line);
    }
    this.box.replaceChildren(lines);
    this.box.dataset.fit = "wrapped";
    // scripts have a smallest size of their own: shrinking is not linear, so measure again
    for (const part of lines.querySelectorAll(".math-piece")) {
      let scale = 1;
      for (let i = 0; i < 6; i += 1) {
        const w = part.getBoundingClientRect().width;
        if (w <= room) break;
        scale *= (room / w) * 0.97;
        part.style.fontSize = `${(scale * 100).toFixed(1)}%`;
      }
    }
  }
}
