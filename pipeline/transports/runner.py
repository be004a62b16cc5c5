"""Runs one call end to end: a transport (a WAV file, the demo caller, the microphone) into a session,
recording the call and its events to files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import anyio

from pipeline.observe.bus import EventSubscription
from pipeline.observe.events import Event, SessionEnded
from pipeline.session.pipeline import Pipeline
from pipeline.transports.link import connect
from pipeline.transports.recorder import CallRecorder
from pipeline.transports.transport import CallEnd, Transport


@dataclass
class CallResult:
    events: list[Event] = field(default_factory=list)
    recording_path: Path | None = None
    events_path: Path | None = None
    agent_seconds: float = 0.0
    first_audio_processed: float | None = None  # clock time (anyio) the first caller frame was processed
    end: CallEnd | None = None
    session_id: str = ""
    end_reason: str | None = None  # from session_ended
    end_error: str | None = None  # why the call died, when it did ("error")

    @property
    def failed(self) -> bool:
        """The call ended on a fatal error (a provider that refused the key, a stage that failed)."""
        return self.end_reason == "error"


async def run_call(
    pipeline: Pipeline, caller: Transport, out_dir: str | Path | None = None, *, keep_audio: bool = True
) -> CallResult:
    """Run the call; with ``keep_audio`` (the default) also write ``call.wav`` from audio held in memory —
    without it, the recording is left to a streaming ``CallRecords`` observer."""
    result = CallResult()
    rate = pipeline.settings.audio.sample_rate
    recorder = CallRecorder(rate, keep_audio=keep_audio)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        result.events_path = out / "events.jsonl"
    session = pipeline.session()
    result.session_id = session.id
    events = session.events()  # before the start, so session_started is recorded too
    async with session, anyio.create_task_group() as group:
        group.start_soon(_collect_events, events, result)
        result.end = await connect(session, caller, recorder)
    result.first_audio_processed = session.first_audio_processed_at
    result.agent_seconds = recorder.agent_seconds
    if out is not None:
        if keep_audio:
            result.recording_path = out / "call.wav"
            recorder.write(result.recording_path)
        assert result.events_path is not None
        result.events_path.write_text("".join(event.model_dump_json() + "\n" for event in result.events))
    return result


async def _collect_events(events: EventSubscription, result: CallResult) -> None:
    async for event in events:
        result.events.append(event)
        if isinstance(event, SessionEnded):
            result.end_reason, result.end_error = event.reason, event.error
