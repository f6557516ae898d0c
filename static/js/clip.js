/**
 * Export clip: a step range of the iteration shown recorded as a WebM video in the browser
 * (MediaRecorder on a canvas). Each frame is the viewer's own drawing at that step (the
 * player goes there; the graph is copied as the SVG export copies it and drawn into the
 * canvas), held for the seconds per step asked, with a caption band: the user's caption (as
 * text) and the step. Owns the Clip dialog; no math, no request.
 */

import { download, standalone } from "./exporter.js";
import { rangeError } from "./handout.js";

/** frames per second of the video: each step's picture is repeated at this rate */
export const CLIP_FPS = 10;
const LIMITS = { width: [320, 1920], seconds: [0.2, 10], steps: 120, caption: 200 };
const BAND = 0.09;  // the caption band's height, as a part of the width

const $ = (id) => document.getElementById(id);

export class Clip {
  constructor(ctx) {
    this.ctx = ctx;
    this.dialog = $("clip-dialog");
    $("btn-clip").addEventListener("click", () => this.open());
    $("btn-clip-cancel").addEventListener("click", () => this.dialog.close());
    $("clip-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
  }

  open() {
    const { player } = this.ctx;
    if (!player.run) return;
    player.pause();
    for (const id of ["clip-from", "clip-to"]) $(id).max = String(player.lastStep);
    $("clip-from").value = String(player.k);
    $("clip-to").value = String(Math.min(player.lastStep, player.k + 9));
    $("clip-error").textContent = "";
    this.dialog.showModal();
  }

  /** Check the form, record, and download the video. */
  async submit() {
    const ask = {
      from: Number($("clip-from").value), to: Number($("clip-to").value),
      seconds: Number($("clip-seconds").value), width: Number($("clip-width").value),
      caption: $("clip-caption").value,
    };
    const error = formError(ask, this.ctx.player.lastStep);
    $("clip-error").textContent = error;
    if (error) return;
    this.dialog.close();
    document.body.dataset.clip = "recording";
    try {
      const blob = await this.record(this.ctx.player.t, ask);
      const run = this.ctx.player.run;
      download(blob, `gradwalk_${run.preset || "graph"}_t${this.ctx.player.t}_k${ask.from}-${ask.to}.webm`);
      document.body.dataset.clip = "done";
    } catch (failure) {
      document.body.dataset.clip = "failed";
      this.ctx.status(`The clip could not be recorded: ${failure.message}`);
    }
  }

  /** The frames of steps from..to (the viewer comes back where it was), then the video. */
  async record(t, { from, to, seconds, width, caption }) {
    const { player } = this.ctx;
    const back = { t: player.t, k: player.k };
    const frames = [];
    try {
      for (let k = from; k <= to; k += 1) {
        await player.go(t, k, "scrub");
        await settled(this.ctx.picture.container);
        const { step } = this.ctx.current;
        frames.push({ picture: await picture(this.ctx.picture.svg),
          label: `step ${k} · ${step.phase} · iteration ${t}` });
      }
    } finally {
      await player.go(back.t, back.k, "scrub");
    }
    const first = frames[0].picture;
    const graphHeight = even(width * first.height / first.width);
    const band = even(width * BAND);
    const canvas = document.createElement("canvas");
    canvas.width = even(width);
    canvas.height = graphHeight + band;
    const ctx = canvas.getContext("2d");
    const draw = ({ picture: image, label }) => {
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(image, 0, 0, canvas.width, graphHeight);
      ctx.fillStyle = "#1b1f24";
      ctx.font = `${Math.round(band * 0.42)}px system-ui, sans-serif`;
      ctx.textBaseline = "middle";
      ctx.fillText(caption, band * 0.3, graphHeight + band / 2, canvas.width * 0.62);
      ctx.textAlign = "right";
      ctx.fillText(label, canvas.width - band * 0.3, graphHeight + band / 2, canvas.width * 0.34);
      ctx.textAlign = "left";
    };
    return video(canvas, frames, draw, seconds);
  }
}

/**
 * Record `frames` on `canvas`, each drawn by `draw` and held `seconds`: one video frame per
 * 1/CLIP_FPS s, asked for explicitly (captureStream(0)), so the count does not depend on the
 * page repainting.
 */
async function video(canvas, frames, draw, seconds) {
  const stream = canvas.captureStream(0);
  const track = stream.getVideoTracks()[0];
  const type = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"]
    .find((t) => MediaRecorder.isTypeSupported(t));
  if (!type) throw new Error("this browser cannot record WebM video");
  const recorder = new MediaRecorder(stream, { mimeType: type });
  const chunks = [];
  recorder.addEventListener("dataavailable", (e) => { if (e.data.size) chunks.push(e.data); });
  const stopped = new Promise((resolve) => recorder.addEventListener("stop", resolve));
  const perStep = Math.max(1, Math.round(seconds * CLIP_FPS));
  const tick = 1000 / CLIP_FPS;
  draw(frames[0]);
  recorder.start();
  const start = performance.now();
  let n = 0;
  for (const frame of frames) {
    for (let i = 0; i < perStep; i += 1, n += 1) {
      draw(frame);
      track.requestFrame();
      // each frame at its time since the start: a late tick does not delay the rest
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + (n + 1) * tick - performance.now())));
    }
  }
  recorder.stop();
  await stopped;
  track.stop();
  return new Blob(chunks, { type: "video/webm" });
}

/** The drawing as the SVG export makes it, decoded as a picture. */
async function picture(svg) {
  const { text } = standalone(svg);
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    return image;
  } finally {
    URL.revokeObjectURL(url);
  }
}

const even = (x) => 2 * Math.round(x / 2);
const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));

/** The drawing as the screen shows it once drawn: two frames on, the camera at rest. */
async function settled(container) {
  await nextFrame();
  await nextFrame();
  for (let i = 0; i < 300 && container.hasAttribute("data-moving"); i += 1) await nextFrame();
}

/** What is wrong with the clip's settings, in words ("" when nothing). */
export function formError({ from, to, seconds, width, caption }, last) {
  const range = rangeError(from, to, last);
  if (range) return range;
  if (to - from + 1 > LIMITS.steps) return `A clip holds at most ${LIMITS.steps} steps.`;
  const [s0, s1] = LIMITS.seconds;
  if (!(seconds >= s0 && seconds <= s1)) return `Seconds per step go from ${s0} to ${s1}.`;
  const [w0, w1] = LIMITS.width;
  if (!Number.isInteger(width) || width < w0 || width > w1) return `The width goes from ${w0} to ${w1} pixels.`;
  if (caption.length > LIMITS.caption) return `A caption holds at most ${LIMITS.caption} characters.`;
  return "";
}
