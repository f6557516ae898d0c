/**
 * The minimap: while the camera shows only part of the graph, a small picture of all of it in
 * the graph's corner — one box per node, the step's node marked, the part on screen outlined.
 * A click or a drag on it moves the camera there. It never covers the step's nodes nor the
 * controls over the graph: it takes the first corner of the graph where it covers none of
 * them, and hides when every corner would. Draws from the GraphView's own geometry.
 *
 * `#minimap` (`hidden` unless zoomed in and a corner is free; `data-corner` the corner it is
 * in, `none` when none is free): `svg rect.mini-node[data-id]`, `.current` on the step's node,
 * `rect.mini-view` the part shown.
 */

const SVG = "http://www.w3.org/2000/svg";
/** the corners the minimap may take, the first free one wins */
const CORNERS = ["bottom-right", "bottom-left", "top-right", "top-left"];
/** its distance from the graph's edges, px */
const MARGIN = 8;
/** the controls drawn over the graph that it must leave uncovered */
const CONTROLS = "#graph-tools button, #mode-switch, #search.open, #status:not(:empty), #link-error:not([hidden])";

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  parent.appendChild(node);
  return node;
}

export class Minimap {
  /** `box`: the `#minimap` element; `view`: the GraphView it shows. */
  constructor(box, view) {
    this.box = box;
    this.view = view;
    this.nodes = new Map();
    this.current = null;
    /** scrubbing: the corner is chosen once a frame (mark's `soon`) */
    this.soon = false;
    /** the drawn ids of the step's nodes (its node and its edges' other ends) */
    this.focus = [];
    /** a drawing not yet shown in a frame: its corner waits for the frame */
    this.fresh = false;
    view.addEventListener("camera", () => this.place());
    let dragging = false;
    const go = (e) => {
      const camera = this.view.camera;
      const point = this.svg.createSVGPoint();
      point.x = e.clientX;
      point.y = e.clientY;
      const at = point.matrixTransform(this.svg.getScreenCTM().inverse());
      camera.stop();
      camera.centre(at.x, at.y);
      camera.moved();
    };
    box.addEventListener("pointerdown", (e) => {
      if (!this.svg) return;
      dragging = true;
      box.setPointerCapture?.(e.pointerId);
      go(e);
    });
    box.addEventListener("pointermove", (e) => { if (dragging) go(e); });
    box.addEventListener("pointerup", () => { dragging = false; });
    box.addEventListener("pointercancel", () => { dragging = false; });
  }

  /** Draw the graph just drawn by the view. */
  draw() {
    const view = this.view;
    const [x, y, w, h] = view.bounds();
    this.box.replaceChildren();
    this.nodes.clear();
    this.svg = el("svg", { viewBox: `${x} ${y} ${w} ${h}`, role: "img",
      "aria-label": "where the view is in the whole graph (click to move there)" }, this.box);
    el("rect", { class: "mini-bg", x, y, width: w, height: h }, this.svg);
    const { w: nw, h: nh } = view.geo;
    for (const [id, node] of view.nodes) {
      this.nodes.set(id, el("rect", { class: `mini-node kind-${node.node.kind}`, "data-id": id,
        x: node.cx - nw / 2, y: node.cy - nh / 2, width: nw, height: nh }, this.svg));
    }
    this.frame = el("rect", { class: "mini-view" }, this.svg);
    this.current = null;
    // a new drawing: its corner is chosen at the next frame, however many times the camera and
    // the step move before it. Chosen now, each would lay the new drawing out again (5-9 ms on
    // a hundred boxes) before the frame that lays it out anyway; the frame shows the same.
    this.fresh = true;
    requestAnimationFrame(() => { this.fresh = false; });
    this.place();
  }

  /**
   * The step's node, marked; `focus`: the drawn ids of the nodes it must not cover. The corner
   * is chosen at once, or with `soon` at the next frame (scrubbing: once a frame however many
   * steps it passes, the page measured once).
   */
  mark(id, focus = id ? [id] : [], soon = false) {
    this.focus = focus;
    this.soon = soon;
    if (this.current !== id) {
      this.nodes.get(this.current)?.classList.remove("current");
      this.nodes.get(id)?.classList.add("current");
      this.current = id;
    }
    this.place(!soon);
  }

  /**
   * Outline the part on screen; shown only while it is not the whole graph, in a free corner
   * (chosen again once the camera stops): at once, or at the next frame while scrubbing.
   */
  place(now = !this.soon) {
    const camera = this.view.camera;
    if (!camera || !this.frame) return;
    const [x, y, w, h] = camera.viewBox;
    this.frame.setAttribute("x", x);
    this.frame.setAttribute("y", y);
    this.frame.setAttribute("width", w);
    this.frame.setAttribute("height", h);
    cancelAnimationFrame(this.cornerFrame);
    this.cornerFrame = 0;
    if (!camera.zoomed) this.box.hidden = true;
    else if (this.view.container.hasAttribute("data-moving")) return;
    else if (now && !this.fresh) this.corner();
    else this.cornerFrame = requestAnimationFrame(() => { this.cornerFrame = 0; this.corner(); });
  }

  /**
   * Take a corner of the graph where the minimap covers no step node and no control: the first
   * that covers no node at all, if one does, else the first.
   */
  corner() {
    const box = this.box;
    const area = box.offsetParent ?? box.parentElement;
    box.hidden = false;
    const graph = this.view.container;
    const origin = area.getBoundingClientRect();
    const [ox, oy] = [origin.left + area.clientLeft, origin.top + area.clientTop];
    const obstacles = [...this.focus.map((id) => this.view.nodes.get(id)?.g.querySelector(".box")),
      ...area.querySelectorAll(CONTROLS)]
      .filter((e) => e && e.getClientRects().length)
      .map((e) => { const r = e.getBoundingClientRect(); return [r.left - ox, r.top - oy, r.right - ox, r.bottom - oy]; });
    const nodes = this.nodeBoxes(ox, oy);
    const [w, h] = [box.offsetWidth, box.offsetHeight];
    const [gx, gy, gw, gh] = [graph.offsetLeft, graph.offsetTop, graph.offsetWidth, graph.offsetHeight];
    let best = null;
    for (const corner of CORNERS) {
      const left = corner.endsWith("left") ? gx + MARGIN : gx + gw - MARGIN - w;
      const top = corner.startsWith("top") ? gy + MARGIN : gy + gh - MARGIN - h;
      const over = ([l, t, r, b]) => l < left + w && r > left && t < top + h && b > top;
      if (obstacles.some(over)) continue;
      const empty = !nodes.some(over);
      if (!best || empty) best = { corner, left, top };
      if (empty) break;
    }
    if (best) Object.assign(box.style, { left: `${best.left}px`, top: `${best.top}px`, right: "auto", bottom: "auto" });
    box.dataset.corner = best?.corner ?? "none";
    box.hidden = !best;
  }

  /** Every node's box on screen [l, t, r, b] in the area's pixels, from the camera's view box. */
  nodeBoxes(ox, oy) {
    const svg = this.view.svg.getBoundingClientRect();
    const [vx, vy, vw] = this.view.camera.viewBox;
    const s = svg.width / vw;
    const { w, h } = this.view.geo;
    const [sx, sy] = [svg.left - ox, svg.top - oy];
    return [...this.view.nodes.values()].map(({ cx, cy }) => [sx + (cx - w / 2 - vx) * s,
      sy + (cy - h / 2 - vy) * s, sx + (cx + w / 2 - vx) * s, sy + (cy + h / 2 - vy) * s]);
  }
}
