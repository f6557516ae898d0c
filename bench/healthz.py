"""The event loop under CPU work: `/healthz` latency while clients POST new 300-node graphs.

Starts one server (app.serving.devserver: uvicorn, one worker), lets `posters` clients each POST a
graph never seen before (a new seed each time: every POST builds, checks and lays out a run)
as fast as the server answers, and meanwhile asks `/healthz` every 10 ms from one more client.
`/healthz` does no work: its latency is how long the event loop was kept from answering.
Prints p50/p99/max of `/healthz` against the same probe on the idle server (target: p99 ≤ 100
ms with 4 posters).

    python bench/healthz.py [--posters 4] [--seconds 15] [--statements 136]
    python bench/healthz.py --ab [--rounds 2] [--new-graphs]   # the old server against the new
    python bench/healthz.py --ab --against ../main   # another checkout's server against this one

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
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402

from app.serving.devserver import UVICORN, devserver  # noqa: E402
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


def fresh(text: str, seed: int) -> str:
    """The same graph with other names: one never drawn before (its layout is not cached)."""
    return re.sub(r"\bh(\d+)\b", rf"v{seed}_\1", text)


def poster(base: str, text: str, first_seed: int, stop: threading.Event, done: list,
           new_graphs: bool = False) -> None:
    seed = first_seed
    with httpx.Client(timeout=120) as client:
        while not stop.is_set():
            response = client.post(f"{base}/api/v1/runs", json={
                "source": fresh(text, seed) if new_graphs else text, "seed": seed,
                "iterations": 1})
            done.append(response.status_code)
            seed += 1000


def line(what: str, times: list[float]) -> str:
    return (f"{what}: p50 {percentile(times, 50):.1f} ms, p99 {percentile(times, 99):.1f} ms, "
            f"max {max(times):.1f} ms ({len(times)} probes)")


def measure(text: str, posters: int, seconds: float, env: dict | None = None,
            spy: str | None = None, new_graphs: bool = False,
            root: str | None = None) -> tuple[list[float], list[float], list[int], int]:
    """One server (with `env` added; the app of checkout `root` if given): /healthz idle, then
    while `posters` clients POST."""
    command = UVICORN if root is None else (*UVICORN, "--app-dir", root)
    with devserver(env=env, command=command) as base:
        nodes = len(httpx.post(f"{base}/api/v1/runs", json={"source": text, "iterations": 1},
                               timeout=120).json()["graph"]["nodes"])
        idle = probe(base, 3)
        stop, done = threading.Event(), []
        threads = [threading.Thread(target=poster,
                                    args=(base, text, i + 1, stop, done, new_graphs))
                   for i in range(posters)]
        recording = _spy(spy, base, seconds) if spy else None
        for t in threads:
            t.start()
        try:
            busy = probe(base, seconds)
        finally:
            stop.set()
            for t in threads:
                t.join()
            if recording is not None:
                recording.wait()
    return idle, busy, done, nodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posters", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--statements", type=int, default=136, help="136 gives ~300 nodes")
    parser.add_argument("--spy", help="record the server with py-spy into this file (collapsed stacks)")
    parser.add_argument("--new-graphs", action="store_true",
                        help="each POST a graph never drawn (other names), not a new seed only")
    parser.add_argument("--ab", action="store_true",
                        help="A/B: the old server (GRADWALK_GIL_SWITCH_MS=5, Python's own; "
                             "GRADWALK_LAYOUT_PROCESSES=0, drawing in the computing thread) and "
                             "the default, in turn, --rounds times")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", metavar="DIR",
                        help="with --ab: the old server is the app of this checkout (a worktree "
                             "of an older commit), with its default settings")
    args = parser.parse_args()
    text = source(args.statements)
    if args.ab:
        return ab(text, args)
    idle, busy, done, nodes = measure(text, args.posters, args.seconds, spy=args.spy,
                                      new_graphs=args.new_graphs)
    print(line("/healthz on the idle server", idle))
    print(line(f"/healthz while {args.posters} clients POST {nodes}-node graphs "
               f"({len(done)} POSTs, {sum(s != 201 for s in done)} not 201)", busy)
          + f"; target p99 <= 100 ms: {'met' if percentile(busy, 99) <= 100 else 'NOT met'}")


#: the server before the GIL was handed back sooner and graphs were drawn in processes
OLD_SERVER = {"GRADWALK_GIL_SWITCH_MS": "5", "GRADWALK_LAYOUT_PROCESSES": "0"}


def ab(text: str, args) -> None:
    """The same load on the old server (OLD_SERVER, or --against's app) and the default one,
    alternating; p99 and POST throughput as ratios new/old."""
    runs: dict[str, list] = {"old": [], "new": []}
    for r in range(args.rounds):
        for which, env in (("old", OLD_SERVER), ("new", None)):
            old_root = args.against if which == "old" else None
            _, busy, done, nodes = measure(text, args.posters, args.seconds,
                                           env=None if old_root else env,
                                           new_graphs=args.new_graphs, root=old_root)
            runs[which].append((busy, done))
            print(line(f"round {r + 1} {which} ({len(done)} POSTs of {nodes} nodes)", busy),
                  flush=True)
    old = [t for busy, _ in runs["old"] for t in busy]
    new = [t for busy, _ in runs["new"] for t in busy]
    posts = [sum(len(d) for _, d in runs[w]) for w in ("old", "new")]
    graphs = "new graphs" if args.new_graphs else "new seeds"
    print(f"/healthz while {args.posters} clients POST ({graphs}): p99 new/old "
          f"{percentile(new, 99) / percentile(old, 99):.2f} ({percentile(old, 99):.0f} -> "
          f"{percentile(new, 99):.0f} ms), p50 new/old {percentile(new, 50) / percentile(old, 50):.2f}"
          f", POSTs answered new/old {posts[1] / posts[0]:.2f}; target p99 <= 100 ms: "
          f"{'met' if percentile(new, 99) <= 100 else 'NOT met'}")


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
