"""Victim latency: a small preset's POST beside two attackers, each sending one costly request
after another (issue 17).

One worker (default settings: two compute threads, one light lane) serves a victim that
creates small runs one after another (a new seed each time, so each is built), first alone
(the baseline), then beside two attackers per kind of costly request: a gradient check of a
large run, /modes of the seed network, definitions nested 40 deep, a hand-written backward on
1000×1000, a 32-value memory sweep, a large iteration document, and every spelling of a
gradient check's URL. Prints the victim's p50 and p99 per kind against the baseline measured
in the same run, and what the attackers were answered (target: p99 ≤ 250 ms).

A script, not a test: it asserts nothing, it prints. Traffic goes to 127.0.0.1 only.

    .venv/bin/python bench/victim.py [--requests 40]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from collections import Counter
from pathlib import Path

# bench/ holds http.py, which would shadow the standard library's http: run from the repo root.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import httpx  # noqa: E402

from app.serving.devserver import devserver  # noqa: E402

SMALL = "colah-sum-of-paths"
LARGE = {"preset": "pytorch-numpy-two-layer", "iterations": 3,
         "params": {"N": 256, "D_in": 1000, "H": 1000}}
NESTED = "def f0(x):\n    return sin(x)\n" + "".join(
    f"def f{i}(x):\n    return f{i - 1}(f{i - 1}(x))\n" for i in range(1, 41)) + \
    "w = param(3)\nloss = sum(f40(w))\n"
CHECKED = ("def f1(x):\n    return (x @ x) @ x\n\ndef f1_backward(g, out, x):\n"
           "    return g @ x\n\ndef f2(x):\n    return f1(f1(x))\n\n"
           "w = param(1000, 1000)\nloss = sum(f2(w))\n")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def victim(api: httpx.Client, count: int, seeds) -> list[float]:
    took = []
    for _ in range(count):
        start = time.perf_counter()
        answer = api.post("/runs", json={"preset": SMALL, "seed": next(seeds)})
        took.append(time.perf_counter() - start)
        assert answer.status_code == 201, answer.text[:200]
    return took


def attacks(api: httpx.Client, seeds):
    """kind -> one costly request (a new run each time where a run is needed, so nothing is
    answered from a cache)."""
    def run_id(body):
        return api.post("/runs", json={**body, "seed": next(seeds)}).json()["run_id"]

    def spellings():
        rid = run_id(LARGE)
        return [api.get(f"/runs/{rid}/iterations/{t}/gradcheck")
                for t in ("00", "+0", "%200", "0_0", "0")][-1]

    return {
        "gradcheck of a large run": lambda: api.get(f"/runs/{run_id(LARGE)}/iterations/1/gradcheck"),
        "/modes of the seed network": lambda: api.get(
            f"/runs/{run_id({'preset': 'pytorch-numpy-two-layer', 'iterations': 1})}/modes"),
        "definitions nested 40 deep": lambda: api.post("/runs", json={"source": NESTED}),
        "a backward checked on 1000x1000": lambda: api.post("/runs", json={"source": CHECKED}),
        "a 32-value memory sweep": lambda: api.get(
            "/presets/pytorch-numpy-two-layer/memory",
            params={"vary": "N", "values": ",".join(str(next(seeds) % 900 + 8)
                                                    for _ in range(32))}),
        "a large iteration document": lambda: api.get(f"/runs/{run_id(LARGE)}/iterations/2"),
        "gradcheck's URL in 5 spellings": spellings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    seeds = itertools.count(1000)
    with devserver(["--log-level", "warning"]) as base:
        url = f"{base}/api/v1"
        with httpx.Client(base_url=url, timeout=600) as api:
            api.post("/runs", json={"preset": SMALL}).raise_for_status()  # warm
            baseline = victim(api, args.requests, seeds)
            b50, b99 = percentile(baseline, 0.5), percentile(baseline, 0.99)
            print(f"baseline (alone): small preset POST p50 {b50 * 1e3:.0f} ms, "
                  f"p99 {b99 * 1e3:.0f} ms")
            kinds = list(attacks(api, seeds))
        for kind in kinds:
            stop = threading.Event()
            answered: Counter = Counter()

            def attack(kind=kind, answered=answered, stop=stop):
                with httpx.Client(base_url=url, timeout=600) as mine:
                    send = attacks(mine, seeds)[kind]
                    while not stop.is_set():
                        answered[send().status_code] += 1

            attackers = [threading.Thread(target=attack, daemon=True) for _ in range(2)]
            for thread in attackers:
                thread.start()
            time.sleep(0.5)  # the attackers' first requests are running
            with httpx.Client(base_url=url, timeout=600) as api:
                took = victim(api, args.requests, seeds)
            stop.set()
            for thread in attackers:
                thread.join()
            p50, p99 = percentile(took, 0.5), percentile(took, 0.99)
            codes = ", ".join(f"{n}× {code}" for code, n in sorted(answered.items()))
            print(f"beside two attackers, {kind}: p50 {p50 * 1e3:.0f} ms, p99 "
                  f"{p99 * 1e3:.0f} ms ({p99 / b99:.1f}× the baseline's p99; target "
                  f"<= 250 ms) — attackers answered {codes}")


if __name__ == "__main__":
    main()
