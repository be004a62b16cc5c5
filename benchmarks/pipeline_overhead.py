"""Pipeline overhead per turn with zero-latency simulated providers, in real time on asyncio.

One session; each turn the caller says a short phrase (espeak-ng, so the real Silero VAD hears speech), the
simulated STT/LLM/TTS answer with no added latency, and the caller waits for the agent to finish. With nothing
else to wait for, voice-to-voice minus the configured endpointing delay is what the pipeline itself costs.

    uv run python -m benchmarks.pipeline_overhead --turns 100
    uv run python -m benchmarks.pipeline_overhead --turns 30 --observe all   # + metrics, traces (SDK), records

``--observe``: ``none`` (no observer at all), ``default`` (what a Pipeline has: metrics; traces are skipped
without an SDK), ``all`` (metrics, traces through the OpenTelemetry SDK to a discarding exporter, and call
records in SQLite with a streamed stereo recording; the end-of-call record save is timed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from prometheus_client import CollectorRegistry

from benchmarks.timing import percentile
from pipeline.base.audio import AudioFrame, split_frames
from pipeline.observe.events import AgentStoppedSpeaking, TurnMetrics
from pipeline.session.pipeline import Pipeline
from pipeline.session.session import Session
from pipeline.settings import SessionSettings, TurnSettings
from providers.simulated import SimulatedLlm, SimulatedStt, SimulatedTts
from tests.speech_audio import speak
from vad import VadConfig, create_vad

RATE = 16000
ENDPOINTING = 0.3
PHRASE = "Can you check my order please"


def caller_phrase() -> AudioFrame:
    return AudioFrame.from_int16(speak(PHRASE, RATE, voice="en-us+klatt4", rate_wpm=170), RATE)


async def push(session: Session, frame: AudioFrame) -> None:
    session.push_audio(frame)
    await anyio.sleep(frame.duration)


def observers(kind: str, workdir: Path) -> tuple[list[Any], list[float]]:
    """The session observers of ``--observe`` and a list that receives the duration of each record save."""
    saves: list[float] = []
    if kind == "none":
        return [], saves
    from pipeline.observe.prometheus import PrometheusMetrics

    metrics = PrometheusMetrics(CollectorRegistry())
    if kind == "default":
        from pipeline.observe.tracing import CallTracer

        return [metrics, CallTracer()], saves
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    from pipeline.observe.tracing import CallTracer
    from pipeline.records.connect import open_store
    from pipeline.records.observer import CallRecords

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    store = open_store(workdir / "calls.db")

    class TimedStore:
        async def write(self, update: Any) -> None:  # what CallRecords calls at each save
            started = time.perf_counter()
            await store.write(update)
            saves.append(time.perf_counter() - started)

        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

    records = CallRecords(TimedStore(), recordings=workdir, mode="on")  # type: ignore[arg-type]
    return [metrics, CallTracer(provider), records], saves


async def run(turns: int, observe: str = "default", workdir: Path | None = None) -> list[TurnMetrics]:
    settings = SessionSettings(turn=TurnSettings(detector="silence", endpointing_delay=ENDPOINTING))
    pipeline = Pipeline(
        stt=SimulatedStt([PHRASE.lower()] * turns, final_delay=0.0),
        llm=SimulatedLlm(["Sure. One moment please."] * turns, ttft=0.0, token_interval=0.0),
        tts=SimulatedTts(ttfb=0.0, seconds_per_char=0.01),
        vad=create_vad(VadConfig(batched=False)),
        settings=settings,
    )
    saves: list[float] = []
    if observe != "default" or workdir is not None:
        pipeline.observers, saves = observers(
            observe, workdir or Path(tempfile.mkdtemp(prefix="parley-bench-"))
        )
    phrase = split_frames(caller_phrase(), 20)
    silence = AudioFrame.silence(0.02, RATE)
    metrics: list[TurnMetrics] = []
    session = pipeline.session()
    events = session.events(TurnMetrics, AgentStoppedSpeaking)
    done = anyio.Event()

    async def watch() -> None:
        async for event in events:
            if isinstance(event, TurnMetrics):
                metrics.append(event)
            else:
                done.set()

    async def drain() -> None:
        async for _ in session.audio_out():
            pass

    async with session, anyio.create_task_group() as group:
        group.start_soon(watch)
        group.start_soon(drain)
        for turn in range(turns):
            done = anyio.Event()
            for frame in phrase:
                await push(session, frame)
            while not done.is_set():
                await push(session, silence)
            for _ in range(10):
                await push(session, silence)
            print(f"\rturn {turn + 1}/{turns}", end="", flush=True)
        print()
        await session.end()
    if saves:
        print(
            f"record saves: {len(saves)}, last (end of call) {saves[-1] * 1000:.2f} ms, "
            f"median {statistics.median(saves) * 1000:.2f} ms"
        )
    return metrics


def summarize(metrics: list[TurnMetrics]) -> dict[str, float | int]:
    beyond = [1000 * (m.voice_to_voice - ENDPOINTING) for m in metrics]
    residual = [1000 * m.overhead for m in metrics]
    return {
        "turns": len(metrics),
        "configured_endpointing_ms": 1000 * ENDPOINTING,
        "v2v_minus_endpointing_p50_ms": statistics.median(beyond),
        "v2v_minus_endpointing_p95_ms": percentile(beyond, 0.95),
        "residual_overhead_p50_ms": statistics.median(residual),
        "residual_overhead_p95_ms": percentile(residual, 0.95),
        "voice_to_voice_p50_ms": 1000 * statistics.median(m.voice_to_voice for m in metrics),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--out", type=Path, help="write the summary as JSON here")
    parser.add_argument("--observe", choices=("none", "default", "all"), default="default")
    args = parser.parse_args()
    summary = summarize(anyio.run(run, args.turns, args.observe))
    for key, value in summary.items():
        print(f"{key:32} {value:10.2f}" if isinstance(value, float) else f"{key:32} {value:10d}")
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
