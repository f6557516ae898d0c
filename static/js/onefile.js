/**
 * The one-file page's start (imported before main.js, so it runs first): the viewer's
 * requests are answered from the page's data block (source.js), and the page opens at its
 * run, first iteration held and, if asked, in lecture mode — unless its URL already says
 * where (`walk.html?step=5&mode=lecture`). Decides nothing else: the viewer is main.js.
 */

import { useSource } from "./api.js";
import { recordedSource } from "./source.js";

/** the page's data block: `run_id`, `first`/`last` iteration held, `lecture`, `answers` */
export const held = JSON.parse(document.getElementById("gradwalk-data").textContent);

useSource(recordedSource(held.answers, held));
document.body.classList.add("onefile");
const q = new URLSearchParams(window.location.search);
if (!q.has("run")) {
  q.set("run", held.run_id);
  if (!q.has("iter")) q.set("iter", String(held.first));
  if (!q.has("step")) q.set("step", "0");
  if (held.lecture && !q.has("mode")) q.set("mode", "lecture");
  window.history.replaceState(null, "", `${window.location.pathname}?${q}`);
}
