/**
 * The camera follows the step: it eases to the step's node and the nodes at the other end of
 * its edges, close enough that their labels are readable from the back of a room (at least
 * READABLE_PX on screen in lecture mode), and backs out to the whole graph when a phase
 * begins. On by default in lecture mode, `C` switches it; a user's own zoom or pan holds until
 * the next step. Chooses what to look at; camera.js moves.
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

  /** On by default in lecture mode and on a phone-sized screen (the whole graph is too small
   * to read there); the user's choice (C) wins. */
  get on() { return this.choice ?? (this.lecture() || NARROW.matches); }

  toggle() {
    this.choice = !this.on;
    return this.choice;
  }

  mark(how) { this.view.container.dataset.camera = how; }

  /** The label size the drawing uses now, in drawing units. */
  labelSize() {
    const label = this.view.svg?.querySelector(".node-label");
    return label ? parseFloat(getComputedStyle(label).fontSize) || 14 : 14;
  }

  /** The nodes a step is about: its node and the other ends of its edges. */
  focus(step) {
    const ids = new Set(step.node ? [step.node] : []);
    for (const id of step.edges || []) {
      const edge = this.view.edges.get(id)?.edge;
      if (edge) ids.add(edge.source).add(edge.target);
    }
    for (const c of step.contributions || []) ids.add(c.to);
    return [...ids].filter((id) => this.view.nodes.has(id));
  }

  /**
   * Show a step: `duration` ms to get there (0: at once), `overview` to keep the whole graph
   * (watching training). Returns when the camera is there.
   */
  async show(step, duration, overview = false) {
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
    const ids = this.focus(step);
    camera.insetTop = this.view.insetTop || 0;
    const whole = camera.boxView(this.view.bounds());
    if (overview || !ids.length || whole.s >= min) {
      this.mark("overview");
      await camera.go(whole, duration);
      return;
    }
    const boxes = ids.map((id) => this.view.nodeBox(id));
    const x0 = Math.min(...boxes.map((b) => b[0]));
    const y0 = Math.min(...boxes.map((b) => b[1]));
    const x1 = Math.max(...boxes.map((b) => b[0] + b[2]));
    const y1 = Math.max(...boxes.map((b) => b[1] + b[3]));
    const pad = 30;
    const target = camera.boxView([x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad],
      { min, max: min * CLOSEST, keep: this.view.nodeBox(step.node ?? ids[0]) });
    this.mark("follow");
    if (phaseBegins && duration) {
      // a new phase: back out to the whole graph, then in to the step
      await camera.go(whole, duration * 0.45);
      if (token !== this.token) return;
      await camera.go(target, duration * 0.55);
    } else {
      await camera.go(target, duration);
    }
  }
}
