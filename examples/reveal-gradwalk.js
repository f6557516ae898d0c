/*
 * Gradwalk in a reveal.js deck: on a slide holding an `iframe.gradwalk`, fragment i shown
 * means step i of the Gradwalk page, fragment i hidden means step i - 1, and entering the
 * slide shows the step of the fragments already visible. reveal.js is yours (see
 * docs/onefile.md); this file only talks to the page with postMessage.
 */
/* global Reveal */

function gradwalkFrame(slide) {
  return slide?.querySelector("iframe.gradwalk") || null;
}

function showStep(slide, step) {
  const frame = gradwalkFrame(slide);
  if (frame) frame.contentWindow.postMessage({ type: "gradwalk:step", step }, "*");
}

function visibleFragments(slide) {
  return slide.querySelectorAll(".fragment.visible").length;
}

Reveal.on("fragmentshown", (e) => showStep(e.fragment.closest("section"), visibleFragments(e.fragment.closest("section"))));
Reveal.on("fragmenthidden", (e) => showStep(e.fragment.closest("section"), visibleFragments(e.fragment.closest("section"))));
Reveal.on("slidechanged", (e) => showStep(e.currentSlide, visibleFragments(e.currentSlide)));
// the page says when it is ready: show it the step its slide is at
window.addEventListener("message", (e) => {
  if (e.data?.type !== "gradwalk:ready") return;
  const slide = [...document.querySelectorAll("iframe.gradwalk")]
    .find((frame) => frame.contentWindow === e.source)?.closest("section");
  if (slide) showStep(slide, visibleFragments(slide));
});

Reveal.initialize({ hash: true });
