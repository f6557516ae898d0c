/**
 * The teacher's side of class mode, without its drawing: the class of the run shown (created
 * the first time the room is asked), the question open, its answers polled about once a
 * second with the ETag of the last document (a 304 costs the server almost nothing), the
 * reveal. The teacher token lives in sessionStorage (this tab only, never in a URL), under the
 * run's id, so a reload keeps the class and its open question.
 *
 * A `Room` is an EventTarget: `change` after anything it knows changed (`room.snapshot()` is
 * what a view or the presenter window shows). It asks and grades nothing itself: prompts,
 * counts, bins and the right answer are the server's.
 */

import * as classes from "./classapi.js";

/** the question kinds, in the order offered, with what each asks */
export const KINDS = [
  ["gradient", "∂loss/∂node — one element"],
  ["value", "value (forward) — one element"],
  ["sign", "sign of ∂loss/∂node (−, 0, +)"],
  ["larger", "which input gets the larger contribution"],
  ["shape", "shape of ∂loss/∂node"],
  ["rule", "the node's gate pattern"],
  ["backward", "the contribution, as an expression"],
];
/** kinds about one element of a tensor: these take an index */
export const ELEMENT_KINDS = new Set(["gradient", "value", "sign"]);

const POLL_MS = 1000;
const RETRY_MS = 2500;
const store = window.sessionStorage;

function load(key) {
  try { return JSON.parse(store.getItem(key) || "null"); } catch { return null; }
}

function save(key, value) {
  if (value === null) store.removeItem(key);
  else store.setItem(key, JSON.stringify(value));
}

/**
 * An element's index typed as "3, 7" (or "[3, 7]", "3 7"): a list of whole numbers; empty
 * text is `null` (the default). Throws a sentence saying what is wrong.
 */
export function parseIndex(text) {
  const t = String(text || "").trim().replace(/^[[(]|[\])]$/g, "").trim();
  if (!t) return null;
  const parts = t.split(/[\s,]+/).filter(Boolean);
  if (!parts.every((p) => /^\d+$/.test(p))) {
    throw new Error(`the element "${text}" is not a list of whole numbers such as 3, 7`);
  }
  return parts.map(Number);
}

export class Room extends EventTarget {
  constructor() {
    super();
    this.runId = null;
    /** `{class_id, code, join_url, teacher_token}` of the run's class, null before the first ask */
    this.cls = null;
    /** the question open: `{question_id, prompt, iteration, step, node, kind, index}` */
    this.question = null;
    /** the room's answers to it as the server last said (`students, answers, histogram, …`) */
    this.doc = null;
    this.etag = null;
    /** what the last action (ask, reveal) failed with; what the last poll failed with */
    this.error = "";
    this.pollError = "";
    this.busy = false;
    this.timer = null;
    /** the class being made (a Promise), while it is */
    this.making = null;
  }

  /** The run shown: its class and open question, if this tab made them. */
  setRun(runId) {
    if (runId === this.runId) return;
    this.runId = runId;
    this.cls = load(`gradwalk-class:${runId}`);
    this.question = this.cls ? load(`gradwalk-question:${this.cls.class_id}`) : null;
    this.doc = null;
    this.etag = null;
    this.error = "";
    this.poll();
    this.changed();
  }

  changed() { this.dispatchEvent(new Event("change")); }

  /** What a view shows, as plain data (also posted to the presenter window). */
  snapshot() {
    const { cls, question, doc } = this;
    return {
      code: cls?.code || null,
      joinUrl: cls?.join_url || null,
      question: question ? { ...question } : null,
      students: doc?.students ?? null,
      answers: doc?.answers ?? 0,
      correct: doc?.correct ?? null,
      revealed: Boolean(doc?.revealed),
      histogram: doc?.histogram ?? null,
      /** the step that explains the answer (`{iteration, step}`), when the server says */
      explanation: doc?.explanation ?? null,
      error: this.error || this.pollError,
      busy: this.busy,
    };
  }

  /** The run's class, created now if it has none (its teacher token kept in this tab). */
  ensureClass(title) {
    if (this.cls) return Promise.resolve(this.cls);
    const runId = this.runId;
    // one class per run, however many asks wait for it
    this.making ??= classes.createClass(runId, title).then((made) => {
      const cls = { class_id: made.class_id, code: made.code, join_url: made.join_url,
        teacher_token: made.teacher_token };
      save(`gradwalk-class:${runId}`, cls);
      if (runId === this.runId) this.cls = cls;
      return cls;
    }).finally(() => { this.making = null; });
    return this.making;
  }

  /** The class made now if the run has none, so the room can join before the first question. */
  async open(title) {
    if (this.cls || !this.runId) return;
    try {
      await this.ensureClass(title);
      this.error = "";
    } catch (error) {
      this.error = `No class could be made for this run: ${error.message}`;
    }
    this.changed();
  }

  /**
   * Ask the room `kind` about `node` at step `step` of iteration `iteration` (`index`: one
   * element of a tensor, for the element kinds; `input`: the input whose contribution a
   * `backward` question asks, else the server's choice). Resolves true once the question is open.
   */
  async ask({ iteration, step, node, kind, index = null, input = null }, title = "") {
    if (this.busy) return false;
    this.busy = true;
    this.error = "";
    this.changed();
    try {
      const cls = await this.ensureClass(title);
      const body = { iteration, step, node, kind };
      if (index !== null && ELEMENT_KINDS.has(kind)) body.index = index;
      if (input !== null && kind === "backward") body.input = input;
      const made = await classes.askQuestion(cls, body);
      this.question = { question_id: made.question_id, prompt: made.prompt, iteration, step, node, kind,
        index: body.index ?? null };
      save(`gradwalk-question:${cls.class_id}`, this.question);
      this.doc = null;
      this.etag = null;
      return true;
    } catch (error) {
      this.error = error.message;
      return false;
    } finally {
      this.busy = false;
      this.changed();
      this.poll();
    }
  }

  /** Show the room which answers were right (and each student theirs). */
  async reveal() {
    if (!this.question || this.busy) return;
    this.busy = true;
    this.changed();
    try {
      await classes.reveal(this.cls, this.question.question_id);
      this.error = "";
    } catch (error) {
      this.error = error.message;
    } finally {
      this.busy = false;
      this.poll();
    }
  }

  /** Ask again later: the form comes back (the question stays open until the next one). */
  clearQuestion() {
    this.question = null;
    this.doc = null;
    this.etag = null;
    if (this.cls) save(`gradwalk-question:${this.cls.class_id}`, null);
    this.changed();
  }

  /** Fetch the question's answers now, then about once a second while one is shown. */
  async poll() {
    clearTimeout(this.timer);
    this.timer = null;
    const question = this.question;
    if (!question || !this.cls) return;
    let wait = POLL_MS;
    try {
      const got = await classes.pollQuestion(this.cls, question.question_id, this.etag);
      if (question !== this.question) return;
      if (got) {
        this.doc = got.doc;
        this.etag = got.etag;
      }
      const cleared = Boolean(this.pollError);
      this.pollError = "";
      if (got || cleared) this.changed();
    } catch (error) {
      if (question !== this.question) return;
      this.pollError = `The room's answers could not be fetched: ${error.message}`;
      wait = RETRY_MS;
      this.changed();
    }
    // a revealed question is closed: its answers no longer change
    if (question === this.question && !this.timer && !this.doc?.revealed) {
      this.timer = setTimeout(() => this.poll(), wait);
    }
  }
}
