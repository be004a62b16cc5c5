"""``call``: a small Python client of Parley's WebSocket protocol (PROTOCOL.md).

It sends a WAV as the caller in real time — paced on an absolute deadline grid (``Pacer``), so time spent
sending never accumulates into drift — keeps the line open with silence until the agent has been listening
for a moment, ends the call, and writes the agent's audio on the call's timeline to a WAV.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from pipeline.base.audio import AudioFrame, read_wav, split_frames, write_wav
from pipeline.base.clock import Pacer


@dataclass
class CallSummary:
    session_id: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    agent_audio: list[tuple[float, bytes]] = field(default_factory=list)  # (seconds since start, pcm16)
    close_code: int | None = None
    close_reason: str = ""

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("type") == kind]


class _Agent:
    """Whether the agent has been listening (nothing to say) since when, from its state events."""

    def __init__(self) -> None:
        self.listening_since: float | None = None

    def seen(self, event: dict[str, Any], now: float) -> None:
        if event.get("type") == "agent_state_changed":
            listening = event.get("new") == "listening"
            self.listening_since = (self.listening_since or now) if listening else None

    def quiet_for(self, now: float, caller_done: float) -> float:
        """How long the agent has had nothing to say since the caller's audio ended (it listens from the start,
        so its quiet before that end says nothing about whether it has answered)."""
        if self.listening_since is None:
            return 0.0
        return now - max(self.listening_since, caller_done)


async def call(
    url: str,
    wav: str | Path,
    *,
    token: str | None = None,
    sample_rate: int = 16000,
    frame_ms: int = 20,
    quiet: float = 1.5,
    limit: float = 60.0,
    metadata: dict[str, Any] | None = None,
) -> CallSummary:
    """One call: the WAV in (resampled to ``sample_rate``), the agent's audio and events out."""
    audio, _ = read_wav(Path(wav), sample_rate)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    summary = CallSummary()
    agent = _Agent()
    origin = time.monotonic()
    async with connect(url, additional_headers=headers, max_size=None) as ws:
        start = {"type": "start", "sample_rate": sample_rate, "encoding": "pcm16", "metadata": metadata or {}}
        async with anyio.create_task_group() as group:
            group.start_soon(_receive, ws, summary, agent, origin)
            try:
                await ws.send(json.dumps(start))
                await _send_caller(ws, audio, frame_ms, agent, origin, quiet, limit)
                await ws.send(json.dumps({"type": "end"}))
                with anyio.move_on_after(limit):
                    await ws.wait_closed()
            except ConnectionClosed:
                pass
            group.cancel_scope.cancel()
        summary.close_code = ws.close_code
        summary.close_reason = ws.close_reason or ""
    return summary


async def _send_caller(
    ws: ClientConnection,
    audio: AudioFrame,
    frame_ms: int,
    agent: _Agent,
    origin: float,
    quiet: float,
    limit: float,
) -> None:
    pacer = Pacer()
    for frame in split_frames(audio, frame_ms):
        await ws.send(frame.pcm)
        await pacer.wait_after(frame.duration)
    silence = AudioFrame.silence(frame_ms / 1000, audio.sample_rate)
    waited = 0.0
    caller_done = time.monotonic() - origin
    while waited < limit and agent.quiet_for(time.monotonic() - origin, caller_done) < quiet:
        await ws.send(silence.pcm)
        await pacer.wait_after(silence.duration)
        waited += silence.duration


async def _receive(ws: ClientConnection, summary: CallSummary, agent: _Agent, origin: float) -> None:
    try:
        async for message in ws:
            now = time.monotonic() - origin
            if isinstance(message, bytes):
                summary.agent_audio.append((now, message))
                continue
            event = json.loads(message)
            if event.get("type") == "ready":
                summary.session_id = event["session_id"]
            summary.events.append(event)
            agent.seen(event, now)
    except ConnectionClosed:
        pass


def write_agent_audio(summary: CallSummary, path: str | Path, sample_rate: int) -> float:
    """The agent's audio at the times it arrived (silence between); returns its seconds of speech."""
    if not summary.agent_audio:
        write_wav(path, np.zeros(0, dtype=np.int16), sample_rate)
        return 0.0
    cursor = 0
    pieces: list[np.ndarray] = []
    for at, pcm in summary.agent_audio:
        start = max(cursor, round(at * sample_rate))
        if start > cursor:
            pieces.append(np.zeros(start - cursor, dtype=np.int16))
        samples = np.frombuffer(pcm, dtype="<i2")
        pieces.append(samples)
        cursor = start + len(samples)
    write_wav(path, np.concatenate(pieces), sample_rate)
    return sum(len(pcm) for _, pcm in summary.agent_audio) / 2 / sample_rate
