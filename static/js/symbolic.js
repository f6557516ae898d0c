/**
 * "Symbolic" (D2L 4.7's third way): the derivative SymPy writes for one element, from the
 * server's `GET …/runs/{id}/symbolic` (docs/json.md, Symbolic): its expression (the server's
 * MathML, sanitised, scrollable), its size against the tape's, its value against the tape's
 * entry; and the growth chart of `GET …/presets/{id}/symbolic` against depth (or the preset's
 * first size), log scale. A refusal past a bound is shown as the answer it is. Every number is
 * the server's; this draws and labels them.
 */

import * as api from "./api.js";
import { count, element, num, precise, seconds } from "./format.js";
import { safeMathml } from "./panels.js";
import { bottomAxis, chart, decades, leftAxis, linear, logarithmic, power, svgEl, svgText } from "./plots.js";

const $ = (id) => document.getElementById(id);
/** the series of the growth chart: key in a point, legend, css class */
const SERIES = [["expression", "derivative", "expression"], ["with_cse", "after CSE", "cse"],
  ["tape_ops", "tape's operations", "tape"], ["estimate", "loss (tallied)", "estimate"]];
/** the family drawn for a run that has none of its own: the swell's own example */
const REFERENCE = "deep-tanh";

export class Symbolic {
  constructor(ctx) {
    this.ctx = ctx;
    this.card = $("symbolic").querySelector(".overlay-card");
    this.wrt = $("symbolic-wrt");
    this.index = $("symbolic-index");
    this.statusLine = $("symbolic-status");
    this.expression = $("symbolic-expression");
    this.note = $("symbolic-note");
    this.sizes = $("symbolic-sizes");
    this.growth = $("symbolic-growth");
    $("symbolic-form").addEventListener("submit", (e) => { e.preventDefault(); this.ask(); });
    this.wrt.addEventListener("change", () => { this.index.value = this.zeros(); this.ask(); });
    this.runId = null;
    /** the question being answered, and the growth chart's */
    this.asked = null;
    this.grown = null;
  }

  open() { this.follow(true); }

  /** The run or the iteration moved: ask again (a new run first fills the choices). */
  follow(force = false) {
    const run = this.ctx.player.run;
    if (!run) return;
    const fresh = run.run_id !== this.runId;
    if (fresh) {
      this.runId = run.run_id;
      this.fillChoices(run);
      this.showGrowth(run);
    }
    if (fresh || force || this.t !== this.ctx.player.t) this.ask();
  }

  /** The inputs and parameters, the first parameter chosen, its first element. */
  fillChoices(run) {
    const leaves = run.graph.nodes.filter((n) => n.kind === "param" || n.kind === "input");
    this.wrt.replaceChildren(...leaves.map((n) => {
      const option = document.createElement("option");
      option.value = n.id;
      option.textContent = `${n.id} [${n.shape.join("×") || "scalar"}]`;
      return option;
    }));
    this.wrt.value = (leaves.find((n) => n.kind === "param") || leaves[0]).id;
    this.index.value = this.zeros();
  }

  zeros() {
    const node = this.ctx.player.run.graph.nodes.find((n) => n.id === this.wrt.value);
    return node ? node.shape.map(() => 0).join(", ") : "";
  }

  async ask() {
    const run = this.ctx.player.run;
    this.t = this.ctx.player.t;
    const token = (this.asked = { wrt: this.wrt.value, index: this.index.value.trim() });
    $("symbolic-iteration").textContent = `iteration ${this.t}`;
    this.card.setAttribute("aria-busy", "true");
    this.statusLine.classList.add("loading");
    this.statusLine.textContent = `SymPy is differentiating ∂loss/∂${element(token.wrt, token.index ? token.index.split(",") : [])}…`;
    try {
      const answer = await api.getSymbolic(run.run_id, token.wrt, token.index, this.t);
      if (token !== this.asked) return;
      this.statusLine.textContent = "";
      this.show(answer);
    } catch (error) {
      if (token !== this.asked) return;
      this.refused(error);
    } finally {
      if (token === this.asked) {
        this.card.removeAttribute("aria-busy");
        this.statusLine.classList.remove("loading");
      }
    }
  }

  /** A refusal is the lesson: the formula would be too big to write, the tape is not. */
  refused(error) {
    this.expression.replaceChildren();
    this.sizes.replaceChildren();
    this.note.textContent = "";
    this.card.dataset.answer = error.status === 413 ? "refused" : "error";
    const lesson = error.status === 413
      ? " — the formula is refused before SymPy writes a symbol of it. The tape has no such bound: it runs each op once, whatever the size."
      : "";
    this.statusLine.textContent = `${error.status === 413 ? "Refused" : "Could not differentiate"}: ${error.message}${lesson}`;
  }

  show(answer) {
    this.card.dataset.answer = "derivative";
    const math = safeMathml(answer.derivative_mathml);
    this.expression.replaceChildren(math || document.createTextNode(answer.derivative_latex));
    this.expression.dataset.nodes = String(answer.size.expression);
    const what = `∂loss/∂${element(answer.wrt, answer.index)}`;
    this.note.textContent = answer.latex_shortened
      ? `${what}: the first ${count(answer.nodes_shown)} of its ${count(answer.size.expression)} nodes (the rest written ⋯).`
      : `${what}: all ${count(answer.size.expression)} nodes.`;
    this.fillSizes(answer);
  }

  fillSizes(answer) {
    const s = answer.size;
    const rows = [
      ["expression", "nodes of the derivative written out (a shared part counted each time)", s.expression],
      ["with-cse", "nodes after common-subexpression elimination (sharing found again)", s.with_cse],
      ["tape-ops", "operations reverse mode ran for the whole gradient", s.tape_ops],
      ["graph", "nodes of the graph", s.graph],
    ];
    const sec = answer.seconds;
    const ratio = sec.reverse > 0 ? ` — ${num((sec.write + sec.differentiate + sec.evaluate) / sec.reverse)}× the tape's time` : "";
    const values = [
      ["value", "SymPy's derivative at the run's numbers", precise(answer.value)],
      ["autodiff", "the tape's entry (reverse mode)", precise(answer.autodiff)],
      ["rel-error", "relative error", num(answer.rel_error)],
      ["seconds", "seconds: write + differentiate + evaluate, against the tape",
        `${seconds(sec.write + sec.differentiate + sec.evaluate)} vs ${seconds(sec.reverse)}${ratio}`],
    ];
    const tbody = document.createElement("tbody");
    for (const [key, label, value] of [...rows.map(([k, l, v]) => [k, l, count(v)]), ...values]) {
      const tr = tbody.insertRow();
      tr.dataset.size = key;
      tr.insertCell().textContent = label;
      const td = tr.insertCell();
      td.className = "number";
      td.textContent = value;
    }
    tbody.rows[0].dataset.value = String(s.expression);
    tbody.rows[2].dataset.value = String(s.tape_ops);
    this.sizes.replaceChildren(tbody);
  }

  /**
   * The preset's family against depth if it has one, else its first size; a run with no
   * family of its own (a source, a preset without sizes) is shown deep-tanh's, and says so.
   */
  async showGrowth(run) {
    const presets = this.ctx.presets || [];
    let preset = presets.find((p) => p.id === run.preset);
    let sizes = preset ? preset.params.filter((p) => p.kind === "int") : [];
    const own = sizes.length > 0;
    if (!own) {
      preset = presets.find((p) => p.id === REFERENCE);
      sizes = preset ? preset.params.filter((p) => p.kind === "int") : [];
    }
    const param = sizes.find((p) => p.name === "depth") || sizes[0];
    this.growth.replaceChildren();
    if (!param) return;
    const values = [1, 2, 3, 4, 5, 6, 7, 8].filter((v) => v >= param.min && v <= param.max);
    const params = own ? run.params : {};
    const token = (this.grown = {});
    this.growth.setAttribute("aria-busy", "true");
    try {
      const answer = await api.getPresetSymbolic(preset.id, param.name, values, params);
      if (token !== this.grown) return;
      this.drawGrowth(answer, param, own ? run.params[param.name] : null);
      if (!own) {
        const note = document.createElement("p");
        note.className = "muted reference-note";
        note.textContent = `This graph has no sizes to vary: the chart is ${preset.title}'s.`;
        this.growth.prepend(note);
      }
    } catch (error) {
      if (token === this.grown) this.growth.textContent = `Could not draw the growth: ${error.message}`;
    } finally {
      if (token === this.grown) this.growth.removeAttribute("aria-busy");
    }
  }

  drawGrowth(answer, param, current) {
    const [width, height] = [760, 330];
    const m = { l: 78, r: 190, t: 24, b: 56 };
    const points = answer.points;
    const numbers = points.flatMap((p) => SERIES.map(([k]) => p[k])).filter((v) => typeof v === "number" && v > 0);
    const yTicks = decades(Math.min(...numbers), Math.max(...numbers));
    const y = logarithmic(yTicks[0], yTicks.at(-1), height - m.b, m.t);
    const x = linear(points[0].value, points.at(-1).value, m.l + 20, width - m.r - 20);
    const svg = chart("growth-chart", width, height,
      `sizes against ${answer.vary}, log scale: the derivative written out, after CSE, and the tape's operations`);
    yTicks.forEach((t) => svgEl("line", { class: "grid", x1: m.l, x2: width - m.r, y1: y(t), y2: y(t) }, svg));
    leftAxis(svg, { x: m.l, y0: height - m.b, y1: m.t, ticks: yTicks, scale: y, format: power, title: "nodes / operations (log)" });
    bottomAxis(svg, { y: height - m.b, x0: m.l, x1: width - m.r, ticks: points.map((p) => p.value), scale: x,
      format: String, title: `${answer.vary} (${param.description}) — ∂loss/∂${answer.wrt}[0, …]` });
    if (points.some((p) => p.value === current)) {
      svgEl("line", { class: "current-line", x1: x(current), x2: x(current), y1: m.t, y2: height - m.b }, svg);
      svgText(svg, { class: "tick current-label", x: x(current), y: m.t - 8, "text-anchor": "middle" }, "this run");
    }
    SERIES.forEach(([key, label, cls], i) => {
      const g = svgEl("g", { class: `series ${cls}`, "data-series": key }, svg);
      const known = points.filter((p) => typeof p[key] === "number" && p[key] > 0);
      if (known.length > 1) {
        svgEl("polyline", { points: known.map((p) => `${x(p.value).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ") }, g);
      }
      for (const p of known) {
        svgEl("circle", { cx: x(p.value), cy: y(p[key]), r: 4, "data-value": p.value, "data-size": p[key] }, g);
      }
      const ly = m.t + 14 + i * 24;
      svgEl("line", { class: "key", x1: width - m.r + 12, x2: width - m.r + 36, y1: ly - 4, y2: ly - 4 }, g);
      svgText(g, { class: "tick legend-label", x: width - m.r + 42, y: ly }, label);
    });
    const over = points.filter((p) => p.over);
    const parts = [svg];
    if (over.length) {
      const note = document.createElement("p");
      note.className = "over-note";
      note.textContent = `${answer.vary} ${over.map((p) => p.value).join(", ")}: not differentiated, past a bound `
        + `(${[...new Set(over.map((p) => p.over))].join(", ")}); the tape's operations and the tally are still drawn.`;
      parts.push(note);
    }
    this.growth.replaceChildren(...parts);
  }
}
