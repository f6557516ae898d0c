"""app.engine.core.allocator: glibc's malloc told to keep freed memory, or nothing done."""

from __future__ import annotations

import platform
import sys

from app.engine.core import allocator


class FakeLibc:
    """A libc whose mallopt records its calls and answers `answer` (glibc: 1 on success)."""

    def __init__(self, answer: int = 1):
        self.calls: list[tuple[int, int]] = []
        self.answer = answer

    def mallopt(self, option: int, value: int) -> int:
        self.calls.append((option, value))
        return self.answer


def test_it_sets_both_thresholds_with_glibcs_option_numbers(monkeypatch):
    libc = FakeLibc()
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: libc)
    assert allocator.keep_freed_memory() is True
    # mallopt.h: M_TRIM_THRESHOLD -1, M_MMAP_THRESHOLD -3; 16 MiB served from the heap, 64 MiB kept
    assert libc.calls == [(-3, 16 * 2**20), (-1, 64 * 2**20)]


def test_a_refused_setting_is_said(monkeypatch):
    """mallopt answers 0 when it refuses: keep_freed_memory says False."""
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: FakeLibc(answer=0))
    assert allocator.keep_freed_memory() is False


def test_elsewhere_than_linux_nothing_is_loaded(monkeypatch):
    def refuse(name):
        raise AssertionError("no C library is loaded off Linux")

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(allocator.ctypes, "CDLL", refuse)
    assert allocator.keep_freed_memory() is False


def test_a_libc_without_mallopt_or_none_at_all_is_no_error(monkeypatch):
    def missing(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(allocator.ctypes, "CDLL", missing)
    assert allocator.keep_freed_memory() is False
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: object())  # musl-like: no mallopt
    assert allocator.keep_freed_memory() is False


def test_on_this_machine_it_runs():
    """The real call: True on glibc (this project's CI), a bool anywhere."""
    result = allocator.keep_freed_memory()
    assert isinstance(result, bool)
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert result is True
