/**
 * Find a node by name: `/` (or a click in the box) and a few letters list the nodes whose
 * label or id holds them — exact names first, then names that start with them — and Enter
 * centres the chosen one, close enough to read, and gives it the focus (Enter again inspects
 * it). Labels are user text: shown as text, never as HTML.
 *
 * `#search` (`.open` while in use; in lecture mode shown only then), `#node-search` the box,
 * `#search-results li[data-id]` the matches (`aria-selected="true"` on the chosen one),
 * `li.none` when nothing matches; the node found gets `.found` for a moment.
 */

import { READABLE_PX } from "./follow.js";

const MAX_RESULTS = 8;
const FOUND_MS = 1600;

/** How well a node matches the query: 0 exact, 1 prefix, 2 inside, null not at all. */
function rank(node, query) {
  const names = [node.label.toLowerCase(), node.id.toLowerCase()];
  if (names.includes(query)) return 0;
  if (names.some((n) => n.startsWith(query))) return 1;
  if (names.some((n) => n.includes(query))) return 2;
  return null;
}

export class Search {
  /**
   * `view`: the GraphView; `lecture()`: whether lecture mode is on; `groups`: the collapsed
   * groups (a node inside one is found too: its groups are expanded to show it).
   */
  constructor(view, lecture, groups = null) {
    this.view = view;
    this.lecture = lecture;
    this.groups = groups;
    this.form = document.getElementById("search");
    this.input = document.getElementById("node-search");
    this.list = document.getElementById("search-results");
    this.matches = [];
    this.chosen = 0;
    this.input.addEventListener("input", () => this.find());
    this.input.addEventListener("focus", () => { this.form.classList.add("open"); this.find(); });
    this.input.addEventListener("keydown", (e) => this.key(e));
    this.input.addEventListener("blur", () => {
      // a click on a result lands before the list goes
      setTimeout(() => { if (document.activeElement !== this.input) this.close(false); }, 150);
    });
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.go(); });
    this.list.addEventListener("pointerdown", (e) => {
      const li = e.target.closest("li[data-id]");
      if (!li) return;
      e.preventDefault();
      this.chosen = Number(li.dataset.index);
      this.go();
    });
  }

  /** `/`: the box, ready to type in. */
  open() {
    this.form.classList.add("open");
    this.input.focus();
    this.input.select();
  }

  close(clear = true) {
    this.form.classList.remove("open");
    this.list.replaceChildren();
    this.list.hidden = true;
    if (clear) this.input.value = "";
    if (document.activeElement === this.input) this.input.blur();
  }

  /** List the nodes that match what is typed. */
  find() {
    const query = this.input.value.trim().toLowerCase();
    this.list.replaceChildren();
    this.matches = [];
    this.chosen = 0;
    this.list.hidden = !query;
    if (!query) return;
    // every node of the run, those inside collapsed groups too (not only what is drawn)
    const run = this.groups?.run;
    const nodes = run ? run.graph.nodes : [...this.view.nodes.values()].map((v) => v.node);
    this.matches = nodes.map((node) => ({ node, rank: rank(node, query) }))
      .filter((m) => m.rank !== null)
      .sort((a, b) => a.rank - b.rank || a.node.label.length - b.node.label.length)
      .slice(0, MAX_RESULTS).map((m) => m.node);
    if (!this.matches.length) {
      const none = document.createElement("li");
      none.className = "none";
      none.textContent = `no node is called “${this.input.value.trim()}”`;
      this.list.appendChild(none);
      return;
    }
    this.matches.forEach((node, i) => {
      const li = document.createElement("li");
      li.dataset.id = node.id;
      li.dataset.index = String(i);
      li.setAttribute("role", "option");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = node.label;
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = node.op || node.kind;
      li.append(name, " ", kind);
      this.list.appendChild(li);
    });
    this.choose(0);
  }

  choose(i) {
    if (!this.matches.length) return;
    this.chosen = (i + this.matches.length) % this.matches.length;
    for (const li of this.list.querySelectorAll("li[data-id]")) {
      li.setAttribute("aria-selected", String(Number(li.dataset.index) === this.chosen));
    }
  }

  key(e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      this.choose(this.chosen + (e.key === "ArrowDown" ? 1 : -1));
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      this.close();
    }
  }

  /** Centre the chosen match, readable, and focus it (expanding the groups it is in). */
  async go() {
    const node = this.matches[this.chosen];
    if (!node) return;
    this.close(false);
    this.input.value = node.label;
    const groups = this.groups;
    const hiding = (node.groups || []).filter((g) => groups?.collapsed?.has(g));
    if (hiding.length) {
      const names = new Set(groups.collapsed);
      for (const g of hiding) names.delete(g);
      try {
        await groups.apply(names);
      } catch (error) {
        groups.dispatchEvent(new CustomEvent("failure", { detail: error }));
        return;
      }
    }
    this.centre(node.id);
  }

  /** Centre node `id` at a scale where its label reads (never further out than now). */
  centre(id) {
    const view = this.view.nodes.get(id);
    const camera = this.view.camera;
    if (!view || !camera) return;
    const label = view.g.querySelector(".node-label");
    const size = parseFloat(getComputedStyle(label).fontSize) || 14;
    const readable = READABLE_PX[this.lecture() ? "lecture" : "normal"] / size;
    camera.stop();
    camera.centre(view.cx, view.cy, Math.max(camera.view.s, readable), 450);
    camera.moved();
    view.g.classList.add("found");
    setTimeout(() => view.g.classList.remove("found"), FOUND_MS);
    view.g.focus({ preventScroll: true });
  }
}
