"""Helpers shared by the API tests: apps with chosen settings, a live `gradwalk serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from app.api.settings import Settings
from app.main import create_app

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
SEED_PRESET = "pytorch-numpy-two-layer"
#: the seed network, shrunk so a test trains it in milliseconds
SMALL_SEED_RUN = {
    "preset": SEED_PRESET,
    "params": {"N": 8, "D_in": 20, "H": 10, "D_out": 3},
    "iterations": 5,
}


def make_client(**settings) -> TestClient:
    return TestClient(create_app(Settings(**settings)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """`gradwalk serve` in a subprocess on a free loopback port."""

    def __init__(self, workers: int = 2, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            str(Path(sys.executable).with_name("gradwalk")), "serve",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not answer /healthz within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
