/**
 * A deep link (`?run=…&iter=…&step=…&collapsed=…`) that cannot be shown as written: what is
 * wrong with it, in plain words over the graph (`#link-error`), with the default graph a click
 * away when there is nothing else to show.
 */

const $ = (id) => document.getElementById(id);

/** What is wrong with a deep link's run (a failed `GET /runs/{id}`), in plain words. */
export function linkWords(error) {
  if (error.status === 404) {
    return "This link does not lead to a run this server can open: its run id is incomplete or "
      + "mistyped (a link cut short when it was copied looks like this).";
  }
  if (error.status === 413) return "This link's run is larger than this server allows.";
  if (error.status === 400 || error.status === 422) return "This link's run id is damaged: it cannot be read.";
  if (error.status) return "This link's run could not be opened: the server failed to answer it.";
  return "This link's run could not be opened: the server could not be reached.";
}

/**
 * What of the link the run does not have: `unknown` collapsed groups, an iteration or step
 * past its last, a number that is not one (`query`: the page's search parameters).
 */
export function linkProblems(where, run, unknown, query) {
  const problems = [];
  if (unknown.length) {
    problems.push(`collapsed= names ${unknown.length === 1 ? "a group" : "groups"} this run `
      + `does not have (${unknown.join(", ")})`);
  }
  for (const [name, value, last] of [["iter", where.t, run.iterations - 1], ["step", where.k, run.steps_per_iteration - 1]]) {
    if (query.has(name) && value === null) problems.push(`${name}=${query.get(name)} is not a whole number`);
    else if (value !== null && value > last) problems.push(`${name}=${value} is past this run's last, ${last}`);
  }
  return problems;
}

/** Say what is wrong with the link; `offer` the default graph (when there is nothing to show). */
export function showLinkError(words, detail, offer) {
  const box = $("link-error");
  box.querySelector(".link-error-message").textContent = words;
  const more = box.querySelector(".link-error-detail");
  more.textContent = detail ? `The server says: ${detail}` : "";
  more.hidden = !detail;
  $("btn-default-graph").hidden = !offer;
  box.dataset.offer = offer ? "default" : "";
  box.hidden = false;
}
