/**
 * Where the viewer is: run, iteration t, step k, playing or not, at what speed. States come
 * from the server (cached here, the next one prefetched), never computed: stepping back shows
 * exactly the server's state k - 1.
 */

import * as api from "./api.js";

export const SPEEDS = [0.25, 0.5, 1, 2, 4];
const BASE_DELAY_MS = 1100;

export class Player extends EventTarget {
  constructor() {
    super();
    /** the run JSON (docs/json.md, Run) */
    this.run = null;
    /** iteration and step asked for last (drawn as soon as their state arrives) */
    this.t = 0;
    this.k = 0;
    /** iteration and step drawn now */
    this.shown = { t: -1, k: -1 };
    this.playing = false;
    this.speedIndex = 2;
    this.steps = new Map();
    this.states = new Map();
    this.timer = null;
    this.token = 0;
  }

  get speed() { return SPEEDS[this.speedIndex]; }
  get lastStep() { return this.run.steps_per_iteration - 1; }

  load(run) {
    this.pause();
    this.run = run;
    this.shown = { t: -1, k: -1 };
    this.steps.clear();
    this.states.clear();
  }

  /** The step list of iteration t (cached). */
  stepsOf(t) {
    if (!this.steps.has(t)) {
      const p = api.getSteps(this.run.run_id, t).then((doc) => doc.steps);
      p.catch(() => this.steps.delete(t));
      this.steps.set(t, p);
    }
    return this.steps.get(t);
  }

  /** The state after step k of iteration t (cached; at most a few hundred kept). */
  stateOf(t, k) {
    const key = `${t}:${k}`;
    if (!this.states.has(key)) {
      if (this.states.size > 400) this.states.delete(this.states.keys().next().value);
      const p = api.getState(this.run.run_id, t, k);
      p.catch(() => this.states.delete(key));
      this.states.set(key, p);
    }
    return this.states.get(key);
  }

  /** Show step k of iteration t; `how` says why ("step", "jump", "play", "history"). */
  async go(t, k, how = "jump") {
    t = Math.max(0, Math.min(this.run.iterations - 1, t));
    k = Math.max(0, Math.min(this.lastStep, k));
    const token = ++this.token;
    // the target moves at once, so quick key presses compose; it is drawn when it arrives
    this.t = t;
    this.k = k;
    let steps;
    let state;
    try {
      [steps, state] = await Promise.all([this.stepsOf(t), this.stateOf(t, k)]);
    } catch (error) {
      this.pause();
      this.dispatchEvent(new CustomEvent("failure", { detail: error }));
      return;
    }
    if (token !== this.token) return;
    const previous = this.shown;
    this.shown = { t, k };
    this.dispatchEvent(new CustomEvent("change", {
      detail: { t, k, state, step: steps[k], steps, previous, how },
    }));
    if (k < this.lastStep) this.stateOf(t, k + 1);
  }

  forward() { return this.go(this.t, this.k + 1, "step"); }
  back() { return this.go(this.t, this.k - 1, "step"); }

  /** The first step of the next (+1) or previous (-1) phase. */
  phaseJump(direction) {
    const starts = Object.values(this.run.phases).map(([first]) => first).sort((a, b) => a - b);
    const target = direction > 0
      ? starts.find((s) => s > this.k)
      : [...starts].reverse().find((s) => s < this.k);
    return this.go(this.t, target ?? (direction > 0 ? this.lastStep : 0), "jump");
  }

  play() {
    if (this.playing) return;
    if (this.k >= this.lastStep) this.go(this.t, 0, "jump");
    this.playing = true;
    this.emitPlay();
    this.schedule();
  }

  pause() {
    this.playing = false;
    clearTimeout(this.timer);
    this.emitPlay();
  }

  toggle() { return this.playing ? this.pause() : this.play(); }

  schedule() {
    clearTimeout(this.timer);
    if (!this.playing) return;
    this.timer = setTimeout(async () => {
      if (this.k >= this.lastStep) { this.pause(); return; }
      await this.go(this.t, this.k + 1, "play");
      this.schedule();
    }, BASE_DELAY_MS / this.speed);
  }

  faster(delta) {
    this.speedIndex = Math.max(0, Math.min(SPEEDS.length - 1, this.speedIndex + delta));
    this.dispatchEvent(new CustomEvent("speed", { detail: { speed: this.speed } }));
    if (this.playing) this.schedule();
  }

  /** How long one step's animation may take, in ms. */
  get stepDuration() { return (BASE_DELAY_MS * 0.7) / this.speed; }

  emitPlay() {
    this.dispatchEvent(new CustomEvent("play", { detail: { playing: this.playing } }));
  }
}
