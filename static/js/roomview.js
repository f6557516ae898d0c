/**
 * "Ask the room" on the projector: the large panel `#room` of the viewer (key `A`, the tools'
 * button, or the presenter window's). First a form — the question's kind, and for one element
 * of a tensor its index (the inspector's chosen element, else 0) — about the step shown; then
 * the join code large with its QR code (the server's SVG), the question large, the count of
 * answers as they come, their histogram, Reveal (`V`), and after the reveal the right band
 * marked and the step's chain-rule card. Everything shown is the server's; classroom.js holds
 * the class and polls it. The presenter window drives it with `command()` and mirrors what
 * it shows through presenterlink.js.
 *
 * `#room[data-state]`: `ask` (the form), `open` (answers coming), `revealed`.
 */

import * as api from "./api.js";
import { qrUrl } from "./classapi.js";
import { ELEMENT_KINDS, KINDS, Room, parseIndex } from "./classroom.js";
import { shape } from "./format.js";
import { MathFit } from "./mathfit.js";
import { safeMathml } from "./panels.js";
import { roomChart } from "./roomchart.js";

const $ = (id) => document.getElementById(id);

export class RoomPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.room = new Room();
    this.element = $("room");
    this.open = false;
    /** the step whose chain-rule card is shown: "run t k" */
    this.carded = null;
    new MathFit($("room-math"), () => 22);
    for (const [kind, words] of KINDS) $("room-kind").append(new Option(words, kind));
    /** what the panel does when Overlays opens, closes or follows it (main.js adds it) */
    this.hooks = {
      open: () => {
        this.open = true;
        // after Overlays has focused the card: the first field takes the focus
        queueMicrotask(() => this.show(true));
        this.room.open(this.title());
      },
      close: () => {
        this.open = false;
        // a hidden field would keep the focus (and the keys) until the next frame
        if (this.element.contains(document.activeElement)) document.activeElement.blur();
      },
      follow: () => { if (!this.room.question) this.showForm(); },
    };
    $("room-ask").addEventListener("submit", (e) => { e.preventDefault(); this.ask(); });
    // Enter asks from the kind's list too (a select does not submit its form by itself)
    $("room-kind").addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); this.ask(); }
    });
    $("room-kind").addEventListener("change", () => this.showForm());
    $("room-btn-reveal").addEventListener("click", () => this.room.reveal());
    $("room-btn-new").addEventListener("click", () => this.newQuestion());
    this.element.addEventListener("keydown", (e) => this.key(e));
    // a QR code that cannot be drawn leaves the code and the address, not a broken picture
    $("room-qr").addEventListener("error", () => { $("room-qr").hidden = true; });
    $("room-qr").addEventListener("load", () => { $("room-qr").hidden = false; });
    this.room.addEventListener("change", () => this.show());
    ctx.player.addEventListener("change", () => this.room.setRun(ctx.player.run.run_id));
  }

  /** `A`: the panel, or in it a new question. */
  toggle() {
    if (!this.open) this.ctx.openPanel("room");
    else this.newQuestion();
  }

  key(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest("input, select, textarea")) return;
    const does = { v: () => this.room.reveal(), V: () => this.room.reveal(),
      a: () => this.newQuestion(), A: () => this.newQuestion() }[e.key];
    if (!does) return;
    e.preventDefault();
    e.stopPropagation();
    does();
  }

  newQuestion() {
    this.room.clearQuestion();
    this.show(true);
  }

  /** The step the viewer shows, its node, and the node as the graph has it. */
  here() {
    const { player, current } = this.ctx;
    const nodeId = current?.step.node ?? null;
    const node = player.run?.graph.nodes.find((n) => n.id === nodeId) || null;
    return { t: player.t, k: player.k, node };
  }

  /** An element's default index: the inspector's chosen element of this node, else all 0. */
  defaultIndex(node) {
    if (!node || node.shape.reduce((a, b) => a * b, 1) <= 1) return null;
    const chosen = this.ctx.chosenElement(node);
    return chosen?.length === node.shape.length ? chosen : node.shape.map(() => 0);
  }

  /** The class's title: the run's preset as the setup form names it. */
  title() {
    return this.ctx.presetTitle(this.ctx.player.run);
  }

  /** Ask the question the form says (`kind`, `indexText` as the presenter window sends them). */
  async ask(kind = $("room-kind").value, indexText = $("room-index").value, input = $("room-input").value) {
    const { t, k, node } = this.here();
    if (!node) {
      this.room.error = "This step has no node to ask about: step to a forward or backward step first.";
      this.show();
      return;
    }
    let index;
    try {
      index = parseIndex(indexText) ?? this.defaultIndex(node);
    } catch (error) {
      this.room.error = `Cannot ask: ${error.message}.`;
      this.show();
      return;
    }
    const title = this.title();
    const asked = { iteration: t, step: k, node: node.id, kind, index };
    if (kind === "backward" && node.inputs.includes(input)) asked.input = input;
    if (await this.room.ask(asked, title)) {
      $("room-btn-reveal").focus({ preventScroll: true });
    }
  }

  /** A command of the presenter window: open, ask, reveal, new, close. */
  command({ action, kind, index }) {
    if (action === "open" || action === "ask") {
      if (!this.open) this.ctx.openPanel("room");
      if (action === "ask") this.ask(kind || $("room-kind").value, index ?? "");
    } else if (action === "reveal") {
      this.room.reveal();
    } else if (action === "new") {
      if (!this.open) this.ctx.openPanel("room");
      this.newQuestion();
    } else if (action === "close" && this.open) {
      this.ctx.closePanel();
    }
  }

  /** The form, about the step shown now. */
  showForm() {
    const { t, k, node } = this.here();
    const kind = $("room-kind").value;
    $("room-where").textContent = node
      ? `About ${node.label} (${node.op || node.kind}, ${shape(node.shape)}) at step ${k} of iteration ${t}:`
      : `Step ${k} of iteration ${t} has no node to ask about: step to a forward or backward step.`;
    const element = ELEMENT_KINDS.has(kind) && this.defaultIndex(node);
    $("room-index-label").hidden = !element;
    if (element) $("room-index").placeholder = element.join(", ");
    // backward: the contribution to which input (the server's default: the first)
    const inputs = kind === "backward" && node?.inputs?.length ? [...new Set(node.inputs)] : [];
    $("room-input-label").hidden = !inputs.length;
    const select = $("room-input");
    const key = `${node?.id} ${kind}`;
    if (select.dataset.key !== key) {
      select.dataset.key = key;
      select.replaceChildren(...inputs.map((id) => new Option(this.ctx.labels.get(id) || id, id)));
    }
    $("room-btn-ask").disabled = !node;
  }

  /** Draw what the room knows; `focus`: the panel just opened or changed state. */
  show(focus = false) {
    const s = this.room.snapshot();
    const state = !s.question ? "ask" : s.revealed ? "revealed" : "open";
    this.element.dataset.state = state;
    // once the room has joined (the reveal), the code stays in the title, small
    $("room-title").textContent = state === "revealed" && s.code ? `Ask the room · code ${s.code}` : "Ask the room";
    $("room-status").textContent = s.error || (s.busy ? "asking the server…" : "");
    $("room-status").classList.toggle("error", Boolean(s.error));
    $("room-join").hidden = !s.code;
    if (s.code) {
      $("room-code").textContent = s.code;
      $("room-code").setAttribute("aria-label", `class code ${s.code.split("").join(" ")}`);
      $("room-url").textContent = s.joinUrl.replace(/\?.*$/, "");
      if ($("room-qr").dataset.code !== s.code) {
        $("room-qr").dataset.code = s.code;
        $("room-qr").src = qrUrl(s.code);
      }
    }
    $("room-ask").hidden = state !== "ask";
    $("room-question").hidden = state === "ask";
    if (state === "ask") {
      this.showForm();
      if (focus && this.open) $("room-kind").focus({ preventScroll: true });
    } else {
      this.showQuestion(s, state);
      if (focus && this.open && state === "open") $("room-btn-reveal").focus({ preventScroll: true });
    }
    this.ctx.sendRoomToPresenter();
  }

  showQuestion(s, state) {
    $("room-prompt").textContent = s.question.prompt;
    const n = s.answers;
    const of = s.students === null ? "" : ` of ${s.students} student${s.students === 1 ? "" : "s"}`;
    $("room-count").textContent = `${n} answer${n === 1 ? "" : "s"}${of}`
      + (state === "revealed" && s.correct !== null ? ` · ${s.correct} right` : "");
    $("room-count").dataset.answers = String(n);
    $("room-chart").replaceChildren(roomChart(s.histogram));
    $("room-btn-reveal").hidden = state === "revealed";
    $("room-card").hidden = state !== "revealed";
    if (state === "revealed") this.showCard(s.explanation || s.question);
  }

  /**
   * The chain-rule card of the step that explains the answer (the server's `explanation`),
   * else of the step asked about: its narration, formula and gate pattern (the server's).
   */
  async showCard({ iteration, step }) {
    const run = this.ctx.player.run;
    const key = `${run.run_id} ${iteration} ${step}`;
    if (this.carded === key) return;
    this.carded = key;
    try {
      const doc = await api.getIteration(run.run_id, iteration);
      const s = doc.steps[step];
      $("room-narration").textContent = s.narration;
      const math = safeMathml(s.mathml || "");
      if (math) $("room-math").replaceChildren(math);
      else $("room-math").textContent = s.latex || "";
      // a backward step's narration may already end with its gate pattern
      $("room-rule").hidden = !s.rule || s.narration.includes(s.rule);
      $("room-rule").textContent = s.rule ? `Gate pattern: ${s.rule}` : "";
    } catch (error) {
      this.carded = null;
    new MathFit($("room-math"), () => 22);
      this.room.error = `The step's chain rule could not be fetched: ${error.message}`;
    }
  }
}
