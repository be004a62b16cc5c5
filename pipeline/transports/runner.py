"""Runs one call end to end: a caller source into a session, recording the call and its events to files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import anyio

from pipeline.observe.bus import EventSubscription
from pipeline.observe.events import Event, SessionEnded
from pipeline.session.pipeline import Pipeline
from pipeline.session.session import Session
from pipeline.transports.callers import CallerSource
from pipeline.transports.recorder import CallRecorder


@dataclass
class CallResult:
    events: list[Event] = field(default_factory=list)
    recording_path: Path | None = None
    events_path: Path | None = None
    agent_seconds: float = 0.0
    first_audio_processed: float | None = None  # clock time (anyio) the first caller frame was processed
    end_reason: str | None = None  # from session_ended
    end_error: str | None = None  # why the call died, when it did ("error")

    @property
    def failed(self) -> bool:
        """The call ended on a fatal error (a provider that refused the key, a stage that failed)."""
        return self.end_reason == "error"


async def run_call(pipeline: Pipeline, caller: CallerSource, out_dir: str | Path | None = None) -> CallResult:
    result = CallResult()
    rate = pipeline.settings.audio.sample_rate
    recorder = CallRecorder(rate)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        result.events_path = out / "events.jsonl"
    session = pipeline.session()
    events = session.events()  # before the start, so session_started is recorded too
    caller_scope = anyio.CancelScope()  # the caller stops when the call dies
    async with session, anyio.create_task_group() as group:
        group.start_soon(_collect_events, events, result, caller_scope)
        group.start_soon(_record_agent, session, recorder, caller)
        with caller_scope:
            await caller.run(session, recorder)
        await session.end()
    result.first_audio_processed = session.first_audio_processed_at
    result.agent_seconds = recorder.agent_seconds
    if out is not None:
        result.recording_path = out / "call.wav"
        recorder.write(result.recording_path)
        assert result.events_path is not None
        result.events_path.write_text("".join(event.model_dump_json() + "\n" for event in result.events))
    return result


async def _collect_events(events: EventSubscription, result: CallResult, caller: anyio.CancelScope) -> None:
    async for event in events:
        result.events.append(event)
        if isinstance(event, SessionEnded):
            result.end_reason, result.end_error = event.reason, event.error
            caller.cancel()


async def _record_agent(session: Session, recorder: CallRecorder, caller: CallerSource) -> None:
    async for frame in session.audio_out():
        recorder.agent(frame)
        caller.hear(frame)
