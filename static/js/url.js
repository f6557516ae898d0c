/**
 * Deep links: the URL always holds run, iteration, step and mode (`/?run=…&iter=…&step=…`),
 * and the browser's back/forward walk through the states the user visited.
 */

export function readUrl() {
  const q = new URLSearchParams(window.location.search);
  const int = (name) => (q.has(name) && /^\d+$/.test(q.get(name)) ? Number(q.get(name)) : null);
  return { run: q.get("run"), t: int("iter"), k: int("step"), mode: q.get("mode") };
}

/** Record a position: a new history entry for a user's move, replaced while playing. */
export function writeUrl({ run, t, k, lecture }, push) {
  const q = new URLSearchParams({ run, iter: String(t), step: String(k) });
  if (lecture) q.set("mode", "lecture");
  const url = `/?${q}`;
  if (url === window.location.pathname + window.location.search) return;
  const state = { run, t, k, lecture };
  if (push) window.history.pushState(state, "", url);
  else window.history.replaceState(state, "", url);
}
