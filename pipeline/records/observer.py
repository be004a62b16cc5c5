"""``CallRecords``: the session observer that keeps a record of every call (and optionally its recording).

    pipeline.observers.append(CallRecords(open_store("calls.db"), recordings="recordings", mode="on"))

The record is saved when the call starts (marked in progress), after each agent speech, and at the end (marked
complete), each time only what is new since the last save (see records.update): a process killed mid-call leaves an in-progress record (shown as incomplete) with the transcript up
to the last speech, and a recording that plays up to its last written block."""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.observe.bus import EventBus
from pipeline.observe.events import (
    AgentStoppedSpeaking,
    EndOfUserTurn,
    ErrorEvent,
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
from pipeline.observe.observer import AudioTap, CallInfo
from pipeline.records.builder import CallRecordBuilder
from pipeline.records.recording import CallRecording, RecordingMode
from pipeline.records.store import CallStore

logger = logging.getLogger(__name__)
# What the record is built from (see CallRecordBuilder.add).
RecordedEvent = (
    SessionStarted
    | SessionEnded
    | EndOfUserTurn
    | AgentStoppedSpeaking
    | ToolStarted
    | ToolFinished
    | TurnMetrics
    | UsageSummary
    | ErrorEvent
    | Interruption
    | ProviderAvailabilityChanged
    | Handoff
)


class CallRecords:
    """A session observer keeping a record of every call in ``store`` and, unless ``mode`` is off, its
    recording in ``recordings`` (see the module docstring)."""

    def __init__(
        self,
        store: CallStore,
        *,
        recordings: str | Path | None = None,
        mode: RecordingMode | str = RecordingMode.OFF,
        sample_rate: int = 16000,
        file_name: str = "{session_id}.wav",
    ) -> None:
        self.store = store
        self.mode = RecordingMode(mode)
        if self.mode is not RecordingMode.OFF and recordings is None:
            raise ValueError(f"recording mode {self.mode.value!r} needs a recordings directory")
        self.recordings = Path(recordings) if recordings is not None else None
        self.sample_rate = sample_rate
        self.file_name = file_name

    def recording_path(self, session_id: str) -> Path | None:
        """Where the call's recording is (None when not recording)."""
        if self.mode is RecordingMode.OFF or self.recordings is None:
            return None
        return self.recordings / self.file_name.format(session_id=session_id)

    def attach(self, call: CallInfo, bus: EventBus) -> AudioTap | None:
        recording = None
        path = self.recording_path(call.session_id)
        if path is not None:
            recording = CallRecording(path, self.sample_rate, self.mode)
        builder = CallRecordBuilder(call, str(recording.path) if recording else None)
        store = self.store

        async def on_event(event: RecordedEvent) -> None:
            builder.add(event)
            if isinstance(event, SessionStarted | AgentStoppedSpeaking | SessionEnded):
                try:
                    await store.write(builder.take_update())
                except Exception:  # a broken store never breaks the call
                    logger.exception("saving the call record of %s failed", call.session_id)

        bus.on(on_event)
        return recording
