/**
 * The SVG the drawings share: an element with its attributes, a text, and a label fitted to the
 * room its box has. Draws only.
 */

export const SVG = "http://www.w3.org/2000/svg";

export function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

/** Set an attribute only if it changes: the browser lays out again what any write touches, even
 * one of the value it had. */
export function setChanged(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

export function text(parent, cls, x, y, content = "") {
  const t = el("text", { class: cls, x, y }, parent);
  t.textContent = content;
  return t;
}

/**
 * Make `layer`'s children the elements `wanted`, in that order: those it has already stay where
 * they are when their order allows (the page does no style or layout work on them again), the
 * others are inserted in their places and the rest removed.
 */
export function arrange(layer, wanted) {
  const keep = new Set(wanted);
  for (const child of [...layer.children]) if (!keep.has(child)) child.remove();
  let cursor = layer.firstChild;
  for (const node of wanted) {
    if (node === cursor) cursor = cursor.nextSibling;
    else layer.insertBefore(node, cursor);
  }
}

/** how much narrower than the font's own a label's letters may be drawn before it is cut */
const SQUEEZE = 0.75;

/**
 * Write `label` into the text element `t`, fitted to `room` characters (as many as the box
 * holds, `width` drawing units, a fraction): whole when it fits; narrowed to the width when
 * its letters need not be narrower than `squeeze` of their own; else cut in the middle, keeping its distinguishing end (`sum(W1…3 ** 2)`).
 */
export function fitLabel(t, label, room, width, squeeze = SQUEEZE) {
  let shown = label;
  if (label.length > room / squeeze) {
    const whole = Math.floor(room);
    const tail = Math.floor(whole / 3);
    shown = `${label.slice(0, Math.max(1, whole - 1 - tail))}…${label.slice(label.length - tail)}`;
  }
  t.textContent = shown;
  if (shown.length > room) {
    t.setAttribute("textLength", String(width));
    t.setAttribute("lengthAdjust", "spacingAndGlyphs");
  }
  return t;
}
