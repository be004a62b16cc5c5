"""What a session offers to whoever watches it (metrics, traces, call records, logs): its events, through the
bus, and optionally its audio, through a tap. Observers attach before the session starts, so they see
``session_started``; they never reach into the pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from pipeline.base.audio import AudioFrame
from pipeline.observe.bus import EventBus


@dataclass(frozen=True)
class CallInfo:
    """Who and what a call is: its session id, the config it runs, and the transport's metadata (for
    instance ``caller_number``)."""

    session_id: str
    config_name: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


class AudioTap(Protocol):
    """Sees the call's audio as it flows: caller frames as pushed, agent frames as they leave. It must be
    cheap (called on the event loop for every frame); ``close`` runs once when the session ends."""

    def caller(self, frame: AudioFrame) -> None: ...

    def agent(self, frame: AudioFrame) -> None: ...

    def close(self) -> None: ...


class SessionObserver(Protocol):
    """Attaches to one session before it starts: subscribes to ``bus`` and may return an audio tap."""

    def attach(self, call: CallInfo, bus: EventBus) -> AudioTap | None: ...
