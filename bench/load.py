"""Many users at once through the nginx recipe of deploy/: mixed work, a worker killed midway.

Starts Gradwalk workers (`gradwalk serve --behind-proxy`, one process each, each with its own
cache budget) and Debian's nginx configured by `gradwalk proxy-config --standalone` (the recipe
of deploy/gradwalk.conf), then runs `clients` concurrent clients for `seconds` seconds of mixed
work — new runs, step lists, states, iteration documents, .npy tensors — and, halfway, kills one
worker with SIGKILL. Prints requests, failures (any answer other than 2xx/304, or no answer),
p50/p99 latency, the nginx cache hit ratio on repeated GETs and each worker's peak RSS; then
the rate of one cached GET straight from a worker and through nginx (`wrk`, when installed).
With wrk, the same mixed load is sent once more by wrk itself (a C client: each connection a
user thinking 0–2 s between requests), so the latency at the clients is not the Python
client's own scheduling.

The test tests/api/test_load_nginx.py runs `mixed_load` the same way and asserts 0 failures,
≥ 90 % hits and RSS under budget; this script prints figures only (targets: p99 ≤ 250 ms at
200 clients; a cached GET through nginx ≥ 5× the direct rate).

    python bench/load.py [--clients 200] [--seconds 30] [--workers 2]
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/load.py` puts bench/ first on the import path (its http.py would shadow the
# standard library's): put the repository there instead, so app and bench come from this checkout
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import httpx  # noqa: E402

from app.serving.devserver import HOST, ROOT, _healthy, free_port, stop  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
#: each worker's cache budget here (GRADWALK_CACHE_BYTES); RSS must stay under
#: its RSS after start + this + RSS_SLACK
CACHE_BYTES = 96 << 20
RSS_SLACK = 160 << 20

#: the runs the clients make: small presets with a few seeds (so some runs repeat), and the seed
#: network with few iterations
RUNS = [{"preset": p, "seed": s} for p in ("micrograd-neuron", "colah-sum-of-paths",
                                           "d2l-mlp-l2", "logistic-regression",
                                           "softmax-classifier") for s in range(4)]
RUNS += [{"preset": "pytorch-numpy-two-layer", "iterations": 20, "seed": s} for s in range(2)]


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class Cluster:
    base: str
    workers: list[subprocess.Popen]
    worker_urls: list[str]
    baseline_rss: list[int]
    peak_rss: list[int] = field(default_factory=list)
    #: nginx's log of each request: seconds, cache status, status
    timing_log: Path | None = None

    def proxy_seconds(self) -> list[tuple[float, str]]:
        """(seconds nginx took, cache status) of every request logged so far."""
        if self.timing_log is None or not self.timing_log.exists():
            return []
        out = []
        for line in self.timing_log.read_text().splitlines():
            seconds, cache, _ = line.split()
            out.append((float(seconds), cache))
        return out

    def nginx_errors(self) -> list[str]:
        """The lines nginx's error log has so far (a dead worker's, a client's close)."""
        path = self.timing_log.parent / "error.log" if self.timing_log else None
        return path.read_text().splitlines() if path is not None and path.exists() else []

    def sample_rss(self) -> None:
        for i, worker in enumerate(self.workers):
            if worker.poll() is None:
                self.peak_rss[i] = max(self.peak_rss[i], _rss(worker.pid))


def _wait_healthy(url: str, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start (exit code {process.poll()})")
        time.sleep(0.1)


@contextmanager
def cluster(workers: int = 2, env: dict | None = None) -> Iterator[Cluster]:
    """`workers` Gradwalk processes behind nginx (deploy/'s recipe); yields the proxy's URL."""
    from app.serving import proxy
    env = {**os.environ, "GRADWALK_CACHE_BYTES": str(CACHE_BYTES), **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    started: list[subprocess.Popen] = []
    nginx = None
    with tempfile.TemporaryDirectory(prefix="gradwalk-nginx-") as directory:
        try:
            ports = [free_port() for _ in range(workers)]
            for port in ports:
                started.append(subprocess.Popen(
                    [sys.executable, "-m", "app.cli", "serve", "--behind-proxy", "--host", HOST,
                     "--port", str(port), "--timeout-keep-alive", "30"],
                    cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL))
            urls = [f"http://{HOST}:{port}" for port in ports]
            for url, process in zip(urls, started, strict=True):
                _wait_healthy(url, process, f"worker {url}")
            listen = free_port()
            conf = Path(directory) / "nginx.conf"
            site = proxy.site([f"{HOST}:{p}" for p in ports], f"{HOST}:{listen}",
                              str(Path(directory) / "cache"))
            conf.write_text(proxy.standalone(site, directory, timing_log=True))
            nginx = subprocess.Popen([NGINX, "-p", directory, "-c", str(conf), "-g",
                                      "daemon off;"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            base = f"http://{HOST}:{listen}"
            _wait_healthy(base, nginx, "nginx")
            baseline = [_rss(p.pid) for p in started]
            yield Cluster(base, started, urls, baseline, list(baseline),
                          Path(directory) / "timing.log")
        finally:
            if nginx is not None:
                stop(nginx)
            for process in started:
                stop(process)


@dataclass
class LoadResult:
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    #: GETs of a URL already answered before they were sent, and how many nginx had cached
    repeated: int = 0
    repeated_hits: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    @property
    def hit_ratio(self) -> float:
        return self.repeated_hits / self.repeated if self.repeated else 0.0


#: seconds a client thinks between an answer and its next request: uniform from 0 to this
#: (a user reading what came back; without it 200 clients in one Python process saturate its
#: event loop, which then sends requests seconds late: nginx's client_header_timeout closes
#: such a connection, a failure of the load generator, not of the servers)
THINK_SECONDS = 2.0


async def _client(http: httpx.AsyncClient, rng: random.Random, runs: dict, answered: set,
                  result: LoadResult, stop_at: float, think: float) -> None:
    while time.monotonic() < stop_at:
        if think:  # before the first request too: 200 users do not all arrive at once
            await asyncio.sleep(rng.uniform(0, think))
        if not runs or rng.random() < 0.05:
            kind, body = "new run", rng.choice(RUNS)
            request = http.build_request("POST", "/api/v1/runs", json=body)
        else:
            run_id, steps, iterations, loss = rng.choice(list(runs.values()))
            t = rng.randrange(min(3, iterations))
            k = rng.randrange(steps)
            base = f"/api/v1/runs/{run_id}"
            kind, url = rng.choice([
                ("step list", f"{base}/iterations/{t}/steps"),
                ("state", f"{base}/iterations/{t}/steps/{k}"),
                ("state", f"{base}/iterations/{t}/steps/{k}"),
                ("iteration", f"{base}/iterations/{t}"),
                (".npy", f"{base}/iterations/{t}/steps/{steps - 1}/tensors/{loss}/value?format=npy"),
                ("run", base),
            ])
            request = http.build_request("GET", url)
        repeated = request.method == "GET" and str(request.url) in answered
        started = time.monotonic()
        try:
            response = await http.send(request)
            await response.aread()
        except httpx.HTTPError as error:
            result.failures.append(f"{request.method} {request.url}: {type(error).__name__}")
            continue
        result.latencies.append(time.monotonic() - started)
        result.requests += 1
        result.by_kind[kind] = result.by_kind.get(kind, 0) + 1
        if response.status_code >= 300 and response.status_code != 304:
            result.failures.append(f"{request.method} {request.url}: {response.status_code} "
                                   f"{response.text[:200]}")
            continue
        if request.method == "POST":
            document = response.json()
            runs[document["run_id"]] = (document["run_id"], document["steps_per_iteration"],
                                        document["iterations"], document["graph"]["loss"])
        else:
            answered.add(str(request.url))
            if repeated:
                result.repeated += 1
                result.repeated_hits += response.headers.get("x-cache-status") == "HIT"


async def _load(base: str, clients: int, seconds: float, on_half, seed: int,
                think: float) -> LoadResult:
    result = LoadResult()
    runs: dict = {}
    answered: set = set()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120,
                                 headers={"Accept-Encoding": "gzip"}) as http:
        stop_at = time.monotonic() + seconds
        tasks = [asyncio.ensure_future(_client(http, random.Random(seed + i), runs, answered,
                                                result, stop_at, think))
                 for i in range(clients)]
        await asyncio.sleep(seconds / 2)
        await asyncio.get_running_loop().run_in_executor(None, on_half)
        await asyncio.gather(*tasks)
    return result


def mixed_load(the: Cluster, clients: int, seconds: float, kill: bool = True,
               seed: int = 0, think: float = THINK_SECONDS) -> LoadResult:
    """`clients` clients of mixed work for `seconds`, each thinking 0 to `think` seconds
    between an answer and its next request; halfway the last worker is SIGKILLed."""
    sampling = True

    def sample():
        while sampling:
            the.sample_rss()
            time.sleep(0.2)

    def half():
        if kill:
            the.workers[-1].send_signal(signal.SIGKILL)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        # a thread of its own: the caller may be inside an event loop (pytest-playwright's)
        done: list = []
        runner = threading.Thread(
            target=lambda: done.append(asyncio.run(_load(the.base, clients, seconds, half, seed,
                                                         think))))
        runner.start()
        runner.join()
        if not done:
            raise RuntimeError("the load's event loop failed (see the thread's traceback above)")
        return done[0]
    finally:
        sampling = False
        sampler.join()


def stop_proxy(the: Cluster) -> None:
    """Ask nginx to reopen (flush) its logs: every request so far is in `timing.log`."""
    pid_file = the.timing_log.parent / "nginx.pid" if the.timing_log else None
    if pid_file is not None and pid_file.exists():
        os.kill(int(pid_file.read_text()), signal.SIGUSR1)
        time.sleep(1.5)


def _wrk_rate(url: str, seconds: int = 5, connections: int = 200) -> float | None:
    if shutil.which("wrk") is None:
        return None
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", url],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    return None


#: wrk's script for the mixed load (the request paths are filled in): each connection is one
#: user who, after each answer, thinks 0–2 s (wrk's `delay()`), then sends a new run (5 %, a new
#: seed each time: real work) or a GET of a run-addressed URL. wrk measures the latency in C.
WRK_SCRIPT = r"""
local paths = {%(paths)s}
local presets = {%(presets)s}
-- globals, not locals: done() reads each thread's `errors` with thread:get
counter, errors, threads = 0, 0, {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(1000 + id)
end
function request()
  counter = counter + 1
  if math.random() < 0.05 then
    local body = string.format('{"preset": "%%s", "seed": %%d}',
                               presets[math.random(#presets)], 100000 * (id + 1) + counter)
    return wrk.format("POST", "/api/v1/runs", {["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", paths[math.random(#paths)], {["Accept-Encoding"] = "gzip"})
end
function delay()
  return math.random(0, 2000)
end
function response(status, headers, body)
  if status >= 300 and status ~= 304 then errors = errors + 1 end
end
function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("errors") end
  local e = summary.errors
  io.write(string.format("WRK requests %%d failed %%d sockets %%d p50 %%.1f p99 %%.1f max %%.1f\n",
    summary.requests, failed, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def wrk_mixed_load(the: Cluster, clients: int, seconds: int, kill: bool = True) -> str | None:
    """The mixed load sent by wrk (a C client on the same machine) instead of Python: `clients`
    connections, each a user thinking 0–2 s between requests; halfway the last worker is
    SIGKILLed. Returns wrk's line of figures, or None without wrk."""
    if shutil.which("wrk") is None:
        return None
    paths, presets = [], sorted({r["preset"] for r in RUNS if "iterations" not in r})
    for body in RUNS:  # the runs the GETs ask about (made first, as the Python load makes them)
        document = httpx.post(f"{the.base}/api/v1/runs", json=body, timeout=120).json()
        run_id, steps = document["run_id"], document["steps_per_iteration"]
        base = f"/api/v1/runs/{run_id}"
        for t in range(min(3, document["iterations"])):
            paths += [f"{base}/iterations/{t}/steps", f"{base}/iterations/{t}"]
            paths += [f"{base}/iterations/{t}/steps/{k}" for k in range(steps)]
            paths.append(f"{base}/iterations/{t}/steps/{steps - 1}/tensors/"
                         f"{document['graph']['loss']}/value?format=npy")
        paths.append(base)
    script = WRK_SCRIPT % {"paths": ", ".join(f'"{p}"' for p in paths),
                           "presets": ", ".join(f'"{p}"' for p in presets)}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    killer = threading.Timer(seconds / 2, lambda: kill and the.workers[-1].send_signal(
        signal.SIGKILL))
    killer.start()
    try:
        done = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds}s",
                               "--timeout", "60s", "-s", file.name, the.base],
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
        out = done.stdout
    finally:
        killer.cancel()
        os.unlink(file.name)
    return next((line[4:] for line in out.splitlines() if line.startswith("WRK ")), out)


OVER_BUDGET = {"preset": "pytorch-numpy-two-layer", "iterations": 5000}


async def _hammer(base: str, hammers: int, stop) -> None:
    """Waves of `hammers` concurrent requests for states of a run over the compute budget,
    one wave after another until `stop` is set."""
    from app.api import runids
    from app.engine.core.spec import RunSpec

    over = runids.encode(RunSpec(**OVER_BUDGET))
    limits = httpx.Limits(max_connections=hammers)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=300) as http:
        wave = 0
        while not stop.is_set():
            await asyncio.gather(*(http.get(f"/api/v1/runs/{over}/iterations/{wave + i}/steps")
                                   for i in range(hammers)))
            wave = (wave + hammers) % 4000


def _hammer_process(base: str, hammers: int, stop) -> None:
    asyncio.run(_hammer(base, hammers, stop))


def victim(hammers: int = 100, rounds: int = 40, env: dict | None = None) -> None:
    """The victim's POST + GET on one worker (no proxy) while, from another process, waves of
    `hammers` concurrent requests ask for an over-budget run (the hammer's client work must not
    slow the victim's own client)."""
    import multiprocessing

    from app.serving.devserver import devserver

    with devserver(["--log-level", "warning"], env=env) as base:
        stop = multiprocessing.Event()
        hammer = multiprocessing.Process(target=_hammer_process, args=(base, hammers, stop))
        hammer.start()
        time.sleep(2)
        latencies = []
        with httpx.Client(base_url=base, timeout=300) as http:
            for seed in range(rounds):
                started = time.monotonic()
                made = http.post("/api/v1/runs", json={"preset": "micrograd-neuron",
                                                       "seed": seed})
                made.raise_for_status()
                http.get(f"/api/v1/runs/{made.json()['run_id']}/iterations/0/steps/3"
                         ).raise_for_status()
                latencies.append(time.monotonic() - started)
        stop.set()
        hammer.join(timeout=600)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(f"victim POST + GET while waves of {hammers} concurrent requests ask for an "
          f"over-budget run ({OVER_BUDGET}): p50 {1e3 * latencies[len(latencies) // 2]:.0f} ms, "
          f"p99 {1e3 * p99:.0f} ms (target <= 100 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--victim-only", action="store_true",
                        help="only the victim figure (it needs no nginx, so it runs on old code)")
    parser.add_argument("--wrk-only", action="store_true", help="only the mixed load sent by wrk")
    args = parser.parse_args()
    if not args.wrk_only:
        victim()
    if args.victim_only:
        return
    if args.wrk_only:
        with cluster(args.workers) as the:
            print(wrk_mixed_load(the, args.clients, int(args.seconds)))
        return
    with cluster(args.workers) as the:
        result = mixed_load(the, args.clients, args.seconds)
        print(f"mixed load through nginx: {args.clients} clients, {args.seconds:g} s, "
              f"{args.workers} workers, one killed halfway")
        print(f"  requests {result.requests}  ({result.requests / args.seconds:.0f}/s)  "
              f"failures {len(result.failures)}")
        for failure in result.failures[:5]:
            print(f"    {failure}")
        if result.failures:
            print("  nginx's error log:", *the.nginx_errors()[-20:], sep="\n    ")
        print(f"  latency at the clients p50 {1e3 * result.percentile(0.5):.1f} ms  "
              f"p99 {1e3 * result.percentile(0.99):.1f} ms  (one Python process on the same "
              f"cores: its own scheduling included)")
        stop_proxy(the)
        timed = the.proxy_seconds()
        for what, chosen in (("every request", timed),
                             ("cache hits", [t for t in timed if t[1] == "HIT"]),
                             ("computed", [t for t in timed if t[1] != "HIT"])):
            seconds = sorted(t[0] for t in chosen)
            if seconds:
                print(f"  at nginx, {what} ({len(seconds)}): p50 "
                      f"{1e3 * seconds[len(seconds) // 2]:.0f} ms, p99 "
                      f"{1e3 * seconds[min(len(seconds) - 1, int(0.99 * len(seconds)))]:.0f} ms"
                      + ("  (target p99 <= 250 ms)" if what == "every request" else ""))
        print(f"  nginx cache hits on repeated GETs {result.hit_ratio:.1%} "
              f"({result.repeated_hits}/{result.repeated}; target >= 90 %)")
        for i, (base, peak) in enumerate(zip(the.baseline_rss, the.peak_rss, strict=True)):
            print(f"  worker {i}: RSS {base / 2**20:.0f} MiB at start, peak {peak / 2**20:.0f} "
                  f"MiB (budget {(base + CACHE_BYTES + RSS_SLACK) / 2**20:.0f} MiB)")
        print(f"  by kind: {result.by_kind}")
    with cluster(args.workers) as the:
        figures = wrk_mixed_load(the, args.clients, int(args.seconds))
        if figures is None:
            print("mixed load sent by wrk: needs wrk (apt-get install wrk)")
        else:
            print(f"mixed load sent by wrk (C): {args.clients} connections, each a user "
                  f"thinking 0-2 s, {args.seconds:g} s, one worker killed halfway; latency "
                  f"in ms (target p99 <= 250 ms):\n  {figures}")
    with cluster(1) as the:
        created = httpx.post(f"{the.base}/api/v1/runs", json={"preset": "micrograd-neuron"})
        url = f"/api/v1/runs/{created.json()['run_id']}/iterations/1/steps/3"
        for base in (the.base, the.worker_urls[0]):
            httpx.get(base + url).raise_for_status()  # cached in both
        direct = _wrk_rate(the.worker_urls[0] + url)
        proxied = _wrk_rate(the.base + url)
        if direct is None or proxied is None:
            print("cached GET rate: needs wrk (apt-get install wrk)")
        else:
            print(f"cached GET, 200 connections: direct {direct:,.0f}/s, through nginx "
                  f"{proxied:,.0f}/s = {proxied / direct:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main()
