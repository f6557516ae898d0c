/**
 * The presenter view (`/presenter`), the lecturer's second window: this step's narration,
 * formula, gate pattern and numpy code, what the next step does, the time and the time since
 * the lecture began. It follows the viewer that opened it and drives it (← → Space Home End
 * PageUp PageDown T, or its buttons) through presenterlink.js's BroadcastChannel: the viewer
 * alone decides where the lecture is, this window shows what the viewer says. Every word and
 * formula is the server's (the run's iteration documents); user text goes in as text.
 *
 * `body[data-connected="1"]` once a viewer answered; `body[data-iter]`, `body[data-step]`
 * the position shown.
 */

import * as api from "./api.js";
import { MathFit } from "./mathfit.js";
import { safeMathml } from "./panels.js";
import { CHANNEL } from "./presenterlink.js";
import { RoomRemote } from "./roomremote.js";

const $ = (id) => document.getElementById(id);
const MATH_MIN_PX = 22;
const HELLO_EVERY_MS = 1500;

class Presenter {
  constructor() {
    this.id = crypto.randomUUID?.() || String(Math.random()).slice(2);
    this.audience = new URLSearchParams(window.location.search).get("audience");
    this.run = null;
    /** t -> Promise of iteration t's document */
    this.docs = new Map();
    this.token = 0;
    this.started = Date.now();
    new MathFit($("p-math"), () => MATH_MIN_PX);
    this.channel = new BroadcastChannel(CHANNEL);
    this.channel.addEventListener("message", (e) => this.receive(e.data || {}));
    window.addEventListener("pagehide", () => this.post({ type: "bye" }));
    for (const button of document.querySelectorAll("[data-move]")) {
      button.addEventListener("click", () => this.move(button.dataset.move));
    }
    /** Ask the room: sent to the viewer, which asks the server (roomview.js) */
    this.room = new RoomRemote((message) => this.post(message));
    $("p-elapsed").addEventListener("click", () => { this.started = Date.now(); this.tick(); });
    document.addEventListener("keydown", (e) => this.key(e));
    this.tick();
    setInterval(() => this.tick(), 1000);
    this.hello();
  }

  post(message) { this.channel.postMessage({ ...message, presenter: this.id, audience: this.audience }); }

  /** Say hello until a viewer answers (it may still be loading). */
  hello() {
    if (document.body.dataset.connected === "1") return;
    this.post({ type: "hello" });
    setTimeout(() => this.hello(), HELLO_EVERY_MS);
  }

  move(how) { this.post({ type: "move", how }); }

  key(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || this.room.key(e)) return;
    if (e.target.closest?.("input, select")) return;
    const moves = { ArrowRight: "forward", ArrowLeft: "back", " ": "toggle", Home: "first", End: "last",
      PageDown: "next-phase", PageUp: "previous-phase", t: "scope", T: "scope" };
    const how = moves[e.key];
    if (!how) return;
    e.preventDefault();
    if (document.activeElement instanceof HTMLButtonElement) document.activeElement.blur();
    this.move(how);
  }

  receive(message) {
    if (message.type === "gone" && message.audience === this.audience) {
      document.body.dataset.connected = "0";
      $("p-status").textContent = "The viewer window was closed or left: open it again and press P.";
      $("p-status").hidden = false;
      return;
    }
    if (message.type === "room" && message.audience === this.audience) this.room.show(message.room);
    if (message.type !== "state") return;
    // opened by hand: the first viewer that speaks is followed
    if (!this.audience) {
      this.audience = message.audience;
      this.post({ type: "hello" });
    }
    if (message.audience !== this.audience) return;
    document.body.dataset.connected = "1";
    $("p-status").hidden = true;
    this.show(message).catch((error) => {
      $("p-status").hidden = false;
      $("p-status").textContent = error.message;
    });
  }

  doc(t) {
    if (!this.docs.has(t)) {
      const p = api.getIteration(this.run.run_id, t);
      p.catch(() => this.docs.delete(t));
      this.docs.set(t, p);
      while (this.docs.size > 4) this.docs.delete(this.docs.keys().next().value);
    }
    return this.docs.get(t);
  }

  async show({ run, t, k, playing, scope }) {
    const token = ++this.token;
    if (this.run?.run_id !== run) {
      this.docs.clear();
      this.run = await api.getRun(run);
    }
    const doc = await this.doc(t);
    const last = this.run.steps_per_iteration - 1;
    // the next step too (it may be the next iteration's first) before anything is written:
    // the window never shows one step with another's "next"
    const [nt, nk] = k < last ? [t, k + 1] : [t + 1, 0];
    const next = nt < this.run.iterations ? (await this.doc(nt)).steps[nk] : null;
    if (token !== this.token) return;
    const step = doc.steps[k];
    $("p-step-label").textContent = `Step ${k} / ${last} · ${step.phase} · iteration ${t} of ${this.run.iterations}`;
    $("p-narration").textContent = step.narration;
    const math = safeMathml(step.mathml || "");
    if (math) $("p-math").replaceChildren(math);
    else $("p-math").textContent = step.latex || "";
    $("p-rule").hidden = !step.rule;
    $("p-rule").textContent = step.rule || "";
    $("p-code").textContent = step.code || "";
    $("p-play").setAttribute("aria-pressed", String(Boolean(playing)));
    $("p-play").textContent = playing ? "⏸" : "▶";
    $("p-scope").setAttribute("aria-pressed", String(scope === "training"));
    this.showNext(t, nt, nk, next);
    Object.assign(document.body.dataset, { iter: String(t), step: String(k) });
  }

  /** What the next → shows: step `nk` of iteration `nt` (`next`; null past the last). */
  showNext(t, nt, nk, next) {
    if (!next) {
      $("p-next-label").textContent = "";
      $("p-next").textContent = "This is the last step of the last iteration.";
      return;
    }
    $("p-next-label").textContent = `· step ${nk} · ${next.phase}${nt !== t ? ` · iteration ${nt}` : ""}`;
    $("p-next").textContent = next.narration;
  }

  tick() {
    const now = new Date();
    $("p-clock").textContent = now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const seconds = Math.floor((Date.now() - this.started) / 1000);
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = String(seconds % 60).padStart(2, "0");
    $("p-elapsed").textContent = h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }
}

new Presenter();
