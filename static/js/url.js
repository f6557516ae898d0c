/**
 * Deep links: the URL always holds run, iteration, step and mode (`/?run=…&iter=…&step=…`),
 * and the browser's back/forward walk through the states the user visited.
 */

export function readUrl() {
  const q = new URLSearchParams(window.location.search);
  const int = (name) => (q.has(name) && /^\d+$/.test(q.get(name)) ? Number(q.get(name)) : null);
  return { run: q.get("run"), t: int("iter"), k: int("step"), mode: q.get("mode") };
}

/** Replacements while playing or scrubbing wait this long, the last one wins. */
const REPLACE_DELAY_MS = 250;
let pending = 0;

/**
 * Record a position: a new history entry for a user's move at once; while playing or
 * scrubbing, the current entry replaced, at most every REPLACE_DELAY_MS (browsers refuse
 * hundreds of history writes a second, and scrubbing makes them).
 */
export function writeUrl(where, push) {
  clearTimeout(pending);
  if (push) write(where, true);
  else pending = setTimeout(() => write(where, false), REPLACE_DELAY_MS);
}

function write({ run, t, k, lecture }, push) {
  const q = new URLSearchParams({ run, iter: String(t), step: String(k) });
  if (lecture) q.set("mode", "lecture");
  const url = `/?${q}`;
  if (url === window.location.pathname + window.location.search) return;
  const state = { run, t, k, lecture };
  try {
    if (push) window.history.pushState(state, "", url);
    else window.history.replaceState(state, "", url);
  } catch {
    // over the browser's rate of history writes: the position shown is still right
  }
}
