"""Handing memory freed by a page run back to the system.

A page's aggregates over a million leads allocate and free hundreds of megabytes: NumPy arrays and pandas blocks
from the C heap, Arrow buffers from Arrow's own pool. Both keep what was freed for later use, so a server's
resident memory grew with every aggregate it had computed rather than with what it holds: 1.67 GB warm at
1,000,000 leads, 1.47 GB with a trim after each run (``benchmarks/bench_pages.py``). A trim takes 0.5–4 ms, and
the next run's aggregates took as long after one as without (0.352 against 0.350 s, medians of 6 at 1,000,000
leads).
"""

from __future__ import annotations

import ctypes
import ctypes.util

import pyarrow as pa


def _malloc_trim():
    """The C library's ``malloc_trim`` (glibc's), or ``None`` where it has none (macOS, musl)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_free_memory() -> None:
    """Give the memory freed so far back to the system: Arrow's unused pool memory and the C heap's free pages."""
    pa.default_memory_pool().release_unused()
    if _TRIM is not None:
        _TRIM(0)
