/**
 * A student's answer form for one question, suited to its kind (docs/json.md, Classes): a
 * number for `gradient` and `value` (with a ± key: phone keyboards for numbers often have no
 * minus); one of the question's `choices` as large radio buttons (`sign`, `larger`, `rule`, or
 * any question that has choices); a shape typed as `8, 10` (empty for a scalar); an
 * expression for `backward`. `read()` turns what was typed into the JSON answer or throws a
 * sentence saying what to fix. Also how answers and expected values are written back. Reads
 * and writes; grades nothing.
 */

const SIGNS = [{ value: "−", label: "− negative" }, { value: "0", label: "0 zero" }, { value: "+", label: "+ positive" }];
/** a sign's choice in words too */
const SIGN_WORDS = { "−": "− negative", "-": "− negative", 0: "0 zero", "+": "+ positive" };

function make(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

/** A choice as `{value, label}`: the server may send plain strings. */
const choice = (c) => (c !== null && typeof c === "object"
  ? { value: c.value ?? c.id ?? c.label, label: String(c.label ?? c.text ?? c.value) }
  : { value: c, label: String(c) });

/** A number as typed on a phone: `−0.5`, `-5e-3`, `.25` (a comma is not a decimal point here). */
export function parseNumber(text) {
  const t = String(text).trim().replace(/^[−–]/, "-").replace(/\s+/g, "");
  if (!t) throw new Error("Type a number first.");
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) {
    throw new Error(`"${text}" is not a number: write it like -0.25 or 1.5e-3.`);
  }
  return Number(t);
}

/** A shape as typed: `8, 10`, `(8, 10)`, `8×10`; empty or `()` is a scalar's, `[]`. */
export function parseShape(text) {
  const t = String(text).trim().replace(/^[[(]|[\])]$/g, "").replace(/scalar/i, "").trim();
  if (!t) return [];
  const parts = t.split(/[\s,×x*]+/).filter(Boolean);
  if (!parts.every((p) => /^\d+$/.test(p))) {
    throw new Error(`"${text}" is not a shape: write its sizes like 8, 10 (nothing for a scalar).`);
  }
  return parts.map(Number);
}

/** An answer or expected value as the page writes it. */
export function written(x) {
  if (x === null || x === undefined) return "–";
  if (typeof x === "number") return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(8)));
  if (Array.isArray(x)) return `(${x.map(written).join(", ")}${x.length === 1 ? "," : ""})`;
  return String(x);
}

export class AnswerForm {
  /** The fields for `question` in `box`. */
  constructor(box, question) {
    this.box = box;
    this.question = question;
    const choices = question.choices?.length ? question.choices
      : question.kind === "sign" ? SIGNS : null;
    box.replaceChildren();
    if (choices) {
      this.radios(choices.map(choice).map((c) => (question.kind === "sign" && SIGN_WORDS[c.label]
        ? { ...c, label: SIGN_WORDS[c.label] } : c)));
    }
    else if (question.kind === "gradient" || question.kind === "value") this.number();
    else if (question.kind === "shape") this.text("shape", "e.g. 8, 10 — empty for a scalar", "text");
    else this.text("expression", "e.g. g * w", "text", true);
  }

  radios(choices) {
    this.kind = "choice";
    const set = make("fieldset", { class: "j-choices" });
    set.appendChild(make("legend", {}, "Your answer"));
    choices.forEach((c, i) => {
      const label = make("label", { class: "j-choice" });
      const radio = make("input", { type: "radio", name: "answer", id: `j-choice-${i}` });
      radio.dataset.index = String(i);
      label.append(radio, make("span", {}, c.label));
      set.appendChild(label);
    });
    this.choices = choices;
    this.box.appendChild(set);
  }

  number() {
    this.kind = "number";
    const label = make("label", { for: "j-input" }, "Your answer (a number)");
    const row = make("div", { class: "j-number" });
    const input = make("input", { id: "j-input", type: "text", inputmode: "decimal", enterkeyhint: "send",
      spellcheck: "false", autocorrect: "off", autocapitalize: "off", maxlength: "40" });
    const negate = make("button", { type: "button", class: "j-negate", "aria-label": "change the sign" }, "±");
    negate.addEventListener("click", () => {
      const v = input.value.trim();
      input.value = v.startsWith("-") || v.startsWith("−") ? v.slice(1) : `-${v}`;
      input.focus();
    });
    row.append(input, negate);
    this.box.append(label, row);
    this.input = input;
  }

  text(what, placeholder, mode, mono = false) {
    this.kind = what;
    const label = make("label", { for: "j-input" }, what === "shape" ? "Your answer (a shape)" : "Your answer (an expression)");
    const input = make("input", { id: "j-input", type: "text", inputmode: mode, placeholder, enterkeyhint: "send",
      spellcheck: "false", autocorrect: "off", autocapitalize: "off", maxlength: "500" });
    if (mono) input.classList.add("j-mono");
    this.box.append(label, input);
    this.input = input;
  }

  /** The answer to send (JSON), or throws what to fix. */
  read() {
    if (this.kind === "choice") {
      const picked = this.box.querySelector("input[type=radio]:checked");
      if (!picked) throw new Error("Pick one of the answers first.");
      return this.choices[Number(picked.dataset.index)].value;
    }
    if (this.kind === "number") return parseNumber(this.input.value);
    if (this.kind === "shape") return parseShape(this.input.value);
    const text = this.input.value.trim();
    if (!text) throw new Error("Type an expression first.");
    return text;
  }

  /** What the student chose, as they saw it. */
  shown(value) {
    if (this.kind === "choice") return this.choices.find((c) => c.value === value)?.label ?? written(value);
    return written(value);
  }

  disable(on) {
    for (const field of this.box.querySelectorAll("input, button")) field.disabled = on;
  }

  focus() { (this.input || this.box.querySelector("input"))?.focus(); }
}
