"""HTTP benchmark: one cached seed-network state under `wrk`, plain and gzipped.

Starts uvicorn with 2 workers on a free loopback port (app.serving.devserver), creates the seed
network's run, warms one step state on both workers, then runs `wrk --latency` (64
connections, 2 threads, 10 s by default) with and without `Accept-Encoding: gzip`, and prints
requests/s, p50, p99 and the body size. Stops the server itself. Targets on a 2-core machine:
>= 1,000 requests/s, p99 <= 50 ms, body <= 64 KB before gzip. Prints figures; asserts nothing.
"""

from __future__ import annotations

import sys

# This file is named http.py: `python bench/http.py` puts bench/ first on the import path,
# where it would shadow the standard library's `http` package that httpx needs.
if sys.path and sys.path[0] and __file__.startswith(sys.path[0]):
    sys.path.pop(0)

import argparse  # noqa: E402
import gzip  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402

import httpx  # noqa: E402

from app.serving.devserver import devserver  # noqa: E402

SEED_RUN = {"preset": "pytorch-numpy-two-layer"}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def run_wrk(url: str, connections: int, threads: int, seconds: int, gzip_: bool) -> dict:
    command = ["wrk", "-c", str(connections), "-t", str(threads), "-d", f"{seconds}s",
               "--latency", url]
    if gzip_:
        command[1:1] = ["-H", "Accept-Encoding: gzip"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(latency["50"]),
        "p99_ms": _ms(latency["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench: needs wrk (apt-get install wrk)")

    with devserver(["--workers", str(args.workers)]) as base:
        run = httpx.post(f"{base}/api/v1/runs", json=SEED_RUN, timeout=60).json()
        k = run["phases"]["backward"][0] + 3
        url = f"{base}/api/v1/runs/{run['run_id']}/iterations/0/steps/{k}"
        for _ in range(8 * args.workers):  # new connections reach every worker
            with httpx.Client(timeout=60) as fresh:
                fresh.get(url).raise_for_status()
        plain = httpx.get(url, headers={"accept-encoding": "identity"}, timeout=60).content
        with httpx.Client(timeout=60) as client:
            with client.stream("GET", url, headers={"accept-encoding": "gzip"}) as response:
                zipped = b"".join(response.iter_raw())
        assert gzip.decompress(zipped) == plain

        print(f"state: seed network, iteration 0, step {k}")
        print(f"body: {len(plain)} bytes plain, {len(zipped)} bytes gzipped "
              f"(target <= 65536 plain)")
        for label, use_gzip in (("plain", False), ("gzip", True)):
            figures = run_wrk(url, args.connections, args.threads, args.seconds, use_gzip)
            print(f"{label:5}: {figures['requests_per_s']:8.0f} requests/s  "
                  f"p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:6.2f} ms  "
                  f"non-2xx {figures['non_2xx']}  "
                  f"(targets >= 1000 requests/s, p99 <= 50 ms; "
                  f"{args.connections} connections, {args.seconds} s, {args.workers} workers)")


if __name__ == "__main__":
    main()
