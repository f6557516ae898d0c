/**
 * The REST API of docs/json.md, and nothing else: every fetch of the viewer goes through here.
 * Errors come back as ApiError carrying the server's JSON error body. Where the answers come
 * from is a source: this server (fetch) unless a page brings its own (`useSource`, source.js).
 */

import { decodeIteration } from "./compact.js";

const BASE = "/api/v1";

/** An error answer of the API: `status`, and `error` as the server sent it. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.error = error || {};
  }
}

/** (url, options) -> Promise<Response>: the live API, or a page's recorded answers */
let source = (url, options) => fetch(url, options);

/** Answer every request of the viewer from `fetchLike` instead of the server. */
export function useSource(fetchLike) { source = fetchLike; }

async function request(path, options = {}) {
  const response = await source(BASE + path, options);
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, body?.error || { message: response.statusText });
  }
  return response;
}

const json = async (path, options) => (await request(path, options)).json();

/** The presets, and what a run of your own source uses for the fields it leaves out. */
export const listPresets = () => json("/presets");
export const getPreset = (id) => json(`/presets/${encodeURIComponent(id)}`);

/** Create (or find: the same body gives the same id) a run. */
export const createRun = (body) => json("/runs", {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

/** An ONNX model file's bytes as Gradwalk source and a run of it (`loss`: "" for the model's
 * own scalar output, "mse" or "cross_entropy"). */
export const postImport = (bytes, loss) => json(
  `/imports${loss ? `?${new URLSearchParams({ loss })}` : ""}`,
  { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: bytes },
);

export const getRun = (runId) => json(`/runs/${runId}`);
/** The run's graph drawn with the groups `names` collapsed (docs/json.md, Layout). */
/** The graph with the groups `names` collapsed; `stacked`: identical ones in a row as one box. */
export const getLayout = (runId, names, stacked = false) =>
  json(`/runs/${runId}/layout?${new URLSearchParams({ collapsed: names.join(","),
    ...(stacked ? { stacked: "true" } : {}) })}`);
export const getLosses = (runId) => json(`/runs/${runId}/losses`);
/** The losses of iterations start … stop − 1: a page (lossfeed.js). */
export const getLossPage = (runId, start, stop) =>
  json(`/runs/${runId}/losses?start=${start}&stop=${stop}`);
/** Iteration t as one document: its steps, every tensor summary once, what each step changed
 * (decoded from the compact form it is sent in: compact.js). */
export const getIteration = async (runId, t) =>
  decodeIteration(await json(`/runs/${runId}/iterations/${t}`));
/** One element of what backward step k sends to `to` as its sum (docs/json.md, One element);
 * `index` null: the server picks the largest. */
export const getElement = (runId, t, k, to, index) => json(`/runs/${runId}/iterations/${t}/steps/${k}/element?${
  new URLSearchParams({ to, ...(index ? { index: index.join(",") } : {}) })}`);
export const getScript = async (runId) => (await request(`/runs/${runId}/code`)).text();

/** Where the exact values of a node's value or gradient download as a .npy file. */
export const tensorUrl = (runId, t, k, nodeId, which) =>
  `${BASE}/runs/${runId}/iterations/${t}/steps/${k}/tensors/${encodeURIComponent(nodeId)}/${which}?format=npy`;

export const codeUrl = (runId) => `${BASE}/runs/${runId}/code`;

/**
 * Forward against reverse mode for the Jacobian of `of` w.r.t. the leaves `wrt` (both optional:
 * the loss, every parameter). Measured on the server: it can take a few seconds; `signal`
 * aborts it.
 */
export function getModes(runId, { of = null, wrt = null } = {}, signal = undefined) {
  const q = new URLSearchParams();
  if (of) q.set("of", of);
  if (wrt) q.set("wrt", wrt.join(","));
  const query = q.toString();
  return json(`/runs/${runId}/modes${query ? `?${query}` : ""}`, { signal });
}

/** Autodiff against central differences at iteration t, in float64 or float32. */
export const getGradcheck = (runId, t, dtype = "float64", signal = undefined) =>
  json(`/runs/${runId}/iterations/${t}/gradcheck${dtype === "float64" ? "" : `?dtype=${dtype}`}`,
    { signal });

/** The run's memory ledger: bytes held after each step, the peak, each node held. */
export const getMemory = (runId) => json(`/runs/${runId}/memory`);

/** A preset's peak bytes for each of `values` of its integer parameter `vary`. */
export function getPresetMemory(presetId, vary, values, params = {}) {
  const q = new URLSearchParams({ vary, values: values.join(",") });
  for (const [name, value] of Object.entries(params)) {
    if (name !== vary) q.set(`params.${name}`, String(value));
  }
  return json(`/presets/${encodeURIComponent(presetId)}/memory?${q}`);
}

/** SymPy's derivative of the loss with respect to `wrt[index]` ("0, 3"; "" for a scalar). */
export function getSymbolic(runId, wrt, index, t = 0) {
  const q = new URLSearchParams({ wrt });
  if (index) q.set("index", index);
  if (t) q.set("iteration", String(t));
  return json(`/runs/${runId}/symbolic?${q}`);
}

/** A preset's symbolic and tape sizes for each of `values` of its integer parameter `vary`. */
export function getPresetSymbolic(presetId, vary, values, params = {}) {
  const q = new URLSearchParams({ vary, values: values.join(",") });
  for (const [name, value] of Object.entries(params)) {
    if (name !== vary) q.set(`params.${name}`, String(value));
  }
  return json(`/presets/${encodeURIComponent(presetId)}/symbolic?${q}`);
}
