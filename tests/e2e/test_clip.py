"""Export clip: 10 steps recorded in the browser as WebM; the file decodes (PyAV) with the
duration and frame count asked for, and the frame shown for step k looks like the screen at
step k (more than like the screen at any other step)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from .conftest import SMALL_SEED, create_run, open_run, wait_step

av = pytest.importorskip("av")

STEPS = range(0, 10)
SECONDS = 0.5
FPS = 10  # clip.js CLIP_FPS
SIZE = (320, 160)  # frames and screens compared at this size, in grey


def grey(frame) -> np.ndarray:
    return frame.reformat(width=SIZE[0], height=SIZE[1], format="gray").to_ndarray().astype(float)


def screen(png: bytes) -> np.ndarray:
    with av.open(io.BytesIO(png), format="png_pipe") as image:
        return grey(next(image.decode(video=0)))


def test_ten_steps_record_as_a_webm_clip(guard, server, api, tmp_path):
    page = guard
    run = create_run(api, **SMALL_SEED)
    open_run(page, server, run["run_id"], 0, 0)
    screens = {}
    # the screen's graph alone: the controls drawn over it are not part of the drawing
    over = "#mode-switch, #graph-tools, #search, #status"
    page.eval_on_selector_all(over, "(all) => all.forEach((e) => { e.style.visibility = 'hidden'; })")
    for k in STEPS:  # the screen at each step, as the viewer draws it
        page.eval_on_selector("#scrubber", "(s, k) => { s.value = String(k); "
                              "s.dispatchEvent(new Event('input')); }", k)
        wait_step(page, 0, k)
        page.wait_for_timeout(400)  # its heatmap pictures decoded and drawn
        screens[k] = screen(page.locator("#graph svg").screenshot())
    page.eval_on_selector_all(over, "(all) => all.forEach((e) => { e.style.visibility = ''; })")
    page.eval_on_selector("#scrubber", "(s) => { s.value = '0'; s.dispatchEvent(new Event('input')); }")
    wait_step(page, 0, 0)

    page.click("#btn-clip")
    page.fill("#clip-to", "9")
    page.fill("#clip-seconds", "0.5")
    page.fill("#clip-width", "100")  # too narrow: said, nothing recorded
    page.click("#btn-clip-record")
    assert page.inner_text("#clip-error") == "The width goes from 320 to 1920 pixels."
    page.fill("#clip-width", "640")
    page.fill("#clip-caption", "<b>Why reverse?</b>")  # text, never markup
    with page.expect_download(timeout=120_000) as caught:
        page.click("#btn-clip-record")
    path = tmp_path / "clip.webm"
    caught.value.save_as(path)
    assert caught.value.suggested_filename.endswith("_k0-9.webm")
    wait_step(page, 0, 0)  # the viewer is back where it was

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        width, height = stream.width, stream.height
        frames = [(float(f.pts * f.time_base), grey(f)) for f in container.decode(stream)]
    assert width == 640
    expected = len(STEPS) * SECONDS * FPS
    assert 0.8 * expected <= len(frames) <= 1.2 * expected, len(frames)
    duration = frames[-1][0] + 1 / FPS
    assert 0.8 * len(STEPS) * SECONDS <= duration <= 1.4 * len(STEPS) * SECONDS, duration
    # the graph is the frame above the caption band (clip.js: 0.09 of the width, even)
    band = 2 * round(width * 0.09 / 2)
    rows = round(SIZE[1] * (height - band) / height)
    pictures = {k: min(frames, key=lambda f: abs(f[0] - (i + 0.5) * duration / len(STEPS)))[1][:rows]
                for i, k in enumerate(STEPS)}
    # what changes from step to step, in each: the clip's own rendering and the screen's
    # differ by a constant (background, smoothing) that would drown it
    pictures = centred(pictures)
    screens = centred({k: squeeze(s, rows) for k, s in screens.items()})
    for k, picture in pictures.items():
        distance = {j: float(np.abs(picture - s).mean()) for j, s in screens.items()}
        assert min(distance, key=distance.get) == k, (k, distance)


def centred(pictures: dict) -> dict:
    mean = np.mean(list(pictures.values()), axis=0)
    return {k: p - mean for k, p in pictures.items()}

def squeeze(picture: np.ndarray, rows: int) -> np.ndarray:
    """A screen's grey thumbnail brought to the clip's graph rows."""
    return picture[np.linspace(0, picture.shape[0] - 1, rows).round().astype(int)]
