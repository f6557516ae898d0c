/**
 * Picking a leaf element as forward mode's direction, in the inspector: the exact values as a
 * grid of buttons, or a heatmap whose cell stands for its block's first element. Index
 * bookkeeping only — which element a grid cell or a heatmap block starts at, the way the
 * server lays a tensor out (docs/json.md, Summary) — never a value.
 */

import { element, num } from "./format.js";

/** A tensor's shape seen as 2-D, as the server's heatmap sees it: [rows, cols]. */
function asRows(dims) {
  if (!dims.length) return [1, 1];
  if (dims.length === 1) return [1, dims[0]];
  return [dims.slice(0, -1).reduce((a, b) => a * b, 1), dims.at(-1)];
}

/** The index in `dims` of element (row, col) of the tensor seen as 2-D. */
function indexOf(dims, row, col) {
  if (!dims.length) return [];
  if (dims.length === 1) return [col];
  const lead = [];
  let rest = row;
  for (const d of dims.slice(0, -1).reverse()) {
    lead.unshift(rest % d);
    rest = Math.floor(rest / d);
  }
  return [...lead, col];
}

/**
 * The first row (or column) of heatmap block `i` of `cells` blocks over `n`: the server's
 * blocks start at numpy.linspace(0, n, cells + 1) truncated (app/engine/presenter/summary.py).
 */
const blockStart = (i, n, cells) => (n <= cells ? i : Math.trunc(i * (n / cells)));

/** The heatmap block holding row (or column) `j`. */
function blockOf(j, n, cells) {
  if (n <= cells) return j;
  let i = 0;
  while (i + 1 < cells && blockStart(i + 1, n, cells) <= j) i += 1;
  return i;
}

const sameIndex = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

/** The heatmap cell (of hr × hc) holding the element at `index` of a tensor of shape `dims`. */
function cellOf(dims, index, hr, hc) {
  const [rows, cols] = asRows(dims);
  let row = 0;
  for (let i = 0; i < dims.length - 1; i += 1) row = row * dims[i] + index[i];
  return [blockOf(row, rows, hr), blockOf(index.at(-1), cols, hc)];
}

/** The grid of exact values and the heatmap of one inspected node; `onPick({leaf, index})`. */
export class ElementPicker {
  constructor(onPick) {
    this.onPick = onPick;
    /** the heatmap cell under the keyboard cursor: [row, col] */
    this.cursor = [0, 0];
  }

  /**
   * The exact values as a grid (the tensor seen as 2-D). A leaf's elements are buttons that
   * pick forward mode's direction; the arrow keys move between them.
   */
  grid(node, summary, pickable, chosen) {
    const dims = summary.shape;
    const [, cols] = asRows(dims);
    const flat = [summary.values].flat(Infinity);
    const table = document.createElement("table");
    table.className = `exact${pickable ? " pickable" : ""}`;
    table.setAttribute("aria-label", `exact values of ${node.label}`);
    if (pickable) table.dataset.ownKeys = "arrows";
    const cells = [];
    flat.forEach((v, i) => {
      const [row, col] = [Math.floor(i / cols), i % cols];
      const tr = table.rows[row] || table.insertRow();
      const td = tr.insertCell();
      const index = indexOf(dims, row, col);
      if (!pickable) {
        td.textContent = num(v);
        return;
      }
      const button = document.createElement("button");
      button.type = "button";
      button.className = "element";
      button.dataset.index = index.join(",");
      button.textContent = num(v);
      button.title = `forward mode along ${element(node.id, index)}`;
      button.tabIndex = -1;
      if (chosen && sameIndex(chosen, index)) {
        button.classList.add("direction");
        button.setAttribute("aria-current", "true");
      }
      button.addEventListener("click", () => this.onPick({ leaf: node.id, index }));
      td.appendChild(button);
      cells.push(button);
    });
    if (pickable && cells.length) {
      (cells.find((b) => b.classList.contains("direction")) || cells[0]).tabIndex = 0;
      table.addEventListener("keydown", (e) => {
        const at = cells.indexOf(document.activeElement);
        const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols }[e.key];
        if (at < 0 || step === undefined) return;
        e.preventDefault();
        const next = cells[at + step];
        if (!next) return;
        cells[at].tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      });
    }
    return table;
  }

  /**
   * A leaf's heatmap that picks forward mode's direction: a cell (clicked, or chosen with the
   * arrow keys and Enter) stands for its block's first element, named in the caption.
   * Returns the picture's frame and its caption.
   */
  heatmap(canvas, node, summary, chosen) {
    const { rows: hr, cols: hc } = summary.heatmap;
    const [rows, cols] = asRows(summary.shape);
    const firstOf = ([r, c]) => indexOf(summary.shape, blockStart(r, rows, hr), blockStart(c, cols, hc));
    const cursor = document.createElement("div");
    cursor.className = "heat-cursor";
    const caption = document.createElement("p");
    caption.className = "heat-caption";
    canvas.tabIndex = 0;
    canvas.dataset.ownKeys = "arrows";
    canvas.setAttribute("role", "button");
    if (chosen?.length) this.cursor = cellOf(summary.shape, chosen, hr, hc);
    this.cursor = [Math.min(this.cursor[0], hr - 1), Math.min(this.cursor[1], hc - 1)];
    const place = ([r, c]) => {
      cursor.style.left = `${(100 * c) / hc}%`;
      cursor.style.top = `${(100 * r) / hr}%`;
      cursor.style.width = `${100 / hc}%`;
      cursor.style.height = `${100 / hr}%`;
      const index = firstOf([r, c]);
      const label = `cell (${r}, ${c}): first element ${element(node.id, index)}`;
      caption.textContent = `${label} — Enter or click: forward mode along it`;
      canvas.setAttribute("aria-label", `heatmap of ${node.label}, ${label}; arrow keys move, Enter picks`);
      canvas.dataset.index = index.join(",");
    };
    const cellAt = (e) => {
      const box = canvas.getBoundingClientRect();
      return [Math.min(hr - 1, Math.max(0, Math.floor(((e.clientY - box.top) / box.height) * hr))),
        Math.min(hc - 1, Math.max(0, Math.floor(((e.clientX - box.left) / box.width) * hc)))];
    };
    canvas.addEventListener("mousemove", (e) => place(cellAt(e)));
    canvas.addEventListener("mouseleave", () => place(this.cursor));
    canvas.addEventListener("click", (e) => {
      this.cursor = cellAt(e);
      place(this.cursor);
      this.onPick({ leaf: node.id, index: firstOf(this.cursor) });
    });
    canvas.addEventListener("keydown", (e) => {
      const [dr, dc] = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[e.key] || [];
      if (dr !== undefined) {
        e.preventDefault();
        this.cursor = [Math.min(hr - 1, Math.max(0, this.cursor[0] + dr)),
          Math.min(hc - 1, Math.max(0, this.cursor[1] + dc))];
        place(this.cursor);
      } else if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        this.onPick({ leaf: node.id, index: firstOf(this.cursor) });
      }
    });
    place(this.cursor);
    const frame = document.createElement("div");
    frame.className = "heat-frame";
    frame.append(canvas, cursor);
    return { frame, caption };
  }
}
