/**
 * The Export dialog (the graph tools' Export button, or X, in lecture mode too): the step shown
 * as a slide, PNG or SVG, at a chosen width with an optional caption (where in the run, and the
 * narration), and a link that reopens this run at this iteration and step. Owns the dialog and
 * the link; the files are made by exporter.js. No math, no request.
 */

import { DEFAULT_WIDTH, WIDTH_LIMITS, exportPng, exportSvg } from "./exporter.js";

const $ = (id) => document.getElementById(id);
/** how long "copied" stays on the Link button */
const COPIED_MS = 2000;

export class ExportDialog {
  constructor(ctx) {
    this.ctx = ctx;
    this.dialog = $("export-dialog");
    $("export-width").value = String(DEFAULT_WIDTH);
    $("export-width").min = String(WIDTH_LIMITS[0]);
    $("export-width").max = String(WIDTH_LIMITS[1]);
    $("btn-export").addEventListener("click", () => this.open());
    $("btn-export-close").addEventListener("click", () => this.dialog.close());
    $("btn-export-png").addEventListener("click", () => this.save("png"));
    $("btn-export-svg").addEventListener("click", () => this.save("svg"));
    $("btn-copy-link").addEventListener("click", () => this.copyLink($("export-copied")));
    $("btn-link").addEventListener("click", () => this.copyLink(null, $("btn-link")));
    $("export-caption").addEventListener("change", () => this.preview());
    $("export-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.save("png");
    });
  }

  toggle() {
    if (this.dialog.open) this.dialog.close();
    else this.open();
  }

  open() {
    if (!this.ctx.player.run || !this.ctx.current) return;
    this.ctx.player.pause();
    $("export-error").textContent = "";
    $("export-copied").textContent = "";
    $("export-link").value = this.link();
    this.preview();
    this.dialog.showModal();
  }

  /** The caption of the step shown: where in the run, then its narration. */
  caption() {
    const { player, current } = this.ctx;
    const run = player.run;
    return {
      head: `${run.preset || "graph"} · iteration ${player.t} · step ${player.k} of ${player.lastStep}`
        + ` · ${current.step.phase}`,
      body: current.step.narration || "",
    };
  }

  preview() {
    const box = $("export-preview");
    const on = $("export-caption").checked;
    box.hidden = !on;
    if (!on) return;
    const { head, body } = this.caption();
    box.replaceChildren();
    const strong = document.createElement("strong");
    strong.textContent = head;
    box.append(strong, document.createElement("br"), body);
  }

  /** The width asked for, or null with the reason said in the dialog. */
  width() {
    const width = Number($("export-width").value);
    const [low, high] = WIDTH_LIMITS;
    if (!Number.isInteger(width) || width < low || width > high) {
      $("export-error").textContent = `The width is a whole number of pixels from ${low} to ${high}.`;
      return null;
    }
    $("export-error").textContent = "";
    return width;
  }

  async save(format) {
    const width = this.width();
    if (width === null) return;
    const options = { width, caption: $("export-caption").checked ? this.caption() : null };
    const svg = this.ctx.picture.svg;
    const name = this.ctx.fileName();
    try {
      if (format === "png") await exportPng(svg, name, options);
      else exportSvg(svg, name, options);
    } catch (failure) {
      $("export-error").textContent = `The ${format.toUpperCase()} could not be made: ${failure.message}`;
    }
  }

  /**
   * The link to the step shown: this page with the run, the iteration, the step and the
   * collapsed groups, in normal mode (who opens it chooses lecture mode).
   */
  link() {
    const { player, collapsedLink } = this.ctx;
    const q = new URLSearchParams({ run: player.run.run_id, iter: String(player.t), step: String(player.k) });
    if (collapsedLink !== null && collapsedLink !== undefined) q.set("collapsed", collapsedLink);
    return `${window.location.origin}${window.location.pathname}?${q}`;
  }

  /** Copy the link; say so in `note` (or on `button` for a while), or how to copy it by hand. */
  async copyLink(note, button = null) {
    if (!this.ctx.player.run) return;
    const link = this.link();
    $("export-link").value = link;
    let words = "Link copied.";
    try {
      await navigator.clipboard.writeText(link);
    } catch {
      words = "The browser refused to copy: select the link and copy it (Ctrl+C).";
      if (!this.dialog.open) this.open();
      $("export-link").select();
      note = $("export-copied");
    }
    if (note) note.textContent = words;
    if (button && words === "Link copied.") {
      button.textContent = "Copied ✓";
      clearTimeout(this.copiedTimer);
      this.copiedTimer = setTimeout(() => { button.textContent = "Link"; }, COPIED_MS);
    }
  }
}
