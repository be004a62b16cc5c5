"""Builds a call record from a session's events (one builder per call)."""

from __future__ import annotations

import datetime
from typing import TypeVar

from pipeline.observe.events import (
    AgentStoppedSpeaking,
    EndOfUserTurn,
    ErrorEvent,
    Event,
    Handoff,
    Interruption,
    ProviderAvailabilityChanged,
    SessionEnded,
    SessionStarted,
    ToolFinished,
    ToolStarted,
    TurnMetrics,
    UsageSummary,
)
from pipeline.observe.observer import CallInfo
from pipeline.records.model import CallRecord, CallStatus, EventMark, ToolCallRecord, TranscriptEntry
from pipeline.records.update import ItemKind, RecordItem, RecordUpdate, item_body, record_row
from providers.redact import redact

_Item = TypeVar("_Item")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


class CallRecordBuilder:
    """Adds events to ``record`` and keeps which items changed since the last ``take_update()``."""

    def __init__(self, call: CallInfo, recording_path: str | None = None) -> None:
        metadata = dict(call.metadata)
        self.record = CallRecord(
            id=call.session_id,
            config_name=call.config_name,
            caller_number=metadata.get("caller_number"),
            metadata=metadata,
            started_at=_now(),
            recording_path=recording_path,
        )
        self._tools: dict[str, int] = {}  # call id -> index in record.tool_calls
        self._changed: dict[tuple[ItemKind, int], None] = {}  # ordered set: items to write at the next save

    def take_update(self) -> RecordUpdate:
        """The head and the items added or changed since the last call (then none are pending)."""
        record = self.record
        items = tuple(RecordItem(kind, seq, item_body(record, kind, seq)) for kind, seq in self._changed)
        self._changed.clear()
        return RecordUpdate(record_row(record), items)

    def _append(self, kind: ItemKind, items: list[_Item], item: _Item) -> None:
        self._changed[kind, len(items)] = None
        items.append(item)

    def add(self, event: Event) -> None:
        record = self.record
        match event:
            case SessionStarted():
                record.started_at = event.started_at
                record.providers = dict(event.providers)
                self._mark(event)
            case EndOfUserTurn():
                self._append(
                    ItemKind.TRANSCRIPT,
                    record.transcript,
                    TranscriptEntry(
                        role="user", at=event.timestamp, turn_id=event.turn_id, text=event.transcript
                    ),
                )
            case AgentStoppedSpeaking():
                self._append(
                    ItemKind.TRANSCRIPT,
                    record.transcript,
                    TranscriptEntry(
                        role="agent",
                        at=event.timestamp,
                        turn_id=event.turn_id,
                        text=event.text,
                        heard_text=event.heard_text,
                        interrupted=event.interrupted,
                    ),
                )
            case ToolStarted():
                tool = ToolCallRecord(
                    call_id=event.call_id,
                    name=event.name,
                    turn_id=event.turn_id,
                    at=event.timestamp,
                    arguments=event.arguments,
                )
                self._tools[event.call_id] = len(record.tool_calls)
                self._append(ItemKind.TOOL_CALLS, record.tool_calls, tool)
            case ToolFinished():
                index = self._tools.get(event.call_id)
                if index is not None:
                    started = record.tool_calls[index]
                    started.status, started.result = event.status.value, event.result
                    started.duration = event.duration
                    self._changed[ItemKind.TOOL_CALLS, index] = None
            case TurnMetrics():
                self._append(
                    ItemKind.TURNS,
                    record.turns,
                    {"turn_id": float(event.turn_id or 0), "at": event.timestamp}
                    | event.model_dump(
                        include={
                            "voice_to_voice",
                            "endpointing",
                            "stt_wait",
                            "llm_ttft",
                            "tool_time",
                            "llm_first_sentence",
                            "tts_ttfb",
                            "overhead",
                        }
                    ),
                )
            case UsageSummary():
                record.usage = [entry.model_dump() for entry in event.usage]
            case ErrorEvent():
                self._mark(event, f"{event.source} {event.code}: {redact(event.message)}")
            case Interruption():
                self._mark(event, f"caller spoke {event.speech_duration:.2f} s")
            case ProviderAvailabilityChanged():
                self._mark(event, f"{event.provider}/{event.model} {'up' if event.available else 'down'}")
            case Handoff():
                self._mark(event)
            case SessionEnded():
                record.status = CallStatus.COMPLETE
                record.ended_at = _now()
                record.duration = event.timestamp
                record.end_reason = event.reason
                record.error = redact(event.error) if event.error else None
                self._mark(event, event.reason)

    def _mark(self, event: Event, detail: str = "") -> None:
        self._append(
            ItemKind.EVENTS,
            self.record.events,
            EventMark(at=event.timestamp, type=event.type, turn_id=event.turn_id, detail=detail),
        )
