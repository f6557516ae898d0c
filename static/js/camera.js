/**
 * The graph's camera: which part of the drawing the SVG shows, as a scale (screen pixels per
 * drawing unit) and the drawing point at the top left. It fits boxes, eases between views,
 * zooms and pans — by wheel, drag, keys, and on touch screens by one finger (pan) or two
 * (pinch) — and says when it moved (`change`). It knows nothing of steps or nodes: what to
 * look at is follow.js's choice.
 *
 * `#graph[data-moving]` is present while it eases; `#graph[data-zoomed]` while the view
 * shows less than the whole drawing.
 */

import { setChanged } from "./svg.js";

/** the smallest and largest scale a user can zoom to, relative to the whole-graph fit */
const ZOOM_OUT = 0.5;
const ZOOM_IN = 12;
/** one press of `+` or `-` */
export const ZOOM_STEP = 1.25;

const ease = (f) => (f < 0.5 ? 4 * f * f * f : 1 - (-2 * f + 2) ** 3 / 2);

export class Camera extends EventTarget {
  /**
   * `svg`: the drawing; `container`: the element whose size the SVG has; `reducedMotion`: jump,
   * never ease; `settled`: the container's size [w, h] as its ResizeObserver last reported it
   * (null: none yet, measure now).
   */
  constructor(svg, container, reducedMotion, settled = null) {
    super();
    this.svg = svg;
    this.container = container;
    this.reducedMotion = reducedMotion;
    /** the view: drawing point at the top left and screen pixels per drawing unit */
    this.view = { x: 0, y: 0, s: 1 };
    /** the whole drawing's box [x, y, w, h], set by fitAll */
    this.bounds = [0, 0, 1, 1];
    /** whether the view is the whole-drawing fit */
    this.fitted = false;
    /** the box the view frames and how ({box, options} of frame()), kept framed when the
     * container changes size; null once the view is moved otherwise */
    this.framed = null;
    /** the view the easing under way ends at */
    this.goal = this.view;
    /** the container's size in px: measured only when its ResizeObserver reports a change
     * (resized()), never per step — reading it after the drawing changed forces a layout of the
     * whole SVG, and a read mid-update (the step's formula not yet fitted) would keep a size
     * the observer never reports, so never corrects */
    this.box = settled ? [...settled] : [1, 1];
    if (!settled) this.measure();
    /** the container's size when the view was set */
    this.size = [this.width, this.height];
    this.animation = 0;
    /** ends this camera's listeners on the SVG (dispose) */
    this.listening = new AbortController();
    this.listen();
  }

  /** This camera moves its SVG no more: a new drawing in the same SVG has a camera of its own. */
  dispose() {
    this.listening.abort();
    cancelAnimationFrame(this.animation);
    this.settle?.();
  }

  get width() { return this.box[0]; }
  get height() { return this.box[1]; }

  /** Measure the container again (its ResizeObserver reported a change: the page has settled). */
  measure() { this.box = [this.container.clientWidth || 1, this.container.clientHeight || 1]; }

  /** The view box as the SVG takes it: the container's own proportions, never stretched. */
  get viewBox() {
    const { x, y, s } = this.view;
    return [x, y, this.width / s, this.height / s];
  }

  /** The scale at which the whole drawing fits. */
  get fitScale() { return this.boxView(this.bounds).s; }

  /** True when the view shows less than the whole drawing (a part is outside). */
  get zoomed() {
    const [x, y, w, h] = this.viewBox;
    const [bx, by, bw, bh] = this.bounds;
    const slack = 2 / this.view.s;
    return bx < x - slack || by < y - slack || bx + bw > x + w + slack || by + bh > y + h + slack;
  }

  /**
   * The view that shows `box` [x, y, w, h] whole and centred, its scale kept
   * between `min` and `max`. When `min` makes the box too big for the screen, the view centres
   * on `keep` (a box that must stay in view) as far as the box allows.
   */
  boxView(box, { min = 0, max = Infinity, keep = null } = {}) {
    const [bx, by, bw, bh] = box;
    const room = [this.width, this.height];
    const s = Math.max(min, Math.min(max, room[0] / Math.max(bw, 1), room[1] / Math.max(bh, 1)));
    let cx = bx + bw / 2;
    let cy = by + bh / 2;
    if (keep) {
      // the box is wider or taller than the screen: slide toward `keep` until it is in view
      const [kx, ky, kw, kh] = keep;
      const halfW = room[0] / s / 2;
      const halfH = room[1] / s / 2;
      cx = Math.min(Math.max(cx, kx + kw - halfW), kx + halfW);
      cy = Math.min(Math.max(cy, ky + kh - halfH), ky + halfH);
    }
    return { x: cx - this.width / s / 2, y: cy - this.height / s / 2, s };
  }

  /** Fit the whole drawing; `bounds` is its box (a new drawing), else the last one's. */
  fitAll(bounds = null, duration = 0) {
    if (bounds) this.bounds = bounds;
    const done = this.frame(this.bounds, {}, duration);
    if (!duration || this.reducedMotion) this.fitted = true;
    else done.then(() => { this.fitted = true; });
    return done;
  }

  /**
   * Show `box` as boxView(box, options) does, eased over `duration` ms, and keep showing it
   * so when the container changes size (until the view is moved otherwise).
   */
  frame(box, options = {}, duration = 0) {
    const done = this.go(this.boxView(box, options), duration);
    this.framed = { box, options };
    return done;
  }

  /**
   * The container changed size (the narration below took a line more or less, the formula
   * under a lecture's graph was scaled): a framed box stays framed — the view still easing
   * there goes on to where it now belongs — any other view keeps its centre and scale.
   */
  resized() {
    this.measure();
    const [w, h] = this.size;
    if (w === this.width && h === this.height) return;
    const moving = this.container.hasAttribute("data-moving");
    if (this.framed) {
      const { box, options } = this.framed;
      const fitted = this.fitted;
      if (moving) {
        this.goal = this.boxView(box, options);
      } else {
        this.set(this.boxView(box, options));
        this.fitted = fitted;
      }
      return;
    }
    const { x, y, s } = this.view;
    this.set({ x: x + (w - this.width) / s / 2, y: y + (h - this.height) / s / 2, s }, moving);
  }

  /** Go to a view, eased over `duration` ms (at once with reduced motion or 0). */
  go(view, duration = 0) {
    cancelAnimationFrame(this.animation);
    this.fitted = false;
    this.framed = null;
    if (!duration || this.reducedMotion) {
      this.set(view);
      return Promise.resolve();
    }
    const from = { ...this.view };
    // the point at the centre moves in a straight line; the scale changes evenly in log
    const centre = (v) => [v.x + this.width / v.s / 2, v.y + this.height / v.s / 2];
    const [fx, fy] = centre(from);
    const start = performance.now();
    /** where the easing ends: read every frame, resized() may move it */
    this.goal = view;
    this.container.dataset.moving = "";
    return new Promise((resolve) => {
      this.settle = resolve;
      const frame = (now) => {
        // a frame's time is when it began, which can be before go() was called: never below 0
        const f = Math.min(1, Math.max(0, (now - start) / duration));
        const e = ease(f);
        const to = this.goal;
        const [tx, ty] = centre(to);
        const s = Math.exp(Math.log(from.s) + (Math.log(to.s) - Math.log(from.s)) * e);
        const cx = fx + (tx - fx) * e;
        const cy = fy + (ty - fy) * e;
        this.set({ x: cx - this.width / s / 2, y: cy - this.height / s / 2, s }, f < 1);
        if (f < 1) this.animation = requestAnimationFrame(frame);
        else resolve();
      };
      this.animation = requestAnimationFrame(frame);
    });
  }

  /** Stop easing where the view is now. */
  stop() {
    cancelAnimationFrame(this.animation);
    delete this.container.dataset.moving;
  }

  set(view, moving = false) {
    this.view = view;
    this.size = [this.width, this.height];
    if (!moving) this.fitted = false;
    // the same view box written again would still lay the whole drawing out (ms on a large graph)
    setChanged(this.svg, "viewBox", this.viewBox.map((v) => v.toFixed(1)).join(" "));
    if (!moving) delete this.container.dataset.moving;
    this.container.toggleAttribute("data-zoomed", this.zoomed);
    this.dispatchEvent(new CustomEvent("change"));
  }

  /** Zoom by `factor` about the screen point (px, py), the centre by default; a user's move. */
  zoom(factor, px = this.width / 2, py = this.height / 2) {
    this.stop();
    this.framed = null;
    const { x, y, s } = this.view;
    const fit = this.fitScale;
    const to = Math.max(fit * ZOOM_OUT, Math.min(fit * ZOOM_IN, s * factor));
    this.set({ x: x + px / s - px / to, y: y + py / s - py / to, s: to });
    this.moved();
  }

  /** Pan by (dx, dy) screen pixels (the drawing moves the other way); a user's move. */
  pan(dx, dy) {
    this.stop();
    this.framed = null;
    const { x, y, s } = this.view;
    this.set({ x: x + dx / s, y: y + dy / s, s });
    this.moved();
  }

  /** Centre the drawing point (cx, cy) at scale `s` (the current one by default). */
  centre(cx, cy, s = this.view.s, duration = 0) {
    return this.go({ x: cx - this.width / s / 2, y: cy - this.height / s / 2, s }, duration);
  }

  /** A user moved the view (wheel, drag, pinch, keys): `user` is told, follow.js listens. */
  moved() { this.dispatchEvent(new CustomEvent("user")); }

  /** Wheel zoom; mouse drag and one-finger pan; two-finger pinch zoom and pan. */
  listen() {
    const svg = this.svg;
    const { signal } = this.listening;
    svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      const rect = svg.getBoundingClientRect();
      this.zoom(Math.exp(-Math.sign(e.deltaY) * 0.12), e.clientX - rect.left, e.clientY - rect.top);
    }, { passive: false, signal });
    /** pointer id -> its last screen position */
    const pointers = new Map();
    let gesture = null;
    const start = () => {
      const pts = [...pointers.values()];
      const mid = pts.reduce(([a, b], p) => [a + p.x / pts.length, b + p.y / pts.length], [0, 0]);
      const span = pts.length > 1 ? Math.hypot(pts[0].x - pts[1].x, pts[0].y - pts[1].y) : 0;
      gesture = { mid, span };
    };
    svg.addEventListener("pointerdown", (e) => {
      // a click on a node selects it (a touch pinch may start on one)
      if (e.pointerType === "mouse" && (e.button !== 0 || e.target.closest(".node"))) return;
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      try { svg.setPointerCapture(e.pointerId); } catch { /* a pointer already gone */ }
      start();
    }, { signal });
    svg.addEventListener("pointermove", (e) => {
      if (!pointers.has(e.pointerId) || !gesture) return;
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      const before = gesture;
      start();
      const rect = svg.getBoundingClientRect();
      if (before.span && gesture.span) {
        this.zoom(gesture.span / before.span, gesture.mid[0] - rect.left, gesture.mid[1] - rect.top);
      }
      this.pan(before.mid[0] - gesture.mid[0], before.mid[1] - gesture.mid[1]);
    }, { signal });
    const end = (e) => {
      if (!pointers.delete(e.pointerId)) return;
      if (pointers.size) start();
      else gesture = null;
    };
    svg.addEventListener("pointerup", end, { signal });
    svg.addEventListener("pointercancel", end, { signal });
  }
}
