/**
 * The viewer's entry point: wires the player (where we are), the graph view, the panels, the
 * controls and the URL. It decides nothing about math: every state comes from the server.
 * `window.gradwalk.stateAt(t, k)` answers the state the page draws (docs/viewer-dom.md).
 */

import * as api from "./api.js";
import { heatmapDataUrl, LossChart, MemoryChart } from "./charts.js";
import { bindControls, showPhases, showPosition } from "./controls.js";
import { exportPng, exportSvg } from "./exporter.js";
import { inIdleTime } from "./idle.js";
import { Inspector } from "./inspector.js";
import { quantity, quantityClass } from "./names.js";
import { Panels } from "./panels.js";
import { Player } from "./player.js";
import { GraphView } from "./render.js";
import { Setup } from "./setup.js";
import { readUrl, writeUrl } from "./url.js";

const DEFAULT_PRESET = "pytorch-numpy-two-layer";
const $ = (id) => document.getElementById(id);

class App {
  constructor() {
    this.player = new Player();
    this.view = new GraphView($("graph"));
    this.panels = new Panels();
    this.inspector = new Inspector();
    this.setup = new Setup();
    this.losses = new LossChart($("losses"), (t) => this.goIteration(t));
    this.memory = new MemoryChart($("memory"));
    this.current = null;
    /** the player's last failure on the status line, cleared once a state is drawn again */
    this.failure = null;
    /** the iteration whose steps and heatmaps are being prepared in idle time */
    this.prepared = null;
    this.labels = new Map();
    if (this.view.reducedMotion) document.body.classList.add("reduced-motion");
    bindControls(this);
    this.player.addEventListener("change", (e) => this.show(e.detail));
    this.player.addEventListener("failure", (e) => {
      this.failure = e.detail.message;
      this.status(this.failure);
    });
    this.view.addEventListener("select", (e) => {
      const node = this.player.run.graph.nodes.find((n) => n.id === e.detail);
      this.inspector.select(node);
    });
    this.setup.addEventListener("run", (e) => this.createRun(e.detail));
    $("iteration").addEventListener("change", () => this.goIteration(Number($("iteration").value)));
    $("btn-fit").addEventListener("click", () => this.view.fit());
    $("btn-export-svg").addEventListener("click", () => exportSvg(this.view.svg, this.fileName()));
    $("btn-export-png").addEventListener("click", () => exportPng(this.view.svg, this.fileName()));
    window.addEventListener("popstate", (e) => this.restore(e.state || readUrl()));
    window.addEventListener("resize", () => this.view.svg && this.view.fit());
  }

  async start() {
    const where = readUrl();
    if (where.mode === "lecture") this.setLecture(true, false);
    try {
      // the form and the run load side by side: the graph never waits for the form
      const form = this.setup.init(null);
      if (where.run) await this.openRun(where.run, where.t ?? 0, where.k ?? 0);
      else await this.createRun({ preset: DEFAULT_PRESET });
      await form;
      await this.setup.showRun(this.player.run);
    } catch (error) {
      this.status(error.message);
    }
  }

  status(message) { $("status").textContent = message || ""; }

  async createRun(body) {
    this.status("computing…");
    try {
      const run = await api.createRun(body);
      await this.load(run);
      await this.player.go(0, 0, "jump");
      this.status("");
    } catch (error) {
      this.status("");
      this.setup.showError(error.error || error);
    }
  }

  async openRun(runId, t, k) {
    const run = await api.getRun(runId);
    await this.load(run);
    await this.player.go(t, k, "history");
  }

  async load(run) {
    this.player.load(run);
    this.labels = new Map(run.graph.nodes.map((n) => [n.id, n.label]));
    this.view.draw(run.graph, this.player.quantities);
    this.inspector.setQuantities(this.player.quantities, run.direction);
    this.showLegend(this.player.quantities);
    showPhases(this);
    $("iteration").max = String(run.iterations - 1);
    $("code-link").href = api.codeUrl(run.run_id);
    this.inspector.node = null;
    this.inspector.nodeId = null;
    if (this.setup.presets.length) this.setup.showRun(run);
    api.getScript(run.run_id).then((text) => {
      this.panels.showScript(text);
      if (this.current) this.panels.show(this.current.step, this.labels);
    }).catch((error) => this.status(error.message));
    api.getLosses(run.run_id).then((doc) => this.losses.show(doc.losses, this.player.t))
      .catch((error) => this.status(error.message));
  }

  /** The help's colour key: one swatch per quantity of the run. */
  showLegend(quantities) {
    const legend = $("legend");
    legend.replaceChildren("Colours: ");
    quantities.forEach((q, i) => {
      const words = quantity(q);
      const swatch = document.createElement("span");
      swatch.className = `swatch ${quantityClass(q)}`;
      legend.append(i ? ", " : "", `${words.noun} `, swatch, ` ${words.colour}`);
    });
    legend.append(".");
  }

  /** Draw one state (called by the player). */
  show(detail) {
    const { t, k, state, step, steps, iteration, previous, how } = detail;
    this.current = detail;
    if (this.failure && $("status").textContent === this.failure) this.status("");
    this.failure = null;
    if (iteration !== this.prepared) this.prepare(iteration);
    this.view.update(state, step);
    const stepped = (how === "step" || how === "play") && previous.t === t && k === previous.k + 1;
    if (stepped) this.view.animate(step, this.player.stepDuration);
    else this.view.animate(null, 0);
    this.panels.show(step, this.labels);
    showPosition(this.player.run, t, k, step);
    this.memory.show(steps, k);
    this.losses.mark(t);
    $("iteration").value = String(t);
    this.inspector.update({ runId: this.player.run.run_id, t, k, state });
    const record = !["play", "history", "scrub"].includes(how);
    writeUrl({ run: this.player.run.run_id, t, k, lecture: this.lecture }, record);
    Object.assign(document.body.dataset, { ready: "1", iter: String(t), step: String(k), phase: step.phase });
  }

  /**
   * While the browser is idle, get the iteration's steps ready to show: MathML parsed, every
   * heatmap picture drawn, so the first scrub through it is as quick as the next ones.
   */
  prepare(iteration) {
    this.prepared = iteration;
    const panels = this.panels;
    inIdleTime((function* tasks() {
      for (const step of iteration.steps) yield () => panels.prepare(step);
      for (const [which, summary] of iteration.summaries()) {
        if (summary.heatmap) yield () => heatmapDataUrl(summary.heatmap, which);
      }
    })());
  }

  goIteration(t) {
    if (!this.player.run) return;
    this.player.pause();
    this.player.go(t, this.player.k, "jump");
  }

  async restore(where) {
    if (!where || !where.run) return;
    this.setLecture(where.lecture ?? where.mode === "lecture", false);
    if (!this.player.run || this.player.run.run_id !== where.run) {
      await this.openRun(where.run, where.t ?? 0, where.k ?? 0);
    } else {
      await this.player.go(where.t ?? 0, where.k ?? 0, "history");
    }
  }

  get lecture() { return document.body.classList.contains("lecture"); }

  setLecture(on, record = true) {
    if (on === this.lecture && this.view.mode === (on ? "lecture" : "normal")) return;
    document.body.classList.toggle("lecture", on);
    this.view.mode = on ? "lecture" : "normal";
    if (this.player.run) {
      this.view.draw(this.player.run.graph, this.player.quantities);
      if (this.current) this.view.update(this.current.state, this.current.step);
      if (record) {
        const { t, k } = this.player;
        writeUrl({ run: this.player.run.run_id, t, k, lecture: on }, true);
      }
    }
  }

  toggleLecture() { this.setLecture(!this.lecture); }

  toggleHelp(show) { $("help").hidden = !show; }

  toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else document.documentElement.requestFullscreen?.().catch(() => {});
  }

  fileName() {
    const run = this.player.run;
    return `gradwalk_${run.preset || "graph"}_t${this.player.t}_k${this.player.k}`;
  }
}

const app = new App();
/** For scripts and browser tests: the state the page draws for step k of iteration t. */
window.gradwalk = Object.freeze({ stateAt: async (t, k) => structuredClone(await app.player.stateAt(t, k)) });
app.start();
