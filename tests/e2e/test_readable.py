"""The smaller readability fixes of issue 20: byte units said as they are (KiB, MiB), …"""

from __future__ import annotations

from .conftest import open_run

FORMAT = "async (n) => (await import('/static/js/format.js')).bytes(n)"


def test_bytes_are_written_in_binary_units_named_as_such(guard, server, small_run):
    page = guard
    open_run(page, server, small_run["run_id"], 0, 0)
    said = {n: page.evaluate(FORMAT, n) for n in (512, 51_200, 3 * 1024 * 1024)}
    assert said == {512: "512 B", 51_200: "50.0 KiB", 3 * 1024 * 1024: "3.00 MiB"}
