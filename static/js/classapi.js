/**
 * The class routes of docs/json.md (Classes), for the teacher's viewer and the student's
 * page: every class request goes through here. Tokens travel only in the Authorization
 * header, never in a URL. A poll sends the ETag it holds and gets `null` back on a 304 (the
 * document has not changed). Errors are api.js's ApiError (the server's JSON error body).
 */

import { ApiError } from "./api.js";

const BASE = "/api/v1/classes";

async function send(path, { method = "GET", token = null, body = undefined, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  // no-store: the browser's cache never answers for the server, and a 304 reaches us
  const response = await fetch(BASE + path, {
    method, headers: h, cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 304 || response.status === 204) return response;
  if (!response.ok) {
    let error = null;
    try { error = (await response.json())?.error; } catch { /* not JSON */ }
    throw new ApiError(response.status, error || { message: response.statusText });
  }
  return response;
}

const json = async (path, options) => (await send(path, options)).json();
const code = (c) => encodeURIComponent(c);

// ----- the teacher -----

/** A class for the run: `{class_id, code, teacher_token, join_url}` (the token is shown once). */
export const createClass = (runId, title) => json("", { method: "POST", body: title ? { run_id: runId, title } : { run_id: runId } });

/** Open a question (closing the one before): `{question_id, prompt}`. */
export const askQuestion = (cls, question) =>
  json(`/${cls.class_id}/questions`, { method: "POST", token: cls.teacher_token, body: question });

/**
 * The room's answers to a question (`{students, answers, correct, histogram, revealed, …}`),
 * or null when it has not changed since the document whose `etag` is given.
 */
export async function pollQuestion(cls, questionId, etag = null) {
  const response = await send(`/${cls.class_id}/questions/${questionId}`, {
    token: cls.teacher_token, headers: etag ? { "If-None-Match": etag } : {},
  });
  if (response.status === 304) return null;
  return { doc: await response.json(), etag: response.headers.get("ETag") };
}

export const reveal = (cls, questionId) =>
  send(`/${cls.class_id}/questions/${questionId}/reveal`, { method: "POST", token: cls.teacher_token });

/** Where the projector's QR code of the join link is drawn (by the server). */
export const qrUrl = (classCode) => `${BASE}/${code(classCode)}/qr.svg`;

// ----- everyone -----

/** What anyone with the code may know of a class (`{code, title, join_url, …}`). */
export const getClass = (classCode) => json(`/${code(classCode)}`);

// ----- the student -----

/** Join: `{student_id, student_token, run_id}` — the student's own run (`key`: as for answers). */
export const join = (classCode, name, key) =>
  json(`/${code(classCode)}/students`, { method: "POST", body: name ? { name } : {},
    headers: { "Idempotency-Key": key } });

/** The open question with this student's numbers, or null when none is open (204). */
export async function currentQuestion(classCode, token) {
  const response = await send(`/${code(classCode)}/questions/current`, { token });
  return response.status === 204 ? null : response.json();
}

/** Answer once; the same `key` (Idempotency-Key) makes a retry safe. */
export const answer = (classCode, questionId, token, value, key) =>
  json(`/${code(classCode)}/questions/${questionId}/answers`, {
    method: "POST", token, body: { answer: value }, headers: { "Idempotency-Key": key },
  });

/** This student's result after the reveal: `{correct, expected, yours, explanation}`. */
export const result = (classCode, questionId, token) =>
  json(`/${code(classCode)}/questions/${questionId}/result`, { token });
