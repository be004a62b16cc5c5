"""Shared by the benchmark scripts: a nearest-rank percentile, and the adapter-overhead benchmarks' measuring loop
(warm-up runs, then the recorded ones) and timing table."""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
TimingRow = tuple[str, Sequence[float]]  # a label and its durations in seconds

WARMUP_RUNS = 5  # unrecorded runs first: connections, imports, caches


def percentile(values: Sequence[float], share: float) -> float:
    """The value at rank ``round(share * (n - 1))`` of the sorted values (no interpolation)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(runs: int, once: Callable[[], Awaitable[T]]) -> list[T]:
    """What ``once`` returns on each of ``runs`` runs, after ``WARMUP_RUNS`` unrecorded ones."""
    for _ in range(WARMUP_RUNS):
        await once()
    return [await once() for _ in range(runs)]


def summary(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, max and min of ``values``."""
    return {
        "p50": statistics.median(values),
        "p95": percentile(values, 0.95),
        "max": max(values),
        "min": min(values),
    }


def timing_table(rows: Sequence[TimingRow]) -> str:
    """One line per row: p50, p95 and mean in milliseconds, and the number of runs."""
    width = max(len(name) for name, _ in rows) + 2
    lines = [f"{'':<{width}} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'runs':>6}"]
    for name, seconds in rows:
        ms = [1000 * s for s in seconds]
        p50, p95, mean = statistics.median(ms), percentile(ms, 0.95), statistics.fmean(ms)
        lines.append(f"{name:<{width}} {p50:8.3f} {p95:8.3f} {mean:8.3f} {len(ms):6d}")
    return "\n".join(lines)
