/**
 * Deep links: the URL always holds run, iteration, step and mode (`/?run=…&iter=…&step=…`),
 * and the collapsed groups when they are not the run's default (`&collapsed=layer 1,layer 2`;
 * `collapsed=` with nothing: every group expanded); the browser's back/forward walk through the
 * states the user visited.
 */

export function readUrl() {
  const q = new URLSearchParams(window.location.search);
  const int = (name) => (q.has(name) && /^\d+$/.test(q.get(name)) ? Number(q.get(name)) : null);
  return {
    run: q.get("run"), t: int("iter"), k: int("step"), mode: q.get("mode"),
    collapsed: q.has("collapsed") ? q.get("collapsed") : null,
  };
}

/** The run `/` opens when its link names none, if the page names it (app/web/pages.py). */
export const seedRun = () => document.querySelector('meta[name="gradwalk-seed-run"]')?.content || null;

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

function write({ run, t, k, lecture, collapsed = null }, push) {
  const q = new URLSearchParams({ run, iter: String(t), step: String(k) });
  if (lecture) q.set("mode", "lecture");
  if (collapsed !== null) q.set("collapsed", collapsed);
  // the page's own path: `/`, or a one-file page's (walk.html, page.html)
  const url = `${window.location.pathname}?${q}`;
  if (url === window.location.pathname + window.location.search) return;
  const state = { run, t, k, lecture, collapsed };
  try {
    if (push) window.history.pushState(state, "", url);
    else window.history.replaceState(state, "", url);
  } catch {
    // over the browser's rate of history writes: the position shown is still right
  }
}
