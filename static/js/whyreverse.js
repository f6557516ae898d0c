/**
 * "Why reverse?": forward against reverse mode for a whole Jacobian, in the learner's terms,
 * from the server's `GET …/modes` (docs/json.md, Modes): how many sweeps each needs (forward one
 * per input element, reverse one per output element), their FLOPs and the seconds measured,
 * side by side as log-scale bars. Picks `of` and `wrt`; every number is the server's.
 */

import * as api from "./api.js";
import { count, flops, seconds } from "./format.js";
import { isLeaf } from "./modeswitch.js";
import { chart, decades, logarithmic, power, svgEl, svgText } from "./plots.js";

const $ = (id) => document.getElementById(id);

/** "a", "a and b", "a, b and c" */
function listed(items) {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

export class WhyReverse {
  constructor(ctx) {
    this.ctx = ctx;
    this.of = $("why-of");
    this.wrtBox = $("why-wrt-leaves");
    this.statusLine = $("why-status");
    this.text = $("why-text");
    this.bars = $("why-bars");
    this.card = $("why").querySelector(".overlay-card");
    this.of.addEventListener("change", () => this.ask());
    this.wrtBox.addEventListener("change", () => this.ask());
    $("btn-why-default").addEventListener("click", () => { this.fillChoices(true); this.ask(); });
    /** "run|of|wrt" -> Promise of the answer: each question is asked once */
    this.answers = new Map();
    this.runId = null;
    /** the question being answered: { key, controller } */
    this.inflight = null;
  }

  open() {
    const run = this.ctx.player.run;
    if (!run) return;
    if (run.run_id !== this.runId) {
      this.runId = run.run_id;
      this.fillChoices(true);
    }
    this.ask();
  }

  follow() {
    if (this.ctx.player.run?.run_id !== this.runId) this.open();
  }

  close() { this.abort(); }

  /** Stop the question in flight: it is asked afresh if wanted again. */
  abort() {
    if (!this.inflight) return;
    this.answers.delete(this.inflight.key);
    this.inflight.controller.abort();
    this.inflight = null;
  }

  /** `of`: every op node (the loss first chosen); `wrt`: every leaf (the parameters ticked). */
  fillChoices(defaults) {
    const { graph } = this.ctx.player.run;
    const ops = graph.nodes.filter((n) => n.kind === "op");
    const keepOf = defaults ? graph.loss : this.of.value;
    this.of.replaceChildren(...ops.map((n) => {
      const option = document.createElement("option");
      option.value = n.id;
      const loss = n.id === graph.loss && n.label !== "loss" ? " (the loss)" : "";
      option.textContent = `${n.label}${loss} · ${n.shape.length ? n.shape.join("×") : "scalar"}`;
      return option;
    }));
    this.of.value = keepOf;
    this.wrtBox.replaceChildren(...graph.nodes.filter(isLeaf).map((n) => {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = n.id;
      box.checked = n.kind === "param";
      label.append(box, ` ${n.label} `);
      const what = document.createElement("small");
      what.textContent = `${n.kind} · ${n.shape.length ? n.shape.join("×") : "scalar"}`;
      label.append(what);
      return label;
    }));
  }

  wrt() {
    return [...this.wrtBox.querySelectorAll("input:checked")].map((b) => b.value);
  }

  async ask() {
    const run = this.ctx.player.run;
    const of = this.of.value;
    const wrt = this.wrt();
    if (!wrt.length) {
      this.status("Tick at least one leaf to differentiate with respect to.");
      return;
    }
    const key = `${run.run_id}|${of}|${wrt.join(",")}`;
    if (this.inflight?.key !== key) this.abort();
    let pending = this.answers.get(key);
    if (!pending) {
      const controller = new AbortController();
      pending = api.getModes(run.run_id, { of, wrt }, controller.signal);
      this.answers.set(key, pending);
      this.inflight = { key, controller };
      pending.catch(() => { if (this.answers.get(key) === pending) this.answers.delete(key); })
        .finally(() => { if (this.inflight?.key === key) this.inflight = null; });
    }
    this.asked = key;
    this.card.setAttribute("aria-busy", "true");
    this.status("Counting and timing both modes on the server… (timing many forward sweeps can take a few seconds)", true);
    try {
      const answer = await pending;
      if (this.asked !== key) return;
      this.status("");
      this.show(answer, run);
    } catch (error) {
      if (error.name === "AbortError" || this.asked !== key) return;
      this.status(`Could not compare the modes: ${error.message}`);
      this.ctx.status(error.message);
    } finally {
      if (this.asked === key) this.card.removeAttribute("aria-busy");
    }
  }

  status(message, loading = false) {
    this.statusLine.textContent = message;
    this.statusLine.classList.toggle("loading", loading);
  }

  /** The answer in words, then the bars. */
  show(answer, run) {
    const labels = this.ctx.labels;
    const name = (id) => labels.get(id) || id;
    const { forward, reverse, outputs, inputs } = answer;
    const wrt = answer.wrt.map(name);
    const partials = listed(answer.wrt.map((w) => `∂${name(answer.of)}/∂${name(w)}`));
    const lossOf = answer.of === run.graph.loss && outputs === 1;
    const script = run.preset === "pytorch-numpy-two-layer" ? "the tutorial's" : "the script's";
    const sentences = [];
    if (lossOf) {
      const grads = listed(answer.wrt.map((w) => `grad_${w}`));
      sentences.push(`${script[0].toUpperCase()}${script.slice(1)} ${grads} ${answer.wrt.length > 1 ? "are" : "is"} ${partials}.`,
        `One reverse sweep from the loss gives all ${count(inputs)} entries of ${partials} at about the cost of a forward pass; forward mode would need ${count(forward.sweeps)} sweeps, one per entry.`);
    } else {
      sentences.push(`The Jacobian of ${name(answer.of)} (${count(outputs)} element${outputs === 1 ? "" : "s"}) with respect to ${listed(wrt)} (${count(inputs)} element${inputs === 1 ? "" : "s"}) has ${count(outputs)} × ${count(inputs)} entries.`,
        `Forward mode fills one column per sweep: ${count(forward.sweeps)} sweeps, one per input element. Reverse mode fills one row per sweep: ${count(reverse.sweeps)} sweeps, one per output element.`);
      const fewer = forward.sweeps < reverse.sweeps ? "forward" : reverse.sweeps < forward.sweeps ? "reverse" : null;
      sentences.push(fewer
        ? `Here ${fewer} mode needs fewer sweeps (${count(Math.min(forward.sweeps, reverse.sweeps))} against ${count(Math.max(forward.sweeps, reverse.sweeps))}).`
        : "Here both need as many sweeps.");
    }
    const time = (side) => `${seconds(side.seconds_total)}${side.measured_all ? "" : " (estimated from a sample)"}`;
    sentences.push(`Measured on this server: all forward sweeps ${time(forward)}, all reverse sweeps ${time(reverse)}; one sweep counts ${flops(forward.flops_per_sweep)} FLOPs forward, ${flops(reverse.flops_per_sweep)} reverse.`);
    this.text.replaceChildren(...sentences.map((s, i) => {
      const p = document.createElement("p");
      p.textContent = s;
      if (i === 0) p.className = "why-lead";
      return p;
    }));
    Object.assign(this.text.dataset, { of: answer.of, wrt: answer.wrt.join(","),
      outputs: String(outputs), inputs: String(inputs) });
    const short = (side) => `${seconds(side.seconds_total)}${side.measured_all ? "" : " (estimated)"}`;
    this.bars.replaceChildren(
      this.barChart("Sweeps needed for the whole Jacobian (log scale)", "sweeps", [
        ["forward", forward.sweeps, count(forward.sweeps), true],
        ["reverse", reverse.sweeps, count(reverse.sweeps), true]]),
      this.barChart("Seconds for all of them, measured here (log scale)", "seconds", [
        ["forward", forward.seconds_total, short(forward), forward.measured_all],
        ["reverse", reverse.seconds_total, short(reverse), reverse.measured_all]]));
  }

  /** Two horizontal bars on a log axis: [mode, value, label, measured] each. */
  barChart(title, metric, rows) {
    const [width, height] = [560, 160];
    const m = { l: 120, r: 24, t: 8, b: 40 };
    const figure = document.createElement("figure");
    figure.className = "why-chart";
    figure.dataset.metric = metric;
    const caption = document.createElement("figcaption");
    caption.textContent = title;
    const svg = chart("bars", width, height, title);
    const values = rows.map(([, v]) => v).filter((v) => v > 0);
    const lo = Math.min(...values) / 10;
    const ticks = decades(lo, Math.max(...values));
    const x = logarithmic(ticks[0], ticks.at(-1), m.l, width - m.r);
    for (const t of ticks) {
      svgEl("line", { class: "grid", x1: x(t), x2: x(t), y1: m.t, y2: height - m.b }, svg);
      svgText(svg, { class: "tick", x: x(t), y: height - m.b + 18, "text-anchor": "middle" }, power(t));
    }
    const band = (height - m.t - m.b) / rows.length;
    rows.forEach(([mode, value, label, measured], i) => {
      const y = m.t + i * band;
      const g = svgEl("g", { class: `bar mode-${mode}${measured ? "" : " estimated"}`,
        "data-mode": mode, "data-metric": metric, "data-value": value }, svg);
      svgText(g, { class: "bar-name", x: m.l - 10, y: y + band / 2 + 6, "text-anchor": "end" }, `${mode}`);
      const end = value > 0 ? x(value) : m.l;
      svgEl("rect", { x: m.l, y: y + band * 0.18, width: Math.max(2, end - m.l), height: band * 0.64 }, g);
      const inside = end - m.l > width * 0.45;
      svgText(g, { class: `bar-label${inside ? " inside" : ""}`, x: inside ? end - 8 : end + 8,
        y: y + band / 2 + 6, "text-anchor": inside ? "end" : "start" }, label);
    });
    figure.append(caption, svg);
    return figure;
  }
}
