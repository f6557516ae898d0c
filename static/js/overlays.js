/**
 * The large panels over the page (Why reverse?, Check gradients, Memory): one open at a time,
 * opened by a button or a key, closed by its Close button, Esc or a click beside it; focus
 * goes into the panel and back to where it was. Each panel is an object with `open()` (show
 * what the viewer is on now) and optionally `follow()` (the step or iteration moved meanwhile)
 * and `close()`. Owns no content.
 */

export class Overlays {
  constructor() {
    /** id -> { element, panel } */
    this.panels = new Map();
    this.openId = null;
    this.returnFocus = null;
  }

  /** Register the panel object for the overlay `#id` (its close button and backdrop wired). */
  add(id, panel) {
    const element = document.getElementById(id);
    element.querySelector(".overlay-close").addEventListener("click", () => this.close());
    element.addEventListener("click", (e) => { if (e.target === element) this.close(); });
    this.panels.set(id, { element, panel });
  }

  isOpen(id) { return this.openId === id; }

  toggle(id) { return this.isOpen(id) ? this.close() : this.open(id); }

  open(id) {
    const entry = this.panels.get(id);
    if (!entry) return;
    if (this.openId && this.openId !== id) this.close(false);
    if (!this.openId) this.returnFocus = document.activeElement;
    this.openId = id;
    entry.element.hidden = false;
    document.body.dataset.overlay = id;
    entry.panel.open();
    entry.element.querySelector(".overlay-card").focus({ preventScroll: true });
  }

  /** Close the open panel; focus goes back where it was (unless another panel opens). */
  close(restore = true) {
    const entry = this.panels.get(this.openId);
    if (!entry) return false;
    entry.element.hidden = true;
    entry.panel.close?.();
    this.openId = null;
    delete document.body.dataset.overlay;
    if (restore && this.returnFocus?.isConnected) this.returnFocus.focus({ preventScroll: true });
    return true;
  }

  /** The viewer moved (step, iteration or run): the open panel follows. */
  follow() {
    const entry = this.panels.get(this.openId);
    entry?.panel.follow?.();
  }
}
