"""Helpers shared by the API tests: apps with chosen settings (a live server: app.serving.devserver)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

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


def run_coroutine(coroutine):
    """asyncio.run in a thread of its own: the session may already run an event loop
    (pytest-playwright's, when the browser tests ran first)."""
    out: list = []

    def target():
        try:
            out.append(("ok", asyncio.run(coroutine)))
        except BaseException as error:  # noqa: BLE001 (handed to the test's thread)
            out.append(("error", error))

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    kind, value = out[0]
    if kind == "error":
        raise value
    return value
