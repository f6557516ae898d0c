/**
 * The viewer's entry point: wires the player (where we are), the graph view, the panels, the
 * mode switch, the large panels (why reverse, gradient check, memory), the controls and the
 * URL. It decides nothing about math: every state and every number comes from the server.
 * `window.gradwalk.stateAt(t, k)` answers the state the page draws (docs/viewer-dom.md).
 */

import * as api from "./api.js";
import { heatmapDataUrl, LossChart } from "./charts.js";
import { bindControls, showPhases, showPosition } from "./controls.js";
import { exportPng, exportSvg } from "./exporter.js";
import { GradCheck } from "./gradcheck.js";
import { inIdleTime } from "./idle.js";
import { Inspector } from "./inspector.js";
import { MemoryPanel, MemoryStrip } from "./memory.js";
import { ModeSwitch } from "./modeswitch.js";
import { quantity, quantityClass } from "./names.js";
import { Overlays } from "./overlays.js";
import { Panels } from "./panels.js";
import { Player } from "./player.js";
import { GraphView } from "./render.js";
import { Setup } from "./setup.js";
import { readUrl, writeUrl } from "./url.js";
import { WhyReverse } from "./whyreverse.js";

const DEFAULT_PRESET = "pytorch-numpy-two-layer";
const $ = (id) => document.getElementById(id);

class App {
  constructor() {
    this.player = new Player();
    this.view = new GraphView($("graph"));
    this.panels = new Panels();
    this.modeSwitch = new ModeSwitch($("mode-switch"));
    this.inspector = new Inspector((direction) => this.modeSwitch.goAlong(direction));
    this.setup = new Setup();
    this.losses = new LossChart($("losses"), (t) => this.goIteration(t));
    this.overlays = new Overlays();
    this.memory = new MemoryStrip($("memory"), () => this.overlays.open("memory-panel"));
    /** the run's memory ledger (`GET …/memory`), null while it loads */
    this.ledger = null;
    this.overlays.add("why", new WhyReverse(this));
    this.overlays.add("gradcheck", new GradCheck(this));
    this.overlays.add("memory-panel", new MemoryPanel(this));
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
    // the same run in the other mode, at the same iteration and (as far as it goes) step
    this.modeSwitch.addEventListener("switch", (e) => this.createRun(e.detail,
      { t: this.player.t, k: this.player.k }));
    $("btn-why").addEventListener("click", () => this.overlays.open("why"));
    $("btn-gradcheck").addEventListener("click", () => this.overlays.open("gradcheck"));
    $("btn-memory").addEventListener("click", () => this.overlays.open("memory-panel"));
    $("btn-memory-open").addEventListener("click", () => this.overlays.open("memory-panel"));
    $("iteration").addEventListener("change", () => this.goIteration(Number($("iteration").value)));
    $("btn-fit").addEventListener("click", () => this.view.fit());
    $("btn-export-svg").addEventListener("click", () => exportSvg(this.view.svg, this.fileName()));
    $("btn-export-png").addEventListener("click", () => exportPng(this.view.svg, this.fileName()));
    window.addEventListener("popstate", (e) => this.restore(e.state || readUrl()));
    window.addEventListener("resize", () => { this.measureInsets(); if (this.view.svg) this.view.fit(); });
    this.measureInsets();
  }

  /** The graph keeps clear of the mode switch drawn over its top. */
  measureInsets() {
    const box = $("mode-switch");
    this.view.insetTop = box.offsetTop + box.offsetHeight;
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

  /** Create (or find) a run and show it, at step `k` of iteration `t` as far as it has them. */
  async createRun(body, { t = 0, k = 0 } = {}) {
    this.status("computing…");
    try {
      const run = await api.createRun(body);
      await this.load(run);
      await this.player.go(t, k, "jump");
      this.status("");
    } catch (error) {
      this.status(error.message);
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
    this.modeSwitch.show(run);
    this.measureInsets();
    this.view.draw(run.graph, this.player.quantities, run.custom_ops || []);
    this.panels.setRun(run);
    this.inspector.setQuantities(this.player.quantities, run.direction);
    document.body.dataset.mode = run.mode || "reverse";
    this.showLegend(this.player.quantities);
    showPhases(this);
    $("iteration").max = String(run.iterations - 1);
    $("code-link").href = api.codeUrl(run.run_id);
    // the node inspected stays inspected in the same graph (the other mode's run), else none
    this.inspector.keepOrClear(run.graph.nodes.find((n) => n.id === this.inspector.nodeId));
    if (this.setup.presets.length) this.setup.showRun(run);
    api.getScript(run.run_id).then((text) => {
      this.panels.showScript(text);
      if (this.current) this.panels.show(this.current.step, this.labels);
    }).catch((error) => this.status(error.message));
    api.getLosses(run.run_id).then((doc) => this.losses.show(doc.losses, this.player.t))
      .catch((error) => this.status(error.message));
    this.ledger = null;
    this.memory.setLedger(null);
    api.getMemory(run.run_id).then((ledger) => {
      if (this.player.run !== run) return;
      this.ledger = ledger;
      this.memory.setLedger(ledger);
      this.overlays.follow();
    }).catch((error) => this.status(error.message));
    this.overlays.follow();
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
    this.memory.show(steps, k, this.labels);
    this.losses.mark(t);
    $("iteration").value = String(t);
    this.inspector.update({ runId: this.player.run.run_id, t, k, state });
    const record = !["play", "history", "scrub"].includes(how);
    writeUrl({ run: this.player.run.run_id, t, k, lecture: this.lecture }, record);
    Object.assign(document.body.dataset, { ready: "1", iter: String(t), step: String(k), phase: step.phase });
    this.overlays.follow();
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
    this.measureInsets();
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

  /** Esc: the help if it is open, else the open panel. */
  closeTop() {
    if (!$("help").hidden) this.toggleHelp(false);
    else this.overlays.close();
  }

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
