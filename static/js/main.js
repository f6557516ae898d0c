/**
 * The viewer's entry point: wires the player (where we are), the graph view, the panels, the
 * mode switch, the large panels (why reverse, gradient check, memory), the controls and the
 * URL. It decides nothing about math: every state and every number comes from the server.
 * `window.gradwalk.stateAt(t, k)` answers the state the page draws (docs/viewer-dom.md).
 *
 * Errors are shown where they were caused and stay until the next action: a run asked for by
 * the form under the form (`#run-error`), by the source beside it (`#source-error`), a deep link
 * that cannot be opened over the graph with the default graph offered (`#link-error`), a step
 * or panel that failed on the graph's status line (`#status`, an alert while it holds one). A
 * run that cannot show its first state leaves none of the previous run's panels behind.
 */

import * as api from "./api.js";
import { Clip } from "./clip.js";
import { lectureContext, panelContext } from "./context.js";
import { bindControls, showPhases, showPosition } from "./controls.js";
import { ElementView } from "./element.js";
import { ExportDialog } from "./export.js";
import { GradCheck } from "./gradcheck.js";
import { Groups } from "./groups.js";
import { Handout } from "./handout.js";
import { Help } from "./help.js";
import { Inspector } from "./inspector.js";
import { LayerStrip } from "./layerstrip.js";
import { linkProblems, linkWords, showLinkError } from "./linkerror.js";
import { Lecture } from "./lecture.js";
import { feedLosses } from "./lossfeed.js";
import { LossChart } from "./losses.js";
import { MemoryPanel, MemoryStrip } from "./memory.js";
import { ModeSwitch } from "./modeswitch.js";
import { Overlays } from "./overlays.js";
import { Panels } from "./panels.js";
import { Player } from "./player.js";
import { GraphView } from "./render.js";
import { Setup } from "./setup.js";
import { Symbolic } from "./symbolic.js";
import { RoomPanel } from "./roomview.js";
import { Tour } from "./tour.js";
import { readUrl, seedRun, writeUrl } from "./url.js";
import { WhyReverse } from "./whyreverse.js";
import { StepWords } from "./words.js";

const DEFAULT_PRESET = "pytorch-numpy-two-layer";
const $ = (id) => document.getElementById(id);

class App {
  constructor() {
    this.player = new Player();
    this.view = new GraphView($("graph"));
    /** collapsed groups: what the view draws in their place (the current state, if this run's) */
    this.groups = new Groups(this.view, () => (this.shownRun === this.player.run ? this.current : null));
    this.groups.addEventListener("failure", (e) => this.status(e.detail.message));
    // which groups are collapsed is part of the link (replaced, not a new history entry)
    this.groups.addEventListener("change", () => {
      if (this.player.run && this.shownRun === this.player.run) this.remember(false);
    });
    this.panels = new Panels();
    this.modeSwitch = new ModeSwitch($("mode-switch"));
    this.inspector = new Inspector((direction) => this.modeSwitch.goAlong(direction));
    this.setup = new Setup();
    this.losses = new LossChart($("losses"), (t) => this.goIteration(t));
    this.overlays = new Overlays();
    this.memory = new MemoryStrip($("memory"), () => this.overlays.open("memory-panel"));
    /** ‖∂loss/∂W‖ per layer as the backward pass runs (normal and lecture mode) */
    this.layerStrip = new LayerStrip($("layers"));
    /** the run's memory ledger (`GET …/memory`), null while it loads */
    this.ledger = null;
    /** what a panel may read and do (context.js): panels never get the App */
    const ctx = panelContext(this);
    this.overlays.add("why", new WhyReverse(ctx));
    this.overlays.add("gradcheck", new GradCheck(ctx));
    this.overlays.add("symbolic", new Symbolic(ctx));
    this.overlays.add("memory-panel", new MemoryPanel(ctx));
    this.current = null;
    /** the player's last failure on the status line, cleared once a state is drawn again */
    this.failure = null;
    this.labels = new Map();
    /** the step's words, and when they are drawn (words.js) */
    this.words = new StepWords({ panels: this.panels, memory: this.memory, inspector: this.inspector,
      remember: (push) => this.remember(push), refollow: () => this.lectureTools.refollow(),
      follow: () => this.overlays.follow(), runId: () => this.player.run.run_id, labels: () => this.labels });
    if (this.view.reducedMotion) document.body.classList.add("reduced-motion");
    bindControls(this);
    this.player.addEventListener("change", (e) => this.show(e.detail));
    this.player.addEventListener("failure", (e) => this.failed(e.detail));
    this.view.addEventListener("select", (e) => {
      const node = this.player.run.graph.nodes.find((n) => n.id === e.detail);
      this.inspector.select(node);
      this.view.select(node.id);
    });
    /** camera, minimap, search, presenter view, fitted formulas (after the listeners above) */
    this.lectureTools = new Lecture(lectureContext(this));
    /** Ask the room: a question to the class at this step, its answers, the reveal */
    this.room = new RoomPanel(ctx);
    this.overlays.add("room", this.room.hooks);
    $("btn-room").addEventListener("click", () => this.room.toggle());
    /** the Handout dialog: steps printed one a page */
    this.handout = new Handout(ctx);
    /** the Export clip dialog: steps recorded as a video */
    this.clip = new Clip(ctx);
    this.setup.addEventListener("run", (e) => this.createRun(e.detail.body, { origin: e.detail.origin }));
    $("btn-default-graph").addEventListener("click", () => this.createRun({ preset: DEFAULT_PRESET }));
    /** the shortcuts' help, a modal dialog (?) */
    this.help = new Help();
    // the same run in the other mode, at the same iteration and (as far as it goes) step
    this.modeSwitch.addEventListener("switch", (e) => this.createRun(e.detail,
      { t: this.player.t, k: this.player.k }));
    $("btn-why").addEventListener("click", () => this.overlays.open("why"));
    $("btn-gradcheck").addEventListener("click", () => this.overlays.open("gradcheck"));
    $("btn-symbolic").addEventListener("click", () => this.overlays.open("symbolic"));
    $("btn-memory").addEventListener("click", () => this.overlays.open("memory-panel"));
    $("btn-memory-open").addEventListener("click", () => this.overlays.open("memory-panel"));
    $("iteration").addEventListener("change", () => this.goIteration(Number($("iteration").value)));
    // Enter picks the iteration and hands the keys back to the viewer (its shortcuts)
    $("iteration").addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      this.goIteration(Number($("iteration").value));
      $("graph-area").focus({ preventScroll: true });
    });
    $("btn-fit").addEventListener("click", () => this.view.fit());
    /** one element at a time in the chain-rule card (E) */
    this.element = new ElementView(ctx);
    /** the first-visit tour (once per browser, never in lecture mode) */
    this.tour = new Tour(ctx);
    /** the Export dialog: the step as a slide (PNG or SVG), and its link */
    this.exporter = new ExportDialog(ctx);
    window.addEventListener("popstate", (e) => this.restore(e.state || readUrl()));
    window.addEventListener("resize", () => { this.measureInsets(); if (this.view.svg) this.view.fit(); });
    this.measureInsets();
  }

  /** The graph is drawn below the mode switch (and the tools on its row): they never cover a node. */
  measureInsets() {
    const box = $("mode-switch");
    $("graph").style.top = `${box.offsetTop + box.offsetHeight + 4}px`;
  }

  async start() {
    const where = readUrl();
    if (where.mode === "lecture") this.setLecture(true, false);
    // the form and the run load side by side: the graph never waits for the form
    const form = this.setup.init(null).catch((error) => this.setup.showError(error.error || error));
    if (where.run !== null) await this.openLink(where);
    else await this.createRun({ preset: DEFAULT_PRESET }, { known: seedRun() });
    await form;
    try {
      if (this.player.run) await this.setup.showRun(this.player.run);
    } finally {
      this.setup.hold(false);  // the form shows the run: typing into it is safe now
    }
    if (this.current) this.tour.maybeStart();
  }

  /**
   * A line on the graph's status: a failure (an alert, until the next action), or with
   * `progress` what the page is doing (`computing…`).
   */
  status(message, { progress = false } = {}) {
    const box = $("status");
    const error = Boolean(message) && !progress;
    box.textContent = message || "";
    box.classList.toggle("error", error);
    box.setAttribute("role", error ? "alert" : "status");
  }

  /** The graph's status line, if it still says `message`, says nothing. */
  unsay(message) { if ($("status").textContent === message) this.status(""); }

  /**
   * Create (or find) a run and show it, at step `k` of iteration `t` as far as it has them.
   * `origin` is what asked ("form", "source"; else the graph's own controls): where an error
   * of it is shown. `known`: its id, if the page names it (its documents asked for): no POST.
   */
  async createRun(body, { t = 0, k = 0, origin = null, known = null } = {}) {
    this.clearErrors();
    this.status("computing…", { progress: true });
    const asked = this.asked = (this.asked ?? 0) + 1;  // a later run asked for: still computing
    try {
      const run = await (known ? api.getRun(known).catch(() => api.createRun(body)) : api.createRun(body));
      await this.load(run, origin, t);
      await this.player.go(t, k, "jump");
      if (asked === this.asked) this.unsay("computing…");
    } catch (error) {
      if (asked === this.asked) this.unsay("computing…");
      this.showError(error, origin);
    }
  }

  /** A request's error where it was made: under the form, beside the source, or on the status line. */
  showError(error, origin) {
    if (origin) this.setup.showError(error.error?.message ? error.error : error, origin);
    else this.status(error.message);
  }

  /** Every error shown: a new action starts clean. */
  clearErrors() {
    this.setup.clearErrors();
    $("link-error").hidden = true;
    if ($("status").classList.contains("error")) this.status("");
    this.failure = null;
  }

  /**
   * Open a deep link (`?run=…&iter=…&step=…`); what is wrong with one is said in plain words
   * over the graph, with the default graph a click away.
   */
  async openLink(where) {
    const q = new URLSearchParams(window.location.search);
    let run;
    try {
      if (!where.run) throw Object.assign(new Error("the link has an empty run id"), { status: 404 });
      run = await api.getRun(where.run);
    } catch (error) {
      showLinkError(linkWords(error), error.message, true);
      return;
    }
    const unknown = await this.load(run, null, where.t ?? 0, where.collapsed);
    const problems = linkProblems(where, run, unknown, q);
    const t = Math.min(where.t ?? 0, run.iterations - 1);
    const k = Math.min(where.k ?? 0, run.steps_per_iteration - 1);
    await this.player.go(t, k, "history");
    if (problems.length) {
      showLinkError(`This link cannot be shown exactly as written: ${problems.join("; ")}. `
        + `Showing iteration ${t}, step ${k} of its run instead.`, "", false);
    }
  }

  /**
   * The player could not get an iteration. On the status line until a state is drawn again; a
   * run with no state drawn yet keeps none of the previous run's words and numbers.
   */
  failed(error) {
    this.failure = error.message;
    this.status(this.failure);
    if (this.shownRun !== this.player.run) this.clearStale();
  }

  /** Nothing of a previous run's step stays on screen beside a new run's graph. */
  clearStale() {
    this.words.cancel();
    this.current = null;
    this.panels.clear();
    this.inspector.keepOrClear(null);
    this.view.select(null);
    this.memory.clear();
    this.layerStrip.clear();
    $("step-label").textContent = "";
    document.body.dataset.ready = "0";
  }

  async openRun(runId, t, k, collapsed = null) {
    const run = await api.getRun(runId);
    await this.load(run, null, t, collapsed);
    await this.player.go(t, k, "history");
  }

  /**
   * Show a new run's graph; its panels are filled as their requests answer (`origin`: see
   * createRun). Iteration `t`'s document, the largest request, is fetched meanwhile.
   */
  async load(run, origin = null, t = 0, collapsed = null) {
    this.player.load(run);
    if (Number.isInteger(t)) this.player.iterationOf(Math.max(0, Math.min(t, run.iterations - 1)));
    this.labels = new Map(run.graph.nodes.map((n) => [n.id, n.label]));
    this.modeSwitch.show(run);
    this.measureInsets();
    // a large graph's collapsed drawing comes from the server: the other requests go meanwhile
    const drawn = this.groups.setRun(run, this.player.quantities, collapsed);
    this.panels.setRun(run);
    this.inspector.setQuantities(this.player.quantities, run.direction);
    document.body.dataset.mode = run.mode || "reverse";
    this.help.showLegend(this.player.quantities);
    showPhases(this);
    $("iteration").max = String(run.iterations - 1);
    $("iteration").value = "0";
    this.losses.clear();
    $("code-link").href = api.codeUrl(run.run_id);
    // the node inspected stays inspected in the same graph (the other mode's run), else none
    this.inspector.keepOrClear(run.graph.nodes.find((n) => n.id === this.inspector.nodeId));
    this.view.select(this.inspector.nodeId);
    if (this.setup.presets.length) this.setup.showRun(run);
    api.getScript(run.run_id).then((text) => {
      this.panels.showScript(text);
      if (this.current) this.panels.show(this.current.step, this.labels);
    }).catch((error) => this.status(error.message));
    // drawn page by page as the server trains: the first points of a cold run come at once
    feedLosses(run.run_id, run.iterations, (known) => {
      this.losses.show(known, this.player.t, run.lr, run.iterations);
    }, () => this.player.run === run).catch((error) => {
      if (this.player.run !== run) return;
      this.losses.clear(error.message);
      this.showError(error, origin);
    });
    this.ledger = null;
    this.memory.setLedger(null);
    api.getMemory(run.run_id).then((ledger) => {
      if (this.player.run !== run) return;
      this.ledger = ledger;
      this.memory.setLedger(ledger);
      this.overlays.follow();
    }).catch((error) => {
      if (this.player.run === run) this.memory.failed();
      this.status(error.message);
    });
    this.overlays.follow();
    return drawn;
  }

  /**
   * Draw one state (called by the player): the graph and the position at once; the step's
   * words (formula, code, inspector, the link) too, except while scrubbing, where they wait
   * until the scrubber rests, and while playing, where they follow a frame later (words.js).
   */
  show(detail) {
    const { t, k, state, step, steps, iteration, previous, how } = detail;
    this.current = detail;
    this.shownRun = this.player.run;
    // a failure stays on the status line until the next move (playing on is not one)
    if (this.failure || how !== "play") {
      if ($("status").classList.contains("error")) this.status("");
    }
    this.failure = null;
    this.words.prepare(iteration);
    this.view.update(state, step);
    this.groups.show(step);
    const stepped = (how === "step" || how === "play") && previous.t === t && k === previous.k + 1;
    if (stepped) this.view.animate(step, this.player.stepDuration);
    else this.view.animate(null, 0);
    showPosition(this.player.run, t, k, step);
    this.memory.mark(steps, k);
    this.layerStrip.show(iteration.layers, k);
    this.losses.mark(t);
    $("iteration").value = String(t);
    Object.assign(document.body.dataset, { ready: "1", iter: String(t), step: String(k), phase: step.phase });
    this.words.schedule(detail);
  }

  /** Write the position shown (run, iteration, step, mode, collapsed groups) into the URL. */
  remember(push) {
    const { t, k } = this.player;
    writeUrl({ run: this.player.run.run_id, t, k, lecture: this.lecture,
      collapsed: this.groups.linkValue }, push);
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
      await this.openRun(where.run, where.t ?? 0, where.k ?? 0, where.collapsed ?? null);
    } else {
      await this.groups.applyLink(where.collapsed ?? null);
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
      this.groups.redraw();
      if (record) this.remember(true);
    }
  }

  toggleLecture() { this.setLecture(!this.lecture); }

  /** Esc: the help if it is open, else the open panel. */
  closeTop() {
    if (this.help.open) this.help.toggle(false);
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
