"""This process's resident memory and CPU time (Linux /proc; no third-party package)."""

from __future__ import annotations

import os
import time

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    """Current resident set size (the second field of /proc/self/statm, in pages)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE_SIZE


def cpu_seconds() -> float:
    """User + system CPU time of the whole process (every thread, e.g. onnxruntime's)."""
    return time.process_time()
