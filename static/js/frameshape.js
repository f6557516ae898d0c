/**
 * The shape of an expanded group's frame, and where its tab goes: geometry only (groups.js
 * draws them). Boxes are [x0, y0, x1, y1] in the drawing's units.
 */

const meets = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/**
 * The frame around a group's `members` (their boxes), `pad` outside them, with a band `tab`
 * high above them that holds the tab naming the group; `others`: the boxes of every other node
 * drawn. The members' bounding box when no other box meets it. Else that box with notches: a
 * group's parameters sit in the column of the node before it (a collapsed group's box, say),
 * above or below that node, which the bounding box would take in. Column by column, the frame
 * reaches up (and down) as far as the bounding box where no other box is in the way, and only
 * to its own members there; the band is kept where it is free, and the tab goes in the first
 * column that has it.
 * Returns `{ rect }` (x, y, width, height) or `{ path }` (an SVG path), `box`: the frame's
 * bounding box [x0, y0, x1, y1], and `tab`: [x, y], the start of the tab text's baseline.
 */
export function frameShape(members, others, pad, tab) {
  const x0 = Math.min(...members.map((m) => m[0]));
  const y0 = Math.min(...members.map((m) => m[1]));
  const x1 = Math.max(...members.map((m) => m[2]));
  const y1 = Math.max(...members.map((m) => m[3]));
  const whole = [x0 - pad, y0 - pad - tab, x1 + pad, y1 + pad];
  if (!others.some((o) => meets(o, whole))) {
    return { rect: [x0 - pad, y0 - pad - tab, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad + tab],
      box: whole, tab: [x0 - pad + 8, y0 - pad - tab / 3] };
  }
  /** the members' boxes by column (the same centre x), left to right */
  const byColumn = new Map();
  for (const m of members) {
    const key = ((m[0] + m[2]) / 2).toFixed(1);
    const c = byColumn.get(key);
    byColumn.set(key, c ? [Math.min(c[0], m[0]), Math.min(c[1], m[1]), Math.max(c[2], m[2]),
      Math.max(c[3], m[3])] : [...m]);
  }
  const columns = [...byColumn.values()].sort((a, b) => a[0] - b[0]);
  // each column reaches halfway to the next: the steps of the outline fall between columns
  const free = (box) => !others.some((o) => meets(o, box));
  const parts = columns.map((c, i) => {
    const left = i ? (columns[i - 1][2] + c[0]) / 2 : c[0] - pad;
    const right = i < columns.length - 1 ? (c[2] + columns[i + 1][0]) / 2 : c[2] + pad;
    const top = c[1] - pad;
    const bottom = c[3] + pad;
    return {
      left, right,
      top: free([left, whole[1], right, top]) ? whole[1] : top,
      band: free([left, top - tab, right, top]),
      bottom: free([left, bottom, right, whole[3]]) ? whole[3] : bottom,
    };
  });
  // no column has room for the band: the tab over the highest column (where it hides least)
  const at = parts.find((p) => p.band) ?? parts.reduce((best, p) => (p.top < best.top ? p : best));
  for (const p of parts) if ((p.band || p === at) && p.top !== whole[1]) p.top -= tab;
  const n = (v) => Number(v.toFixed(1));
  const path = [`M ${n(parts[0].left)} ${n(parts[0].top)}`];
  parts.forEach((p, i) => {
    path.push(`H ${n(p.right)}`, `V ${n(i < parts.length - 1 ? parts[i + 1].top : p.bottom)}`);
  });
  for (let i = parts.length - 1; i >= 0; i -= 1) {
    path.push(`H ${n(parts[i].left)}`, `V ${n(i ? parts[i - 1].bottom : parts[i].top)}`);
  }
  path.push("Z");
  const box = [n(parts[0].left), n(Math.min(...parts.map((p) => p.top))),
    n(parts.at(-1).right), n(Math.max(...parts.map((p) => p.bottom)))];
  return { path: path.join(" "), box, tab: [at.left + 8, at.top + (tab * 2) / 3] };
}
