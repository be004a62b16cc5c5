"""What a call record holds: who and when, how it ended, the transcript (with interruption marks and what the
caller actually heard), tool calls, per-turn latency, usage, notable events and the recording's path."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class CallStatus(StrEnum):
    """``in_progress`` while the call runs — and forever if the process died: such a record is incomplete."""

    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


class TranscriptEntry(BaseModel):
    role: str  # "user" or "agent"
    at: float  # session seconds
    turn_id: int | None = None
    text: str
    heard_text: str | None = None  # agent: what the caller actually heard
    interrupted: bool = False


class ToolCallRecord(BaseModel):
    call_id: str
    name: str
    turn_id: int | None = None
    at: float
    arguments: str
    status: str | None = None  # None: never finished
    result: str | None = None
    duration: float | None = None


class EventMark(BaseModel):
    """A notable event of the call (lifecycle, errors, interruptions), for ``calls show``."""

    at: float
    type: str
    turn_id: int | None = None
    detail: str = ""


class CallRecord(BaseModel):
    """Everything kept about one call (saved at its start, after each agent speech, and at its end)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    status: CallStatus = CallStatus.IN_PROGRESS
    config_name: str | None = None
    caller_number: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    started_at: str | None = None  # wall-clock ISO time
    ended_at: str | None = None
    duration: float | None = None  # session seconds
    end_reason: str | None = None
    error: str | None = None
    providers: dict[str, str] = Field(default_factory=dict)
    transcript: list[TranscriptEntry] = Field(default_factory=list)
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    turns: list[dict[str, float]] = Field(default_factory=list)  # TurnMetrics fields + turn_id
    usage: list[dict[str, object]] = Field(default_factory=list)
    events: list[EventMark] = Field(default_factory=list)
    recording_path: str | None = None

    @property
    def incomplete(self) -> bool:
        return self.status is not CallStatus.COMPLETE


class CallSummary(BaseModel):
    """One line of ``calls list``."""

    id: str
    status: CallStatus
    started_at: str | None
    duration: float | None
    end_reason: str | None
    config_name: str | None
    caller_number: str | None
    turns: int
    recording_path: str | None

    @classmethod
    def of(cls, record: CallRecord, *, turns: int | None = None) -> CallSummary:
        """``turns``: the number of turns when the store counts them (default: the record's own)."""
        return cls(
            id=record.id,
            status=record.status,
            started_at=record.started_at,
            duration=record.duration,
            end_reason=record.end_reason,
            config_name=record.config_name,
            caller_number=record.caller_number,
            turns=len(record.turns) if turns is None else turns,
            recording_path=record.recording_path,
        )
