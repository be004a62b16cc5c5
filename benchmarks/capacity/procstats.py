"""This process's resident memory, CPU time and garbage-collector pauses (Linux /proc; no third-party package)."""

from __future__ import annotations

import gc
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


class GcPauses:
    """Pauses of the cyclic garbage collector (through ``gc.callbacks``) while installed."""

    def __init__(self) -> None:
        self.full_collections = 0  # generation 2
        self.max_seconds = 0.0
        self._started = 0.0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.full_collections += int(info["generation"] == 2)
        self.max_seconds = max(self.max_seconds, time.perf_counter() - self._started)
