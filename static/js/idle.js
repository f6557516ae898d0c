/**
 * Work for later: small tasks run while the browser is idle, a few milliseconds at a time, so
 * they never delay a frame. Used to prepare what a step will show (its heatmaps drawn) before
 * the user scrubs to it; a later batch replaces an unfinished one. While
 * the page waits for an answer a user is waiting for (`meanwhile`), no slice starts: the answer
 * is drawn the moment it comes, and the server has the cores to itself.
 */

const BUDGET_MS = 8;
const whenIdle = window.requestIdleCallback
  ? (fn) => window.requestIdleCallback(fn, { timeout: 2000 })
  : (fn) => setTimeout(() => fn({ timeRemaining: () => BUDGET_MS }), 50);

let batch = 0;
/** answers the user waits for, and the slice parked until they have all come */
let waits = 0;
let parked = null;

/** `promise`, with no idle work started until it settles. */
export async function meanwhile(promise) {
  waits += 1;
  try {
    return await promise;
  } finally {
    waits -= 1;
    if (!waits && parked) {
      whenIdle(parked);
      parked = null;
    }
  }
}

/** Run `tasks` (an iterable of functions) in idle time, dropping any batch still running. */
export function inIdleTime(tasks) {
  const mine = ++batch;
  const queue = tasks[Symbol.iterator]();
  const slice = (deadline) => {
    if (mine !== batch) return;
    if (waits) {
      parked = slice;
      return;
    }
    // an idle period may be 50 ms long: a click or an answer arriving meanwhile waits for the
    // slice, so a slice takes BUDGET_MS at most
    const end = performance.now() + BUDGET_MS;
    while (deadline.timeRemaining() > 1 && performance.now() < end) {
      const next = queue.next();
      if (next.done) return;
      next.value();
    }
    whenIdle(slice);
  };
  whenIdle(slice);
}
