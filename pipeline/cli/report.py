"""Human-readable summaries of a call from its events: the transcript and the per-turn latency table."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from pipeline.observe.events import (
    AgentStoppedSpeaking,
    EndOfUserTurn,
    ErrorEvent,
    Event,
    ToolFinished,
    ToolStarted,
    TurnMetrics,
)

LATENCY_COLUMNS = (
    "endpointing",
    "stt_wait",
    "llm_ttft",
    "tool_time",
    "llm_first_sentence",
    "tts_ttfb",
    "overhead",
)


def transcript_lines(events: Sequence[Event]) -> list[str]:
    lines = []
    for event in events:
        match event:
            case EndOfUserTurn():
                lines.append(f"[{event.timestamp:7.2f}] caller: {event.transcript}")
            case ToolStarted():
                lines.append(f"[{event.timestamp:7.2f}]   tool {event.name}({event.arguments})")
            case ToolFinished():
                lines.append(
                    f"[{event.timestamp:7.2f}]   tool {event.name} -> {event.status.value}: {event.result[:80]}"
                )
            case AgentStoppedSpeaking():
                if event.interrupted:
                    lines.append(
                        f"[{event.timestamp:7.2f}] agent: {event.heard_text} [interrupted; meant: {event.text}]"
                    )
                else:
                    lines.append(f"[{event.timestamp:7.2f}] agent: {event.text}")
            case ErrorEvent():
                lines.append(
                    f"[{event.timestamp:7.2f}] error ({event.source}, {event.code}): {event.message}"
                )
    return lines


def latency_table(events: Sequence[Event]) -> list[str]:
    turns = [event for event in events if isinstance(event, TurnMetrics)]
    if not turns:
        return ["(no completed turns)"]
    header = f"{'turn':>4} {'voice-to-voice':>14} " + " ".join(f"{name:>18}" for name in LATENCY_COLUMNS)
    lines = [header, "-" * len(header)]
    for turn in turns:
        values = " ".join(f"{1000 * getattr(turn, name):16.1f}ms" for name in LATENCY_COLUMNS)
        lines.append(f"{turn.turn_id or 0:>4} {1000 * turn.voice_to_voice:12.1f}ms {values}")
    totals = [turn.voice_to_voice for turn in turns]
    lines.append(
        f"voice-to-voice over {len(totals)} turns: median {1000 * statistics.median(totals):.0f} ms, "
        f"max {1000 * max(totals):.0f} ms"
    )
    return lines
