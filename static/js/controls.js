/**
 * Buttons, scrubber, speed, phase jumps, what Play plays, and the keyboard. One table of
 * shortcuts drives both the key handling and the help overlay, so the overlay says exactly
 * what the keys do. The phase buttons are the run's own phases, in its order.
 */

import { phaseClass, phaseTitle } from "./names.js";

/**
 * Every shortcut: key(s), what the overlay says, what it does; `shift: true` only with Shift
 * held, `shift: false` only without (else either).
 */
export function shortcuts(app) {
  const p = app.player;
  /** lecture.js's tools (made after the controls are bound) */
  const lt = () => app.lectureTools;
  return [
    { keys: [" "], label: "Space", does: "play / pause", run: () => p.toggle() },
    { keys: ["t", "T"], label: "T", does: "Play plays this iteration / training (iteration after iteration)", run: () => p.toggleScope() },
    { keys: ["ArrowRight"], shift: false, label: "→", does: "step forward (from the last step, the next iteration)", run: () => { p.pause(); p.forward(); } },
    { keys: ["ArrowLeft"], shift: false, label: "←", does: "step back (exactly the previous state)", run: () => { p.pause(); p.back(); } },
    { keys: ["Home"], label: "Home", does: "first step of the iteration", run: () => { p.pause(); p.go(p.t, 0); } },
    { keys: ["End"], label: "End", does: "last step of the iteration", run: () => { p.pause(); p.go(p.t, p.lastStep); } },
    { keys: ["PageDown"], label: "PageDown", does: "start of the next phase", run: () => { p.pause(); p.phaseJump(1); } },
    { keys: ["PageUp"], label: "PageUp", does: "start of the previous phase", run: () => { p.pause(); p.phaseJump(-1); } },
    { keys: ["["], label: "[", does: "slower", run: () => p.faster(-1) },
    { keys: ["]"], label: "]", does: "faster", run: () => p.faster(1) },
    { keys: ["f", "F"], label: "F", does: "fullscreen", run: () => app.toggleFullscreen() },
    { keys: ["l", "L"], label: "L", does: "lecture mode (large, high contrast)", run: () => app.toggleLecture() },
    { keys: ["r", "R"], label: "R", does: "reverse / forward mode", run: () => app.modeSwitch.toggle() },
    { keys: ["w", "W"], label: "W", does: "why reverse? (forward vs reverse)", run: () => app.overlays.toggle("why") },
    { keys: ["g", "G"], label: "G", does: "check gradients (vs numerical)", run: () => app.overlays.toggle("gradcheck") },
    { keys: ["s", "S"], label: "S", does: "symbolic differentiation (the derivative written out)", run: () => app.overlays.toggle("symbolic") },
    { keys: ["m", "M"], label: "M", does: "memory held for backward", run: () => app.overlays.toggle("memory-panel") },
    { keys: ["+", "="], label: "+", does: "zoom in", run: () => lt().zoom(1) },
    { keys: ["-", "_"], label: "−", does: "zoom out", run: () => lt().zoom(-1) },
    { keys: ["0"], label: "0", does: "fit the whole graph", run: () => lt().zoom(0) },
    { keys: ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"], shift: true, id: "Shift+Arrows", label: "Shift + arrows",
      does: "pan the graph", run: (e) => lt().pan(PAN[e.key][0], PAN[e.key][1]) },
    { keys: ["c", "C"], label: "C", does: "camera follows the step (on / off)", run: () => lt().toggleFollow() },
    { keys: ["/"], label: "/", does: "find a node by name", run: () => lt().search.open() },
    { keys: ["i", "I"], label: "I", does: "inspect a node, large (the step's if none)", run: () => lt().toggleInspector() },
    { keys: ["n", "N"], label: "N", does: "the whole narration / two lines (lecture)", run: () => lt().toggleNarration() },
    { keys: ["a", "A"], label: "A", does: "ask the room a question about this step (V reveals)", run: () => app.room.toggle() },
    { keys: ["e", "E"], label: "E", does: "one element at a time: its sum with the real numbers (backward steps)", run: () => app.element.toggle() },
    { keys: ["x", "X"], label: "X", does: "export the step as a slide (PNG / SVG, caption) or copy its link", run: () => app.exporter.toggle() },
    { keys: ["p", "P"], label: "P", does: "presenter view: a second window for you", run: () => lt().presenter.open() },
    { keys: ["?"], label: "?", does: "this help", run: () => app.help.toggle(true) },
    { keys: ["Escape"], label: "Esc", does: "close this help or a panel", run: () => app.closeTop() },
  ];
}

const ARROWS = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"];
/** Shift + an arrow: which way the view moves */
const PAN = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

const SCROLL = ["PageUp", "PageDown", "Home", "End"];

/**
 * Keys an element keeps for itself (`data-own-keys` on it or an ancestor): "arrows" — a grid
 * or a heatmap moving its cursor with the arrows and picking with Enter or Space; "panel" — a
 * large panel that scrolls with PageUp/PageDown/Home/End and whose focused button Space and
 * Enter press, as on any page (← → still step the viewer behind it).
 */
/**
 * A key typed into a field. Not so in a dialog just closed: Esc closes it at once, but the
 * browser gives focus back to the page a moment later, and a key pressed in between is the
 * page's shortcut, not typing into a field nobody sees.
 */
function typing(target) {
  return Boolean(target.closest("input, textarea, select")) && !target.closest("dialog:not([open])");
}

function ownsKey(target, key) {
  const own = target.closest?.("[data-own-keys]")?.dataset.ownKeys;
  const activate = (key === " " || key === "Enter") && target.matches("button, [role='button']");
  if (own === "arrows") return ARROWS.includes(key) || activate;
  if (own === "panel") return SCROLL.includes(key) || activate;
  return false;
}

export function bindControls(app) {
  const p = app.player;
  const $ = (id) => document.getElementById(id);
  $("btn-start").addEventListener("click", () => { p.pause(); p.go(p.t, 0); });
  $("btn-back").addEventListener("click", () => { p.pause(); p.back(); });
  $("btn-play").addEventListener("click", () => p.toggle());
  $("btn-forward").addEventListener("click", () => { p.pause(); p.forward(); });
  $("btn-end").addEventListener("click", () => { p.pause(); p.go(p.t, p.lastStep); });
  $("btn-slower").addEventListener("click", () => p.faster(-1));
  $("btn-faster").addEventListener("click", () => p.faster(1));
  $("btn-lecture").addEventListener("click", () => app.toggleLecture());
  $("btn-help").addEventListener("click", () => app.help.toggle(true));
  $("btn-help-close").addEventListener("click", () => app.help.toggle(false));
  const scrubber = $("scrubber");
  // "drag": the graph at every step passed, the words where the scrubber rests (main.js)
  scrubber.addEventListener("input", () => { p.pause(); p.go(p.t, Number(scrubber.value), "drag"); });

  p.addEventListener("play", (e) => {
    const button = $("btn-play");
    button.setAttribute("aria-pressed", String(e.detail.playing));
    button.textContent = e.detail.playing ? "⏸" : "▶";
  });
  p.addEventListener("speed", (e) => { $("speed-label").textContent = `${e.detail.speed}×`; });
  $("btn-scope").addEventListener("click", () => p.toggleScope());
  p.addEventListener("scope", (e) => {
    $("btn-scope").setAttribute("aria-pressed", String(e.detail.scope === "training"));
    document.body.dataset.playScope = e.detail.scope;
  });
  document.body.dataset.playScope = p.scope;

  const list = shortcuts(app);
  const help = $("help-keys");
  help.replaceChildren();
  for (const s of list) {
    const tr = help.insertRow();
    tr.dataset.key = s.id || s.keys[0];
    const kbd = document.createElement("kbd");
    kbd.textContent = s.label;
    tr.insertCell().appendChild(kbd);
    tr.insertCell().textContent = s.does;
  }
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target) && e.key !== "Escape") return;
    if (ownsKey(e.target, e.key)) return;
    // a modal dialog (export, clip, handout) keeps its keys: Esc closes it, as browsers do
    if (e.target.closest?.("dialog[open]")) return;
    const s = list.find((entry) => entry.keys.includes(e.key)
      && (entry.shift === undefined || entry.shift === e.shiftKey));
    if (!s || !p.run) return;
    e.preventDefault();
    // a focused button would also take Space as a click: the shortcut alone acts
    if (document.activeElement instanceof HTMLButtonElement) document.activeElement.blur();
    s.run(e);
  });
}

/** Phase buttons (one per phase the run declares) and the scrubber's range for a run. */
export function showPhases(app) {
  const box = document.getElementById("phases");
  box.replaceChildren();
  for (const [phase, [first, last]] of Object.entries(app.player.run.phases)) {
    if (last < first) continue;
    const b = document.createElement("button");
    b.type = "button";
    b.className = `phase ${phaseClass(phase)}`;
    b.dataset.phase = phase;
    b.textContent = phaseTitle(phase);
    b.title = `jump to the start of the ${phase} phase (step ${first})`;
    b.addEventListener("click", () => { app.player.pause(); app.player.go(app.player.t, first); });
    box.appendChild(b);
  }
  const scrubber = document.getElementById("scrubber");
  scrubber.max = String(app.player.lastStep);
}

export function showPosition(run, t, k, step) {
  document.getElementById("scrubber").value = String(k);
  const label = document.getElementById("step-label");
  label.textContent = `Step ${k} / ${run.steps_per_iteration - 1} · ${step.phase} · iteration ${t}`;
  label.title = label.textContent;
  for (const b of document.querySelectorAll("#phases .phase")) {
    b.classList.toggle("now", b.dataset.phase === step.phase);
  }
}
