/**
 * A run's losses page by page (`GET …/losses?start=S&stop=E`, docs/json.md "Losses"): the
 * server trains only as far as a page's stop, so the chart draws a cold run's first points at
 * once and the rest as it trains. Pages of 16, 16, 32, 64, … iterations (doubling, at most 256):
 * the same boundaries every time, so caches hold them. A source without pages (a server from
 * before them answers the whole list to any query; a one-file page holds only the whole list)
 * gets one request for the whole list. Fetches only; the chart draws.
 */

import * as api from "./api.js";

const FIRST_PAGE = 16;
const LARGEST_PAGE = 256;
/** a busy server (503) is asked again for the same page, this many times, this long apart */
const RETRIES = 5;
const RETRY_MS = 1000;

/** The stop of the page that starts at `start` of a run of `n` iterations. */
export function pageStop(start, n) {
  return Math.min(n, start + Math.min(LARGEST_PAGE, Math.max(FIRST_PAGE, start)));
}

async function page(runId, start, stop) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await api.getLossPage(runId, start, stop);
    } catch (error) {
      if (error.status !== 503 || attempt >= RETRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

/**
 * The losses of a run of `n` iterations: `onLosses(known)` after each page with every loss
 * known so far (the same array, grown), until all n are; stops early once `wanted()` is false
 * (another run shown). Resolves when done; rejects with the first error.
 */
export async function feedLosses(runId, n, onLosses, wanted = () => true) {
  const known = [];
  let first;
  try {
    first = await page(runId, 0, pageStop(0, n));
  } catch (error) {
    if (error.status !== 404) throw error;
    first = null;  // a source holding only the whole list
  }
  if (!wanted()) return;
  if (!first || first.start === undefined) {
    const whole = first ?? await api.getLosses(runId);
    if (wanted()) onLosses(whole.losses);
    return;
  }
  known.push(...first.losses);
  onLosses(known);
  for (let start = first.stop; start < n && wanted(); start = pageStop(start, n)) {
    const next = await page(runId, start, pageStop(start, n));
    if (!wanted()) return;
    known.push(...next.losses);
    onLosses(known);
  }
}
