"""WholeWrites: the writes of one turn of the event loop leave in one write (a response's head
never leaves without its body); closing sends what is held first, aborting drops it."""

from __future__ import annotations

import asyncio
import threading

from app.serving.wholeresponse import WholeWrites


class Recorder(asyncio.Transport):
    def __init__(self):
        super().__init__()
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data):
        self.writes.append(bytes(data))

    def close(self):
        self.events.append("close")
        self.closing = True

    def abort(self):
        self.events.append("abort")
        self.closing = True

    def is_closing(self):
        return self.closing

    def get_write_buffer_size(self):
        return 0

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 9)}.get(name, default)


def _in_a_loop(body):
    async def main():
        real = Recorder()
        held = WholeWrites(real, asyncio.get_running_loop())
        await body(real, held)
        return real

    # a thread of its own: the session may already run an event loop (pytest-playwright's)
    out: list = []
    thread = threading.Thread(target=lambda: out.append(asyncio.run(main())))
    thread.start()
    thread.join()
    assert out, "the loop failed (see the thread's traceback)"
    return out[0]


def test_a_head_and_its_body_leave_in_one_write():
    async def body(real, held):
        held.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")
        held.write(b"alive")
        assert real.writes == [] and held.get_write_buffer_size() == 43
        await asyncio.sleep(0)
        assert real.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nalive"]
        held.writelines([b"a", b"b"])
        await asyncio.sleep(0)

    real = _in_a_loop(body)
    assert real.writes[1:] == [b"ab"]


def test_close_sends_what_is_held_first_and_abort_drops_it():
    async def closing(real, held):
        held.write(b"last words")
        held.close()
        assert real.writes == [b"last words"] and real.events == ["close"]
        await asyncio.sleep(0)
        assert real.writes == [b"last words"]  # not twice

    _in_a_loop(closing)

    async def aborting(real, held):
        held.write(b"never")
        held.abort()
        await asyncio.sleep(0)
        assert real.writes == [] and real.events == ["abort"]
        assert held.get_extra_info("peername") == ("127.0.0.1", 9)

    _in_a_loop(aborting)
