/**
 * The graph in SVG: nodes at the server's coordinates, edges along the server's polylines,
 * each node's value and gradient from the state, pulses along the step's edges.
 * Draws only; every number comes from the server.
 */

import { heatmapDataUrl } from "./charts.js";
import { headline, num, shape } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

/** Node boxes and spacing; lecture mode spreads the server's layout and enlarges the boxes. */
const GEOMETRY = {
  normal: { sx: 1, sy: 1, w: 132, h: 66, thumb: 30 },
  lecture: { sx: 1.75, sy: 1.9, w: 230, h: 128, thumb: 52 },
};

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function text(parent, cls, x, y, content = "") {
  const t = el("text", { class: cls, x, y }, parent);
  t.textContent = content;
  return t;
}

/** A label that fits its box: long sub-expression labels are cut with an ellipsis. */
function fitted(label, max) {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

export class GraphView extends EventTarget {
  constructor(container) {
    super();
    this.container = container;
    this.reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    this.mode = "normal";
    this.graph = null;
    this.nodes = new Map();
    this.edges = new Map();
    this.viewBox = null;
    this.signatures = new Map();
  }

  get geo() { return GEOMETRY[this.mode]; }

  /** Draw a run's graph from scratch (also after a mode change). */
  draw(graph) {
    this.graph = graph;
    this.container.replaceChildren();
    this.nodes.clear();
    this.edges.clear();
    this.signatures.clear();
    const { sx, sy, w, h } = this.geo;
    this.svg = el("svg", { xmlns: SVG, role: "img", "aria-label": "computational graph" },
      this.container);
    const defs = el("defs", {}, this.svg);
    for (const [id, cls] of [["arrow", "arrowhead"], ["arrow-active", "arrowhead active"]]) {
      const size = this.mode === "lecture" ? 16 : 10;
      const marker = el("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5,
        markerUnits: "userSpaceOnUse", markerWidth: size, markerHeight: size,
        orient: "auto-start-reverse" }, defs);
      el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: cls }, marker);
    }
    this.world = el("g", { class: "world" }, this.svg);
    const edgeLayer = el("g", { class: "edges" }, this.world);
    const nodeLayer = el("g", { class: "nodes" }, this.world);
    this.fxLayer = el("g", { class: "fx" }, this.world);
    for (const edge of graph.edges) {
      const pts = edge.points.map(([x, y]) => [x * sx, y * sy]);
      pts[0] = [pts[0][0] + w / 2, pts[0][1]];
      pts[pts.length - 1] = [pts[pts.length - 1][0] - w / 2 - 3, pts[pts.length - 1][1]];
      const d = pts.map(([x, y], i) => `${i ? "L" : "M"} ${x.toFixed(1)} ${y.toFixed(1)}`).join(" ");
      const g = el("g", { class: "edge", "data-id": edge.id, "data-source": edge.source,
        "data-target": edge.target }, edgeLayer);
      const path = el("path", { d, "marker-end": "url(#arrow)" }, g);
      this.edges.set(edge.id, { edge, g, path });
    }
    for (const node of graph.nodes) this.drawNode(node, nodeLayer);
    this.fit();
    this.enablePanZoom();
  }

  drawNode(node, layer) {
    const { sx, sy, w, h, thumb } = this.geo;
    const cx = node.x * sx;
    const cy = node.y * sy;
    const g = el("g", { class: `node kind-${node.kind} pending`, "data-id": node.id,
      transform: `translate(${cx.toFixed(1)} ${cy.toFixed(1)})`, tabindex: 0 }, layer);
    const title = el("title", {}, g);
    title.textContent = `${node.label} — ${node.kind}${node.op ? ` ${node.op}` : ""} ${shape(node.shape)}`;
    el("rect", { class: "box", x: -w / 2, y: -h / 2, width: w, height: h,
      rx: node.kind === "op" ? 12 : node.kind === "const" ? h / 2 : 3 }, g);
    const lecture = this.mode === "lecture";
    const top = -h / 2;
    const maxChars = lecture ? 12 : 15;
    text(g, "node-label", 0, top + (lecture ? 34 : 17), fitted(node.label, maxChars));
    const opText = node.kind === "op" ? `${node.op} · ${shape(node.shape)}` : `${node.kind} · ${shape(node.shape)}`;
    text(g, "node-op", 0, top + (lecture ? 60 : 30), opText);
    const rowV = top + (lecture ? 88 : 44);
    const rowG = top + (lecture ? 116 : 59);
    const image = (y, cls) => el("image", { class: cls, x: -w / 2 + 6, y: y - thumb / 3 - 2,
      width: thumb, height: thumb / 2.2, preserveAspectRatio: "none" }, g);
    const valueImg = image(rowV, "thumb value-thumb");
    const gradImg = image(rowG, "thumb grad-thumb");
    const valueText = text(g, "node-value", 0, rowV);
    const gradText = text(g, "node-grad", 0, rowG);
    g.addEventListener("click", () => this.dispatchEvent(new CustomEvent("select", { detail: node.id })));
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.dispatchEvent(new CustomEvent("select", { detail: node.id }));
    });
    this.nodes.set(node.id, { node, g, valueImg, gradImg, valueText, gradText, cx, cy });
  }

  /** Show the state after a step: values, gradients, statuses, the step's node and edges. */
  update(state, step) {
    const { w, thumb } = this.geo;
    for (const [id, view] of this.nodes) {
      const s = state.nodes[id];
      const sig = `${this.mode}|${s.value?.mean}|${s.value?.norm}|${s.grad?.norm}|${s.grad?.mean}|${s.grad_status}|${s.received}|${s.updated}`;
      const { g } = view;
      g.classList.toggle("current", id === state.node);
      if (this.signatures.get(id) === sig) continue;
      this.signatures.set(id, sig);
      g.classList.toggle("pending", !s.value);
      g.classList.toggle("has-grad", Boolean(s.grad));
      g.classList.toggle("grad-partial", s.grad_status === "partial");
      g.classList.toggle("updated", s.updated);
      this.fillRow(view.valueText, view.valueImg, s.value, "value", "", w, thumb);
      g.toggleAttribute("data-value", Boolean(s.value));
      if (s.value) g.setAttribute("data-value", String(headline(s.value)));
      const partial = s.grad_status === "partial" ? ` (${s.received}/${s.expected})` : "";
      this.fillRow(view.gradText, view.gradImg, s.grad, "grad", partial, w, thumb);
      g.toggleAttribute("data-grad", Boolean(s.grad));
      if (s.grad) g.setAttribute("data-grad", String(headline(s.grad)));
    }
    const active = new Set(state.edges);
    for (const [id, { g, path }] of this.edges) {
      const on = active.has(id);
      g.classList.toggle("active", on);
      g.classList.toggle("backward", on && step.phase === "backward");
      g.classList.toggle("forward", on && step.phase === "forward");
      path.setAttribute("marker-end", on ? "url(#arrow-active)" : "url(#arrow)");
    }
  }

  fillRow(textNode, image, summary, which, suffix, w, thumb) {
    if (!summary) {
      textNode.textContent = "";
      image.setAttribute("visibility", "hidden");
      return;
    }
    const mark = which === "grad" ? "∂ " : "";
    const scalar = summary.size === 1 && summary.values !== null;
    if (scalar) {
      image.setAttribute("visibility", "hidden");
      textNode.setAttribute("x", 0);
      textNode.setAttribute("text-anchor", "middle");
      textNode.textContent = `${mark}${num(headline(summary))}${suffix}`;
    } else {
      image.setAttribute("href", heatmapDataUrl(summary.heatmap, which));
      image.setAttribute("visibility", "visible");
      textNode.setAttribute("x", -w / 2 + thumb + 10);
      textNode.setAttribute("text-anchor", "start");
      textNode.textContent = `${mark}‖·‖ ${num(summary.norm)}${suffix}`;
    }
  }

  /** Pulses for a step taken forward: values along input edges, gradients back along them. */
  animate(step, duration) {
    this.fxLayer.replaceChildren();
    if (!step || !["forward", "backward", "update", "seed"].includes(step.phase)) return;
    const target = this.nodes.get(step.node);
    if (target) {
      target.g.classList.remove("flash");
      void target.g.getBBox();
      target.g.classList.add("flash", `flash-${step.phase}`);
      setTimeout(() => target.g.classList.remove("flash", `flash-${step.phase}`), duration);
    }
    for (const c of step.contributions || []) {
      const to = this.nodes.get(c.to);
      if (!to) continue;
      const label = text(this.fxLayer, "arrival", to.cx + this.geo.w / 2, to.cy - this.geo.h / 2 - 3,
        `${c.accumulate ? "+=" : "="} ${c.arrived}/${c.expected}`);
      label.setAttribute("text-anchor", "end");
    }
    if (step.phase === "update" && target) {
      const delta = text(this.fxLayer, "arrival delta", target.cx + this.geo.w / 2,
        target.cy - this.geo.h / 2 - 3, "Δ = −lr·∂");
      delta.setAttribute("text-anchor", "end");
    }
    if (this.reducedMotion) return;
    const backward = step.phase === "backward";
    for (const id of step.edges) {
      const edge = this.edges.get(id);
      if (edge) this.pulse(edge.path, backward, duration);
    }
  }

  pulse(path, backward, duration) {
    const length = path.getTotalLength();
    const dot = el("circle", { r: this.mode === "lecture" ? 11 : 7,
      class: `pulse ${backward ? "pulse-grad" : "pulse-value"}` }, this.fxLayer);
    const start = performance.now();
    const frame = (now) => {
      const f = Math.min(1, (now - start) / duration);
      const eased = f < 0.5 ? 2 * f * f : 1 - (-2 * f + 2) ** 2 / 2;
      const at = path.getPointAtLength(length * (backward ? 1 - eased : eased));
      dot.setAttribute("cx", at.x);
      dot.setAttribute("cy", at.y);
      if (f < 1 && dot.isConnected) requestAnimationFrame(frame);
      else dot.remove();
    };
    requestAnimationFrame(frame);
  }

  // ----- view box: fit, pan, zoom -----

  fit() {
    const box = this.world.getBBox();
    const pad = 24;
    this.viewBox = [box.x - pad, box.y - pad - 30, box.width + 2 * pad, box.height + 2 * pad + 30];
    this.applyViewBox();
  }

  applyViewBox() {
    this.svg.setAttribute("viewBox", this.viewBox.map((v) => v.toFixed(1)).join(" "));
  }

  enablePanZoom() {
    let drag = null;
    this.svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [x, y, w, h] = this.viewBox;
      const rect = this.svg.getBoundingClientRect();
      const fx = (e.clientX - rect.left) / rect.width;
      const fy = (e.clientY - rect.top) / rect.height;
      const k = Math.exp(Math.sign(e.deltaY) * 0.12);
      this.viewBox = [x + w * fx * (1 - k), y + h * fy * (1 - k), w * k, h * k];
      this.applyViewBox();
    }, { passive: false });
    this.svg.addEventListener("pointerdown", (e) => {
      if (e.target.closest(".node")) return;
      drag = { x: e.clientX, y: e.clientY, box: [...this.viewBox] };
      this.svg.setPointerCapture(e.pointerId);
    });
    this.svg.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const rect = this.svg.getBoundingClientRect();
      const scale = Math.max(drag.box[2] / rect.width, drag.box[3] / rect.height);
      this.viewBox = [drag.box[0] - (e.clientX - drag.x) * scale,
        drag.box[1] - (e.clientY - drag.y) * scale, drag.box[2], drag.box[3]];
      this.applyViewBox();
    });
    this.svg.addEventListener("pointerup", () => { drag = null; });
  }
}
