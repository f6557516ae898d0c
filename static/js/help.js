/**
 * The help (`?`): a modal dialog listing every shortcut, with the key to the colours (the run's
 * quantities) and to the marks on the graph. It takes the focus, keeps Tab inside its own
 * controls, and gives the focus back where it was when it closes.
 */

import { marksList } from "./marks.js";
import { quantity, quantityClass } from "./names.js";

const $ = (id) => document.getElementById(id);

export class Help {
  constructor() {
    this.box = $("help");
    /** what had the focus when the help opened */
    this.returnTo = null;
    // the help is modal: Tab and Shift+Tab go round its own controls
    this.box.addEventListener("keydown", (e) => {
      if (e.key !== "Tab") return;
      const inside = [...this.box.querySelectorAll("button, [href], input, [tabindex='0']")];
      const at = inside.indexOf(document.activeElement);
      e.preventDefault();
      inside[(at + (e.shiftKey ? -1 : 1) + inside.length) % inside.length]?.focus();
    });
    $("marks-legend").replaceChildren(marksList());
  }

  /** The colour key: one swatch per quantity of the run. */
  showLegend(quantities) {
    const legend = $("legend");
    legend.replaceChildren("Colours: ");
    quantities.forEach((q, i) => {
      const words = quantity(q);
      const swatch = document.createElement("span");
      swatch.className = `swatch ${quantityClass(q)}`;
      legend.append(i ? ", " : "", `${words.noun} `, swatch, ` ${words.colour}`);
    });
    legend.append(".");
  }

  get open() { return !this.box.hidden; }

  toggle(show) {
    if (show === this.open) return;
    this.box.hidden = !show;
    document.body.toggleAttribute("data-help", show);
    if (show) {
      this.returnTo = document.activeElement;
      this.box.querySelector(".help-card").focus({ preventScroll: true });
    } else if (this.returnTo?.isConnected && this.returnTo !== document.body) {
      this.returnTo.focus({ preventScroll: true });
    } else {
      $("graph-area").focus({ preventScroll: true });
    }
  }
}
