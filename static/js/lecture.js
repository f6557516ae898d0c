/**
 * The viewer in front of a room: the camera that follows the step (follow.js) and the keys
 * that zoom and pan it, the minimap, finding a node by name, the presenter window, the
 * narration kept to two lines with the whole sentence one key away, formulas that always fit
 * their box, and the inspector as a large panel. Listens to the player and the graph view;
 * main.js only creates it. Shows; decides nothing about math.
 */

import { ZOOM_STEP } from "./camera.js";
import { Follow } from "./follow.js";
import { MathFit } from "./mathfit.js";
import { Minimap } from "./minimap.js";
import { PresenterLink } from "./presenterlink.js";
import { Search } from "./search.js";

const $ = (id) => document.getElementById(id);

/** the smallest readable formula, in px: in the chain-rule card, and under a lecture's graph */
const CARD_MATH_MIN_PX = 12;
const LECTURE_MATH_MIN_PX = 22;
/** one press of Shift + an arrow pans this much of the graph's width or height */
const PAN_FRACTION = 0.2;

export class Lecture {
  /** `ctx`: what the lecture tools read and do (context.js's lectureContext), never the App */
  constructor(ctx) {
    this.ctx = ctx;
    const lecture = () => ctx.lecture;
    this.follow = new Follow(ctx.view, lecture);
    this.minimap = new Minimap($("minimap"), ctx.view);
    this.search = new Search(ctx.view, lecture, ctx.groups);
    this.presenter = new PresenterLink(ctx);
    this.fits = [new MathFit(document.querySelector("#chain .mathml"), () => CARD_MATH_MIN_PX),
      new MathFit($("lecture-math"), () => LECTURE_MATH_MIN_PX)];
    this.inspectorHome = null;
    ctx.addPanel("inspector-panel", {
      open: () => this.openInspector(),
      close: () => this.closeInspector(),
    });
    ctx.view.addEventListener("drawn", () => this.drawn());
    ctx.view.addEventListener("select", () => {
      if (ctx.lecture && !ctx.isPanelOpen("inspector-panel")) ctx.openPanel("inspector-panel");
    });
    ctx.player.addEventListener("change", (e) => this.show(e.detail));
    ctx.player.addEventListener("play", () => this.presenter.send());
    ctx.player.addEventListener("scope", () => this.presenter.send());
    $("narration").addEventListener("click", () => this.toggleNarration());
    // after main.js has fitted the resized graph
    window.addEventListener("resize", () => requestAnimationFrame(() => this.refollow()));
  }

  /** A new drawing (a run, or lecture mode switched): minimap and camera start again. */
  drawn() {
    this.minimap.draw();
    this.refollow();
  }

  /** The camera on the step shown, at once. */
  refollow() {
    const current = this.ctx.current;
    if (!current || !this.ctx.view.svg) return;
    this.follow.show(current.step, 0, this.watchingTraining);
  }

  get watchingTraining() {
    const p = this.ctx.player;
    return p.playing && p.scope === "training";
  }

  /** A step drawn: the camera follows it, the minimap marks it, the presenter hears of it. */
  show({ step, how, previous, t }) {
    const stepped = ["step", "play"].includes(how) && previous.t === t;
    const duration = how === "scrub" || how === "drag" ? 0
      : stepped ? Math.min(900, Math.max(250, this.ctx.player.stepDuration)) : 450;
    const dragged = how === "drag";  // the scrubber: once a frame, however many steps it passes
    this.minimap.soon = dragged;  // the camera's move below places it once a frame
    this.follow.show(step, duration, this.watchingTraining, { holdIfSeen: dragged });
    this.minimap.mark(this.follow.drawnAs(step.node), this.follow.focus(step), dragged);
    this.presenter.send();
  }

  // ----- keys -----

  zoom(direction) {
    const view = this.ctx.view;
    const camera = view.camera;
    if (!camera) return;
    if (direction === 0) {
      camera.stop();
      view.fit(view.reducedMotion ? 0 : 350);
      this.follow.mark("overview");
      return;
    }
    camera.zoom(direction > 0 ? ZOOM_STEP : 1 / ZOOM_STEP);
  }

  /** Pan a fifth of the view toward (dx, dy) = (±1, 0) or (0, ±1). */
  pan(dx, dy) {
    const camera = this.ctx.view.camera;
    camera?.pan(dx * camera.width * PAN_FRACTION, dy * camera.height * PAN_FRACTION);
  }

  toggleFollow() {
    const on = this.follow.toggle();
    this.ctx.status(on ? "The camera follows the step (C)." : "The camera stays where you put it (C).",
      { progress: true });
    if (on) this.refollow();
  }

  /** The whole narration, or two lines of it (lecture mode). */
  toggleNarration() {
    const narration = $("narration");
    narration.classList.toggle("full");
    narration.setAttribute("aria-expanded", String(narration.classList.contains("full")));
  }

  // ----- the inspector as a large panel -----

  toggleInspector() { this.ctx.togglePanel("inspector-panel"); }

  /** Move the inspector into the large panel, inspecting the step's node if none is. */
  openInspector() {
    const inspector = $("inspector");
    this.inspectorHome = { parent: inspector.parentNode, next: inspector.nextSibling };
    $("inspector-panel-body").appendChild(inspector);
    const ctx = this.ctx;
    if (!ctx.inspected) {
      const id = ctx.current?.step.node || ctx.player.run?.graph.loss;
      if (id) ctx.view.dispatchEvent(new CustomEvent("select", { detail: id }));
    }
  }

  /** Put the inspector back in its column. */
  closeInspector() {
    const home = this.inspectorHome;
    if (!home) return;
    home.parent.insertBefore($("inspector"), home.next);
    this.inspectorHome = null;
  }
}
