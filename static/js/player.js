/**
 * Where the viewer is: run, iteration t, step k, playing or not, at what speed, and what Play
 * plays — this iteration's steps, or training: the update steps of iteration after iteration.
 * An iteration comes from the server as one document (a few kept, the next ones prefetched
 * while playing); every step inside it is rebuilt from that document, never computed and
 * never fetched again: stepping back shows exactly the server's state k - 1. Stepping on from
 * an iteration's last step goes to the next iteration's first.
 */

import * as api from "./api.js";
import { Iteration } from "./iteration.js";
import { DEFAULT_QUANTITIES } from "./names.js";

export const SPEEDS = [0.25, 0.5, 1, 2, 4];
const BASE_DELAY_MS = 1100;
/** playing training at 1×: one iteration's update steps take this long (330 a minute) */
const TRAINING_ITERATION_MS = 180;
/** playing training: iteration documents fetched ahead of the one shown */
const AHEAD = 3;
/**
 * playing training on a server slower than the speed asked: every `stride`-th iteration is
 * shown (the loss curve's marker keeps its pace), at most every MAX_STRIDE-th
 */
const MAX_STRIDE = 16;
/** iteration documents kept: the one shown, those fetched ahead, one more */
const KEPT_ITERATIONS = AHEAD + 2;

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
    /** what Play plays: "iteration" (this iteration's steps) or "training" (update steps of
     * iteration after iteration) */
    this.scope = "iteration";
    /** playing training: the iterations shown are this many apart (1 unless the server lags) */
    this.stride = 1;
    /** iterations whose documents have arrived (of those kept) */
    this.ready = new Set();
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
    this.ready.clear();
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
      p.then(() => { if (this.iterations.get(t) === p) this.ready.add(t); }, () => {
        if (this.iterations.get(t) === p) this.iterations.delete(t);
      });
    }
    this.iterations.set(t, p);
    while (this.iterations.size > KEPT_ITERATIONS) {
      const oldest = this.iterations.keys().next().value;
      this.iterations.delete(oldest);
      this.ready.delete(oldest);
    }
    return p;
  }

  /** The state after step k of iteration t (docs/json.md, State), as the page draws it. */
  async stateAt(t, k) {
    return (await this.iterationOf(t)).state(k);
  }

  /**
   * Show step k of iteration t; `how` says why ("step", "jump", "play", "scrub", "history", or
   * "drag": the scrubber moved by hand, quick inputs one after another).
   */
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
    if (how === "play" && !this.playing) {
      // paused while this frame's iteration was on its way: the view stays where it was
      if (this.shown.t >= 0) ({ t: this.t, k: this.k } = this.shown);
      return;
    }
    const previous = this.shown;
    this.shown = { t, k };
    this.dispatchEvent(new CustomEvent("change", {
      detail: { t, k, state: iteration.state(k), step: iteration.steps[k], steps: iteration.steps,
        iteration, previous, how },
    }));
  }

  /** One step on; from an iteration's last step, the next iteration's first. */
  forward() {
    if (this.k >= this.lastStep && this.t < this.run.iterations - 1) return this.go(this.t + 1, 0, "step");
    return this.go(this.t, this.k + 1, "step");
  }

  /** One step back; from an iteration's first step, the previous iteration's last. */
  back() {
    if (this.k <= 0 && this.t > 0) return this.go(this.t - 1, this.lastStep, "step");
    return this.go(this.t, this.k - 1, "step");
  }

  /**
   * The steps Play shows of each iteration when it plays training: the update phase, or for
   * a run without one (forward mode) the last step, where the loss is known.
   */
  get trainingSteps() {
    const update = this.run.phases.update;
    return update && update[1] >= update[0] ? update : [this.lastStep, this.lastStep];
  }

  /** Play this iteration, or training; `scope` as the player tells listeners. */
  toggleScope() {
    this.scope = this.scope === "training" ? "iteration" : "training";
    this.dispatchEvent(new CustomEvent("scope", { detail: { scope: this.scope } }));
    if (this.playing) {
      this.pause();
      this.play();
    }
  }

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
    if (this.scope === "training") {
      const last = this.trainingSteps[1];
      if (this.t >= this.run.iterations - 1 && this.k >= last) this.go(0, this.trainingSteps[0], "jump");
      this.stride = 1;
    } else if (this.k >= this.lastStep) {
      this.go(this.t, 0, "jump");
    }
    this.playing = true;
    this.emitPlay();
    this.prefetchNext();
    this.schedule();
  }

  /**
   * While playing, the next iteration's document loads in the background; playing training,
   * the next AHEAD of those it will show.
   */
  prefetchNext() {
    const ahead = this.scope === "training" ? AHEAD : 1;
    let asked = false;
    for (let i = 1; i <= ahead; i += 1) {
      const next = this.t + i * (this.scope === "training" ? this.stride : 1);
      if (next < this.run.iterations && !this.iterations.has(next)) {
        this.iterationOf(next).catch(() => {});
        asked = true;
      }
    }
    if (asked && this.iterations.has(this.t)) this.iterationOf(this.t); // the one shown stays the most recently used
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
    if (this.scope === "training") {
      this.timer = setTimeout(() => this.trainingFrame(), this.frameDelay);
      return;
    }
    this.timer = setTimeout(async () => {
      if (this.k >= this.lastStep) { this.pause(); return; }
      await this.go(this.t, this.k + 1, "play");
      this.schedule();
    }, this.frameDelay);
  }

  /**
   * Playing training: the next update step, or the first of the next iteration shown. When
   * that iteration's document is not there yet the stride grows (the server lags behind the
   * speed); when the ones ahead are all there it shrinks back toward every iteration.
   */
  async trainingFrame() {
    const [first, last] = this.trainingSteps;
    let { t, k } = this;
    if (k < first) {
      k = first;
    } else if (k < last) {
      k += 1;
    } else {
      if (t >= this.run.iterations - 1) { this.pause(); return; }
      t = Math.min(this.run.iterations - 1, t + this.stride);
      k = first;
      const late = !this.ready.has(t);
      const ahead = [1, 2].every((i) => t + i * this.stride >= this.run.iterations
        || this.ready.has(t + i * this.stride));
      if (late) this.stride = Math.min(MAX_STRIDE, this.stride + 1);
      else if (ahead && this.stride > 1) this.stride -= 1;
    }
    await this.go(t, k, "play");
    if (!this.playing) return;
    this.prefetchNext();
    this.schedule();
  }

  /** Time between two frames while playing. */
  get frameDelay() {
    if (this.scope !== "training") return BASE_DELAY_MS / this.speed;
    const [first, last] = this.trainingSteps;
    return TRAINING_ITERATION_MS / this.speed / (last - first + 1);
  }

  faster(delta) {
    this.speedIndex = Math.max(0, Math.min(SPEEDS.length - 1, this.speedIndex + delta));
    this.dispatchEvent(new CustomEvent("speed", { detail: { speed: this.speed } }));
    if (this.playing) this.schedule();
  }

  /** How long one step's animation may take, in ms. */
  get stepDuration() { return this.frameDelay * 0.7; }

  emitPlay() {
    this.dispatchEvent(new CustomEvent("play", { detail: { playing: this.playing } }));
  }
}
