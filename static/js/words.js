/**
 * A step's words and what follows the step (the chain-rule card and the code, the memory
 * strip's labels, the inspector, the link, an open panel), and when they are drawn: at once for
 * a step taken, after the scrubber rests while scrubbing, a frame after the graph while playing
 * (fitting a formula lays the page out a few times: no frame holds both). Also gets an
 * iteration's steps ready in idle time. `body[data-words="pending"]` while the words wait.
 */

import { heatmapDataUrl } from "./charts.js";
import { inIdleTime } from "./idle.js";

/**
 * Scrubbing draws the graph at each step it passes; the formula, the code and the inspector
 * wait until the scrubber has rested this long, and show the step it rests on only.
 */
const WORDS_AFTER_SCRUB_MS = 120;

export class StepWords {
  /**
   * `parts`: `panels`, `memory` (the strip), `inspector`; `remember(push)` writes the link;
   * `refollow()` frames the step with the camera; `follow()` lets an open panel follow the step;
   * `runId()` is the run shown; `labels()` the graph's node labels.
   */
  constructor(parts) {
    this.parts = parts;
    /** bumped by every state drawn: the words of a step passed while playing are not shown */
    this.token = 0;
    this.timer = 0;
    /** the state drawn last (the words shown when they are due) */
    this.latest = null;
    /** the iteration whose steps and heatmaps are being prepared in idle time */
    this.prepared = null;
  }

  /** A state was drawn (`how` it was reached): its words now, or when they are due. */
  schedule(detail) {
    this.latest = detail;
    clearTimeout(this.timer);
    const token = ++this.token;
    if (detail.how === "drag") {
      document.body.dataset.words = "pending";
      this.timer = setTimeout(() => this.show(this.latest), WORDS_AFTER_SCRUB_MS);
    } else if (detail.how === "play") {
      // the graph's frame first, then the words in a task of their own, drawn in the next
      document.body.dataset.words = "pending";
      requestAnimationFrame(() => {
        if (token === this.token) this.timer = setTimeout(() => this.show(this.latest));
      });
    } else {
      this.show(detail);
    }
  }

  /** Words no longer due (a new run, nothing drawn): none of them is shown. */
  cancel() {
    clearTimeout(this.timer);
    this.token += 1;
    this.latest = null;
    delete document.body.dataset.words;
  }

  show(detail) {
    if (!detail) return;
    const { t, k, state, step, steps, how } = detail;
    const labels = this.parts.labels();
    const { panels, memory, inspector } = this.parts;
    panels.show(step, labels);
    memory.show(steps, k, labels);
    inspector.update({ runId: this.parts.runId(), t, k, state });
    this.parts.remember(!["play", "history", "scrub", "drag"].includes(how));
    // the camera held still while dragged: at rest it frames the step as any move does
    if (how === "drag") this.parts.refollow();
    delete document.body.dataset.words;
    this.parts.follow();
  }

  /**
   * While the browser is idle, draw every heatmap picture of the iteration, so the first scrub
   * through it is as quick as the next ones. (Not its steps' MathML: the words are written
   * only where the scrubber rests, one step's at a time, and parsing every step's ahead — about
   * 0.8 s of idle work on a hundred-layer MLP, its garbage collected meanwhile — delayed the
   * clicks that came during it.)
   */
  prepare(iteration) {
    if (iteration === this.prepared) return;
    this.prepared = iteration;
    inIdleTime((function* tasks() {
      for (const [which, summary] of iteration.summaries()) {
        if (summary.heatmap) yield () => heatmapDataUrl(summary.heatmap, which);
      }
    })());
  }
}
