/**
 * Choosing what to run: a preset with its parameters, or your own source; seed, lr and
 * iterations; reverse or forward mode (and forward mode's direction, `w1[3, 7]`). Your own
 * source keeps its own seed, lr and iterations, starting from the server's defaults (the fields
 * left empty); a preset starts from its own. A failed request is shown as text where it was
 * made: `#run-error` under the form, `#source-error` beside the source (with line and column).
 */

import * as api from "./api.js";
import { addModelFile } from "./modelfile.js";
import { directionText, parseDirection } from "./modeswitch.js";

const $ = (id) => document.getElementById(id);

/** The run option `input_grads` as a switch before the Run button: whether the backward
 * pass also computes the data inputs' gradients (the preset's default; on for a source). */
function addInputGradsSwitch() {
  const label = document.createElement("label");
  label.title = "also compute the gradients of the data inputs (∂loss/∂x), which the "
    + "tutorial and D2L never compute";
  const box = document.createElement("input");
  box.type = "checkbox";
  box.id = "input-grads";
  label.append(box, " gradients of the inputs");
  $("btn-run").before(label);
}

export class Setup extends EventTarget {
  constructor() {
    super();
    this.presets = [];
    /** preset id -> Promise of its detail (its source): asked once, however often it is chosen */
    this.details = new Map();
    /** your own source's seed, lr and iterations: the server's defaults (GET /presets) until set */
    this.own = { seed: "", lr: "", iterations: "" };
    $("run-form").addEventListener("submit", (e) => { e.preventDefault(); this.submitPreset(); });
    this.hold(true);
    $("preset").addEventListener("change", () => this.choose($("preset").value));
    $("btn-edit-source").addEventListener("click", () => this.toggleSource());
    // what is typed while your own source is chosen stays your source's, not a preset's
    for (const id of ["seed", "lr", "iterations"]) {
      $(id).addEventListener("input", () => { if (!$("preset").value) this.own[id] = $(id).value; });
    }
    $("btn-source-run").addEventListener("click", () => this.submitSource());
    $("mode").addEventListener("change", () => this.showDirection());
    addInputGradsSwitch();
    addModelFile(this);
    // the description is two lines until asked for in full: the graph keeps the room
    const description = $("preset-description");
    const expand = () => {
      const open = description.classList.toggle("open");
      description.setAttribute("aria-expanded", String(open));
    };
    description.addEventListener("click", expand);
    description.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); expand(); }
    });
  }

  /**
   * The form's controls are disabled (`hold(true)`) until it shows the page's first run: what
   * is typed before would be overwritten when the presets and that run's values arrive.
   */
  hold(on) {
    for (const control of $("run-form").elements) control.disabled = on;
    $("run-form").setAttribute("aria-busy", String(on));
  }

  /** Forward mode's direction field shows only with forward mode. */
  showDirection() {
    $("direction-label").hidden = $("mode").value !== "forward";
  }

  async init(selected) {
    const listed = await api.listPresets();
    this.presets = listed.presets;
    // your own source starts from the server's defaults, shown in the fields
    const d = listed.source_defaults;
    for (const id of ["seed", "lr", "iterations"]) if (this.own[id] === "") this.own[id] = String(d[id]);
    this.ownInputGrads = d.input_grads;
    const select = $("preset");
    select.replaceChildren();
    for (const p of this.presets) {
      const option = document.createElement("option");
      option.value = p.id;
      option.textContent = p.title;
      select.appendChild(option);
    }
    const custom = document.createElement("option");
    custom.value = "";
    custom.textContent = "Your own source";
    select.appendChild(custom);
    await this.choose(selected ?? this.presets[0].id);
  }

  /** Show a preset's parameters, defaults and description (or the run's own values). */
  async choose(id, run = null) {
    // a later choice (or Edit source) makes this one's late source text stale
    const token = this.choosing = (this.choosing || 0) + 1;
    $("preset").value = id || "";
    const preset = this.presets.find((p) => p.id === id);
    const params = $("params");
    params.replaceChildren();
    if (!preset) {
      $("preset-description").textContent = "Your own expression: edit the source below.";
      if (run) this.own = { seed: String(run.seed), lr: String(run.lr), iterations: String(run.iterations) };
      $("input-grads").checked = run?.input_grads ?? this.ownInputGrads ?? true;
      this.fillNumbers(this.own);
      if (run) this.fillMode(run);
      return;
    }
    $("preset-description").textContent = preset.description;
    $("input-grads").checked = run?.input_grads ?? preset.input_grads;
    for (const p of preset.params) {
      const label = document.createElement("label");
      label.title = p.description;
      label.append(`${p.name} `);
      label.appendChild(paramInput(p, run?.params?.[p.name] ?? p.default));
      params.appendChild(label);
    }
    this.fillNumbers(run || { seed: preset.seed, lr: preset.lr, iterations: preset.iterations });
    if (!this.details.has(id)) {
      this.details.set(id, api.getPreset(id));
      this.details.get(id).catch(() => this.details.delete(id));  // asked again next time
    }
    const detail = await this.details.get(id);
    // the text arrives late: written only if this preset is still the one chosen (Edit source
    // chooses your own: what you type there stays)
    if (token !== this.choosing || $("preset").value !== id) return;
    // a run's own source (its parameters written in: depth, activation), else the preset's
    if (!run || run.preset === id) $("source").value = run?.source ?? detail.source;
  }

  fillNumbers(run) {
    $("seed").value = String(run.seed);
    $("lr").value = String(run.lr);
    $("iterations").value = String(run.iterations);
    this.fillMode(run);
  }

  fillMode(run) {
    if (run.mode) {
      $("mode").value = run.mode;
      $("direction").value = directionText(run.direction);
      this.showDirection();
    }
  }

  /** Reflect a loaded run in the form. */
  async showRun(run) {
    if (run.preset) await this.choose(run.preset, run);
    else {
      await this.choose("", run);
      $("source").value = run.source;
    }
  }

  /** Seed, lr, iterations, and mode with its direction when forward (a direction the form
   * cannot read is sent as typed, for the server to explain). */
  numbers() {
    const out = {};
    if ($("seed").value !== "") out.seed = Number($("seed").value);
    if ($("lr").value !== "") out.lr = Number($("lr").value);
    if ($("iterations").value !== "") out.iterations = Number($("iterations").value);
    out.input_grads = $("input-grads").checked;
    if ($("mode").value === "forward") {
      out.mode = "forward";
      const typed = $("direction").value.trim();
      if (typed) out.direction = parseDirection(typed) || { leaf: typed };
    }
    return out;
  }

  submitPreset() {
    const id = $("preset").value;
    if (!id) { this.submitSource(); return; }
    const params = {};
    for (const input of $("params").querySelectorAll("input, select")) {
      params[input.name.slice("param-".length)] = Number(input.value);
    }
    this.request({ preset: id, params, ...this.numbers() }, "form");
  }

  /** Your own source runs with its own settings (the server's defaults for empty fields). */
  submitSource() {
    if ($("preset").value) this.choose("");
    this.request({ source: $("source").value, ...this.numbers() }, "source");
  }

  /**
   * Open (or close) the source: opening it chooses your own source, which starts from the
   * preset's text and keeps its own seed, lr and iterations.
   */
  toggleSource(open) {
    const panel = $("source-panel");
    panel.hidden = open === undefined ? !panel.hidden : !open;
    $("btn-edit-source").setAttribute("aria-expanded", String(!panel.hidden));
    if (open === undefined && !panel.hidden && $("preset").value) this.choose("");
  }

  /** Ask for a run; `origin` ("form" or "source") is where its errors are shown. */
  request(body, origin) {
    this.clearErrors();
    this.dispatchEvent(new CustomEvent("run", { detail: { body, origin } }));
  }

  clearErrors() {
    $("run-error").textContent = "";
    $("source-error").textContent = "";
  }

  /**
   * A server error, as text, where the request was made: an error with a line and column
   * (`line 3, column 5: …`) beside the source, opened and the place selected; any other beside
   * the button that asked (`origin`: "source", else the form).
   */
  showError(error, origin = "form") {
    if (!error) { this.clearErrors(); return; }
    const atSource = Boolean(error.line) || origin === "source";
    $(atSource ? "source-error" : "run-error").textContent = error.message;
    if (atSource) this.toggleSource(true);
    if (error.line) {
      this.toggleSource(true);
      const source = $("source");
      const lines = source.value.split("\n");
      const offset = lines.slice(0, error.line - 1).reduce((n, l) => n + l.length + 1, 0)
        + Math.max(0, (error.column || 1) - 1);
      source.focus();
      source.setSelectionRange(offset, Math.min(source.value.length, offset + 1));
    }
  }
}

/** A preset parameter's field: a number, or for a choice its options (the value an index). */
function paramInput(p, value) {
  const choice = p.kind === "choice";
  const input = document.createElement(choice ? "select" : "input");
  input.name = `param-${p.name}`;
  if (choice) {
    p.options.forEach((option, i) => input.append(new Option(option, String(i))));
  } else {
    input.type = "number";
    input.min = String(p.min);
    input.max = String(p.max);
    input.step = p.kind === "int" ? "1" : "any";
  }
  input.value = String(value);
  return input;
}
