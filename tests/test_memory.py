"""Memory freed by a run goes back to the system."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sla_model.memory import _TRIM
from sla_model.store.db import PROJECT_ROOT

#: In a fresh process: fill the C heap with 400 MB of 1 MB arrays (from the heap once glibc's mmap threshold has
#: adapted), a small block kept after each, free the arrays, and print the resident memory before and after
#: ``release_free_memory``.
SCRIPT = """
import numpy as np
from sla_model.memory import release_free_memory

def rss_mb():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS")) / 1024

warm = np.ones(1 << 17); del warm  # a freed mmapped block raises the threshold: later blocks come from the heap
big, pinned = [], []
for _ in range(400):  # 1 MB arrays, each followed by a small block that stays: the heap cannot shrink by itself
    big.append(np.ones(1 << 17))
    pinned.append(bytearray(4096))
del big
before = rss_mb()
release_free_memory()
print(before, rss_mb())
"""


@pytest.mark.skipif(_TRIM is None or not sys.platform.startswith("linux"), reason="glibc's malloc_trim only")
def test_memory_freed_by_a_run_is_handed_back_to_the_system():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    before, after = map(float, done.stdout.split())
    assert before - after > 300, (before, after)  # of the 400 MB freed
