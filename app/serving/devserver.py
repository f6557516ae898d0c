"""A real server for tests and benchmarks: uvicorn on a free loopback port, ready on /healthz.

    with devserver(["--workers", "2"], env={"GRADWALK_MAX_NODES": "50"}) as base:
        httpx.get(f"{base}/api/v1/presets")

Starts `python -m uvicorn app.main:create_app --factory --host 127.0.0.1 --port N ARGS` (or
another command that takes `--host` and `--port`, such as `gradwalk serve`) in the project
directory, waits until `/healthz` answers 200 within a deadline, yields the base URL, and stops
the server on the way out. Standard library only: the app does not depend on an HTTP client.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
#: the app factory under uvicorn: what `gradwalk serve` runs
UVICORN = (sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory")


class DevServerError(RuntimeError):
    """The server exited while starting, or did not answer /healthz in time."""


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop(process: subprocess.Popen) -> None:
    """Terminate `process` (a server), killing it if it has not exited within 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def devserver(
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    *,
    command: Sequence[str] = UVICORN,
    timeout: float = 60.0,
) -> Iterator[str]:
    """Serve the app on a free loopback port while the block runs; yields the base URL.

    `args` are appended to the command line (`--workers 2`, `--log-level warning`); `env` is
    added to this process's environment (GRADWALK_* settings). Raises DevServerError, with
    the server's stderr, if it exits while starting or `/healthz` does not answer within
    `timeout` seconds.
    """
    port = free_port()
    base = f"http://{HOST}:{port}"
    argv = [*command, "--host", HOST, "--port", str(port), *args]
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": path, **(env or {})},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )
        try:
            deadline = time.monotonic() + timeout
            while not _healthy(base):
                exited = process.poll()
                if exited is not None or time.monotonic() > deadline:
                    what = (f"exited with code {exited}" if exited is not None
                            else f"did not answer /healthz within {timeout:g} s")
                    stop(process)
                    stderr.seek(0)
                    log = stderr.read().decode("utf-8", "replace")[-4000:]
                    raise DevServerError(f"{' '.join(argv)}: {what}\n{log}")
                time.sleep(0.1)
            yield base
        finally:
            stop(process)
