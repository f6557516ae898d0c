"""Keep freed tensor memory in the process instead of handing it back to the OS each time.

glibc's malloc serves blocks over its (adaptive) mmap threshold with fresh pages and trims the
heap top on free, so a training loop that allocates and frees the same ~1 MB tensors every
iteration page-faults them in again every iteration: measured here, that alone made the
seed network's loop 2x slower than the same loop with the memory kept. Fixing both thresholds
keeps up to 64 MiB of freed memory for reuse. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 16 << 20
TRIM_THRESHOLD_BYTES = 64 << 20


def keep_freed_memory() -> bool:
    """Set glibc's malloc thresholds; True when they were set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and \
        bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
