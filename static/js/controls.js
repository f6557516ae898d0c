/**
 * Buttons, scrubber, speed, phase jumps and the keyboard. One table of shortcuts drives both
 * the key handling and the help overlay, so the overlay says exactly what the keys do. The
 * phase buttons are the run's own phases, in its order.
 */

import { phaseClass, phaseTitle } from "./names.js";

/** Every shortcut: key(s), what the overlay says, what it does. */
export function shortcuts(app) {
  const p = app.player;
  return [
    { keys: [" "], label: "Space", does: "play / pause", run: () => p.toggle() },
    { keys: ["ArrowRight"], label: "→", does: "step forward", run: () => { p.pause(); p.forward(); } },
    { keys: ["ArrowLeft"], label: "←", does: "step back (exactly the previous state)", run: () => { p.pause(); p.back(); } },
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
    { keys: ["m", "M"], label: "M", does: "memory held for backward", run: () => app.overlays.toggle("memory-panel") },
    { keys: ["?"], label: "?", does: "this help", run: () => app.toggleHelp(true) },
    { keys: ["Escape"], label: "Esc", does: "close this help or a panel", run: () => app.closeTop() },
  ];
}

const ARROWS = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"];

const SCROLL = ["PageUp", "PageDown", "Home", "End"];

/**
 * Keys an element keeps for itself (`data-own-keys` on it or an ancestor): "arrows" — a grid
 * or a heatmap moving its cursor with the arrows and picking with Enter or Space; "panel" — a
 * large panel that scrolls with PageUp/PageDown/Home/End and whose focused button Space and
 * Enter press, as on any page (← → still step the viewer behind it).
 */
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
  $("btn-help").addEventListener("click", () => app.toggleHelp(true));
  $("btn-help-close").addEventListener("click", () => app.toggleHelp(false));
  const scrubber = $("scrubber");
  scrubber.addEventListener("input", () => { p.pause(); p.go(p.t, Number(scrubber.value), "scrub"); });

  p.addEventListener("play", (e) => {
    const button = $("btn-play");
    button.setAttribute("aria-pressed", String(e.detail.playing));
    button.textContent = e.detail.playing ? "⏸" : "▶";
  });
  p.addEventListener("speed", (e) => { $("speed-label").textContent = `${e.detail.speed}×`; });

  const list = shortcuts(app);
  const help = $("help-keys");
  help.replaceChildren();
  for (const s of list) {
    const tr = help.insertRow();
    tr.dataset.key = s.keys[0];
    const kbd = document.createElement("kbd");
    kbd.textContent = s.label;
    tr.insertCell().appendChild(kbd);
    tr.insertCell().textContent = s.does;
  }
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest("input, textarea, select") && e.key !== "Escape") return;
    if (ownsKey(e.target, e.key)) return;
    const s = list.find((entry) => entry.keys.includes(e.key));
    if (!s || !p.run) return;
    e.preventDefault();
    // a focused button would also take Space as a click: the shortcut alone acts
    if (document.activeElement instanceof HTMLButtonElement) document.activeElement.blur();
    s.run();
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
