"""CPU spent saving one call's record over the whole call, as ``CallRecords`` saves it (at the start, after every
agent speech, at the end): a synthetic ``--minutes`` call with a turn every ``--turn-seconds`` (user speech, a tool
call every third turn, the agent's answer, turn metrics, an interruption mark every fifth), its events fed to a
``CallRecordBuilder`` and each save written to a SQLite store the way the observer writes it.

``--whole`` saves the whole record each time (what ``CallRecords`` did before saves became incremental), for A/B.
Figures: process CPU (the event loop and the store's worker threads) per save, first and last tenth of the call
and in total, plus the bytes written per save.

    uv run python -m benchmarks.records_updates [--minutes 10] [--turn-seconds 6] [--whole] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import anyio

from pipeline.observe.events import (
    AgentStoppedSpeaking,
    EndOfUserTurn,
    Event,
    Interruption,
    SessionEnded,
    SessionStarted,
    SpeechSource,
    ToolFinished,
    ToolStarted,
    ToolStatus,
    TurnMetrics,
)
from pipeline.observe.observer import CallInfo
from pipeline.records.builder import CallRecordBuilder
from pipeline.records.connect import open_store

SAVED_AFTER = (SessionStarted, AgentStoppedSpeaking, SessionEnded)  # as CallRecords saves


def long_call(session_id: str, minutes: float, turn_seconds: float) -> Iterator[Event]:
    """The recorded events of a call of ``minutes`` with a turn every ``turn_seconds``."""
    ids = {"session_id": session_id}
    yield SessionStarted(timestamp=0.0, started_at="2026-01-01T00:00:00+00:00", providers={"stt": "x"},
                         sample_rate=16000, **ids)  # fmt: skip
    turns = int(minutes * 60 / turn_seconds)
    for turn in range(1, turns + 1):
        at = turn * turn_seconds
        yield EndOfUserTurn(timestamp=at, turn_id=turn, transcript=f"what is the status of order {turn} " * 2,
                            reason="silence", delay=0.2, **ids)  # fmt: skip
        if turn % 3 == 0:
            call = f"call-{turn}"
            yield ToolStarted(timestamp=at + 0.3, turn_id=turn, call_id=call, name="lookup_order",
                              arguments=f'{{"order": {turn}}}', **ids)  # fmt: skip
            yield ToolFinished(timestamp=at + 0.4, turn_id=turn, call_id=call, name="lookup_order",
                               status=ToolStatus.OK, result='{"shipped": true, "eta": "tomorrow"}', duration=0.1,
                               **ids)  # fmt: skip
        yield TurnMetrics(timestamp=at + 0.7, turn_id=turn, voice_to_voice=0.7, endpointing=0.2, stt_wait=0.0,
                          llm_ttft=0.3, llm_first_sentence=0.1, tts_ttfb=0.1, overhead=0.0, **ids)  # fmt: skip
        interrupted = turn % 5 == 0
        if interrupted:
            yield Interruption(
                timestamp=at + 2.0, turn_id=turn, speech_id=f"s{turn}", speech_duration=0.4, **ids
            )
        text = f"Order {turn} shipped yesterday and should arrive tomorrow before noon. Anything else?"
        yield AgentStoppedSpeaking(timestamp=at + 3.0, turn_id=turn, speech_id=f"s{turn}", source=SpeechSource.REPLY,
                                   interrupted=interrupted, heard_text=text[:30] if interrupted else text, text=text,
                                   played_seconds=2.3, **ids)  # fmt: skip
    yield SessionEnded(timestamp=turns * turn_seconds + 2.0, reason="ended", **ids)


async def measure(url: str, minutes: float, turn_seconds: float, whole: bool) -> list[tuple[float, int]]:
    """(CPU seconds, bytes written) per save, in order. The CPU covers building what is written (the JSON) and
    the store's write, in this thread and the store's worker threads."""
    store = open_store(url)
    await store.save(CallRecordBuilder(CallInfo("warm-up")).record)  # the schema exists before the first save
    builder = CallRecordBuilder(CallInfo("bench-call", "bench", {"caller_number": "+15550100"}))
    costs = []
    for event in long_call("bench-call", minutes, turn_seconds):
        builder.add(event)
        if not isinstance(event, SAVED_AFTER):
            continue
        started = time.process_time()
        if whole:  # works on code from before incremental saves too (for A/B against it)
            await store.save(builder.record)
            cpu = time.process_time() - started
            size = len(builder.record.model_dump_json())
        else:
            update = builder.take_update()
            await store.write(update)
            cpu = time.process_time() - started
            size = sum(len(value or "") for value in update.row) + sum(
                len(item.body) for item in update.items
            )
        costs.append((cpu, size))
    record = await store.get("bench-call")
    assert record is not None and not record.incomplete and record.transcript == builder.record.transcript
    await store.aclose()
    return costs


def report(label: str, costs: list[tuple[float, int]]) -> None:
    cpu = [c * 1000 for c, _ in costs]
    tenth = max(1, len(cpu) // 10)
    print(
        f"{label}: {len(cpu)} saves, CPU total {sum(cpu):.1f} ms; per save median {statistics.median(cpu):.3f} ms, "
        f"first tenth {statistics.mean(cpu[:tenth]):.3f} ms, last tenth {statistics.mean(cpu[-tenth:]):.3f} ms; "
        f"bytes per save first {costs[0][1]}, last {costs[-1][1]}, total {sum(s for _, s in costs) / 1024:.0f} KiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--turn-seconds", type=float, default=6.0)
    parser.add_argument("--whole", action="store_true", help="save the whole record each time (the old way)")
    parser.add_argument("--postgres", help="also write into this PostgreSQL URL")
    args = parser.parse_args()
    mode = "whole record" if args.whole else "incremental"
    with tempfile.TemporaryDirectory() as workdir:
        url = str(Path(workdir) / "calls.db")
        report(f"SQLite, {mode}", anyio.run(measure, url, args.minutes, args.turn_seconds, args.whole))
    if args.postgres:
        report(
            f"PostgreSQL, {mode}",
            anyio.run(measure, args.postgres, args.minutes, args.turn_seconds, args.whole, backend="asyncio"),
        )


if __name__ == "__main__":
    main()
