/**
 * The minimap: while the camera shows only part of the graph, a small picture of all of it in
 * the graph's corner — one box per node, the step's node marked, the part on screen outlined.
 * A click or a drag on it moves the camera there. Draws from the GraphView's own geometry.
 *
 * `#minimap` (`hidden` unless zoomed in): `svg rect.mini-node[data-id]`, `.current` on the
 * step's node, `rect.mini-view` the part shown.
 */

const SVG = "http://www.w3.org/2000/svg";

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
    this.place();
  }

  /** The step's node, marked. */
  mark(id) {
    if (this.current === id) return;
    this.nodes.get(this.current)?.classList.remove("current");
    this.nodes.get(id)?.classList.add("current");
    this.current = id;
  }

  /** Outline the part on screen; shown only while it is not the whole graph. */
  place() {
    const camera = this.view.camera;
    if (!camera || !this.frame) return;
    this.box.hidden = !camera.zoomed;
    const [x, y, w, h] = camera.viewBox;
    this.frame.setAttribute("x", x);
    this.frame.setAttribute("y", y);
    this.frame.setAttribute("width", w);
    this.frame.setAttribute("height", h);
  }
}
