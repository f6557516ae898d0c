/**
 * The student's page, `/join` (phones first): the class code (prefilled from `?code=`) and an
 * optional name; then, polled every 2 s, the question open with the student's own numbers,
 * an answer form suited to its kind (answerform.js), the answer sent once (an Idempotency-Key
 * per answer, the same key on every retry after a network failure), "waiting for the reveal",
 * and the result: right or not, the expected value and theirs, the step's narration and
 * formula from their own run, and a link to that step in their run.
 *
 * The student token is kept in localStorage per class code, so a reload is the same student
 * with the same run. All the server's and the user's text goes in as text; MathML is rebuilt
 * from a whitelist (panels.js).
 *
 * `body[data-state]`: `code` (the join form), `wait` (no question open), `question`, `sent`
 * (answered, waiting for the reveal), `result`.
 */

import { AnswerForm, written } from "./answerform.js";
import * as classes from "./classapi.js";
import { MathFit } from "./mathfit.js";
import { safeMathml } from "./panels.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 2000;
const RETRIES = 8;
/** the smallest formula on a phone, in px: a wider one wraps */
const MATH_MIN_PX = 17;
const CODE = /^[A-HJ-NP-Z2-9]{6}$/;

/** a random id for Idempotency-Key (crypto.randomUUID needs https; a class may run on plain http) */
function newKey() {
  if (crypto.randomUUID && window.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
/** a failure worth trying again: no answer at all, or the server (or its proxy) failing */
const transient = (error) => !error.status || error.status >= 500 || error.status === 429;

/**
 * `send()` until it answers, again after a failure worth trying again (a wait doubling from
 * 0.5 s up to 4 s, RETRIES times), saying so in the status line; its last error is thrown.
 * `send` carries one Idempotency-Key for all its tries: the server stores it once.
 */
async function withRetries(send) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const answered = await send();
      $("j-status").textContent = "";
      return answered;
    } catch (error) {
      if (!transient(error) || attempt >= RETRIES) throw error;
      $("j-status").textContent = `Network trouble: trying again (${attempt + 1} of ${RETRIES})…`;
      await sleep(Math.min(4000, 500 * 2 ** attempt));
    }
  }
}

class Student {
  constructor() {
    this.code = null;
    /** `{student_id, student_token, run_id, name}` as joined */
    this.me = null;
    /** the question shown (its `question_id`), and the form for it */
    this.question = null;
    this.form = null;
    /** the question answered and waiting for its result */
    this.awaiting = null;
    /** a new question that came while a result is shown */
    this.next = null;
    this.timer = null;
    new MathFit($("j-math"), () => MATH_MIN_PX);
    const code = new URLSearchParams(window.location.search).get("code");
    $("j-code").value = (code || "").toUpperCase().slice(0, 6);
    $("j-join").addEventListener("submit", (e) => { e.preventDefault(); this.join(); });
    $("j-answer").addEventListener("submit", (e) => { e.preventDefault(); this.send(); });
    $("j-btn-leave").addEventListener("click", () => this.leave());
    $("j-btn-next").addEventListener("click", () => { if (this.next) this.show(this.next); });
    const known = code && this.load(code.toUpperCase());
    if (known) this.enter(code.toUpperCase(), known);
    else this.state("code");
  }

  load(code) {
    try { return JSON.parse(localStorage.getItem(`gradwalk-student:${code}`) || "null"); } catch { return null; }
  }

  state(name) {
    document.body.dataset.state = name;
    $("j-join").hidden = name !== "code";
    $("j-wait").hidden = name !== "wait";
    $("j-answer").hidden = name !== "question";
    $("j-sent").hidden = name !== "sent";
    $("j-result").hidden = name !== "result";
    $("j-title").textContent = { code: "Join the class", wait: "Waiting for a question",
      question: "Your question", sent: "Answer sent", result: "Your result" }[name];
  }

  error(message) {
    $("j-error").textContent = message || "";
    $("j-error").hidden = !message;
  }

  async join() {
    const code = $("j-code").value.trim().toUpperCase();
    if (!CODE.test(code)) {
      this.error(`"${code}" is not a class code: 6 letters and digits (no 0, O, 1 or I), as the projector shows.`);
      $("j-code").focus();
      return;
    }
    this.error("");
    $("j-btn-join").disabled = true;
    try {
      const name = $("j-name").value.trim();
      const key = newKey();
      const made = await withRetries(() => classes.join(code, name, key));
      const me = { ...made, name };
      localStorage.setItem(`gradwalk-student:${code}`, JSON.stringify(me));
      this.enter(code, me);
    } catch (error) {
      this.error(error.status === 404 ? `There is no class with the code ${code}: check it on the projector.`
        : `Could not join: ${error.message}`);
    } finally {
      $("j-btn-join").disabled = false;
    }
  }

  /** In the class as `me`: say who, link their run, start polling. */
  enter(code, me) {
    this.code = code;
    this.me = me;
    const url = new URL(window.location.href);
    url.searchParams.set("code", code);
    window.history.replaceState(null, "", url);
    $("j-class").textContent = `class ${code}`;
    $("j-who").textContent = me.name ? `You are ${me.name}.` : "You joined without a name.";
    $("j-run-link").href = `/?${new URLSearchParams({ run: me.run_id })}`;
    $("j-run-link").hidden = false;
    $("j-btn-leave").hidden = false;
    if (me.last) {
      // answered before this reload: its result comes as soon as it is revealed
      this.question = me.last.question;
      this.form = new AnswerForm($("j-fields"), me.last.question);
      this.awaiting = me.last.question;
      $("j-sent-answer").textContent = this.form.shown(me.last.yours);
      this.state("sent");
    } else {
      this.state("wait");
    }
    classes.getClass(code).then((c) => { if (c.title) $("j-class").textContent = `${c.title} · class ${code}`; })
      .catch(() => {});
    this.poll();
  }

  /** Forget this class's student on this phone and show the join form again. */
  leave() {
    clearTimeout(this.timer);
    localStorage.removeItem(`gradwalk-student:${this.code}`);
    this.me = null;
    this.question = null;
    this.awaiting = null;
    $("j-run-link").hidden = true;
    $("j-btn-leave").hidden = true;
    $("j-who").textContent = "";
    this.state("code");
  }

  /** Ask for the open question (and the result waited for), then again in 2 s. */
  async poll() {
    clearTimeout(this.timer);
    const me = this.me;
    if (!me) return;
    try {
      const question = await classes.currentQuestion(this.code, me.student_token);
      if (me !== this.me) return;
      if ($("j-status").textContent.startsWith("Cannot reach")) $("j-status").textContent = "";
      // the result first, once revealed (a reveal closes the question: it is no longer current;
      // self-paced homework reveals it on answering, the next question already current)
      const awaiting = this.awaiting;
      if (awaiting && document.body.dataset.state === "sent"
          && (question?.question_id !== awaiting.question_id || question.revealed)) {
        await this.checkResult();
      }
      const fresh = question && question.question_id !== this.question?.question_id
        && question.question_id !== this.awaiting?.question_id;
      if (fresh && document.body.dataset.state === "result") {
        // the student may still be reading their result: the next question is a tap away
        this.next = question;
        $("j-btn-next").hidden = false;
      } else if (fresh) {
        this.show(question);
      } else if (!question && document.body.dataset.state === "question") {
        this.state("wait");
        this.question = null;
        $("j-status").textContent = "The question closed before your answer was sent.";
      }
    } catch (error) {
      if (me !== this.me) return;
      if (error.status === 401 || error.status === 403 || error.status === 404) {
        this.leave();
        this.error(`This phone's place in class ${this.code} is gone (${error.message}): join again.`);
        return;
      }
      $("j-status").textContent = `Cannot reach the class right now; trying again… (${error.message})`;
    }
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  /** A new question: its prompt with this student's numbers, and the form for its kind. */
  show(question) {
    this.question = question;
    this.next = null;
    $("j-btn-next").hidden = true;
    $("j-prompt").textContent = question.prompt;
    $("j-where").textContent = `Step ${question.step} of iteration ${question.iteration}`;
    this.form = new AnswerForm($("j-fields"), question);
    $("j-field-error").hidden = true;
    $("j-btn-send").disabled = false;
    if (question.answered) {
      this.remember(question, question.yours);
      $("j-sent-answer").textContent = this.form.shown(question.yours);
      this.state("sent");
      return;
    }
    this.awaiting = null;
    this.state("question");
  }

  /** Send the answer once: the same Idempotency-Key on each retry of a failed network. */
  async send() {
    const question = this.question;
    let value;
    try {
      value = this.form.read();
    } catch (error) {
      $("j-field-error").textContent = error.message;
      $("j-field-error").hidden = false;
      this.form.focus();
      return;
    }
    $("j-field-error").hidden = true;
    $("j-btn-send").disabled = true;
    this.form.disable(true);
    const key = newKey();
    try {
      await withRetries(() => classes.answer(this.code, question.question_id, this.me.student_token, value, key));
    } catch (error) {
      if (error.status === 409 && error.error.code === "conflict") {
        $("j-status").textContent = "You had answered this already: your first answer is kept.";
        value = undefined;
      } else {
        $("j-field-error").textContent = `Not sent: ${error.message}`;
        $("j-field-error").hidden = false;
        $("j-btn-send").disabled = false;
        this.form.disable(false);
        return;
      }
    }
    if (question !== this.question) return;
    this.remember(question, value);
    $("j-sent-answer").textContent = value === undefined ? "your first one" : this.form.shown(value);
    this.state("sent");
  }

  /**
   * The question answered, kept with the student (a reload still shows its result once it is
   * revealed: a reveal closes the question, so it is no longer the current one).
   */
  remember(question, yours) {
    this.awaiting = question;
    this.me = { ...this.me, last: { question, yours } };
    localStorage.setItem(`gradwalk-student:${this.code}`, JSON.stringify(this.me));
  }

  /** The result of the question answered, once it is revealed (a 409 before). */
  async checkResult() {
    const question = this.awaiting;
    let got;
    try {
      got = await classes.result(this.code, question.question_id, this.me.student_token);
    } catch (error) {
      if (transient(error)) throw error;
      return;  // not revealed yet
    }
    if (question !== this.awaiting) return;
    this.showResult(question, got);
  }

  showResult(question, result) {
    $("j-result-prompt").textContent = question.prompt;
    $("j-verdict").textContent = result.correct ? "✓ Right" : "✗ Not quite";
    $("j-verdict").dataset.correct = String(Boolean(result.correct));
    $("j-expected").textContent = written(result.expected);
    $("j-expected").dataset.value = JSON.stringify(result.expected);
    $("j-yours").textContent = written(result.yours);
    const explanation = result.explanation || {};
    $("j-narration").textContent = explanation.narration || "";
    const math = safeMathml(explanation.mathml || "");
    if (math) $("j-math").replaceChildren(math);
    else $("j-math").textContent = explanation.latex || "";
    // the step that explains the answer, in this student's own run
    const t = explanation.iteration ?? question.iteration;
    const k = explanation.step ?? question.step;
    $("j-step-link").href = `/?${new URLSearchParams({ run: this.me.run_id, iter: t, step: k })}`;
    this.state("result");
  }
}

new Student();
