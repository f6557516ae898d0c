/**
 * The node inspector: one node's value or gradient at the current step — statistics, heatmap,
 * histogram, exact values when small, and a .npy download of the exact tensor.
 */

import { tensorUrl } from "./api.js";
import { drawHeatmap, histogram } from "./charts.js";
import { num, shape } from "./format.js";

const STATS = [["min", "min"], ["max", "max"], ["mean", "mean"], ["std", "std"],
  ["norm", "‖·‖₂"], ["nan", "NaN"], ["inf", "±Inf"]];

function exactText(values) {
  const row = (r) => (Array.isArray(r) ? r.map(num).join("  ") : num(r));
  if (!Array.isArray(values)) return num(values);
  if (!values.length || !Array.isArray(values[0])) return row(values);
  return values.map((r) => (Array.isArray(r[0]) ? JSON.stringify(r) : row(r))).join("\n");
}

export class Inspector {
  constructor() {
    this.title = document.getElementById("inspector-title");
    this.body = document.getElementById("inspector-body");
    this.tabs = [...document.querySelectorAll("#inspector .tabs button")];
    this.which = "value";
    this.nodeId = null;
    for (const tab of this.tabs) {
      tab.addEventListener("click", () => { this.which = tab.dataset.tab; this.render(); });
    }
  }

  select(node) {
    this.node = node;
    this.nodeId = node.id;
    this.render();
  }

  /** Re-draw for the state now shown. */
  update(context) {
    this.context = context;
    if (this.nodeId) this.render();
  }

  render() {
    if (!this.node || !this.context) return;
    const { runId, t, k, state } = this.context;
    const node = this.node;
    const s = state.nodes[node.id];
    for (const tab of this.tabs) tab.setAttribute("aria-pressed", String(tab.dataset.tab === this.which));
    this.title.textContent = `${node.label} — ${node.op || node.kind}, ${shape(node.shape)}`;
    const summary = this.which === "value" ? s.value : s.grad;
    this.body.replaceChildren();
    const note = document.createElement("p");
    note.className = `note ${this.which}`;
    if (this.which === "grad") {
      note.textContent = `∂loss/∂${node.label}: the gradient of the loss with respect to ${node.label}`
        + (summary ? ` — ${s.grad_status}, ${s.received} of ${s.expected} contribution(s)` : "");
    } else {
      note.textContent = s.updated ? "value after this iteration's SGD update" : "value at this step";
    }
    this.body.appendChild(note);
    if (!summary) {
      const none = document.createElement("p");
      none.textContent = this.which === "grad"
        ? (node.kind === "const" ? "constants get no gradient" : "no contribution has arrived yet")
        : "not computed yet at this step";
      this.body.appendChild(none);
      return;
    }
    const table = document.createElement("table");
    table.className = "stats";
    for (const [key, label] of STATS) {
      const tr = table.insertRow();
      tr.insertCell().textContent = label;
      tr.insertCell().textContent = num(summary[key]);
    }
    this.body.appendChild(table);
    const pictures = document.createElement("div");
    pictures.className = "pictures";
    if (summary.heatmap) {
      const canvas = document.createElement("canvas");
      canvas.className = `heatmap ${this.which}`;
      drawHeatmap(canvas, summary.heatmap, this.which);
      pictures.appendChild(canvas);
    }
    if (summary.histogram.counts.length) pictures.appendChild(histogram(summary.histogram, this.which));
    this.body.appendChild(pictures);
    if (summary.values !== null) {
      const pre = document.createElement("pre");
      pre.className = "exact";
      pre.textContent = exactText(summary.values);
      this.body.appendChild(pre);
    }
    const link = document.createElement("a");
    link.className = "npy";
    link.href = tensorUrl(runId, t, k, node.id, this.which);
    link.download = `${node.id}_${this.which}_t${t}_k${k}.npy`;
    link.textContent = `download exact ${this.which === "grad" ? "gradient" : "value"} (.npy)`;
    this.body.appendChild(link);
  }
}
