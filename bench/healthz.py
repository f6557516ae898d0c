"""The event loop under CPU work: `/healthz` latency while clients POST new 300-node graphs.

Starts one server (app.devserver: uvicorn, one worker), lets `posters` clients each POST a
graph never seen before (a new seed each time: every POST builds, checks and lays out a run)
as fast as the server answers, and meanwhile asks `/healthz` every 10 ms from one more client.
`/healthz` does no work: its latency is how long the event loop was kept from answering.
Prints p50/p99/max of `/healthz` against the same probe on the idle server (target: p99 ≤ 100
ms with 4 posters).

    python bench/healthz.py [--posters 4] [--seconds 15] [--statements 136]

`--spy FILE` also records the server with py-spy (`py-spy record --gil --threads`: collapsed
stacks of the thread holding the GIL), to find what the event loop waits on.
"""

from __future__ import annotations

import sys

# `python bench/healthz.py` puts bench/ first on the import path (bench/http.py would shadow the
# standard library's http): keep the repository first instead
if sys.path and sys.path[0] and __file__.startswith(sys.path[0]):
    sys.path[0] = __file__.rsplit("/bench/", 1)[0]

import argparse  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402

from app.devserver import devserver  # noqa: E402
from bench.frontend import percentile, source  # noqa: E402


def probe(base: str, seconds: float, stop: threading.Event | None = None) -> list[float]:
    """Milliseconds of each `/healthz` asked every 10 ms for `seconds`."""
    times = []
    with httpx.Client(timeout=30) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (stop and stop.is_set()):
            start = time.perf_counter()
            client.get(f"{base}/healthz").raise_for_status()
            times.append(1e3 * (time.perf_counter() - start))
            time.sleep(0.01)
    return times


def poster(base: str, text: str, first_seed: int, stop: threading.Event, done: list) -> None:
    seed = first_seed
    with httpx.Client(timeout=120) as client:
        while not stop.is_set():
            response = client.post(f"{base}/api/v1/runs",
                                   json={"source": text, "seed": seed, "iterations": 1})
            done.append(response.status_code)
            seed += 1000


def line(what: str, times: list[float]) -> str:
    return (f"{what}: p50 {percentile(times, 50):.1f} ms, p99 {percentile(times, 99):.1f} ms, "
            f"max {max(times):.1f} ms ({len(times)} probes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posters", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--statements", type=int, default=136, help="136 gives ~300 nodes")
    parser.add_argument("--spy", help="record the server with py-spy into this file (collapsed stacks)")
    args = parser.parse_args()
    text = source(args.statements)
    with devserver() as base:
        nodes = len(httpx.post(f"{base}/api/v1/runs", json={"source": text, "iterations": 1},
                               timeout=120).json()["graph"]["nodes"])
        idle = probe(base, 3)
        stop, done = threading.Event(), []
        threads = [threading.Thread(target=poster, args=(base, text, i + 1, stop, done))
                   for i in range(args.posters)]
        spy = None
        if args.spy:
            spy = _spy(args.spy, base, args.seconds)
        for t in threads:
            t.start()
        try:
            busy = probe(base, args.seconds)
        finally:
            stop.set()
            for t in threads:
                t.join()
            if spy is not None:
                spy.wait()
    print(line("/healthz on the idle server", idle))
    print(line(f"/healthz while {args.posters} clients POST {nodes}-node graphs "
               f"({len(done)} POSTs, {sum(s != 201 for s in done)} not 201)", busy)
          + f"; target p99 <= 100 ms: {'met' if percentile(busy, 99) <= 100 else 'NOT met'}")


def _spy(out: str, base: str, seconds: float):
    """py-spy recording the server on `base`'s port (its command line names the port)."""
    port = base.rsplit(":", 1)[1]
    pid = subprocess.run(["pgrep", "-f", f"uvicorn app.main:create_app.*--port {port}"],
                         capture_output=True, text=True, check=True).stdout.split()[0]
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen([spy, "record", "--gil", "--threads", "-p", pid, "-d",
                             str(int(seconds)), "-f", "raw", "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
