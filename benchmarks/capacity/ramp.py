"""The ramp: run steps of increasing numbers of sessions, each in fresh worker processes (one per core, each with
its share of the sessions), until a step falls behind real time or the maximum is reached."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TypeVar

from benchmarks.capacity.conversation import CallerAudio
from benchmarks.capacity.report import CapacityReport, StepResult
from benchmarks.capacity.worker import (
    GO,
    WorkerFailed,
    WorkerPlan,
    WorkerReady,
    WorkerResult,
    worker_main,
)
from benchmarks.capacity.ws_call import Through
from pipeline.server.gc_tuning import GcMode

READY_TIMEOUT = 120.0  # seconds for a worker to import, load the model and run its warm-up call
RESULT_GRACE = 60.0  # seconds beyond the step's planned length before a worker is given up on
EXIT_TIMEOUT = 10.0

T = TypeVar("T")


@dataclass(frozen=True)
class RampConfig:
    start: int = 50
    step: int = 100
    maximum: int = 1000
    seconds: float = 20.0
    processes: int = 2
    batched: bool = True
    offload_min_rows: int | None = None
    gc_mode: GcMode = GcMode.TUNED
    ramp_seconds: float = 5.0
    settle_seconds: float = 2.0
    lag_limit_ms: float = 50.0
    seed: int = 1
    through: Through = Through.PROCESS


def step_sizes(start: int, step: int, maximum: int) -> list[int]:
    """``start``, then each following multiple of ``step``, up to ``maximum``: 50, 100, 200, 300, ..."""
    if start < 1 or step < 1:
        raise ValueError("start and step must be positive")
    sizes = []
    sessions = start
    while sessions <= maximum:
        sizes.append(sessions)
        sessions = (sessions // step + 1) * step
    return sizes


def split_sessions(sessions: int, processes: int) -> list[int]:
    """Sessions per worker process: as even as possible, no empty worker."""
    workers = max(1, min(processes, sessions))
    share, extra = divmod(sessions, workers)
    return [share + (1 if index < extra else 0) for index in range(workers)]


def run_ramp(
    config: RampConfig,
    caller: CallerAudio,
    report: CapacityReport,
    on_step: Callable[[StepResult], None] = lambda step: None,
) -> CapacityReport:
    if config.through is Through.SERVE:
        raise ValueError("--through serve has its own ramp: benchmarks.capacity.serve_ramp.run_serve_ramp")
    for sessions in step_sizes(config.start, config.step, config.maximum):
        step = run_step(sessions, config, caller)
        report.steps.append(step)
        on_step(step)
        if not step.sustained:
            break
    return report


def run_step(sessions: int, config: RampConfig, caller: CallerAudio) -> StepResult:
    """Run ``sessions`` calls over ``config.processes`` fresh worker processes and aggregate their results."""
    context = multiprocessing.get_context("spawn")
    shares = split_sessions(sessions, config.processes)
    workers: list[tuple[BaseProcess, Connection]] = []
    try:
        for index, share in enumerate(shares):
            plan = WorkerPlan(
                index=index,
                sessions=share,
                seconds=config.seconds,
                ramp_seconds=config.ramp_seconds,
                settle_seconds=config.settle_seconds,
                batched=config.batched,
                offload_min_rows=config.offload_min_rows,
                gc_mode=config.gc_mode,
                seed=config.seed * 1000 + index,
                through=config.through,
            )
            ours, theirs = context.Pipe()
            process = context.Process(target=worker_main, args=(plan, theirs), daemon=True)
            process.start()
            theirs.close()
            workers.append((process, ours))
        for _, conn in workers:
            _send(conn, caller)
        for _, conn in workers:
            _expect(conn, WorkerReady, READY_TIMEOUT)
        for _, conn in workers:
            _send(conn, GO)
        planned = config.ramp_seconds + config.settle_seconds + config.seconds
        results = [_expect(conn, WorkerResult, planned + RESULT_GRACE) for _, conn in workers]
    except WorkerError as error:
        return StepResult.failed(sessions, len(shares), f"worker failed: {error}")
    finally:
        _stop(workers)
    return StepResult.from_workers(results, batched=config.batched, lag_limit_ms=config.lag_limit_ms)


class WorkerError(RuntimeError):
    pass


def _expect(conn: Connection, kind: type[T], timeout: float) -> T:
    if not conn.poll(timeout):
        raise WorkerError(f"no {kind.__name__} within {timeout:.0f} s")
    try:
        message = conn.recv()
    except EOFError:
        raise WorkerError("the worker exited") from None
    if isinstance(message, WorkerFailed):
        raise WorkerError(message.error.strip().splitlines()[-1])
    if not isinstance(message, kind):
        raise WorkerError(f"expected {kind.__name__}, got {type(message).__name__}")
    return message


def _send(conn: Connection, message: object) -> None:
    try:
        conn.send(message)
    except OSError as error:
        raise WorkerError(f"the worker exited ({error})") from None


def _stop(workers: list[tuple[BaseProcess, Connection]]) -> None:
    for _, conn in workers:
        conn.close()  # a worker still waiting for GO gives up
    for process, _ in workers:
        process.join(EXIT_TIMEOUT)
        if process.is_alive():
            process.terminate()
            process.join(EXIT_TIMEOUT)
