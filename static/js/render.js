/**
 * The graph in SVG: nodes at the server's coordinates, edges along the server's polylines,
 * one row per quantity the run declares (value, gradient, tangent, …) in each node, pulses
 * along the step's edges in the colour of what travels them, and the verdict of the server's
 * check on a custom op's hand-written backward. Draws only; every number comes from the server.
 */

import { Camera } from "./camera.js";
import { Extent } from "./extent.js";
import { headline, num, shape } from "./format.js";
import { marksText } from "./marks.js";
import { cssName, DEFAULT_QUANTITIES, phaseClass, quantityClass, travelling } from "./names.js";
import { fillRow, labelRoom, narrow } from "./nodetext.js";
import { animateStep } from "./pulses.js";
import { arrange, el, fitLabel, setChanged, SVG, text } from "./svg.js";

/**
 * Node boxes and spacing; lecture mode spreads the server's layout and enlarges the boxes.
 * `h` is the height with two quantity rows; each row is `row` below the one before, the first
 * at `first` from the top.
 */
const GEOMETRY = {
  normal: { sx: 1, sy: 1, w: 132, h: 66, thumb: 30, first: 44, row: 15 },
  lecture: { sx: 1.75, sy: 1.9, w: 230, h: 128, thumb: 52, first: 88, row: 28 },
};
/** a node's select ring, this far outside its box: the box a node takes */
const RING = 6;

export class GraphView extends EventTarget {
  constructor(container) {
    super();
    this.container = container;
    this.reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    this.mode = "normal";
    this.graph = null;
    this.quantities = DEFAULT_QUANTITIES;
    this.nodes = new Map();
    this.edges = new Map();
    /** the drawing's camera (camera.js), a new one per drawing */
    this.camera = null;
    this.signatures = new Map();
    /** node id -> the state object drawn (the player shares unchanged ones) */
    this.drawn = new Map();
    /** the edges drawn active and the node drawn current */
    this.activeEdges = [];
    this.currentNode = null;
    /** op name -> the run's custom op (docs/json.md, Run: `custom_ops`) */
    this.customOps = new Map();
    /** the id of the node the inspector shows, marked `.selected` */
    this.selected = null;
    /** node id -> the collapsed group drawn in its place (groups.js), and what draws one */
    this.alias = new Map();
    this.groupBox = null;
    /** draws what else a drawing has before its box is taken (groups.js: the group frames) */
    this.decorate = null;
    /** the container's size [w, h] at the ResizeObserver's last report: the size once the page
     * has settled (a read mid-update may catch a formula at its natural size, before it is
     * fitted, and the observer, seeing the same size again, would never correct it) */
    this.settled = null;
    new ResizeObserver(() => {
      this.settled = [container.clientWidth || 1, container.clientHeight || 1];
      this.size();
    }).observe(container);
  }

  /** The geometry of the mode, the box as tall as the run's quantity rows need. */
  get geo() {
    const g = GEOMETRY[this.mode];
    return { ...g, h: g.h + (this.quantities.length - 2) * g.row };
  }

  /**
   * Draw a run's graph, a row per quantity; `customOps`: the run's `custom_ops`, whose nodes
   * carry their check's verdict. From scratch, unless the drawing on screen has the same mode,
   * rows and custom ops (a group expanded or collapsed): its SVG is then kept, and the edges
   * and group boxes both drawings have are moved where the new one has them, not made again —
   * the same elements as from scratch, without the style and layout work of making them.
   */
  draw(graph, quantities = this.quantities, customOps = [...this.customOps.values()]) {
    const as = `${this.mode}|${quantities.join(",")}|${JSON.stringify(customOps)}`;
    const kept = this.svg?.isConnected && this.drawnAs === as
      ? { nodes: new Map(this.nodes), edges: new Map(this.edges) } : null;
    this.drawnAs = as;
    this.graph = graph;
    this.quantities = quantities;
    this.customOps = new Map(customOps.map((c) => [c.name, c]));
    this.nodes.clear();
    this.edges.clear();
    this.signatures.clear();
    this.drawn.clear();
    this.activeEdges = [];
    this.currentNode = null;
    /** the box the drawing takes, grown by every part placed in it */
    this.extent = new Extent(this.mode);
    const { w } = this.geo;
    if (kept) this.empty();
    else this.makeSvg();
    arrange(this.edgeLayer, graph.edges.map((edge) => this.drawEdge(edge, graph, kept?.edges.get(edge.id))));
    this.labelRoom = labelRoom(this.nodeLayer, w - 14, this.mode);
    /** labels more than one node has (the server's `short` tells those apart) */
    const seen = new Set();
    this.sharedLabels = new Set(graph.nodes.map((n) => n.label).filter((l) => seen.has(l) || !seen.add(l)));
    const made = document.createDocumentFragment();
    for (const node of graph.nodes) this.drawNode(node, made, kept?.nodes.get(node.id));
    arrange(this.nodeLayer, graph.nodes.map((node) => this.nodes.get(node.id).g));
    // the group frames (groups.js) are part of the drawing: drawn before its box is taken
    this.decorate?.();
    this.makeCamera();
    this.fit();
    this.dispatchEvent(new CustomEvent("drawn"));
  }

  /** A new SVG in the container: the arrowheads, and the layers the drawing goes in. */
  makeSvg() {
    this.container.replaceChildren();
    this.svg = el("svg", { xmlns: SVG, role: "group", "aria-label": "computational graph" },
      this.container);
    this.size();
    const defs = el("defs", {}, this.svg);
    for (const [id, cls] of [["arrow", "arrowhead"], ["arrow-active", "arrowhead active"]]) {
      const size = this.mode === "lecture" ? 16 : 10;
      const marker = el("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5,
        markerUnits: "userSpaceOnUse", markerWidth: size, markerHeight: size,
        orient: "auto-start-reverse" }, defs);
      el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: cls }, marker);
    }
    this.world = el("g", { class: "world" }, this.svg);
    this.edgeLayer = el("g", { class: "edges" }, this.world);
    this.nodeLayer = el("g", { class: "nodes" }, this.world);
    /** custom ops' check badges, above every node so no box hides one */
    this.badgeLayer = el("g", { class: "badges" }, this.world);
    this.fxLayer = el("g", { class: "fx" }, this.world);
  }

  /**
   * The SVG on screen as a new one is before its edges and nodes: no camera, no view box (what
   * is measured in it is measured at the scale a new SVG has), no group frames, badges or pulses.
   */
  empty() {
    this.camera.dispose();
    this.camera = null;
    this.svg.removeAttribute("viewBox");
    const layers = [this.edgeLayer, this.nodeLayer, this.badgeLayer, this.fxLayer];
    for (const layer of [...this.world.children]) if (!layers.includes(layer)) layer.remove();
    this.badgeLayer.replaceChildren();
    this.fxLayer.replaceChildren();
    this.size();
  }

  /**
   * An edge along the server's polyline (`old`: the element the drawing before had for it,
   * moved if it joins the same two nodes); edges between the same two nodes (`s * s`) are
   * drawn apart, each its own line. Returns its element.
   */
  drawEdge(edge, graph, old) {
    const { sx, sy, w } = this.geo;
    if (!this.twins || this.twins.graph !== graph) {
      const pairs = new Map();
      for (const e of graph.edges) {
        const key = `${e.source}\u0000${e.target}`;
        pairs.set(key, [...(pairs.get(key) || []), e.id]);
      }
      this.twins = { graph, pairs };
    }
    const gap = this.mode === "lecture" ? 22 : 12;
    const twins = this.twins.pairs.get(`${edge.source}\u0000${edge.target}`);
    const dy = (twins.indexOf(edge.id) - (twins.length - 1) / 2) * gap;
    const pts = edge.points.map(([x, y]) => [x * sx, y * sy + dy]);
    pts[0] = [pts[0][0] + w / 2, pts[0][1]];
    pts[pts.length - 1] = [pts[pts.length - 1][0] - w / 2 - 3, pts[pts.length - 1][1]];
    const fixed = pts.map(([x, y]) => [x.toFixed(1), y.toFixed(1)]);
    for (const [x, y] of fixed) this.extent.reach(Number(x), Number(y), Number(x), Number(y));
    const d = fixed.map(([x, y], i) => `${i ? "L" : "M"} ${x} ${y}`).join(" ");
    if (old && old.edge.source === edge.source && old.edge.target === edge.target) {
      setChanged(old.g, "class", "edge");
      setChanged(old.path, "d", d);
      setChanged(old.path, "marker-end", "url(#arrow)");
      this.edges.set(edge.id, { edge, g: old.g, path: old.path });
      return old.g;
    }
    const g = el("g", { class: "edge", "data-id": edge.id, "data-source": edge.source,
      "data-target": edge.target });
    const path = el("path", { d, "marker-end": "url(#arrow)" }, g);
    this.edges.set(edge.id, { edge, g, path });
    return g;
  }

  /** A node's box (`old`: what the drawing before had for it, which a group's box may reuse). */
  drawNode(node, layer, old = null) {
    if (node.kind === "group" && this.groupBox) {
      this.groupBox(node, layer, old);
      return;
    }
    const { sx, sy, w, h, thumb, first, row } = this.geo;
    const cx = node.x * sx;
    const cy = node.y * sy;
    const g = el("g", { class: `node kind-${node.kind} pending`, "data-id": node.id,
      transform: `translate(${cx.toFixed(1)} ${cy.toFixed(1)})`, tabindex: 0 }, layer);
    this.extent.reachAround(cx, cy, -w / 2 - RING, -h / 2 - RING, w / 2 + RING, h / 2 + RING);
    const title = el("title", {}, g);
    title.textContent = `${node.label} — ${node.kind}${node.op ? ` ${node.op}` : ""} ${shape(node.shape)}\n${marksText()}`;
    // the inspected node's mark (`.selected`), a ring just outside the box
    el("rect", { class: "select-ring", x: -w / 2 - RING, y: -h / 2 - RING, width: w + 2 * RING,
      height: h + 2 * RING, rx: 8 }, g);
    el("rect", { class: "box", x: -w / 2, y: -h / 2, width: w, height: h,
      rx: node.kind === "op" ? 12 : node.kind === "const" ? h / 2 : 3 }, g);
    const lecture = this.mode === "lecture";
    const top = -h / 2;
    // the whole label where the box holds it and no other node has it; else the server's
    // `short`, distinct from every other node's, cut further only where the box has no room
    const whole = node.label.length <= this.labelRoom && !this.sharedLabels.has(node.label);
    fitLabel(text(g, "node-label", 0, top + (lecture ? 34 : 17)),
      whole ? node.label : node.short ?? node.label, this.labelRoom, w - 14);
    const opText = node.kind === "op" ? `${node.op} · ${shape(node.shape)}` : `${node.kind} · ${shape(node.shape)}`;
    text(g, "node-op", 0, top + (lecture ? 60 : 30), opText);
    const rows = new Map(this.quantities.map((q, i) => {
      const y = top + first + i * row;
      const name = cssName(q);
      const img = el("image", { class: `thumb ${name}-thumb`, x: -w / 2 + 6, y: y - thumb / 3 - 2,
        width: thumb, height: thumb / 2.2, preserveAspectRatio: "none" }, g);
      return [q, { img, text: text(g, `node-q node-${name} ${quantityClass(q)}`, 0, y) }];
    }));
    const badge = this.drawCheck(node, g, cx, cy + top);
    g.addEventListener("click", () => this.dispatchEvent(new CustomEvent("select", { detail: node.id })));
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.dispatchEvent(new CustomEvent("select", { detail: node.id }));
    });
    this.nodes.set(node.id, { node, g, rows, cx, cy, badge });
    if (node.id === this.selected) g.classList.add("selected");
  }

  /** Mark the node the inspector shows (`g.node.selected`), or none. */
  select(id) {
    this.nodes.get(this.selected)?.g.classList.remove("selected");
    this.selected = id;
    this.nodes.get(id)?.g.classList.add("selected");
  }

  /**
   * A custom op's node says what the server's check of its hand-written backward found: a
   * failing one is marked with its mismatch, a passing one quietly "checked". Returns whether
   * a badge sits above the box (arrivals are then drawn above it).
   */
  drawCheck(node, g, cx, top) {
    const custom = this.customOps.get(node.op);
    if (node.kind !== "op" || !custom) return false;
    g.classList.add("custom-op");
    if (!custom.check) return false;
    const { ok, max_rel_error: error } = custom.check;
    g.classList.add(ok ? "check-ok" : "check-failed");
    g.dataset.check = ok ? "ok" : "failed";
    const words = ok ? "✓ checked" : `✗ backward: rel. err ${num(error)}`;
    const badge = text(this.badgeLayer, `node-check ${ok ? "ok" : "failed"}`, cx - this.geo.w / 2, top - 5,
      words);
    this.extent.reachText(cx - this.geo.w / 2, top - 5, words, "badge");
    badge.setAttribute("text-anchor", "start");
    badge.dataset.node = node.id;
    g.querySelector("title").textContent += ok
      ? ` — your ${node.op}_backward passes the gradient check (max relative error ${num(error)})`
      : ` — your ${node.op}_backward FAILS the gradient check (max relative error ${num(error)})`;
    return true;
  }

  /** Show the state after a step: each quantity, statuses, the step's node and edges. */
  update(state, step) {
    const { w, thumb } = this.geo;
    /** rows whose text may not fit: measured all at once after every row is written */
    const fits = [];
    for (const [id, view] of this.nodes) {
      const s = state.nodes[id];
      if (this.drawn.get(id) === s) continue; // the very object drawn: nothing changed
      this.drawn.set(id, s);
      const sig = this.quantities.map((q) => `${s[q]?.mean}|${s[q]?.norm}|${s[`${q}_status`]}`).join("|")
        + `|${s.received}|${s.updated}`;
      if (this.signatures.get(id) === sig) continue;
      this.signatures.set(id, sig);
      const { g } = view;
      g.classList.toggle("pending", !s.value);
      g.classList.toggle("updated", Boolean(s.updated));
      for (const q of this.quantities) {
        const summary = s[q];
        const name = cssName(q);
        const partial = s[`${q}_status`] === "partial";
        if (q !== "value") {
          g.classList.toggle(`has-${name}`, Boolean(summary));
          g.classList.toggle(`${name}-partial`, partial);
        }
        const suffix = partial ? ` (${s.received}/${s.expected})` : "";
        const row = view.rows.get(q);
        const room = fillRow(row.text, row.img, summary, q, suffix, w, thumb);
        if (room) fits.push([row.text, room]);
        g.toggleAttribute(`data-${name}`, Boolean(summary));
        if (summary) g.setAttribute(`data-${name}`, String(headline(summary)));
      }
    }
    narrow(fits);
    const current = this.alias.get(state.node) ?? state.node;
    if (this.currentNode !== current) {
      this.nodes.get(this.currentNode)?.g.classList.remove("current");
      this.nodes.get(current)?.g.classList.add("current");
      this.currentNode = current;
    }
    // only the edges that were or become active are touched
    const carried = travelling(step.phase, this.quantities).at(-1);
    const classes = [phaseClass(step.phase), ...(carried ? [`carries-${cssName(carried)}`,
      quantityClass(carried)] : [])].join(" ");
    for (const id of this.activeEdges) this.styleEdge(id, false, "");
    for (const id of state.edges) this.styleEdge(id, true, classes);
    this.activeEdges = state.edges;
  }

  /** An edge drawn idle, or active in the step's phase and the colour of what it carries. */
  styleEdge(id, on, classes) {
    const edge = this.edges.get(id);
    if (!edge) return;
    edge.g.setAttribute("class", on ? `edge active ${classes}` : "edge");
    edge.path.setAttribute("marker-end", on ? "url(#arrow-active)" : "url(#arrow)");
  }

  /** The step's pulses, arrivals and flash (pulses.js). */
  animate(step, duration) {
    animateStep(this, step, duration);
  }

  // ----- size, view box: fit, pan, zoom -----

  /**
   * The drawing's size in pixels, the container's. Not a percentage: a percentage-sized SVG is
   * laid out afresh, every text re-shaped, whenever anything else on the page changes size.
   */
  size() {
    if (!this.svg) return;
    const [w, h] = this.settled ?? [this.container.clientWidth, this.container.clientHeight];
    setChanged(this.svg, "width", String(w));
    setChanged(this.svg, "height", String(h));
    this.camera?.resized();
  }

  /**
   * The whole graph in view, eased over `duration` ms: the view box is the container's own proportions, so the drawing is neither
   * stretched nor cut.
   */
  fit(duration = 0) {
    if (!this.camera) return;
    this.camera.fitAll(this.bounds(), duration);
  }

  /**
   * The drawing's box (extent.js: known from where its parts are placed, its group frames
   * too), with room above the nodes for arrivals.
   */
  bounds() {
    const [x0, y0, x1, y1] = this.extent.empty ? [0, 0, 0, 0] : this.extent.box;
    const pad = 24;
    return [x0 - pad, y0 - pad - 30, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad + 30];
  }

  /** A node's box in drawing units [x, y, w, h] (with the arrival text above it), or null. */
  nodeBox(id) {
    const view = this.nodes.get(id);
    if (!view) return null;
    const { w, h, row } = this.geo;
    const above = row + 6 + (view.badge ? row : 0);
    return [view.cx - w / 2, view.cy - h / 2 - above, w, h + above];
  }

  /** The camera of a new drawing; its moves reach listeners of this view as `camera` events. */
  makeCamera() {
    this.camera = new Camera(this.svg, this.container, this.reducedMotion, this.settled);
    for (const type of ["change", "user"]) {
      this.camera.addEventListener(type, () => this.dispatchEvent(new CustomEvent("camera",
        { detail: { user: type === "user" } })));
    }
  }
}
