/**
 * "Check gradients" (D2L 4.7): autodiff against numerical differentiation at the iteration
 * shown, from the server's `GET …/iterations/{t}/gradcheck` in float64 and float32 (docs/json.md,
 * Gradient check): per parameter the check along a random direction and on its largest
 * entries, each relative error marked good or bad against the answer's tolerance; and the sweep
 * of h on a log-log plot, both precisions together, where truncation error falls as h² and
 * round-off rises as ε/h. The table's h is a point of the plot (◆); a mismatch within the
 * difference's round-off says the difference is the inaccurate side; where the loss has no
 * truncation error along any parameter (piecewise quadratic), the plot says so and offers a
 * graph whose V has both arms. Every number and verdict is the server's; this draws and labels
 * them.
 */

import * as api from "./api.js";
import { element, num, precise } from "./format.js";
import { chart, decades, logarithmic, power, svgEl, svgText } from "./plots.js";

const $ = (id) => document.getElementById(id);
const DTYPES = ["float64", "float32"];
/** where a relative error of exactly 0 is drawn on the log axis */
const ZERO_FLOOR = 1e-17;
/** a graph whose loss is smooth along its parameters: both arms of the V show */
const SMOOTH_PRESET = "logistic-regression";
/** what the server's verdicts say in the table */
/** in lecture mode the plot is drawn at its box's size, but never smaller than this [w, h] */
const LECTURE_MIN = [520, 200];
const VERDICTS = { good: "✓ good", roundoff: "≈ round-off", bad: "✗ bad" };

export class GradCheck {
  constructor(ctx) {
    this.ctx = ctx;
    this.statusLine = $("gradcheck-status");
    this.lead = $("gradcheck-lead");
    this.table = $("gradcheck-table");
    this.plot = $("gradcheck-plot");
    this.card = $("gradcheck").querySelector(".overlay-card");
    this.dtype = "float64";
    this.buttons = [...document.querySelectorAll("#gradcheck-dtype button[data-dtype]")];
    for (const b of this.buttons) {
      b.addEventListener("click", () => { this.dtype = b.dataset.dtype; this.render(); });
    }
    /** "run|t" -> Promise of { float64, float32 } */
    this.answers = new Map();
    this.shown = null;
    this.result = null;
    /** the plot's size in lecture mode, [w, h] px, as last drawn */
    this.drawnAt = null;
    // in lecture mode the plot is drawn at its box's own size, one unit a pixel, so its text
    // keeps its CSS size on the projector: drawn again when the box changes size
    new ResizeObserver(() => {
      const [w, h] = this.lectureSize() ?? [];
      if (this.result && w && (Math.abs(w - this.drawnAt?.[0]) > 1 || Math.abs(h - this.drawnAt?.[1]) > 1)) {
        this.drawPlot(this.result);
      }
    }).observe(this.plot);
  }

  /** In lecture mode, the plot box's size in px (at least the smallest that holds the plot); else null. */
  lectureSize() {
    if (!document.body.classList.contains("lecture")) return null;
    const { width, height } = this.plot.getBoundingClientRect();
    return width > 0 && height > 0 ? [Math.max(LECTURE_MIN[0], width),
      Math.max(LECTURE_MIN[1], height)] : null;
  }

  open() { this.follow(true); }

  /** The iteration (or run) moved: check again at the new one. */
  async follow(force = false) {
    const run = this.ctx.player.run;
    if (!run) return;
    const t = this.ctx.player.t;
    const key = `${run.run_id}|${t}`;
    if (!force && key === this.shown) return;
    this.shown = key;
    $("gradcheck-iteration").textContent = `iteration ${t}`;
    let pending = this.answers.get(key);
    if (!pending) {
      pending = Promise.all(DTYPES.map((d) => api.getGradcheck(run.run_id, t, d)))
        .then(([float64, float32]) => ({ float64, float32 }));
      this.answers.set(key, pending);
      pending.catch(() => this.answers.delete(key));
      while (this.answers.size > 4) this.answers.delete(this.answers.keys().next().value);
    }
    this.card.setAttribute("aria-busy", "true");
    this.statusLine.textContent = `Checking every parameter at iteration ${t}…`;
    this.statusLine.classList.add("loading");
    try {
      const result = await pending;
      if (this.shown !== key) return;
      this.result = result;
      this.statusLine.textContent = "";
      this.render();
    } catch (error) {
      if (this.shown !== key) return;
      this.statusLine.textContent = `Could not check the gradients: ${error.message}`;
      this.ctx.status(error.message);
    } finally {
      if (this.shown === key) {
        this.card.removeAttribute("aria-busy");
        this.statusLine.classList.remove("loading");
      }
    }
  }

  render() {
    for (const b of this.buttons) b.setAttribute("aria-pressed", String(b.dataset.dtype === this.dtype));
    if (!this.result) return;
    const answer = this.result[this.dtype];
    this.showLead(answer);
    this.fillTable(answer);
    this.drawPlot(this.result);
    this.showRegime(this.result.float64.sweep);
  }

  /** Which arms of the V the plot can show, and where both show when this graph has one only. */
  showRegime(sweep) {
    const box = $("gradcheck-regime");
    box.replaceChildren();
    if (!sweep) return;
    const leaf = document.createElement("code");
    leaf.textContent = sweep.leaf;
    if (sweep.truncation) {
      box.append("The sweep runs along ", leaf, ", where the loss is smooth: the error falls as h² "
        + "(truncation) until round-off, which grows as ε/h, takes over. An error of 1 means the two "
        + "losses came out equal: the step h was lost in round-off.");
      return;
    }
    box.append("No truncation error here: along ", leaf, " — and along every parameter of this "
      + "graph — the loss is quadratic or piecewise quadratic (ReLU or max pieces, a squared error), "
      + "and a central difference of a quadratic is exact. Only round-off shows, rising as ε/h. ");
    const offer = document.createElement("button");
    offer.type = "button";
    offer.id = "btn-gradcheck-smooth";
    offer.textContent = "See both arms on logistic regression";
    offer.addEventListener("click", async () => {
      await this.ctx.createRun({ preset: SMOOTH_PRESET });
      this.follow(true);
    });
    box.append(offer);
  }

  showLead(answer) {
    const tol = document.createElement("strong");
    tol.className = "tolerance";
    tol.dataset.tolerance = String(answer.tolerance);
    tol.textContent = `good when the relative error is under ${num(answer.tolerance)}`;
    // in lecture mode only the first sentence shows (fit.css): the rest is for reading alone
    const detail = document.createElement("span");
    detail.className = "lead-detail";
    detail.textContent = " (ε^(1/3) of the precision): first along a random unit direction v, then "
      + "on the 3 entries with the largest gradient. Relative error = |autodiff − numerical| / "
      + "max(|autodiff|, |numerical|)";
    this.lead.replaceChildren(
      `Autodiff (the reverse sweep's ∂loss/∂p) against central differences `
      + `(L(p + h·v) − L(p − h·v)) / 2h in ${answer.dtype}, h = ${num(answer.h)} (◆ on the plot)`,
      detail, ": ", tol, ` in ${answer.dtype}.`);
    const checks = answer.params.flatMap((p) => [p.direction, ...p.entries]);
    if (checks.some((c) => c.verdict === "roundoff")) {
      this.lead.append(" ≈ round-off: over that, but within ten times the difference's own "
        + "round-off, ε·(|L(p + h·v)| + |L(p − h·v)|)/2h — the finite difference is the inaccurate "
        + "side, not autodiff.");
    }
  }

  fillTable(answer) {
    const tbody = this.table.tBodies[0];
    tbody.replaceChildren();
    this.table.dataset.dtype = answer.dtype;
    this.table.dataset.tolerance = String(answer.tolerance);
    const run = this.ctx.player.run;
    const loss = run ? (run.graph.nodes.find((n) => n.id === run.graph.loss)?.label || "loss") : "loss";
    for (const param of answer.params) {
      const rows = [["direction", `⟨∂${loss}/∂${param.leaf}, v⟩`, param.direction],
        ...param.entries.map((e) => ["entry", `∂${loss}/∂${element(param.leaf, e.index)}`, e])];
      rows.forEach(([kind, what, check], i) => {
        const tr = tbody.insertRow();
        tr.dataset.leaf = param.leaf;
        tr.dataset.check = kind;
        if (kind === "entry") tr.dataset.index = check.index.join(",");
        tr.className = `${check.verdict}${i === 0 ? " first" : ""}`;
        const leaf = tr.insertCell();
        leaf.className = "leaf";
        leaf.textContent = i === 0 ? param.leaf : "";
        tr.insertCell().textContent = what;
        for (const [cls, value, text] of [["autodiff", check.autodiff, precise(check.autodiff)],
          ["numerical", check.numerical, precise(check.numerical)],
          ["rel-error", check.rel_error, num(check.rel_error)]]) {
          const td = tr.insertCell();
          td.className = `number ${cls}`;
          td.dataset.value = String(value);
          td.textContent = text;
        }
        const verdict = tr.insertCell();
        verdict.className = "verdict";
        verdict.dataset.verdict = check.verdict;
        verdict.textContent = VERDICTS[check.verdict];
        if (check.verdict === "roundoff") {
          const why = document.createElement("span");
          why.className = "roundoff";
          why.textContent = ` ±${num(check.roundoff)}`;
          verdict.append(why);
          verdict.title = `the finite difference is the inaccurate side: its estimated round-off `
            + `ε·(|L(p + h·v)| + |L(p − h·v)|)/2h is ${num(check.roundoff)}, and it differs from `
            + `autodiff by ${num(Math.abs(check.autodiff - check.numerical))}`;
        }
      });
    }
  }

  /** rel_error against h, log-log, both precisions; the best h of each and the two regimes. */
  drawPlot(result) {
    const lecture = this.lectureSize();
    this.drawnAt = lecture;
    const [width, height] = lecture ?? [760, 380];
    const m = lecture ? { l: 92, r: 24, t: 84, b: 62 } : { l: 78, r: 24, t: 76, b: 56 };
    const below = lecture ? 22 : 18;  // the x axis's numbers under it
    const sweeps = DTYPES.map((d) => [d, result[d].sweep]).filter(([, s]) => s);
    this.plot.replaceChildren();
    if (!sweeps.length) return;
    const hs = sweeps.flatMap(([, s]) => s.h);
    const errors = sweeps.flatMap(([, s]) => s.rel_error).filter((e) => typeof e === "number" && e > 0);
    const xTicks = decades(Math.min(...hs), Math.max(...hs));
    const yTicks = decades(Math.min(ZERO_FLOOR * 10, ...errors), Math.max(1, ...errors));
    const x = logarithmic(xTicks[0], xTicks.at(-1), m.l, width - m.r);
    const y = logarithmic(yTicks[0], yTicks.at(-1), height - m.b, m.t);
    const svg = chart("sweep-plot", width, height,
      `relative error against h, log-log, for ${sweeps.map(([d]) => d).join(" and ")}`);
    // every k-th power labelled, k as large as the axis's height needs (a line of text a number)
    const every = Math.max(yTicks.length > 10 ? 2 : 1,
      Math.ceil((yTicks.length * (lecture ? 20 : 14)) / (height - m.t - m.b)));
    yTicks.forEach((t, i) => {
      svgEl("line", { class: "grid", x1: m.l, x2: width - m.r, y1: y(t), y2: y(t) }, svg);
      if (i % every === 0) svgText(svg, { class: "tick", x: m.l - 7, y: y(t) + 4, "text-anchor": "end" }, power(t));
    });
    xTicks.forEach((t, i) => {
      svgEl("line", { class: "grid", x1: x(t), x2: x(t), y1: m.t, y2: height - m.b }, svg);
      if (i % 2 === 0 || xTicks.length < 8) {
        svgText(svg, { class: "tick", x: x(t), y: height - m.b + below, "text-anchor": "middle" }, power(t));
      }
    });
    svgText(svg, { class: "axis-title", x: (m.l + width - m.r) / 2, y: height - 12, "text-anchor": "middle" },
      `step h of the central difference (log scale), along a random direction of ${sweeps[0][1].leaf}`);
    svgText(svg, { class: "axis-title", transform: `translate(20 ${(m.t + height - m.b) / 2}) rotate(-90)`,
      "text-anchor": "middle" }, height - m.t - m.b < 220 ? "rel. error (log)" : "relative error (log scale)");
    const at = (e) => y(typeof e === "number" && e > 0 ? e : ZERO_FLOOR * 10);
    for (const [dtype, sweep] of sweeps) {
      const g = svgEl("g", { class: `sweep dtype-${dtype}`, "data-dtype": dtype,
        "data-best-h": sweep.best_h, "data-best-rel-error": sweep.best_rel_error }, svg);
      const points = sweep.h.map((h, i) => `${x(h).toFixed(1)},${at(sweep.rel_error[i]).toFixed(1)}`);
      svgEl("polyline", { points: points.join(" ") }, g);
      sweep.h.forEach((h, i) => svgEl("circle", { class: "point", cx: x(h), cy: at(sweep.rel_error[i]), r: 3 }, g));
      const table = sweep.h.indexOf(result[dtype].h);
      if (table >= 0) {
        const [tx, ty] = [x(sweep.h[table]), at(sweep.rel_error[table])];
        svgEl("path", { class: "table-h", "data-h": sweep.h[table],
          d: `M${tx} ${ty - 8}L${tx + 8} ${ty}L${tx} ${ty + 8}L${tx - 8} ${ty}Z` }, g);
      }
      const best = svgEl("g", { class: "best" }, g);
      const [bx, by] = [x(sweep.best_h), at(sweep.best_rel_error)];
      svgEl("circle", { cx: bx, cy: by, r: 7 }, best);
      const left = bx > (m.l + width - m.r) / 2;
      svgText(best, { class: "best-label", x: bx + (left ? -12 : 12), y: by + 5,
        "text-anchor": left ? "end" : "start" }, `${dtype}: best h = ${num(sweep.best_h)}`);
    }
    const legend = svgEl("g", { class: "legend" }, svg);
    sweeps.forEach(([dtype], i) => {
      const lx = (m.l + width - m.r) / 2 - 110 + i * 125;
      svgEl("line", { class: `key dtype-${dtype}`, x1: lx, x2: lx + 28, y1: 20, y2: 20 }, legend);
      svgText(legend, { class: "tick", x: lx + 34, y: 24 }, dtype);
    });
    // the two sides of float64's V: round-off left of its best h, truncation right of it
    const best = x(sweeps[0][1].best_h);
    // above the plot, over the side each describes
    svgText(svg, { class: "regime round-off", x: m.l, y: m.t - 26 }, "← round-off ∝ ε/h");
    svgText(svg, { class: "regime-note", x: m.l, y: m.t - 8 }, "rises as h shrinks");
    const truncation = result.float64.sweep?.truncation;
    svgText(svg, { class: "regime truncation", x: width - m.r, y: m.t - 26, "text-anchor": "end" },
      truncation ? "truncation error ∝ h² →" : "no truncation error →");
    svgText(svg, { class: "regime-note", x: width - m.r, y: m.t - 8, "text-anchor": "end" },
      truncation ? "falls as h shrinks" : `the loss is (piecewise) quadratic along ${sweeps[0][1].leaf}`);
    svgText(legend, { class: "tick", x: (m.l + width - m.r) / 2 + 140, y: 24 }, "◆ the table's h");
    svgEl("line", { class: "best-line", x1: best, x2: best, y1: m.t, y2: height - m.b }, svg);
    this.plot.append(svg);
  }
}
