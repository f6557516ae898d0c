/**
 * The first-visit tour: four bubbles, one after the other, pointing at the graph, the step
 * controls, the chain-rule card and the panels, each saying in a sentence what it is for. It
 * shows once: dismissed (Skip, Esc, or Done after the last) it is never shown again in this
 * browser (localStorage), and never in lecture mode or on a presented projector. A dialog
 * that is not modal: the page stays usable behind it. Words only.
 */

const SEEN_KEY = "gradwalk.tour.seen";

/** Each bubble: the element it points at, its title and its sentence. */
export const STOPS = [
  { at: "#graph-area", title: "The graph", words: "Every box is a value: inputs and parameters on the left, the loss on the right. Values flow forward, gradients flow back — one operation per step." },
  { at: "#controls", title: "Step through it", words: "→ and ← take one step (or click ▶▶ ◀◀), Space plays, the phase buttons jump to forward, backward or update. ? lists every key." },
  { at: "#chain", title: "The chain rule", words: "Each backward step writes ∂loss/∂node = upstream gradient × local derivative, with the shapes; One element (E) shows one element's sum with the real numbers." },
  { at: "#tools", title: "Panels", words: "Why reverse? compares forward and reverse mode, Check gradients compares autodiff with finite differences, Memory shows what the backward pass keeps." },
];

const $ = (id) => document.getElementById(id);

function seen() {
  try { return window.localStorage.getItem(SEEN_KEY) === "1"; } catch { return false; }
}

function remember() {
  try { window.localStorage.setItem(SEEN_KEY, "1"); } catch { /* private mode: shown again next time */ }
}

export class Tour {
  constructor(ctx) {
    this.ctx = ctx;
    this.box = $("tour");
    this.at = 0;
    $("tour-next").addEventListener("click", () => this.next());
    $("tour-skip").addEventListener("click", () => this.close());
    this.box.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        this.close();
      }
    });
    window.addEventListener("resize", () => { if (!this.box.hidden) this.place(); });
  }

  /** Show the tour if this browser has not dismissed it (and the page is not a lecture). */
  maybeStart() {
    if (seen() || this.ctx.lecture || document.body.classList.contains("presented")) return;
    this.at = 0;
    this.box.hidden = false;
    document.body.dataset.tour = "open";
    this.show();
  }

  show() {
    const stop = STOPS[this.at];
    $("tour-title").textContent = stop.title;
    $("tour-words").textContent = stop.words;
    $("tour-count").textContent = `${this.at + 1} of ${STOPS.length}`;
    $("tour-next").textContent = this.at === STOPS.length - 1 ? "Done" : "Next";
    this.box.dataset.stop = String(this.at);
    this.place();
    $("tour-next").focus({ preventScroll: true });
  }

  /** Beside the element the bubble points at: below it if there is room, else above, on screen. */
  place() {
    const target = document.querySelector(STOPS[this.at].at);
    const bubble = this.box.getBoundingClientRect();
    const box = target?.getBoundingClientRect();
    const [vw, vh] = [window.innerWidth, window.innerHeight];
    let top = vh / 2 - bubble.height / 2;
    let left = vw / 2 - bubble.width / 2;
    if (box && box.width) {
      const below = box.top + Math.min(box.height, 80) + 8;
      top = below + bubble.height <= vh ? below : Math.max(8, box.top - bubble.height - 8);
      left = Math.min(Math.max(8, box.left + 12), vw - bubble.width - 8);
    }
    this.box.style.top = `${Math.round(Math.max(8, Math.min(top, vh - bubble.height - 8)))}px`;
    this.box.style.left = `${Math.round(Math.max(8, left))}px`;
    document.querySelector(".tour-target")?.classList.remove("tour-target");
    target?.classList.add("tour-target");
  }

  next() {
    if (this.at === STOPS.length - 1) this.close();
    else {
      this.at += 1;
      this.show();
    }
  }

  /** Dismissed: never again in this browser. */
  close() {
    remember();
    this.box.hidden = true;
    delete document.body.dataset.tour;
    document.querySelector(".tour-target")?.classList.remove("tour-target");
    $("graph-area").focus({ preventScroll: true });
  }
}
