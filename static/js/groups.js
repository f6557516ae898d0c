/**
 * Groups of the graph (`with group("layer 1"):` in the source): which are collapsed, the
 * drawing of a collapsed set (its layout comes from the server, `GET …/layout?collapsed=…`),
 * a collapsed group's box and an expanded group's frame. A step inside a collapsed group
 * lights its box and boundary edges (render.js draws them through `view.alias`) and the box
 * names the node inside. Identical collapsed groups in a row (a deep MLP's layers) are drawn
 * stacked, one box "layer 1–100 × 100" (the server's `?stacked=true`), until it is clicked.
 * Knows no math: node ids, group names and the server's coordinates.
 */

import * as api from "./api.js";
import { frameShape } from "./frameshape.js";
import { meanwhile } from "./idle.js";
import { el, fitLabel, setChanged, text } from "./svg.js";

/** graphs with more nodes than this open with their outermost groups collapsed */
export const COLLAPSE_ABOVE_NODES = 60;

/** Enter or Space on a focused element does what a click does. */
function pressable(g, label, action) {
  g.setAttribute("tabindex", "0");
  g.setAttribute("role", "button");
  g.setAttribute("aria-label", label);
  // not a drag of the drawing: the camera must not capture the pointer (and the click)
  g.addEventListener("pointerdown", (e) => e.stopPropagation());
  g.addEventListener("click", (e) => { e.stopPropagation(); action(); });
  g.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      e.stopPropagation();
      action();
    }
  });
}

/** What a group's box shows of it besides its place: two boxes with the same are the same. */
const boxText = (node) => JSON.stringify([node.id, node.label, node.short, node.members.length,
  node.stack ?? null]);

/** A set of group names as one text: sorted, joined by commas (the layout endpoint's form). */
const setKey = (names) => [...names].sort().join(",");
/** a collapsed group's box has a second box behind it, this far right and up */
const BACK = 6;

export class Groups extends EventTarget {
  /**
   * `view`: the GraphView; `current()`: what is drawn now ({state, step} or null), redrawn
   * onto a new drawing.
   */
  constructor(view, current) {
    super();
    this.view = view;
    this.current = current;
    this.run = null;
    /** names of the groups collapsed now */
    this.collapsed = new Set();
    /** group name -> its parent group (null at the top), in order of first node */
    this.parents = new Map();
    /** "name,name|stacked" -> Promise of the server's layout of that collapsed set, for this run */
    this.layouts = new Map();
    /** identical collapsed groups in a row drawn as one box; a click on one shows them all */
    this.stacked = true;
    /** the graph drawn now: the run's, or a collapsed set's */
    this.graph = null;
    /** bumped on every change: a layout arriving late for an older change is not drawn */
    this.token = 0;
    /** the mode's empty box of a collapsed group, which drawBox copies ({key, g}) */
    this.empty = null;
    view.groupBox = (node, layer, old) => this.drawBox(node, layer, old);
    view.decorate = () => this.drawFrames();
  }

  /**
   * The groups of a run, drawn with its `quantities` rows; a large graph starts with its
   * outermost groups collapsed, unless `wanted` (a deep link's `collapsed=` text) says which.
   * Returns the names in `wanted` that are no group of this run (they are left out).
   */
  async setRun(run, quantities, wanted = null) {
    this.run = run;
    this.quantities = quantities;
    this.stacked = true;
    this.layouts.clear();
    this.parents.clear();
    /** node id -> the short label the server gave it */
    this.shorts = new Map(run.graph.nodes.map((n) => [n.id, n.short || n.label]));
    for (const node of run.graph.nodes) {
      (node.groups || []).forEach((g, i) => {
        if (!this.parents.has(g)) this.parents.set(g, i ? node.groups[i - 1] : null);
      });
    }
    this.defaults = run.graph.nodes.length > COLLAPSE_ABOVE_NODES
      ? [...this.parents].filter(([, parent]) => parent === null).map(([g]) => g).sort() : [];
    const { names, unknown } = this.linked(wanted);
    try {
      await this.apply(new Set(names));
    } catch (error) {  // no collapsed drawing: the whole graph, and say why
      this.collapsed = new Set();
      this.draw(run.graph);
      this.dispatchEvent(new CustomEvent("failure", { detail: error }));
    }
    return unknown;
  }

  /** A link's `collapsed=` text (null: the run's default) as the groups of this run it names,
   * and the names that are no group of it. */
  linked(wanted) {
    if (wanted === null) return { names: this.defaults, unknown: [] };
    const asked = wanted.split(",").filter(Boolean);
    return { names: asked.filter((g) => this.parents.has(g)),
      unknown: asked.filter((g) => !this.parents.has(g)) };
  }

  /**
   * The collapsed groups as a deep link writes them: null when they are the run's default
   * (the link stays short), else the names joined by commas ("" when every group is expanded).
   */
  get linkValue() {
    if (!this.run) return null;
    const now = setKey(this.collapsed);
    return now === setKey(this.defaults || []) ? null : now;
  }

  /** Draw the groups a deep link's `collapsed=` text names (null: the run's default). */
  async applyLink(wanted) {
    if (!this.run) return;
    const { names } = this.linked(wanted);
    if (setKey(names) === setKey(this.collapsed)) return;
    try {
      await this.apply(new Set(names));
    } catch (error) {
      this.dispatchEvent(new CustomEvent("failure", { detail: error }));
    }
  }

  /** Draw the run with exactly the groups `names` collapsed. */
  async apply(names) {
    const token = ++this.token;
    const run = this.run;
    const key = setKey(names);
    const graph = key ? await meanwhile(this.layoutOf(key)) : run.graph;
    if (token !== this.token || run !== this.run) return;
    this.collapsed = new Set(names);
    this.draw(graph);
  }

  /** The server's layout of a collapsed set (stacked or not, as now), asked once per run. */
  layoutOf(key) {
    const stacked = this.stacked;
    const cacheKey = `${key}|${stacked}`;
    let found = this.layouts.get(cacheKey);
    if (!found) {
      found = api.getLayout(this.run.run_id, key.split(","), stacked);
      found.catch(() => this.layouts.delete(cacheKey));
      this.layouts.set(cacheKey, found);
    }
    return found;
  }

  /** Show each group of a stack as its own box (every stack: the drawing is one layout). */
  async unstack() {
    this.stacked = false;
    try {
      await this.apply(new Set(this.collapsed));
    } catch (error) {
      this.dispatchEvent(new CustomEvent("failure", { detail: error }));
    }
  }

  /** Draw again (a lecture-mode change) what is drawn now. */
  redraw() {
    if (this.graph) this.draw(this.graph);
  }

  draw(graph) {
    this.graph = graph;
    const alias = new Map();
    for (const node of graph.nodes) {
      for (const member of node.members || []) alias.set(member, node.id);
    }
    this.view.alias = alias;
    /** node id -> the group of a stack it is in (a step inside a stack names its group) */
    this.stackedIn = new Map();
    for (const node of graph.nodes) {
      if (!node.stack) continue;
      const names = new Set(node.stack);
      for (const member of node.members) {
        const group = this.run.graph.nodes.find((n) => n.id === member)?.groups?.find((g) => names.has(g));
        if (group) this.stackedIn.set(member, group);
      }
    }
    this.view.draw(graph, this.quantities, this.run.custom_ops || []);
    const now = this.current();
    if (now) {
      this.view.update(now.state, now.step);
      this.show(now.step);
    }
    document.body.dataset.collapsed = setKey(this.collapsed);
    this.dispatchEvent(new CustomEvent("change", { detail: [...this.collapsed] }));
  }

  /** Collapse an expanded group, expand a collapsed one; a failure is reported, not thrown. */
  async toggle(name) {
    const names = new Set(this.collapsed);
    if (names.has(name)) names.delete(name);
    else names.add(name);
    try {
      await this.apply(names);
    } catch (error) {
      this.dispatchEvent(new CustomEvent("failure", { detail: error }));
    }
  }

  /**
   * The box of a collapsed group: its name, how many nodes it holds, the step inside it.
   * `old`: what the drawing before had for this id; the same box there is moved here, emptied
   * of what the step and the pulses wrote in it.
   */
  drawBox(node, layer, old) {
    const view = this.view;
    const { sx, sy, w, h } = view.geo;
    const [cx, cy] = [node.x * sx, node.y * sy];
    const transform = `translate(${cx.toFixed(1)} ${cy.toFixed(1)})`;
    view.extent.reachAround(cx, cy, -w / 2, -h / 2 - BACK, w / 2 + BACK, h / 2);  // both boxes
    if (old?.inner && old.room === view.labelRoom && boxText(old.node) === boxText(node)) {
      const { g, inner } = old;
      setChanged(g, "class", node.stack ? "node kind-group stack" : "node kind-group");
      setChanged(g, "transform", transform);
      inner.textContent = "";
      inner.removeAttribute("textLength");
      inner.removeAttribute("lengthAdjust");
      view.nodes.set(node.id, { node, g, rows: new Map(), cx, cy, badge: false, inner, room: old.room });
      return;
    }
    // a copy of the mode's empty box, filled in: the same elements and attributes, in the same
    // order, as making each one (about 1 ms less for a hundred boxes)
    const g = this.emptyBox().cloneNode(true);
    g.setAttribute("data-id", node.id);
    g.setAttribute("data-group", node.id);
    g.setAttribute("transform", transform);
    const [title, , , label, op, inner] = g.children;
    const stack = node.stack?.length;
    title.textContent = stack
      ? `${stack} identical groups, ${node.stack[0]} to ${node.stack[stack - 1]}, `
        + `${node.members.length} nodes — click or press Enter to show each`
      : `group ${node.label}: ${node.members.length} nodes, collapsed — click or press Enter to expand`;
    fitLabel(label, `▸ ${stack ? node.label : node.short}`, view.labelRoom, w - 16, stack ? 0.6 : undefined);
    op.textContent = stack ? `${stack} groups · ${node.members.length} nodes`
      : `group · ${node.members.length} nodes`;
    layer.appendChild(g);
    if (stack) {
      g.classList.add("stack");
      g.dataset.stack = node.stack.join(",");  // group names hold no comma
      pressable(g, `show each of the ${stack} groups ${node.label}`, () => this.unstack());
    } else {
      pressable(g, `expand group ${node.label}`, () => this.toggle(node.id));
      this.prefetchOn(g, node.id);
    }
    view.nodes.set(node.id, { node, g, rows: new Map(), cx, cy, badge: false, inner,
      room: view.labelRoom });
  }

  /** A collapsed group's box with nothing in it yet, for the view's mode and geometry. */
  emptyBox() {
    const view = this.view;
    const { w, h } = view.geo;
    const lecture = view.mode === "lecture";
    const key = `${view.mode}|${w}|${h}`;
    if (this.empty?.key !== key) {
      const g = el("g", { class: "node kind-group", "data-id": "", "data-group": "", transform: "" });
      el("title", {}, g);
      el("rect", { class: "box back", x: -w / 2 + BACK, y: -h / 2 - BACK, width: w, height: h, rx: 8 }, g);
      el("rect", { class: "box", x: -w / 2, y: -h / 2, width: w, height: h, rx: 8 }, g);
      const top = -h / 2;
      text(g, "node-label", 0, top + (lecture ? 34 : 18));
      text(g, "node-op", 0, top + (lecture ? 62 : 33));
      text(g, "group-step", 0, top + (lecture ? 96 : 52));
      this.empty = { key, g };
    }
    return this.empty.g;
  }

  /**
   * Behind the nodes, a frame around each expanded group's members with a tab naming it;
   * clicking the tab (or Enter on it) collapses the group.
   */
  drawFrames() {
    const view = this.view;
    if (!view.world || !this.graph) return;
    const { w, h } = view.geo;
    const layer = el("g", { class: "group-frames" });
    view.world.insertBefore(layer, view.world.firstChild);
    // the tabs above the nodes: a collapsed neighbour's box must not hide one
    const tabs = el("g", { class: "group-tabs" });
    view.world.insertBefore(tabs, view.fxLayer);
    const boxes = new Map();
    for (const [, drawn] of view.nodes) {
      for (const name of drawn.node.groups || []) {
        const b = boxes.get(name) || [Infinity, Infinity, -Infinity, -Infinity];
        boxes.set(name, [Math.min(b[0], drawn.cx - w / 2), Math.min(b[1], drawn.cy - h / 2),
          Math.max(b[2], drawn.cx + w / 2), Math.max(b[3], drawn.cy + h / 2)]);
      }
    }
    const depth = (name) => {
      let d = 0;
      for (let p = this.parents.get(name); p; p = this.parents.get(p)) d += 1;
      return d;
    };
    const tab = view.mode === "lecture" ? 34 : 20;
    const members = new Map();
    for (const [, drawn] of view.nodes) {
      for (const name of drawn.node.groups || []) members.set(name, (members.get(name) || 0) + 1);
    }
    for (const [name, [x0, y0, x1, y1]] of boxes) {
      const pad = 14 - 4 * Math.min(depth(name), 3);
      const g = el("g", { class: "group-frame", "data-group": name }, layer);
      // a frame that would hold as many strangers as members misleads: the tab alone then
      let strangers = 0;
      for (const [, drawn] of view.nodes) {
        if (!(drawn.node.groups || []).includes(name) && drawn.cx > x0 && drawn.cx < x1
          && drawn.cy > y0 && drawn.cy < y1) strangers += 1;
      }
      let tx, ty;
      if (strangers * 2 <= members.get(name)) {
        const inside = [];
        const others = [];
        for (const [, drawn] of view.nodes) {
          const box = [drawn.cx - w / 2, drawn.cy - h / 2, drawn.cx + w / 2, drawn.cy + h / 2];
          ((drawn.node.groups || []).includes(name) ? inside : others).push(box);
        }
        const shape = frameShape(inside, others, pad, tab);
        [tx, ty] = shape.tab;
        if (shape.rect) {
          const [x, y, width, height] = shape.rect;
          el("rect", { class: "frame", x, y, width, height, rx: 10 }, g);
        } else {
          el("path", { class: "frame", d: shape.path }, g);
        }
        view.extent.reach(...shape.box);
      } else {  // above its first node
        const first = [...view.nodes.values()].find((d) => (d.node.groups || []).includes(name));
        [tx, ty] = [first.cx - w / 2, first.cy - h / 2 - 6];
      }
      const handle = el("g", { class: "group-tab", "data-group": name }, tabs);
      el("title", {}, handle).textContent = `group ${name}: click or press Enter to collapse`;
      text(handle, "group-name", tx, ty, `▾ ${name}`);
      view.extent.reachText(tx, ty, `▾ ${name}`, "tab");
      pressable(handle, `collapse group ${name}`, () => this.toggle(name));
      this.prefetchOn(handle, name);
    }
  }

  /**
   * Pointing at (or focusing) a group's box or tab asks the server for the layout a click
   * would need, so the click draws at once.
   */
  prefetchOn(g, name) {
    const ask = () => {
      const names = new Set(this.collapsed);
      if (names.has(name)) names.delete(name);
      else names.add(name);
      const key = setKey(names);
      if (key) this.layoutOf(key).catch(() => {});
    };
    g.addEventListener("pointerenter", ask);
    g.addEventListener("focus", ask);
  }

  /** A step inside a collapsed group: its box names the node the step is about. */
  show(step) {
    for (const [, drawn] of this.view.nodes) {
      if (!drawn.inner) continue;
      const inside = step && this.view.alias.get(step.node) === drawn.node.id;
      const label = inside ? this.shorts.get(step.node) : null;
      const group = inside && this.stackedIn.get(step.node);
      const wanted = !label ? "" : group ? `${group}: ${label}` : `${step.phase}: ${label}`;
      if (drawn.inner.textContent !== wanted) {
        drawn.inner.textContent = wanted;
        // a long label is narrowed to the box rather than spilling out of it
        if (wanted.length > 20) {
          drawn.inner.setAttribute("textLength", String(this.view.geo.w - 12));
          drawn.inner.setAttribute("lengthAdjust", "spacingAndGlyphs");
        } else {
          drawn.inner.removeAttribute("textLength");
        }
      }
      drawn.g.classList.toggle("busy", Boolean(label));
    }
  }
}
