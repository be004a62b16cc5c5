"""The garbage collector of a real-time server worker.

Python's defaults collect the young generation every 700 net allocations and, now and then, walk every live
object: at a few hundred calls in one process such a full collection stops the event loop for tens of
milliseconds, which every call hears as input lag. A worker that has finished starting up freezes what exists
then (modules, models, caches: never garbage, so never worth scanning again) and collects the young generation
less often. ``bench capacity --gc default|tuned`` measures the difference (README, Benchmarks).
"""

from __future__ import annotations

import gc
from enum import Enum

TUNED_THRESHOLDS = (10_000, 20, 20)  # Python's defaults: (700, 10, 10)


class GcMode(Enum):
    DEFAULT = "default"  # Python's collector as configured out of the box
    TUNED = "tuned"  # freeze after start-up, rarer young collections (the server's default)


def configure_gc(mode: GcMode) -> None:
    """Call once start-up is over (the pipeline and its models built), before the first call."""
    gc.collect()
    if mode is GcMode.TUNED:
        gc.freeze()
        gc.set_threshold(*TUNED_THRESHOLDS)
