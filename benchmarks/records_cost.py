"""What call records cost: writing the streamed recording (CPU per minute of call) and saving a record at the
end of a call (SQLite, and PostgreSQL with ``--postgres URL``).

    uv run python -m benchmarks.records_cost --minutes 10 --turns 40
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import anyio
import numpy as np

from pipeline.base.audio import AudioFrame
from pipeline.records.connect import open_store
from pipeline.records.model import CallRecord, CallStatus, EventMark, ToolCallRecord, TranscriptEntry
from pipeline.records.recording import CallRecording, RecordingMode

RATE = 16000


def recording_cost(minutes: float, mode: RecordingMode, workdir: Path) -> float:
    """CPU milliseconds spent by the recording tap per minute of call (caller always, agent half the time)."""
    rng = np.random.default_rng(1)
    frame = rng.integers(-3000, 3000, 320, dtype=np.int16)
    frames = round(minutes * 60 / 0.02)
    recording = CallRecording(workdir / f"{mode.value}.wav", RATE, mode)
    started = time.process_time()
    for i in range(frames):
        recording.caller(AudioFrame.from_int16(frame, RATE, i * 0.02))
        if (i // 250) % 2:
            recording.agent(AudioFrame.from_int16(frame, RATE, i * 0.02))
    recording.close()
    return (time.process_time() - started) * 1000 / minutes


def sample_record(turns: int) -> CallRecord:
    record = CallRecord(
        id="bench", status=CallStatus.COMPLETE, started_at="2026-01-01T00:00:00", end_reason="ended"
    )
    for turn in range(1, turns + 1):
        record.transcript.append(
            TranscriptEntry(role="user", at=turn * 5.0, turn_id=turn, text="what is my order status " * 3)
        )
        record.transcript.append(
            TranscriptEntry(
                role="agent",
                at=turn * 5 + 2.0,
                turn_id=turn,
                text="Your order shipped yesterday. " * 4,
                heard_text="Your order",
            )
        )
        record.tool_calls.append(
            ToolCallRecord(
                call_id=f"c{turn}",
                name="lookup",
                at=turn * 5 + 1.0,
                arguments='{"id": 1}',
                status="ok",
                result='{"ok": true}',
                duration=0.01,
            )
        )
        record.turns.append(
            {
                "turn_id": float(turn),
                "voice_to_voice": 0.6,
                "endpointing": 0.3,
                "stt_wait": 0.0,
                "llm_ttft": 0.2,
                "tool_time": 0.0,
                "llm_first_sentence": 0.05,
                "tts_ttfb": 0.05,
                "overhead": 0.0,
            }
        )
        record.events.append(EventMark(at=turn * 5.0, type="interruption", turn_id=turn))
    return record


async def save_cost(url: str, turns: int, repeats: int) -> list[float]:
    store = open_store(url)
    record = sample_record(turns)
    await store.save(record)  # creates the schema
    times = []
    for i in range(repeats):
        record.id = f"bench-{i}"
        started = time.perf_counter()
        await store.save(record)
        times.append((time.perf_counter() - started) * 1000)
    await store.aclose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--postgres", help="also time saves into this PostgreSQL URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        for mode in (RecordingMode.ON, RecordingMode.CALLER):
            cost = recording_cost(args.minutes, mode, Path(workdir))
            print(
                f"recording {mode.value:7}: {cost:7.1f} ms CPU per call-minute ({cost / 60 / 50 * 1000:.1f} us per 20 ms frame)"
            )
        size = len(sample_record(args.turns).model_dump_json())
        sqlite = anyio.run(save_cost, str(Path(workdir) / "calls.db"), args.turns, args.repeats)
        print(
            f"record of {args.turns} turns ({size / 1024:.0f} KiB): SQLite save median {statistics.median(sqlite):.2f} ms, max {max(sqlite):.2f} ms"
        )
        if args.postgres:
            pg = anyio.run(save_cost, args.postgres, args.turns, args.repeats)
            print(
                f"record of {args.turns} turns: PostgreSQL save median {statistics.median(pg):.2f} ms, max {max(pg):.2f} ms"
            )


if __name__ == "__main__":
    main()
