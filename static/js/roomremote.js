/**
 * "Ask the room" from the presenter window: the kind and element to ask, Ask (`A`, or Enter
 * in the form) and Reveal (`V`), sent to the viewer that the presenter follows, which asks the
 * server and puts the question on the projector (roomview.js); what the room panel shows comes
 * back (`room` messages) and is mirrored here small: the code, the question, the count of
 * answers and their histogram. Holds no class and no token of its own.
 *
 * `#p-room[data-state]`: `ask`, `open` or `revealed`, as the viewer's `#room`.
 */

import { KINDS } from "./classroom.js";
import { roomChart } from "./roomchart.js";

const $ = (id) => document.getElementById(id);

export class RoomRemote {
  /** `send(message)`: post to the viewer followed */
  constructor(send) {
    this.send = send;
    this.state = "ask";
    for (const [kind, words] of KINDS) $("p-room-kind").append(new Option(words, kind));
    $("p-room-form").addEventListener("submit", (e) => { e.preventDefault(); this.ask(); });
    $("p-room-kind").addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); this.ask(); }
    });
    $("p-room-reveal").addEventListener("click", () => this.send({ type: "room-do", action: "reveal" }));
    $("p-room-new").addEventListener("click", () => this.send({ type: "room-do", action: "new" }));
  }

  ask() {
    this.send({ type: "room-do", action: "ask", kind: $("p-room-kind").value, index: $("p-room-index").value });
  }

  /** The presenter's keys for the room (true: the key was one): A asks (or a new question), V reveals. */
  key(e) {
    if (e.target.closest?.("input, select") && e.key !== "Enter") return false;
    if (e.key === "a" || e.key === "A") {
      if (this.state === "ask") this.ask();
      else this.send({ type: "room-do", action: "new" });
    } else if (e.key === "v" || e.key === "V") {
      this.send({ type: "room-do", action: "reveal" });
    } else {
      return false;
    }
    e.preventDefault();
    return true;
  }

  /** What the viewer's room panel shows now. */
  show(room) {
    const state = !room.question ? "ask" : room.revealed ? "revealed" : "open";
    this.state = state;
    $("p-room").dataset.state = state;
    $("p-room-form").hidden = state !== "ask";
    $("p-room-reveal").hidden = state !== "open";
    $("p-room-new").hidden = state === "ask";
    const parts = [];
    if (room.code) parts.push(`code ${room.code}`);
    if (room.question) {
      parts.push(`${room.answers} answer${room.answers === 1 ? "" : "s"}`
        + (room.students === null ? "" : ` of ${room.students}`)
        + (state === "revealed" && room.correct !== null ? `, ${room.correct} right` : ""));
    }
    $("p-room-status").textContent = room.error || parts.join(" · ");
    $("p-room-status").classList.toggle("error", Boolean(room.error));
    $("p-room-prompt").textContent = room.question?.prompt || "";
    $("p-room-chart").replaceChildren(...(room.question ? [roomChart(room.histogram)] : []));
  }
}
