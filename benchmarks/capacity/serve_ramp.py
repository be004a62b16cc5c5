"""``bench capacity --through serve``: the ramp through the real ``parley serve --workers N`` process, with the
callers in the benchmark's own process (``serve_call.py``), so the server's CPU is measured alone.

Each step starts a fresh server (``serve_process.py``), waits until its workers have loaded, runs a few warm-up
calls, takes the server tree's resident memory as the baseline, starts the step's calls spread over
``ramp_seconds``, lets them settle and measures during ``seconds``: the server's CPU (parent + workers, from
/proc), the client process's CPU, the server's memory growth, the event lag of the caller's speech edges (see
``serve_call.py``), the server's own event-loop lag and dropped frames (``/metrics``). A step keeps up when the
p99 event lag is under the limit, no frame was dropped and no call failed.
"""

from __future__ import annotations

import gc
import json
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from benchmarks.capacity.call import MAX_ERROR_SAMPLES
from benchmarks.capacity.conversation import FRAME_SECONDS, CallerAudio
from benchmarks.capacity.ramp import RampConfig, step_sizes
from benchmarks.capacity.serve_call import ClientStats, run_serve_call
from benchmarks.capacity.serve_process import ServeBenchError, ServerProcess, sample_tree, scrape_metrics
from pipeline.server.gc_tuning import configure_gc

MB = 1024 * 1024
WARMUP_CALLS_PER_WORKER = 2
WARMUP_SECONDS = 2.0
STEP_GRACE = 120.0  # seconds beyond the planned step (warm-up, connecting, scraping) before giving up
COMPETING_NOTE = (
    "note: the callers run in one client process on the same machine, so they compete with the server for the "
    "same cores; 'sustained' understates what the server alone could hold (see the projection)."
)


@dataclass(frozen=True)
class ServeStepResult:
    sessions: int
    workers: int
    seconds: float
    server_cpu_percent: float  # % of one core, parent + workers
    server_cpu_percent_per_session: float
    server_cpu_percent_by_process: list[float]  # the parent, then its workers (how evenly the calls spread)
    client_cpu_percent: float  # the benchmark's client process
    server_rss_mb_per_session: float  # growth of the server tree over its baseline (after warm-up), per call
    server_rss_baseline_mb: float
    event_lag_p50_ms: float
    event_lag_p99_ms: float
    event_lag_max_ms: float
    events_measured: int
    start_edge_lag_p99_ms: float  # start edges: reported, not judged (see serve_call.py)
    send_lag_p99_ms: float  # the client's own lateness sending caller frames
    server_loop_lag_p99_ms: float  # upper bound of the /metrics bucket holding the p99 (inf: above 1 s)
    frames_dropped: int
    calls_connected: int
    turns: int
    errors: int
    error_samples: list[str] = field(default_factory=list)
    sustained: bool = False
    verdict: str = ""

    def judged(self, lag_limit_ms: float) -> ServeStepResult:
        problems = []
        if self.calls_connected < self.sessions:
            problems.append(f"only {self.calls_connected} of {self.sessions} calls connected")
        if self.frames_dropped:
            problems.append(f"{self.frames_dropped} frames dropped")
        if not self.events_measured:
            problems.append("no stop edge measured")
        elif not self.event_lag_p99_ms <= lag_limit_ms:
            problems.append(f"p99 stop-edge lag {self.event_lag_p99_ms:.1f} ms > {lag_limit_ms:g} ms")
        if self.errors:
            problems.append(f"{self.errors} errors")
        return ServeStepResult(
            **{**asdict(self), "sustained": not problems, "verdict": "; ".join(problems) or "real time"}
        )


def run_serve_step(sessions: int, config: RampConfig, caller: CallerAudio) -> ServeStepResult:
    """One step against a fresh ``parley serve --workers config.processes``."""
    with ServerProcess(config.processes, sessions, config.gc_mode.value) as server:
        server.wait_ready()
        return measure_step(server.port, server.pid, sessions, config, caller)


def measure_step(
    port: int, server_pid: int, sessions: int, config: RampConfig, caller: CallerAudio
) -> ServeStepResult:
    """Run ``sessions`` callers against the server listening on ``port`` (process ``server_pid``) and measure;
    a ``ServeBenchError`` if that server is not there."""
    sample_tree(server_pid)  # fails clearly when there is no such process
    scrape_metrics(port)  # ... or nothing answers on the port
    return anyio.run(_measure, port, server_pid, sessions, config, caller, backend="asyncio")


async def _measure(
    port: int, pid: int, sessions: int, config: RampConfig, caller: CallerAudio
) -> ServeStepResult:
    thresholds = gc.get_threshold()
    try:
        with anyio.fail_after(config.ramp_seconds + config.settle_seconds + config.seconds + STEP_GRACE):
            return await _measure_calls(port, pid, sessions, config, caller)
    finally:  # the client's GC as it was (the caller of this step may be a test run)
        gc.unfreeze()
        gc.set_threshold(*thresholds)


async def _measure_calls(
    port: int, pid: int, sessions: int, config: RampConfig, caller: CallerAudio
) -> ServeStepResult:
    frames = caller.frames()
    rng = random.Random(config.seed)
    await _warm_up(port, frames, config.processes)
    configure_gc(config.gc_mode)  # the client process too: its collections would delay the callers' frames
    baseline = sample_tree(pid)
    stats = ClientStats()
    hang_up = anyio.Event()
    async with anyio.create_task_group() as calls:
        started = anyio.current_time()
        for number in range(sessions):
            offset, phase = rng.randrange(len(frames)), rng.random() * FRAME_SECONDS
            calls.start_soon(run_serve_call, port, frames, offset, stats, hang_up, phase)
            await anyio.sleep_until(started + (number + 1) * config.ramp_seconds / sessions)
        await anyio.sleep(config.settle_seconds)
        metrics_before = await anyio.to_thread.run_sync(scrape_metrics, port)
        tree_before, client_before, wall_before = sample_tree(pid), time.process_time(), time.monotonic()
        stats.measuring = True
        await anyio.sleep(config.seconds)
        stats.measuring = False
        tree_after, client_after, wall_after = sample_tree(pid), time.process_time(), time.monotonic()
        metrics = (await anyio.to_thread.run_sync(scrape_metrics, port)).since(metrics_before)
        hang_up.set()
    wall = wall_after - wall_before
    server_cpu = 100 * (tree_after.cpu_seconds - tree_before.cpu_seconds) / wall
    tally = stats.tally
    step = ServeStepResult(
        sessions=sessions,
        workers=config.processes,
        seconds=wall,
        server_cpu_percent=server_cpu,
        server_cpu_percent_per_session=server_cpu / sessions,
        server_cpu_percent_by_process=[
            round(p, 1) for p in tree_after.cpu_percent_by_process(tree_before, wall)
        ],
        client_cpu_percent=100 * (client_after - client_before) / wall,
        server_rss_mb_per_session=(tree_after.rss_bytes - baseline.rss_bytes) / sessions / MB,
        server_rss_baseline_mb=baseline.rss_bytes / MB,
        event_lag_p50_ms=1000 * stats.event_lag.percentile(0.50),
        event_lag_p99_ms=1000 * stats.event_lag.percentile(0.99),
        event_lag_max_ms=1000 * stats.event_lag.max_seconds,
        events_measured=stats.event_lag.total,
        start_edge_lag_p99_ms=1000 * stats.start_lag.percentile(0.99),
        send_lag_p99_ms=1000 * stats.send_lag.percentile(0.99),
        server_loop_lag_p99_ms=1000 * metrics.lag_quantile_bound(0.99),
        frames_dropped=max(round(metrics.frames_dropped), tally.frames_dropped),
        calls_connected=stats.connected,
        turns=tally.turns,
        errors=tally.errors,
        error_samples=tally.error_samples[:MAX_ERROR_SAMPLES],
    )
    return step.judged(config.lag_limit_ms)


async def _warm_up(port: int, frames: list[bytes], workers: int) -> None:
    """A few short calls, so lazy imports and caches exist in the workers before the memory baseline."""
    stats, hang_up = ClientStats(), anyio.Event()
    async with anyio.create_task_group() as group:
        for number in range(WARMUP_CALLS_PER_WORKER * workers):
            group.start_soon(run_serve_call, port, frames, number * 50, stats, hang_up, 0.0)
        await anyio.sleep(WARMUP_SECONDS)
        hang_up.set()
    if stats.tally.errors and not stats.connected:
        raise ServeBenchError(f"warm-up calls failed: {stats.tally.error_samples[0]}")
    await anyio.sleep(1.0)  # the warm-up sessions end


@dataclass
class ServeReport:
    config: dict[str, Any]
    machine: dict[str, Any]
    steps: list[ServeStepResult] = field(default_factory=list)

    @property
    def best(self) -> ServeStepResult | None:
        return max((s for s in self.steps if s.sustained), key=lambda s: s.sessions, default=None)

    def projection(self) -> float | None:
        """Sessions the server alone could hold if CPU were all that counted: all cores / CPU per session
        (from the largest step that kept up, else the first)."""
        step = self.best or (self.steps[0] if self.steps else None)
        if step is None or not step.server_cpu_percent_per_session > 0:
            return None
        return 100 * (os.cpu_count() or 1) / step.server_cpu_percent_per_session

    def to_json(self) -> dict[str, Any]:
        best = self.best
        return {
            "config": self.config,
            "machine": self.machine,
            "note": COMPETING_NOTE,
            "max_sessions_sustained": best.sessions if best else 0,
            "server_cpu_projection_sessions": self.projection(),
            "steps": [{k: _finite(v) for k, v in asdict(step).items()} for step in self.steps],
        }

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "capacity-serve.json"
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        return path


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


_COLUMNS = (
    ("sessions", 8, "sessions", "{:d}"),
    ("srv cpu%", 8, "server_cpu_percent", "{:.0f}"),
    ("parent/workers", 14, "server_cpu_percent_by_process", "{:.0f}"),
    ("srv%/sess", 9, "server_cpu_percent_per_session", "{:.2f}"),
    ("client cpu%", 11, "client_cpu_percent", "{:.0f}"),
    ("MB/sess", 7, "server_rss_mb_per_session", "{:.2f}"),
    ("stop p50", 8, "event_lag_p50_ms", "{:.1f}"),
    ("stop p99", 8, "event_lag_p99_ms", "{:.1f}"),
    ("stop max", 8, "event_lag_max_ms", "{:.0f}"),
    ("stops", 6, "events_measured", "{:d}"),
    ("start p99", 9, "start_edge_lag_p99_ms", "{:.1f}"),
    ("send p99", 8, "send_lag_p99_ms", "{:.1f}"),
    ("loop p99<=", 10, "server_loop_lag_p99_ms", "{:.1f}"),
    ("dropped", 7, "frames_dropped", "{:d}"),
    ("turns", 6, "turns", "{:d}"),
)


def serve_table_header() -> str:
    return "  ".join(f"{name:>{width}}" for name, width, _, _ in _COLUMNS) + "  verdict"


def serve_table_row(step: ServeStepResult) -> str:
    cells = [f"{_cell(spec, getattr(step, attr)):>{width}}" for _, width, attr, spec in _COLUMNS]
    return "  ".join(cells) + f"  {step.verdict}"


def _cell(spec: str, value: Any) -> str:
    if isinstance(value, list):
        return "/".join(spec.format(item) for item in value)
    return spec.format(value)


def run_serve_ramp(
    config: RampConfig,
    caller: CallerAudio,
    report: ServeReport,
    on_step: Callable[[ServeStepResult], None] = lambda step: None,
) -> ServeReport:
    for sessions in step_sizes(config.start, config.step, config.maximum):
        step = run_serve_step(sessions, config, caller)
        report.steps.append(step)
        on_step(step)
        if not step.sustained:
            break
    return report
