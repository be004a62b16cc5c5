"""Results of a capacity run: one ``StepResult`` per number of sessions (aggregated over the worker processes),
the verdict for each step, the table printed per step and the ``capacity.json`` document."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.capacity.call import MAX_ERROR_SAMPLES
from benchmarks.capacity.lag import LagHistogram
from benchmarks.capacity.worker import WorkerResult

MB = 1024 * 1024
TARGET_SESSIONS = 400
TARGET_MB_PER_SESSION = 4.0
FRAMES_PER_SECOND = 50


@dataclass(frozen=True)
class StepResult:
    sessions: int
    processes: int
    seconds: float
    cpu_percent_per_session: float  # % of one core
    cpu_percent_total: float  # % of one core, all processes (the machine has processes * 100 %)
    rss_mb_per_session: float  # resident memory growth over the zero-session baseline, per session
    rss_baseline_mb: float  # per process, with nothing running
    lag_p50_ms: float
    lag_p99_ms: float
    lag_max_ms: float
    frames_measured: int
    frames_expected: int
    frames_dropped: int
    turns: int
    interruptions: int
    errors: int
    error_samples: list[str]
    vad_mean_batch: float | None  # None: unbatched engine
    vad_max_batch: int | None
    vad_offloaded_batches: int | None
    gc_full_collections: int
    gc_max_pause_ms: float
    sustained: bool
    verdict: str

    @classmethod
    def from_workers(
        cls, results: Sequence[WorkerResult], *, batched: bool, lag_limit_ms: float
    ) -> StepResult:
        sessions = sum(r.sessions for r in results)
        histogram = LagHistogram()
        for result in results:
            histogram.merge(LagHistogram.from_sparse(result.lag))
        load = sum(r.cpu_seconds / r.wall_seconds for r in results)
        batches = sum(r.vad_batches for r in results)
        step = cls(
            sessions=sessions,
            processes=len(results),
            seconds=max(r.wall_seconds for r in results),
            cpu_percent_per_session=100 * load / sessions,
            cpu_percent_total=100 * load,
            rss_mb_per_session=sum(r.rss_end_bytes - r.rss_baseline_bytes for r in results) / sessions / MB,
            rss_baseline_mb=sum(r.rss_baseline_bytes for r in results) / len(results) / MB,
            lag_p50_ms=1000 * histogram.percentile(0.50),
            lag_p99_ms=1000 * histogram.percentile(0.99),
            lag_max_ms=1000 * histogram.max_seconds,
            frames_measured=histogram.total,
            frames_expected=round(sum(r.sessions * r.wall_seconds for r in results) * FRAMES_PER_SECOND),
            frames_dropped=sum(r.frames_dropped for r in results),
            turns=sum(r.turns for r in results),
            interruptions=sum(r.interruptions for r in results),
            errors=sum(r.errors for r in results),
            error_samples=[message for r in results for message in r.error_samples][:MAX_ERROR_SAMPLES],
            vad_mean_batch=(sum(r.vad_rows for r in results) / batches if batches else 0.0)
            if batched
            else None,
            vad_max_batch=max(r.vad_max_rows for r in results) if batched else None,
            vad_offloaded_batches=sum(r.vad_offloaded_batches for r in results) if batched else None,
            gc_full_collections=sum(r.gc_full_collections for r in results),
            gc_max_pause_ms=1000 * max(r.gc_max_pause_seconds for r in results),
            sustained=False,
            verdict="",
        )
        return step.judged(lag_limit_ms)

    @classmethod
    def failed(cls, sessions: int, processes: int, reason: str) -> StepResult:
        """A step whose workers did not report (nothing measured)."""
        nan = math.nan
        return cls(
            sessions=sessions,
            processes=processes,
            seconds=0.0,
            cpu_percent_per_session=nan,
            cpu_percent_total=nan,
            rss_mb_per_session=nan,
            rss_baseline_mb=nan,
            lag_p50_ms=nan,
            lag_p99_ms=nan,
            lag_max_ms=nan,
            frames_measured=0,
            frames_expected=0,
            frames_dropped=0,
            turns=0,
            interruptions=0,
            errors=0,
            error_samples=[],
            vad_mean_batch=None,
            vad_max_batch=None,
            vad_offloaded_batches=None,
            gc_full_collections=0,
            gc_max_pause_ms=nan,
            sustained=False,
            verdict=reason,
        )

    def judged(self, lag_limit_ms: float) -> StepResult:
        problems = []
        if self.frames_dropped:
            problems.append(f"{self.frames_dropped} frames dropped")
        if not self.lag_p99_ms <= lag_limit_ms:
            problems.append(f"p99 lag {self.lag_p99_ms:.1f} ms > {lag_limit_ms:g} ms")
        if self.frames_measured < 0.9 * self.frames_expected:
            problems.append(f"only {self.frames_measured} of {self.frames_expected} frames processed")
        if self.errors:
            problems.append(f"{self.errors} errors")
        verdict = "; ".join(problems) or "real time"
        return StepResult(**{**asdict(self), "sustained": not problems, "verdict": verdict})


@dataclass
class CapacityReport:
    config: dict[str, Any]
    machine: dict[str, Any]
    steps: list[StepResult] = field(default_factory=list)

    @property
    def best(self) -> StepResult | None:
        """The step with the most sessions that kept up (None if none did)."""
        return max(
            (step for step in self.steps if step.sustained), key=lambda step: step.sessions, default=None
        )

    @property
    def max_sustained(self) -> int:
        """The most sessions of a step that kept up (0 if none did)."""
        best = self.best
        return best.sessions if best is not None else 0

    def to_json(self) -> dict[str, Any]:
        best = self.best
        return {
            "config": self.config,
            "machine": self.machine,
            "max_sessions_sustained": self.max_sustained,
            "targets": {
                "sessions": TARGET_SESSIONS,
                "sessions_met": self.max_sustained >= TARGET_SESSIONS,
                "mb_per_session": TARGET_MB_PER_SESSION,
                "mb_per_session_met": best is not None and best.rss_mb_per_session <= TARGET_MB_PER_SESSION,
            },
            "steps": [_finite(asdict(step)) for step in self.steps],
        }

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "capacity.json"
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return path


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: failed steps report null."""
    return {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in row.items()
    }


_COLUMNS = (
    ("sessions", 8, "{:d}"),
    ("cpu%/sess", 9, "{:.2f}"),
    ("cpu% total", 10, "{:.0f}"),
    ("MB/sess", 7, "{:.2f}"),
    ("p50 ms", 7, "{:.1f}"),
    ("p99 ms", 7, "{:.1f}"),
    ("max ms", 7, "{:.0f}"),
    ("dropped", 7, "{:d}"),
    ("turns", 6, "{:d}"),
    ("batch", 6, "{:.1f}"),
    ("gc ms", 6, "{:.0f}"),
)


def table_header() -> str:
    return "  ".join(f"{name:>{width}}" for name, width, _ in _COLUMNS) + "  verdict"


def table_row(step: StepResult) -> str:
    values = (
        step.sessions,
        step.cpu_percent_per_session,
        step.cpu_percent_total,
        step.rss_mb_per_session,
        step.lag_p50_ms,
        step.lag_p99_ms,
        step.lag_max_ms,
        step.frames_dropped,
        step.turns,
        step.vad_mean_batch,
        step.gc_max_pause_ms,
    )
    cells = []
    for (_, width, spec), value in zip(_COLUMNS, values, strict=True):
        text = (
            "-" if value is None or (isinstance(value, float) and math.isnan(value)) else spec.format(value)
        )
        cells.append(f"{text:>{width}}")
    return "  ".join(cells) + f"  {step.verdict}"
