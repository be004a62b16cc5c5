"""A phone platform's side of a media stream, written from the protocol document (shared/TELEPHONY.md), not from
Parley's serializers: it sends Twilio / Plivo / Telnyx messages for a caller and plays the agent's audio like the
platform would — a playback queue drained in real time, marks echoed when the audio before them has played,
``clear`` dropping the queue (Twilio and Telnyx echo the pending marks, Plivo answers ``clearedAudio``).

The line between it and the server is either in memory (``MemoryLine``, for virtual-time tests) or a real
WebSocket (the server tests)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import anyio
import numpy as np
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pipeline.base.audio import ulaw_decode, ulaw_encode
from pipeline.transports.telephony.call import PhoneSocketClosed

FRAME = 0.02
PHONE_RATE = 8000


class MemoryLine:
    """Both ends of a text WebSocket in memory. ``server`` is a PhoneSocket; the platform uses the other end."""

    def __init__(self) -> None:
        self._to_server: tuple[MemoryObjectSendStream[str], MemoryObjectReceiveStream[str]] = (
            anyio.create_memory_object_stream[str](1000)
        )
        self._to_platform: tuple[MemoryObjectSendStream[str], MemoryObjectReceiveStream[str]] = (
            anyio.create_memory_object_stream[str](1000)
        )
        self.server = _End(self._to_platform[0], self._to_server[1])
        self.platform = _End(self._to_server[0], self._to_platform[1])

    def close(self) -> None:
        """Close all four stream ends (after the call: whatever either side still held is dropped)."""
        for stream in (*self._to_server, *self._to_platform):
            stream.close()


@dataclass
class _End:
    outgoing: MemoryObjectSendStream[str]
    incoming: MemoryObjectReceiveStream[str]

    async def receive(self) -> str:
        try:
            return await self.incoming.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise PhoneSocketClosed from None

    async def send(self, text: str) -> None:
        try:
            await self.outgoing.send(text)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            raise PhoneSocketClosed from None

    async def close(self) -> None:
        await self.outgoing.aclose()


@dataclass
class Received:
    """A message from the server, with the platform's clock time."""

    at: float
    message: dict[str, Any]


@dataclass
class PlatformSimulator:
    """One call on ``platform`` ("twilio", "plivo", "telnyx"); ``run`` plays agent audio until the line closes."""

    platform: str
    line: _End
    custom: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    heard: list[tuple[float, np.ndarray]] = field(default_factory=list)  # (clock time, samples) as played
    caller_frames_sent: list[float] = field(default_factory=list)  # clock time of each caller frame sent
    playback_delay: float = 0.0  # a jitter buffer: audio plays this long after it arrives
    _queue: list[tuple[str, Any, float]] = field(default_factory=list)  # (kind, audio or mark name, arrival)
    _sequence: int = 0
    _chunk: int = 0  # media chunks are numbered per stream
    closed: bool = False

    # --- platform -> app ------------------------------------------------------------------------------------

    def _seq(self) -> int:
        self._sequence += 1
        return self._sequence

    async def _send(self, message: dict[str, Any]) -> None:
        await self.line.send(json.dumps(message))

    async def connect(self) -> None:
        if self.platform == "twilio":
            await self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
            params = self.custom
            start = {
                "accountSid": "AC1",
                "streamSid": "MZ1",
                "callSid": "CA1",
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                "customParameters": params,
            }
            await self._send(
                {"event": "start", "sequenceNumber": str(self._seq()), "start": start, "streamSid": "MZ1"}
            )
        elif self.platform == "plivo":
            start = {
                "callId": "c-1",
                "streamId": "s-1",
                "accountId": "MA1",
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
            }
            headers = ",".join(f"{k}={v}" for k, v in self.custom.items())
            await self._send(
                {"event": "start", "sequenceNumber": self._seq(), "start": start, "extra_headers": headers}
            )
        else:
            await self._send({"event": "connected", "version": "1.0.0"})
            start = {
                "user_id": "u",
                "call_control_id": "v3:cc",
                "call_session_id": "cs",
                "from": "+14155550100",
                "to": "+18005551212",
                "custom_parameters": self.custom,
                "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1},
            }
            await self._send(
                {"event": "start", "sequence_number": str(self._seq()), "stream_id": "32DE", "start": start}
            )

    async def media(self, samples: np.ndarray) -> None:
        """Caller audio (8 kHz int16), sent in 20 ms chunks paced in real time."""
        step = round(FRAME * PHONE_RATE)
        for begin in range(0, len(samples), step):
            self._chunk += 1
            index = self._chunk
            payload = base64.b64encode(ulaw_encode(samples[begin : begin + step])).decode()
            self.caller_frames_sent.append(anyio.current_time())
            if self.platform == "twilio":
                media = {"track": "inbound", "chunk": str(index), "timestamp": "0", "payload": payload}
                await self._send(
                    {"event": "media", "sequenceNumber": str(self._seq()), "media": media, "streamSid": "MZ1"}
                )
            elif self.platform == "plivo":
                media = {"track": "inbound", "timestamp": "1705312200000", "chunk": index, "payload": payload}
                await self._send(
                    {"event": "media", "sequenceNumber": self._seq(), "streamId": "s-1", "media": media}
                )
            else:
                media = {"track": "inbound", "chunk": str(index), "timestamp": "0", "payload": payload}
                await self._send(
                    {
                        "event": "media",
                        "sequence_number": str(self._seq()),
                        "media": media,
                        "stream_id": "32DE",
                    }
                )
            await anyio.sleep(FRAME)

    async def dtmf(self, digit: str) -> None:
        if self.platform == "twilio":
            dtmf = {"track": "inbound_track", "digit": digit}
            await self._send(
                {"event": "dtmf", "streamSid": "MZ1", "sequenceNumber": str(self._seq()), "dtmf": dtmf}
            )
        elif self.platform == "plivo":
            dtmf = {"track": "inbound", "digit": digit, "timestamp": "1705312250000"}
            await self._send(
                {"event": "dtmf", "sequenceNumber": self._seq(), "streamId": "s-1", "dtmf": dtmf}
            )
        else:
            await self._send(
                {
                    "event": "dtmf",
                    "stream_id": "32DE",
                    "sequence_number": str(self._seq()),
                    "dtmf": {"digit": digit},
                }
            )

    async def stop(self) -> None:
        if self.platform == "twilio":
            stop = {"accountSid": "AC1", "callSid": "CA1"}
            await self._send(
                {"event": "stop", "sequenceNumber": str(self._seq()), "stop": stop, "streamSid": "MZ1"}
            )
        elif self.platform == "plivo":
            await self._send({"event": "stop", "sequenceNumber": self._seq(), "streamId": "s-1"})
        else:
            await self._send(
                {
                    "event": "stop",
                    "sequence_number": str(self._seq()),
                    "stop": {"call_control_id": "v3:cc"},
                    "stream_id": "32DE",
                }
            )

    # --- app -> platform ------------------------------------------------------------------------------------

    def sent(self, event: str) -> list[Received]:
        return [item for item in self.received if item.message.get("event") == event]

    async def run(self) -> None:
        """Receive the server's messages and play the agent's audio in real time until the line closes."""
        async with anyio.create_task_group() as group:
            group.start_soon(self._play)
            try:
                while True:
                    message = json.loads(await self.line.receive())
                    self.received.append(Received(anyio.current_time(), message))
                    await self._on_message(message)
            except PhoneSocketClosed:
                self.closed = True
            group.cancel_scope.cancel()

    async def _on_message(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if event in ("media", "playAudio"):
            self._queue.append(("audio", base64.b64decode(message["media"]["payload"]), anyio.current_time()))
        elif event in ("mark", "checkpoint"):
            name = message["mark"]["name"] if event == "mark" else message["name"]
            if self.platform == "telnyx" and not any(kind == "audio" for kind, _, _ in self._queue):
                await self._echo(name)  # Telnyx: at once when nothing is queued
            else:
                self._queue.append(("mark", name, anyio.current_time()))
        elif event in ("clear", "clearAudio"):
            pending = [value for kind, value, _ in self._queue if kind == "mark"]
            self._queue.clear()
            if self.platform == "plivo":
                await self._send({"event": "clearedAudio", "sequenceNumber": self._seq(), "streamId": "s-1"})
            else:
                for name in pending:  # cleared marks come back too (they mean "cleared", not "played")
                    await self._echo(name)

    async def _echo(self, name: str) -> None:
        if self.platform == "twilio":
            await self._send(
                {
                    "event": "mark",
                    "sequenceNumber": str(self._seq()),
                    "streamSid": "MZ1",
                    "mark": {"name": name},
                }
            )
        elif self.platform == "plivo":
            await self._send(
                {"event": "playedStream", "sequenceNumber": self._seq(), "streamId": "s-1", "name": name}
            )
        else:
            await self._send({"event": "mark", "stream_id": "32DE", "mark": {"name": name}})

    async def _play(self) -> None:
        try:
            await self._play_queue()
        except PhoneSocketClosed:
            return

    async def _play_queue(self) -> None:
        while True:
            if not self._queue:
                await anyio.sleep(0.005)
                continue
            kind, value, arrived = self._queue[0]
            if anyio.current_time() < arrived + self.playback_delay:
                await anyio.sleep(arrived + self.playback_delay - anyio.current_time())
                continue  # a clear may have emptied the queue meanwhile
            self._queue.pop(0)
            if kind == "mark":
                await self._echo(value)
                continue
            samples = ulaw_decode(value)
            self.heard.append((anyio.current_time(), samples))
            await anyio.sleep(len(samples) / PHONE_RATE)

    def heard_seconds(self) -> float:
        return sum(len(samples) for _, samples in self.heard) / PHONE_RATE
