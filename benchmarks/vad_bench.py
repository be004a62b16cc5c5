"""Silero VAD cost: single stream vs. many streams batched on one onnxruntime session.

    uv run python benchmarks/vad_bench.py [--seconds 4] [--streams 1,8,64,256,512] [--realtime 256]

Tables printed:
1. single stream: raw model call per window, and the whole VadStream.process path per window (20 ms frames);
2. streams in lockstep (each feeds 20 ms frames as fast as it can): wall time per stream-window, model time per
   row, mean batch size, and the longest event-loop stall seen by a 1 ms ticker task — unbatched, batched with
   the batch run inline on the loop, and batched with batches of >= 32 rows offloaded to a worker thread;
3. (with --realtime N) N sessions sending 20 ms frames in real time with staggered phases: batch sizes that
   actually form with max_wait, and the process CPU load.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass

import anyio
import anyio.lowlevel
import numpy as np

from vad import BatchedSileroEngine, SileroEngine, SileroModel, Vad, VadStream
from vad.silero_model import initial_state, window_geometry

SAMPLE_RATE = 16000
FRAME = SAMPLE_RATE // 50  # 20 ms


def test_audio(seconds: float, seed: int) -> np.ndarray:
    """Speech-like test signal: bursts of a harmonic tone with noise (the model cost does not depend on it)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    f0 = 110 + 60 * rng.random()
    voiced = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))
    gate = np.sin(2 * np.pi * (0.4 + rng.random()) * t) > 0
    signal = 4000 * voiced * gate + 200 * rng.standard_normal(n)
    return np.clip(signal, -32768, 32767).astype(np.int16)


def bench_model_call(model: SileroModel, repeats: int = 3000) -> float:
    geometry = window_geometry(SAMPLE_RATE)
    rows = np.random.default_rng(0).standard_normal((1, geometry.row)).astype(np.float32) * 0.1
    state = initial_state()
    for _ in range(100):
        model.run(rows, state, SAMPLE_RATE)
    started = time.perf_counter()
    for _ in range(repeats):
        state = model.run(rows, state, SAMPLE_RATE).state
    return (time.perf_counter() - started) / repeats


async def feed(stream: VadStream, audio: np.ndarray) -> int:
    windows = 0
    for start in range(0, audio.size, FRAME):
        windows += len(await stream.process(audio[start : start + FRAME], start / SAMPLE_RATE))
    return windows


async def bench_single_stream(audio: np.ndarray) -> float:
    stream = SileroEngine.shared().create_stream(SAMPLE_RATE)
    await feed(stream, audio[:SAMPLE_RATE])  # warm-up
    stream.reset()
    started = time.perf_counter()
    windows = await feed(stream, audio)
    return (time.perf_counter() - started) / windows


class LoopStallMonitor:
    """Measures how late a task that wants to wake every 1 ms gets scheduled (event-loop blocking)."""

    def __init__(self) -> None:
        self.worst = 0.0

    async def run(self, stop: anyio.Event) -> None:
        while not stop.is_set():
            before = time.perf_counter()
            await anyio.sleep(0.001)
            self.worst = max(self.worst, time.perf_counter() - before - 0.001)


@dataclass
class BatchedRun:
    streams: int
    per_stream_window_ms: float
    model_ms_per_row: float
    mean_rows: float
    worst_stall_ms: float


async def bench_lockstep(audios: Sequence[np.ndarray], mode: str) -> BatchedRun:
    """``mode``: "unbatched", "inline" (batched, run on the loop) or "thread" (batched, >= 32 rows offloaded)."""
    engine = BatchedSileroEngine(
        max_wait=0.003, max_batch=512, offload_min_rows=32 if mode == "thread" else None
    )
    factory: Vad = SileroEngine.shared() if mode == "unbatched" else engine
    streams = [factory.create_stream(SAMPLE_RATE) for _ in audios]
    windows = [0] * len(streams)
    model_s = [0.0] * len(streams)

    async def run_one(index: int) -> None:
        audio = audios[index]
        for start in range(0, audio.size, FRAME):
            await anyio.lowlevel.checkpoint()  # as if the frame had arrived from the network
            results = await streams[index].process(audio[start : start + FRAME], start / SAMPLE_RATE)
            windows[index] += len(results)
            model_s[index] += sum(r.inference_s for r in results)

    monitor = LoopStallMonitor()
    stop = anyio.Event()
    started = time.perf_counter()
    async with anyio.create_task_group() as outer:
        outer.start_soon(monitor.run, stop)
        async with anyio.create_task_group() as group:
            for index in range(len(streams)):
                group.start_soon(run_one, index)
        wall = time.perf_counter() - started
        stop.set()
    for stream in streams:
        stream.close()
    total = sum(windows)
    return BatchedRun(
        streams=len(streams),
        per_stream_window_ms=wall / total * 1e3,
        model_ms_per_row=sum(model_s) / total * 1e3,
        mean_rows=engine.stats.mean_rows if mode != "unbatched" else 1.0,
        worst_stall_ms=monitor.worst * 1e3,
    )


@dataclass
class RealtimeRun:
    sessions: int
    mean_rows: float
    max_rows: int
    cpu_load: float
    worst_process_ms: float
    worst_stall_ms: float


async def bench_realtime(
    count: int, seconds: float, audio: np.ndarray, offload_min_rows: int | None
) -> RealtimeRun:
    engine = BatchedSileroEngine(offload_min_rows=offload_min_rows)
    streams = [engine.create_stream(SAMPLE_RATE) for _ in range(count)]
    worst_process = 0.0

    async def session(index: int) -> None:
        nonlocal worst_process
        await anyio.sleep(index * 0.02 / count)  # stagger the 20 ms frame phases
        origin = anyio.current_time()
        for frame_index in range(int(seconds * 50)):
            start = frame_index * FRAME
            before = time.perf_counter()
            await streams[index].process(audio[start : start + FRAME], start / SAMPLE_RATE)
            worst_process = max(worst_process, time.perf_counter() - before)
            await anyio.sleep(max(0.0, origin + (frame_index + 1) * 0.02 - anyio.current_time()))

    monitor = LoopStallMonitor()
    stop = anyio.Event()
    cpu_before = time.process_time()
    wall_before = time.perf_counter()
    async with anyio.create_task_group() as outer:
        outer.start_soon(monitor.run, stop)
        async with anyio.create_task_group() as group:
            for index in range(count):
                group.start_soon(session, index)
        stop.set()
    load = (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
    for stream in streams:
        stream.close()
    return RealtimeRun(
        count, engine.stats.mean_rows, engine.stats.max_rows, load, worst_process * 1e3, monitor.worst * 1e3
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.rjust(width) for cell, width in zip(cells, widths, strict=True))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


async def main(seconds: float, counts: list[int], realtime: list[int]) -> None:
    audio = test_audio(seconds, seed=0)
    raw = bench_model_call(SileroModel.shared())
    path = await bench_single_stream(audio)
    print("single stream (16 kHz, 512-sample windows)")
    print(
        table(
            ["measure", "ms/window"],
            [["model call", f"{raw * 1e3:.4f}"], ["process() path", f"{path * 1e3:.4f}"]],
        )
    )
    print()
    rows = []
    for count in counts:
        audios = [test_audio(seconds, seed=i) for i in range(count)]
        for mode in ("unbatched", "inline", "thread"):
            run = await bench_lockstep(audios, mode)
            rows.append(
                [
                    str(run.streams),
                    mode,
                    f"{run.per_stream_window_ms:.4f}",
                    f"{run.model_ms_per_row:.4f}",
                    f"{run.mean_rows:.1f}",
                    f"{run.worst_stall_ms:.2f}",
                ]
            )
    print(f"streams in lockstep ({seconds:g} s of audio each, a checkpoint per 20 ms frame)")
    print(
        table(
            ["streams", "mode", "ms/stream-window", "model ms/row", "mean rows", "worst loop stall ms"], rows
        )
    )
    if realtime:
        rows = []
        for count in realtime:
            for label, offload in (("inline", None), ("thread>=32", 32)):
                run = await bench_realtime(count, 3.0, audio, offload)
                rows.append(
                    [
                        str(count),
                        label,
                        f"{run.mean_rows:.1f}",
                        str(run.max_rows),
                        f"{run.cpu_load * 100:.0f}%",
                        f"{run.worst_process_ms:.2f}",
                        f"{run.worst_stall_ms:.2f}",
                    ]
                )
        print()
        print("real time: sessions sending 20 ms frames for 3 s (staggered), max_wait 3 ms")
        print(
            table(
                [
                    "sessions",
                    "batch run",
                    "mean rows",
                    "max rows",
                    "CPU (1 core=100%)",
                    "worst process() ms",
                    "worst loop stall ms",
                ],
                rows,
            )
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--streams", default="1,8,64,256,512")
    parser.add_argument(
        "--realtime", default="64,256", help="session counts for the real-time run ('': skip)"
    )
    args = parser.parse_args()
    realtime_counts = [int(c) for c in args.realtime.split(",") if c]
    anyio.run(main, args.seconds, [int(c) for c in args.streams.split(",")], realtime_counts)
