/**
 * The audience side of the presenter view: `P` opens /presenter in a second window for the
 * lecturer, and the two stay in step through a BroadcastChannel, both ways — every step this
 * window draws is posted there; the presenter's keys and buttons come back as moves of this
 * window's player, which alone decides where the lecture is. While a presenter is connected
 * this window is in lecture mode and shows only the graph (`body.presented`).
 *
 * Messages (all carry `audience`, this window's id): `state` {run, t, k, playing, scope} from
 * here; `hello` and `bye` from a presenter; `move` {how: forward|back|first|last|next-phase|
 * previous-phase|toggle|scope, t, k} from a presenter to its audience. Asking the room
 * (roomview.js): `room` {room: what the room panel shows} from here; `room-do` {action:
 * open|ask|reveal|new|close, kind, index} from a presenter.
 */

export const CHANNEL = "gradwalk-presenter";

export class PresenterLink {
  /** `ctx`: the lecture tools' context (context.js's lectureContext) */
  constructor(ctx) {
    this.ctx = ctx;
    this.id = crypto.randomUUID?.() || String(Math.random()).slice(2);
    this.window = null;
    this.presenters = new Set();
    /** lecture mode before the first presenter connected (undefined while none is) */
    this.lectureBefore = undefined;
    this.channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
    if (!this.channel) return;
    this.channel.addEventListener("message", (e) => this.receive(e.data || {}));
    window.addEventListener("pagehide", () => this.post({ type: "gone" }));
  }

  get connected() { return this.presenters.size > 0; }

  /** Open (or bring forward) the presenter window. */
  open() {
    if (!this.channel) {
      this.ctx.status("This browser has no BroadcastChannel: the presenter view cannot follow.");
      return;
    }
    if (this.window && !this.window.closed) {
      this.window.focus();
      return;
    }
    const url = `/presenter?${new URLSearchParams({ audience: this.id })}`;
    this.window = window.open(url, "gradwalk-presenter", "popup,width=1180,height=820");
    if (!this.window) this.ctx.status("The browser blocked the presenter window: allow pop-ups for this page.");
  }

  post(message) { this.channel?.postMessage({ ...message, audience: this.id }); }

  /** Tell the presenters where the lecture is now. */
  send() {
    const { player } = this.ctx;
    if (!this.connected || !player.run) return;
    this.post({ type: "state", run: player.run.run_id, t: player.shown.t, k: player.shown.k,
      playing: player.playing, scope: player.scope });
  }

  receive(message) {
    // a presenter opened by hand (no audience yet) takes the first window that answers
    if (message.audience && message.audience !== this.id) return;
    if (message.type === "hello") {
      this.presenters.add(message.presenter);
      this.show();
      this.send();
      this.sendRoom();
    } else if (message.type === "bye") {
      this.presenters.delete(message.presenter);
      this.show();
    } else if (message.type === "move" && this.presenters.has(message.presenter)) {
      this.move(message);
    } else if (message.type === "room-do" && this.presenters.has(message.presenter)) {
      this.ctx.roomCommand(message);
    }
  }

  /** Tell the presenters what the room panel shows (the question, its answers). */
  sendRoom() {
    if (!this.connected) return;
    const room = this.ctx.roomSnapshot();
    if (room) this.post({ type: "room", room });
  }

  /**
   * While a presenter is connected the projector is in lecture mode; when the last one leaves,
   * the view comes back to the mode it had before the first came.
   */
  show() {
    document.body.classList.toggle("presented", this.connected);
    if (this.connected && this.lectureBefore === undefined) {
      this.lectureBefore = this.ctx.lecture;
      this.ctx.setLecture(true);
    } else if (!this.connected && this.lectureBefore !== undefined) {
      this.ctx.setLecture(this.lectureBefore);
      this.lectureBefore = undefined;
    }
  }

  /** A presenter's key or button, done here as the same key would be. */
  move({ how }) {
    const p = this.ctx.player;
    if (!p.run) return;
    const moves = {
      forward: () => { p.pause(); p.forward(); },
      back: () => { p.pause(); p.back(); },
      first: () => { p.pause(); p.go(p.t, 0); },
      last: () => { p.pause(); p.go(p.t, p.lastStep); },
      "next-phase": () => { p.pause(); p.phaseJump(1); },
      "previous-phase": () => { p.pause(); p.phaseJump(-1); },
      toggle: () => p.toggle(),
      scope: () => p.toggleScope(),
    };
    moves[how]?.();
  }
}
