"""Behind a proxy, a worker that dies must not leave half a response.

uvicorn writes a response's status line and headers when the app starts the response, and the
body in a second write. If the worker dies between the two (a SIGKILL, the OOM killer; the
window is long when a compute thread holds the GIL), nginx has already passed the headers on to
the client, so it cannot send the request to another worker: the client gets a truncated
response (nginx: "upstream prematurely closed connection while reading upstream"; seen in the
200-client load test with a worker killed halfway).

`WholeResponseHttpTools` is uvicorn's httptools protocol with its writes held until the event
loop's next turn, and sent in one write: the head and the body of a response leave together.
A worker killed before that write sends nothing, and nginx's `proxy_next_upstream error`
retries the request on another worker; killed after it, the whole response is in the kernel's
socket buffer and is delivered. (A body larger than the socket's buffer still leaves in
pieces; the buffer is asked to hold `SEND_BUFFER_BYTES`.)

Used by `gradwalk serve --behind-proxy` (app/cli.py).
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: the send buffer each connection asks the kernel for (it caps it at net.core.wmem_max)
SEND_BUFFER_BYTES = 4 << 20


class WholeWrites(asyncio.Transport):
    """A transport whose writes of one turn of the event loop leave in one write."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._flush_handle: asyncio.Handle | None = None

    # ----- writing: held, then sent in one piece -----

    def write(self, data) -> None:
        if not data:
            return
        self._held.append(bytes(data))
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self.flush)

    def writelines(self, list_of_data) -> None:
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        self._flush_handle = None
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(d) for d in self._held)

    # ----- closing: what is held leaves first, unless aborted -----

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held.clear()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._transport.abort()

    # ----- everything else is the real transport's -----

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name, default=None):
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_write_buffer_limits(self, high=None, low=None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self):
        return self._transport.get_write_buffer_limits()

    def set_protocol(self, protocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self):
        return self._transport.get_protocol()


class WholeResponseHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through `WholeWrites`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
            except OSError:
                pass  # the kernel's default buffer
        super().connection_made(WholeWrites(transport, self.loop))
