/**
 * The motion of a step taken forward in a graph view (render.js): the node it computes
 * flashes, arrivals ("+= 2/3") are written above the nodes a gradient reaches, and a dot per
 * travelling quantity runs along each of its edges. Draws only.
 */

import { cssName, quantityClass, travelling } from "./names.js";
import { el, text } from "./svg.js";

/**
 * Pulses for a step taken forward: one per quantity that travels in the step's phase —
 * values (and a forward-mode run's tangents, just behind) along the input edges, gradients
 * back along them.
 */
export function animateStep(view, step, duration) {
  view.fxLayer.replaceChildren();
  if (!step || (!step.node && !step.edges.length)) return;
  const target = view.nodes.get(view.alias.get(step.node) ?? step.node);
  if (target) {
    target.g.classList.remove("flash");
    void target.g.getBBox();
    target.g.classList.add("flash", `flash-${step.phase}`);
    setTimeout(() => target.g.classList.remove("flash", `flash-${step.phase}`), duration);
  }
  // above the box, and above a custom op's badge
  const above = (box) => box.cy - view.geo.h / 2 - 3 - (box.badge ? view.geo.row + 2 : 0);
  for (const c of step.contributions || []) {
    const to = view.nodes.get(c.to);
    if (!to) continue;
    const label = text(view.fxLayer, "arrival", to.cx + view.geo.w / 2, above(to),
      `${c.accumulate ? "+=" : "="} ${c.arrived}/${c.expected}`);
    label.setAttribute("text-anchor", "end");
  }
  if (step.phase === "update" && target) {
    const delta = text(view.fxLayer, "arrival delta", target.cx + view.geo.w / 2,
      above(target), "Δ = −lr·∂");
    delta.setAttribute("text-anchor", "end");
  }
  if (view.reducedMotion) return;
  const backward = step.phase === "backward";
  const carried = travelling(step.phase, view.quantities);
  for (const id of step.edges) {
    const edge = view.edges.get(id);
    if (!edge) continue;
    // each quantity a little behind the one before: a tangent follows its value
    carried.forEach((q, i) => pulse(view, edge.path, backward, duration, q, i * 0.12));
  }
}

/** A dot of quantity `which` along an edge (backwards for a gradient), `lag` of the way behind. */
function pulse(view, path, backward, duration, which, lag = 0) {
  const length = path.getTotalLength();
  const dot = el("circle", { r: view.mode === "lecture" ? 11 : 7,
    class: `pulse pulse-${cssName(which)} ${quantityClass(which)}` }, view.fxLayer);
  const start = performance.now();
  const frame = (now) => {
    const f = Math.max(0, Math.min(1, (now - start) / duration * (1 + lag) - lag));
    const eased = f < 0.5 ? 2 * f * f : 1 - (-2 * f + 2) ** 2 / 2;
    const at = path.getPointAtLength(length * (backward ? 1 - eased : eased));
    dot.setAttribute("cx", at.x);
    dot.setAttribute("cy", at.y);
    if (f < 1 && dot.isConnected) requestAnimationFrame(frame);
    else dot.remove();
  };
  requestAnimationFrame(frame);
}
