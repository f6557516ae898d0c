/**
 * Where the viewer is: run, iteration t, step k, playing or not, at what speed. An iteration
 * comes from the server as one document (a few kept, the next one prefetched while playing);
 * every step inside it is rebuilt from that document, never computed and never fetched again:
 * stepping back shows exactly the server's state k - 1.
 */

import * as api from "./api.js";
import { Iteration } from "./iteration.js";
import { DEFAULT_QUANTITIES } from "./names.js";

export const SPEEDS = [0.25, 0.5, 1, 2, 4];
const BASE_DELAY_MS = 1100;
/** iteration documents kept: the one shown, the next one prefetched, one more */
const KEPT_ITERATIONS = 3;

export class Player extends EventTarget {
  constructor() {
    super();
    /** the run JSON (docs/json.md, Run) */
    this.run = null;
    /** what the run's nodes carry besides their statuses: its `quantities` */
    this.quantities = DEFAULT_QUANTITIES;
    /** iteration and step asked for last (drawn as soon as their iteration is loaded) */
    this.t = 0;
    this.k = 0;
    /** iteration and step drawn now */
    this.shown = { t: -1, k: -1 };
    this.playing = false;
    this.speedIndex = 2;
    /** t -> Promise<Iteration>, least recently used first */
    this.iterations = new Map();
    this.timer = null;
    this.token = 0;
  }

  get speed() { return SPEEDS[this.speedIndex]; }
  get lastStep() { return this.run.steps_per_iteration - 1; }

  load(run) {
    this.pause();
    this.token += 1;
    this.run = run;
    this.quantities = run.quantities || DEFAULT_QUANTITIES;
    this.shown = { t: -1, k: -1 };
    this.iterations.clear();
  }

  /** Iteration t of the run, fetched once (the last KEPT_ITERATIONS used are kept). */
  iterationOf(t) {
    let p = this.iterations.get(t);
    if (p) {
      this.iterations.delete(t);
    } else {
      const run = this.run;
      const quantities = this.quantities;
      p = api.getIteration(run.run_id, t).then((doc) => new Iteration(doc, run, quantities));
      p.catch(() => { if (this.iterations.get(t) === p) this.iterations.delete(t); });
    }
    this.iterations.set(t, p);
    while (this.iterations.size > KEPT_ITERATIONS) this.iterations.delete(this.iterations.keys().next().value);
    return p;
  }

  /** The state after step k of iteration t (docs/json.md, State), as the page draws it. */
  async stateAt(t, k) {
    return (await this.iterationOf(t)).state(k);
  }

  /** Show step k of iteration t; `how` says why ("step", "jump", "play", "scrub", "history"). */
  async go(t, k, how = "jump") {
    t = Math.max(0, Math.min(this.run.iterations - 1, t));
    k = Math.max(0, Math.min(this.lastStep, k));
    const token = ++this.token;
    // the target moves at once, so quick key presses compose; it is drawn when it arrives
    this.t = t;
    this.k = k;
    let iteration;
    try {
      iteration = await this.iterationOf(t);
    } catch (error) {
      this.pause();
      this.dispatchEvent(new CustomEvent("failure", { detail: error }));
      return;
    }
    if (token !== this.token) return;
    const previous = this.shown;
    this.shown = { t, k };
    this.dispatchEvent(new CustomEvent("change", {
      detail: { t, k, state: iteration.state(k), step: iteration.steps[k], steps: iteration.steps,
        iteration, previous, how },
    }));
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
    this.prefetchNext();
    this.schedule();
  }

  /** While playing, the next iteration's document loads in the background. */
  prefetchNext() {
    const next = this.t + 1;
    if (next < this.run.iterations && !this.iterations.has(next)) {
      this.iterationOf(next).catch(() => {});
      this.iterationOf(this.t); // the one shown stays the most recently used
    }
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
