"""A worker that dies in the middle of its first answer under /api/v1/runs/ when
GRADWALK_TEST_DIE is set: the head of the response is sent by the app, then the process is
SIGKILLed before the body (test_load_nginx.py). /healthz always answers."""

from __future__ import annotations

import os
import signal


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b"alive"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    if scope["path"].startswith("/api/v1/runs/") and os.environ.get("GRADWALK_TEST_DIE"):
        os.kill(os.getpid(), signal.SIGKILL)
    await send({"type": "http.response.body", "body": body})
