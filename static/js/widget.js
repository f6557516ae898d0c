/**
 * The notebook widget's view (anywidget; app/notebook.py is its kernel side): the viewer's own
 * graph drawing (render.js) and player (player.js) in a shadow root of the cell's output, so
 * several widgets in one notebook share no element, id or style; the step's narration,
 * chain-rule card and numpy line; step back and forward, play, keys. Iteration documents come
 * from the kernel (the engine runs there, no server) through the widget's messages, by the
 * same data-source seam as the one-file page (api.js `useSource`). The widget's `step` and
 * `iteration` follow the view and move it.
 */

import { useSource } from "./api.js";
import { safeMathml } from "./panels.js";
import { Player } from "./player.js";
import { GraphView } from "./render.js";
import { shape } from "./format.js";

/** run id -> the widget model that answers its requests (any widget of that run will do) */
const kernels = new Map();
let asked = 0;

/** The kernel of a run answers `GET /api/v1/runs/{id}/…` through its widget's messages. */
function kernelSource(url) {
  const runId = /\/runs\/([^/?]+)/.exec(url)?.[1];
  const model = kernels.get(runId);
  if (!model) return Promise.resolve(answer(404, { error: { message: `no widget holds run ${runId}` } }));
  const id = `q${(asked += 1)}`;
  return new Promise((resolve) => {
    const listen = (message) => {
      if (message?.type !== "answer" || message.id !== id) return;
      model.off("msg:custom", listen);
      resolve(new Response(message.body, { status: message.status,
        headers: { "Content-Type": "application/json" } }));
    };
    model.on("msg:custom", listen);
    model.send({ type: "request", id, path: url.replace(/^\/api\/v1/, "") });
  });
}

const answer = (status, body) => new Response(JSON.stringify(body), { status,
  headers: { "Content-Type": "application/json" } });

const LAYOUT = `
<div class="gw" tabindex="0" aria-label="Gradwalk: arrow keys step, Space plays">
  <div class="gw-graph"></div>
  <div class="gw-controls">
    <button type="button" data-do="start" aria-label="first step">|◀</button>
    <button type="button" data-do="back" aria-label="step back">◀◀</button>
    <button type="button" data-do="play" aria-label="play">▶</button>
    <button type="button" data-do="forward" aria-label="step forward">▶▶</button>
    <button type="button" data-do="end" aria-label="last step">▶|</button>
    <span class="gw-position"></span>
  </div>
  <p class="gw-narration" aria-live="polite"></p>
  <section class="card gw-chain" aria-label="chain rule"><h2>Chain rule</h2><div class="mathml"></div>
    <ul class="gw-contributions"></ul></section>
  <pre class="gw-code"></pre>
  <p class="gw-error" role="alert"></p>
</div>`;

const WIDGET_CSS = `
.gw { font: 14px/1.4 var(--sans, system-ui, sans-serif); color: var(--ink); background: var(--bg); padding: 8px; border-radius: 8px; }
.gw:focus { outline: 2px solid var(--current); }
.gw-graph { position: relative; height: 380px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.gw-graph svg { display: block; }
.gw-controls { display: flex; gap: 6px; align-items: center; margin: 6px 0; }
.gw-position { font: 13px var(--mono); color: var(--muted); margin-left: 8px; }
.gw-narration { font-size: 16px; margin: 6px 0; min-height: 1.4em; }
.gw-contributions { list-style: none; margin: 6px 0 0; padding: 0; font-size: 12.5px; }
.gw-code { font: 13px var(--mono); background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; margin: 6px 0 0; white-space: pre-wrap; }
.gw-error:empty { display: none; }
.gw-error { color: var(--bad); font: 13px var(--mono); }
`;

/** The anywidget module: `css` is the viewer's stylesheet (app.css), put in each shadow root. */
export function widget(css) {
  useSource(kernelSource);
  return { render: ({ model, el }) => new WalkView(model, el, css).close };
}

class WalkView {
  constructor(model, el, css) {
    this.model = model;
    const root = el.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    // the viewer's variables live on :root; in a shadow root that is the host
    style.textContent = css.replaceAll(":root", ":host") + WIDGET_CSS;
    const holder = document.createElement("div");
    holder.innerHTML = LAYOUT;  // a constant: no user text goes in as HTML
    root.append(style, holder.firstElementChild);
    this.root = root.querySelector(".gw");
    this.$ = (cls) => this.root.querySelector(`.${cls}`);
    this.run = model.get("_run");
    kernels.set(this.run.run_id, model);
    this.player = new Player();
    this.view = new GraphView(this.$("gw-graph"));
    this.player.load(this.run);
    this.view.draw(this.run.graph, this.player.quantities, this.run.custom_ops || []);
    this.player.addEventListener("change", (e) => this.show(e.detail));
    this.player.addEventListener("failure", (e) => { this.$("gw-error").textContent = e.detail.message; });
    this.player.addEventListener("play", (e) => {
      const button = this.root.querySelector('[data-do="play"]');
      button.textContent = e.detail.playing ? "⏸" : "▶";
      button.setAttribute("aria-label", e.detail.playing ? "pause" : "play");
    });
    const does = {
      start: () => this.player.go(this.player.t, 0),
      back: () => this.player.back(),
      forward: () => this.player.forward(),
      end: () => this.player.go(this.player.t, this.player.lastStep),
      play: () => this.player.toggle(),
    };
    this.root.querySelector(".gw-controls").addEventListener("click", (e) => {
      const what = e.target.closest("button")?.dataset.do;
      if (!what) return;
      if (what !== "play") this.player.pause();
      does[what]();
    });
    const keys = { ArrowRight: "forward", ArrowLeft: "back", Home: "start", End: "end", " ": "play" };
    this.root.addEventListener("keydown", (e) => {
      if (!keys[e.key] || e.ctrlKey || e.metaKey || e.altKey) return;
      e.preventDefault();
      e.stopPropagation();  // the notebook's own shortcuts do not see the widget's keys
      if (keys[e.key] !== "play") this.player.pause();
      does[keys[e.key]]();
    });
    this.follow = () => this.player.go(model.get("iteration"), model.get("step"), "jump");
    model.on("change:step", this.follow);
    model.on("change:iteration", this.follow);
    this.close = () => {
      this.player.pause();
      model.off("change:step", this.follow);
      model.off("change:iteration", this.follow);
      if (kernels.get(this.run.run_id) === model) kernels.delete(this.run.run_id);
    };
    this.follow();
  }

  show({ t, k, state, step, previous, how }) {
    this.$("gw-error").textContent = "";
    this.view.update(state, step);
    const stepped = (how === "step" || how === "play") && previous.t === t && k === previous.k + 1;
    this.view.animate(stepped ? step : null, stepped ? this.player.stepDuration : 0);
    this.$("gw-position").textContent = `Step ${k} / ${this.run.steps_per_iteration - 1} · ${step.phase} · iteration ${t}`;
    this.$("gw-narration").textContent = step.narration;
    const math = safeMathml(step.mathml || "");
    this.root.querySelector(".gw-chain .mathml").replaceChildren(math || step.latex || "");
    const list = this.$("gw-contributions");
    list.replaceChildren();
    for (const c of step.contributions || []) {
      const li = document.createElement("li");
      li.className = `contribution${c.accumulate ? " accumulate" : ""}`;
      const op = document.createElement("strong");
      op.textContent = c.accumulate ? "+=" : "=";
      const code = document.createElement("code");
      code.textContent = c.code;
      li.append(op, ` ${c.gradient || `∂loss/∂${c.to}`}  [${shape(c.shape)}]  `, code);
      list.appendChild(li);
    }
    this.$("gw-code").textContent = step.code || "";
    Object.assign(this.root.dataset, { iter: String(t), step: String(k), phase: step.phase, ready: "1" });
    if (this.model.get("step") !== k || this.model.get("iteration") !== t) {
      this.model.set("iteration", t);
      this.model.set("step", k);
      this.model.save_changes();
    }
  }
}
