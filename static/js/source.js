/**
 * A page's own answers as the viewer's source (api.js `useSource`): a one-file page holds the
 * API's documents for one run, keyed by their path under /api/v1, and answers the viewer's
 * requests from them without a request. What it does not hold is a 404 saying so. Builds
 * answers only: what the documents mean is the viewer's business.
 */

const BASE = "/api/v1";

/** A fetch-like function over `answers` (path -> JSON document, or text for the script). */
export function recordedSource(answers, { first = 0, last = first } = {}) {
  return async (url, options = {}) => {
    const path = url.startsWith(BASE) ? url.slice(BASE.length) : url;
    const found = (options.method || "GET").toUpperCase() === "GET" ? answers[path] : undefined;
    if (found === undefined) return missing(path, first, last);
    if (typeof found === "string") {
      return new Response(found, { headers: { "Content-Type": "text/x-python; charset=utf-8" } });
    }
    return new Response(JSON.stringify(found), { headers: { "Content-Type": "application/json" } });
  };
}

/** The 404 of something this page does not hold, in the API's error shape. */
function missing(path, first, last) {
  const held = first === last ? `iteration ${first}` : `iterations ${first}–${last}`;
  const iteration = /^\/runs\/[^/]+\/iterations\/(\d+)$/.exec(path);
  const message = iteration
    ? `Iteration ${iteration[1]} is not in this one-file page: it holds ${held} of its run.`
    : `This one-file page holds ${held} of one run; ${path.split("?")[0]} needs a Gradwalk `
      + "server (gradwalk serve).";
  return new Response(JSON.stringify({ error: { code: "not_in_page", message } }),
    { status: 404, headers: { "Content-Type": "application/json" } });
}
