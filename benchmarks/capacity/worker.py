"""One worker process of a capacity step: N calls on its own asyncio event loop with its own VAD engine.

Timeline: load everything and run one short warm-up call (so one-time costs, such as loading models and
building caches, are not charged to the sessions), measure the zero-session resident memory, tell the parent it
is ready, wait for "go", start the calls spread evenly over ``ramp_seconds`` (calls arrive one after another,
each at its own phase of the 20 ms frame clock), let them settle, then measure during ``seconds``: CPU time,
frame lags, VAD batches; resident memory at the end. Dropped frames and errors count over the whole run.
"""

from __future__ import annotations

import contextlib
import random
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection

import anyio
import anyio.to_thread

from benchmarks.capacity.call import Tally, call_pipeline, run_call
from benchmarks.capacity.conversation import FRAME_SECONDS, CallerAudio
from benchmarks.capacity.lag import LagHistogram, LagProbe
from benchmarks.capacity.procstats import GcPauses, cpu_seconds, resident_bytes
from benchmarks.capacity.ws_call import Through, frame_origin, loopback_server, run_ws_call
from pipeline.server.gc_tuning import GcMode, configure_gc
from pipeline.server.protocol import Start
from pipeline.session.pipeline import Pipeline
from pipeline.settings import SessionSettings
from pipeline.transports.telephony.messages import StreamStarted
from vad import BatchedSileroEngine, BatchStats, Vad, VadConfig, create_vad

WARMUP_CALL_SECONDS = 1.0
GO = "go"


@dataclass(frozen=True)
class WorkerPlan:
    index: int
    sessions: int
    seconds: float  # the measurement window
    ramp_seconds: float  # the calls start spread over this
    settle_seconds: float  # after the last call started, before measuring
    batched: bool
    offload_min_rows: int | None  # VAD batches this large run in a worker thread; None: never
    gc_mode: GcMode
    seed: int
    through: Through = Through.PROCESS


@dataclass(frozen=True)
class WorkerReady:
    rss_baseline_bytes: int


@dataclass(frozen=True)
class WorkerFailed:
    error: str


@dataclass(frozen=True)
class WorkerResult:
    index: int
    sessions: int
    wall_seconds: float
    cpu_seconds: float
    rss_baseline_bytes: int
    rss_end_bytes: int
    lag: dict[str, object]  # LagHistogram.to_sparse()
    frames_dropped: int
    turns: int
    interruptions: int
    errors: int
    error_samples: list[str]
    vad_batches: int
    vad_rows: int
    vad_max_rows: int
    vad_offloaded_batches: int
    gc_full_collections: int
    gc_max_pause_seconds: float


class MeasurementWindow:
    def __init__(self) -> None:
        self._open = False

    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        self._open = True

    def close(self) -> None:
        self._open = False


def worker_main(plan: WorkerPlan, conn: Connection) -> None:
    """Process entry point: receives the CallerAudio, sends WorkerReady, waits for GO, sends WorkerResult (or
    WorkerFailed). The audio comes through the pipe rather than the arguments, so a worker that dies while
    starting cannot leave the parent blocked writing its arguments."""
    try:
        anyio.run(_run, plan, conn, backend="asyncio")
    except (EOFError, BrokenPipeError):
        pass  # the parent gave up on this step
    except BaseException:
        with contextlib.suppress(OSError):
            conn.send(WorkerFailed(traceback.format_exc()))
        raise
    finally:
        conn.close()


async def _run(plan: WorkerPlan, conn: Connection) -> None:
    caller = conn.recv()
    if not isinstance(caller, CallerAudio):
        raise TypeError(f"expected CallerAudio first, got {type(caller).__name__}")
    frames = caller.frames()
    settings = SessionSettings(drain_timeout=0.0)  # hanging up stops the agent at once
    vad = create_vad(VadConfig(batched=plan.batched, offload_min_rows=plan.offload_min_rows))
    await _warm_up(vad, frames, caller.utterances, settings)
    configure_gc(plan.gc_mode)
    baseline = resident_bytes()
    conn.send(WorkerReady(baseline))
    if await anyio.to_thread.run_sync(conn.recv) != GO:
        return
    histogram = LagHistogram()
    tally = Tally()
    window = MeasurementWindow()
    rng = random.Random(plan.seed)
    hang_up = anyio.Event()

    def pipeline_for_call(start: Start) -> Pipeline:
        probe = LagProbe(histogram, anyio.current_time, window.is_open)
        origin = frame_origin(start)
        if origin is not None:
            probe.start(origin)
        return call_pipeline(vad, probe, caller.utterances, settings)

    async with contextlib.AsyncExitStack() as stack:
        port = 0
        if plan.through is Through.PARLEY_WS:
            port = await stack.enter_async_context(loopback_server(pipeline_for_call, plan.sessions + 10))
        elif plan.through is Through.TWILIO_WS:
            from benchmarks.capacity.twilio_call import twilio_loopback_server, twilio_origin

            def pipeline_for_phone_call(started: StreamStarted) -> Pipeline:
                probe = LagProbe(histogram, anyio.current_time, window.is_open)
                origin = twilio_origin(started)
                if origin is not None:
                    probe.start(origin)
                return call_pipeline(vad, probe, caller.utterances, settings)

            port = await stack.enter_async_context(twilio_loopback_server(pipeline_for_phone_call))
        await _measure(plan, conn, vad, baseline, frames, caller.utterances, settings, histogram, tally, window,
                       rng, hang_up, port)  # fmt: skip


async def _measure(
    plan: WorkerPlan,
    conn: Connection,
    vad: Vad,
    baseline: int,
    frames: Sequence[bytes],
    utterances: Sequence[str],
    settings: SessionSettings,
    histogram: LagHistogram,
    tally: Tally,
    window: MeasurementWindow,
    rng: random.Random,
    hang_up: anyio.Event,
    port: int,
) -> None:
    payloads: list[str] = []  # the caller loop as Twilio payloads (built once, for the twilio-ws path)
    async with anyio.create_task_group() as calls:
        started = anyio.current_time()
        for number in range(plan.sessions):
            offset, phase = rng.randrange(len(frames)), rng.random() * FRAME_SECONDS
            if plan.through is Through.PARLEY_WS:
                calls.start_soon(run_ws_call, port, frames, offset, tally, hang_up, phase)
            elif plan.through is Through.TWILIO_WS:
                from benchmarks.capacity.twilio_call import mulaw_frames, run_twilio_call

                payloads = payloads or mulaw_frames(frames)
                calls.start_soon(run_twilio_call, port, payloads, offset, tally, hang_up, phase)
            else:
                probe = LagProbe(histogram, anyio.current_time, window.is_open)
                pipeline = call_pipeline(vad, probe, utterances, settings)
                calls.start_soon(run_call, pipeline, probe, frames, offset, tally, hang_up, phase)
            await anyio.sleep_until(started + (number + 1) * plan.ramp_seconds / plan.sessions)
        await anyio.sleep(plan.settle_seconds)
        stats_before, cpu_before, wall_before = _batch_stats(vad), cpu_seconds(), anyio.current_time()
        with GcPauses() as pauses:
            window.open()
            await anyio.sleep(plan.seconds)
            window.close()
        cpu, wall, stats = cpu_seconds() - cpu_before, anyio.current_time() - wall_before, _batch_stats(vad)
        conn.send(
            WorkerResult(
                index=plan.index,
                sessions=plan.sessions,
                wall_seconds=wall,
                cpu_seconds=cpu,
                rss_baseline_bytes=baseline,
                rss_end_bytes=resident_bytes(),
                lag=histogram.to_sparse(),
                frames_dropped=tally.frames_dropped,
                turns=tally.turns,
                interruptions=tally.interruptions,
                errors=tally.errors,
                error_samples=tally.error_samples,
                vad_batches=stats.batches - stats_before.batches,
                vad_rows=stats.rows - stats_before.rows,
                vad_max_rows=stats.max_rows,
                vad_offloaded_batches=stats.offloaded_batches - stats_before.offloaded_batches,
                gc_full_collections=pauses.full_collections,
                gc_max_pause_seconds=pauses.max_seconds,
            )
        )
        hang_up.set()


async def _warm_up(
    vad: Vad, frames: Sequence[bytes], utterances: Sequence[str], settings: SessionSettings
) -> None:
    """One short call, so that lazy imports, model sessions and caches exist before the baseline."""
    probe = LagProbe(LagHistogram(), anyio.current_time, lambda: False)
    hang_up = anyio.Event()
    async with anyio.create_task_group() as group:
        pipeline = call_pipeline(vad, probe, utterances, settings)
        group.start_soon(run_call, pipeline, probe, frames, 0, Tally(), hang_up)
        await anyio.sleep(WARMUP_CALL_SECONDS)
        hang_up.set()


def _batch_stats(vad: Vad) -> BatchStats:
    return vad.stats if isinstance(vad, BatchedSileroEngine) else BatchStats()
