/**
 * The node inspector: one node's value, gradient or any other quantity the run declares (one
 * tab each) at the current step — statistics, heatmap with its colour scale (a gradient's
 * centred at 0), histogram, exact values when small, and a .npy download of the exact tensor.
 * Names are shown as the graph writes them. A leaf's elements (exact values, or heatmap cells) can
 * be picked as the direction of forward mode: `onPick({leaf, index})`.
 */

import { tensorUrl } from "./api.js";
import { drawHeatmap, heatLegend, histogram } from "./charts.js";
import { element, num, shape } from "./format.js";
import { isLeaf } from "./modeswitch.js";
import { DEFAULT_QUANTITIES, quantity, quantityClass } from "./names.js";
import { ElementPicker } from "./picker.js";

const STATS = [["min", "min"], ["max", "max"], ["mean", "mean"], ["std", "std"],
  ["norm", "‖·‖₂"], ["nan", "NaN"], ["inf", "±Inf"]];

export class Inspector {
  constructor(onPick = () => {}) {
    /** a leaf's elements, picked as forward mode's direction */
    this.picker = new ElementPicker(onPick);
    this.title = document.getElementById("inspector-title");
    this.body = document.getElementById("inspector-body");
    this.tabBox = document.querySelector("#inspector .tabs");
    this.tabs = [];
    this.which = "value";
    this.nodeId = null;
    this.setQuantities(DEFAULT_QUANTITIES);
  }

  /**
   * One tab per quantity of the run, in its order; the tab shown stays if the run has it.
   * `direction`: a forward-mode run's (docs/json.md, Run), what its tangents are along.
   */
  setQuantities(quantities, direction = null) {
    this.direction = direction;
    this.tabBox.replaceChildren();
    this.tabs = quantities.map((q) => {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.className = quantityClass(q);
      tab.dataset.tab = q;
      tab.textContent = quantity(q).title;
      tab.addEventListener("click", () => { this.which = q; this.pressTabs(); this.render(); });
      this.tabBox.appendChild(tab);
      return tab;
    });
    if (!quantities.includes(this.which)) this.which = quantities[0];
    this.pressTabs();
  }

  pressTabs() {
    for (const tab of this.tabs) tab.setAttribute("aria-pressed", String(tab.dataset.tab === this.which));
  }

  /** Keep inspecting `node` (the same node of a new run), or, without one, nothing. */
  keepOrClear(node) {
    if (node) {
      this.node = node;
      this.nodeId = node.id;
      return;
    }
    this.node = null;
    this.nodeId = null;
    this.title.textContent = "Click a node to inspect it";
    this.body.replaceChildren();
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
    this.pressTabs();
    this.title.textContent = `${node.label} — ${node.op || node.kind}, ${shape(node.shape)}`;
    const which = this.which;
    const words = quantity(which);
    const summary = s[which] ?? null;
    this.body.replaceChildren();
    const note = document.createElement("p");
    note.className = `note ${quantityClass(which)}`;
    if (which === "grad") {
      note.textContent = `${node.gradient || `∂loss/∂${node.label}`}: the gradient of the loss with respect to ${node.label}`
        + (summary ? ` — ${s.grad_status}, ${s.received} of ${s.expected} contribution(s)` : "");
    } else if (which === "value") {
      note.textContent = s.updated ? "value after this iteration's SGD update" : "value at this step";
    } else if (which === "tangent") {
      const d = this.direction;
      const along = d ? ` along ${element(d.leaf, d.index)}` : "";
      note.textContent = `the tangent of ${node.label}: its derivative${along} (forward mode)`;
    } else {
      note.textContent = `${which} of ${node.label} at this step`;
    }
    this.body.appendChild(note);
    if (!summary) {
      const none = document.createElement("p");
      none.textContent = which === "grad" && node.kind === "const"
        ? "constants get no gradient" : words.missing;
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
    const pickable = isLeaf(node);
    let caption = null;
    if (summary.heatmap) {
      const canvas = document.createElement("canvas");
      canvas.className = `heatmap ${quantityClass(which)}`;
      drawHeatmap(canvas, summary.heatmap, which);
      if (pickable && summary.values === null) {
        let frame;
        ({ frame, caption } = this.picker.heatmap(canvas, node, summary, this.directionIn(node)));
        pictures.appendChild(frame);
      } else {
        pictures.appendChild(canvas);
      }
    }
    if (summary.histogram.counts.length) pictures.appendChild(histogram(summary.histogram, which));
    this.body.appendChild(pictures);
    if (summary.heatmap) {
      const legend = document.createElement("div");
      legend.className = "heat-legend";
      const words = document.createElement("span");
      words.textContent = which === "grad" ? "colour: sign and size (0 white)" : "colour scale";
      const blocks = document.createElement("span");
      blocks.className = "heat-blocks";
      blocks.textContent = blockWords(summary);
      legend.append(words, heatLegend(summary.heatmap, which), blocks);
      this.body.appendChild(legend);
    }
    if (caption) this.body.appendChild(caption);
    if (summary.values !== null) {
      this.body.appendChild(this.picker.grid(node, summary, pickable, this.directionIn(node)));
    }
    if (pickable) {
      const hint = document.createElement("p");
      hint.className = "pick-hint";
      hint.textContent = summary.values !== null
        ? `Forward mode: click an element of ${node.label} to run along it (its tangent 1, every other leaf element's 0).`
        : `Forward mode: click a heatmap cell (or focus it and use the arrow keys and Enter) to run along its first element.`;
      this.body.insertBefore(hint, (caption || pictures).nextSibling);
    }
    const link = document.createElement("a");
    link.className = "npy";
    link.href = tensorUrl(runId, t, k, node.id, which);
    link.download = `${node.id}_${which}_t${t}_k${k}.npy`;
    link.textContent = `download exact ${words.noun} (.npy)`;
    this.body.appendChild(link);
  }

  /** The direction of the run shown, when it is along an element of `node`. */
  directionIn(node) {
    const d = this.direction;
    return d && d.leaf === node.id ? (d.index || []) : null;
  }
}

/**
 * What a heatmap's cells are: the elements themselves, or means of blocks of them (then the
 * scale spans the means, narrower than the elements' own min and max, which are said).
 */
function blockWords(summary) {
  const { rows, cols } = summary.heatmap;
  const [n, c, h, w] = summary.shape;
  const layout = summary.shape.length === 4  // the server lays (N, C, H, W) out as images
    ? `a row per example (${n}), across it its ${c} channel images of ${h}×${w}; ` : "";
  const range = `${layout}elements from min ${num(summary.min)} to max ${num(summary.max)}`;
  if (rows * cols >= summary.size) return `each cell one element; ${range}`;
  const per = summary.size / (rows * cols);
  const about = Number.isInteger(per) ? String(per) : `about ${Math.round(per)}`;
  return `each cell the mean of ${about} elements (the scale spans these means); ${range}`;
}
