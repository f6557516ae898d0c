/**
 * The camera follows the step: it eases to the step's node and the nodes at the other end of
 * its edges (a collapsed group's box for a node inside it), close enough that their labels are
 * readable from the back of a room (at least READABLE_PX on screen in lecture mode). When a
 * phase begins it backs out to the whole graph — only if the whole still reads. A step about no
 * node (the load step) shows the start of the graph, its first leaves, at a readable size. On
 * by default in lecture mode, on a narrow screen and wherever the whole graph would draw its
 * labels under UNREADABLE_PX; `C` switches it; a user's own zoom or pan holds until the next
 * step. Chooses what to look at; camera.js moves.
 *
 * `#graph[data-camera]`: `overview` (the whole graph), `follow` (on the step), `free` (the
 * user's own view).
 */

/** the smallest label, in screen pixels, the camera shows the step's nodes with */
export const READABLE_PX = { lecture: 24, normal: 13 };
/** a screen this narrow follows the step by default */
const NARROW = window.matchMedia("(max-width: 600px)");
/** how much closer than readable the camera may go on a lone node */
const CLOSEST = 1.5;
/** the whole graph's labels under this many px: the camera follows the step by default */
const UNREADABLE_PX = 12;
/** a phase begins: the camera backs out to the whole graph if its labels are at least this
 * fraction of readable, else it goes straight on */
const BACK_OUT = 0.5;

export class Follow {
  /** `view`: the GraphView; `lecture()`: whether lecture mode is on. */
  constructor(view, lecture) {
    this.view = view;
    this.lecture = lecture;
    /** null: the default (on in lecture mode and on narrow screens); else the user's choice */
    this.choice = null;
    this.token = 0;
    this.phase = null;
    view.addEventListener("camera", (e) => { if (e.detail.user) this.mark("free"); });
  }

  /** On by default in lecture mode, on a phone-sized screen and wherever the whole graph is
   * too small to read; the user's choice (C) wins. */
  get on() { return this.choice ?? (this.lecture() || NARROW.matches || this.wholeUnreadable()); }

  /** Whether the whole graph, fitted, would draw its labels under UNREADABLE_PX. */
  wholeUnreadable() {
    const camera = this.view.camera;
    if (!camera || !this.view.svg) return false;
    return camera.boxView(this.view.bounds()).s * this.labelSize() < UNREADABLE_PX;
  }

  toggle() {
    this.choice = !this.on;
    return this.choice;
  }

  mark(how) { this.view.container.dataset.camera = how; }

  /** The label size the drawing uses, in drawing units (read once per drawing). */
  labelSize() {
    if (this.sized?.svg !== this.view.svg) {
      const label = this.view.svg?.querySelector(".node-label");
      this.sized = { svg: this.view.svg, size: label ? parseFloat(getComputedStyle(label).fontSize) || 14 : 14 };
    }
    return this.sized.size;
  }

  /** The node drawn for `id`: itself, or the collapsed group's box it is inside. */
  drawnAs(id) { return this.view.alias.get(id) ?? id; }

  /** The nodes a step is about, as drawn: its node and the other ends of its edges. */
  focus(step) {
    const ids = new Set(step.node ? [this.drawnAs(step.node)] : []);
    for (const id of step.edges || []) {
      const edge = this.view.edges.get(id)?.edge ?? this.view.graph?.edges.find((e) => e.id === id);
      if (edge) ids.add(this.drawnAs(edge.source)).add(this.drawnAs(edge.target));
    }
    for (const c of step.contributions || []) ids.add(this.drawnAs(c.to));
    return [...ids].filter((id) => this.view.nodes.has(id));
  }

  /** The first leaf drawn (where the graph starts), else the first node. */
  start() {
    const nodes = [...this.view.nodes.values()];
    return (nodes.find((n) => ["input", "param"].includes(n.node.kind)) ?? nodes[0])?.node.id;
  }

  /** Whether the camera follows and shows all of `box` at a scale of at least `min` px a unit. */
  sees(box, min) {
    const camera = this.view.camera;
    if (this.view.container.dataset.camera !== "follow" || camera.view.s < min) return false;
    const [x, y, w, h] = camera.viewBox;
    return box[0] >= x && box[1] >= y && box[0] + box[2] <= x + w && box[1] + box[3] <= y + h;
  }

  /**
   * Show a step: `duration` ms to get there (0: at once), `overview` to keep the whole graph
   * (watching training). Returns when the camera is there.
   */
  async show(step, duration, overview = false, { holdIfSeen = false } = {}) {
    const camera = this.view.camera;
    if (!camera) return;
    const token = ++this.token;
    const phaseBegins = step.phase !== this.phase;
    this.phase = step.phase;
    if (!this.on) {
      if (this.view.container.dataset.camera !== "free") this.mark("overview");
      return;
    }
    const mode = this.lecture() ? "lecture" : "normal";
    const min = READABLE_PX[mode] / this.labelSize();
    const bounds = this.view.bounds();
    const whole = camera.boxView(bounds);
    if (whole.s >= min || (overview && whole.s >= min * BACK_OUT)) {
      this.mark("overview");
      await camera.frame(bounds, {}, duration);
      return;
    }
    // watching training on a graph too large to read whole: the camera holds still, not
    // chasing a dozen update steps a second
    if (overview) return;
    const ids = this.focus(step);
    const first = this.start();
    let box = bounds;
    let options = { min, max: min, keep: first ? this.view.nodeBox(first) : null };
    if (ids.length) {
      const boxes = ids.map((id) => this.view.nodeBox(id));
      const x0 = Math.min(...boxes.map((b) => b[0]));
      const y0 = Math.min(...boxes.map((b) => b[1]));
      const x1 = Math.max(...boxes.map((b) => b[0] + b[2]));
      const y1 = Math.max(...boxes.map((b) => b[1] + b[3]));
      const pad = 30;
      const main = step.node && this.view.nodes.has(this.drawnAs(step.node)) ? this.drawnAs(step.node) : ids[0];
      box = [x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad];
      options = { min, max: min * CLOSEST, keep: this.view.nodeBox(main) };
    }  // else no node (the load step): the start of the graph, readable
    // scrubbing: the view holds while the step's nodes are in it at a readable size (moving
    // it repaints the whole drawing; holding repaints only the nodes the step changed)
    if (holdIfSeen && this.sees(box, min)) return;
    this.mark("follow");
    if (phaseBegins && duration && whole.s >= min * BACK_OUT) {
      // a new phase: back out to the whole graph (it still reads), then in to the step
      await camera.frame(bounds, {}, duration * 0.45);
      if (token !== this.token) return;
      await camera.frame(box, options, duration * 0.55);
    } else {
      await camera.frame(box, options, duration);
    }
  }
}
