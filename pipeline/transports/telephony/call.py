"""One phone call: a platform's media-stream WebSocket joined to a Parley session.

Caller audio (G.711, 8 kHz) goes into the session at the pipeline rate; agent audio goes out as the platform's
media messages with a playback mark every ~100 ms; at a barge-in a ``clear`` goes out at once and the rest of the
interrupted speech is dropped; keypresses become ``dtmf`` events; ``stop`` or a disconnect ends the session at
once (reason ``hangup``); a session that ends on its own (``end_call``, idle, ``session.end()``) also ends the
phone call through the platform's REST API. A message that cannot be parsed is reported and skipped.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

import anyio

from pipeline.observe.bus import EventSubscription
from pipeline.observe.events import Event, Interruption
from pipeline.session.phone import CallControl, CallControlError, NoCallControl
from pipeline.session.pipeline import Pipeline
from pipeline.session.session import Session
from pipeline.transports.telephony.codec import PhoneAudioIn, PhoneAudioOut
from pipeline.transports.telephony.marks import PlaybackMarks
from pipeline.transports.telephony.messages import (
    DtmfReceived,
    MarkPlayed,
    MediaChunk,
    MediaStreamSerializer,
    PlatformError,
    StreamStarted,
    StreamStopped,
    TelephonyMessageError,
)

_log = logging.getLogger(__name__)


class PhoneSocketClosed(Exception):
    """The platform's WebSocket is gone."""


class PhoneSocket(Protocol):
    """The text side of a WebSocket, as the server (or a test) provides it."""

    async def receive(self) -> str | bytes:
        """The next message; raises PhoneSocketClosed when the connection has ended."""
        ...

    async def send(self, text: str) -> None:
        """Raises PhoneSocketClosed when the connection has ended."""
        ...


class CallPhase(Enum):
    """waiting for ``start`` -> in call -> ended (by the caller, or by the agent)."""

    WAITING = "waiting"
    IN_CALL = "in_call"
    ENDED = "ended"


@dataclass
class PhoneCallReport:
    """What happened on the call, for the server's logs and for tests."""

    started: StreamStarted | None = None
    session_id: str | None = None
    end_reason: str | None = None
    bad_messages: list[str] = field(default_factory=list)
    clears_sent: int = 0
    hung_up_by_rest: bool | None = None


ControlFactory = Callable[[StreamStarted], CallControl | None]


class PhoneCall:
    """Runs one call; ``await PhoneCall(...).run()`` returns when the call is over, with no error escaping."""

    def __init__(
        self,
        pipeline: Pipeline,
        serializer: MediaStreamSerializer,
        socket: PhoneSocket,
        *,
        control: ControlFactory | None = None,
        on_session: Callable[[Session, StreamStarted], None] | None = None,
        mark_interval: float = 0.1,
    ) -> None:
        self._pipeline = pipeline
        self._wire = serializer
        self._socket = socket
        self._control = control
        self._on_session = on_session
        self._marks = PlaybackMarks(mark_interval)
        self._out = PhoneAudioOut(pipeline.settings.audio.sample_rate)
        self._cleared_at = float("-inf")  # session time of the last clear: older agent frames are stale
        self.phase = CallPhase.WAITING
        self.report = PhoneCallReport()

    @property
    def marks(self) -> PlaybackMarks:
        return self._marks

    async def run(self) -> PhoneCallReport:
        try:
            started = await self._wait_for_start()
        except PhoneSocketClosed:
            self.phase = CallPhase.ENDED
            self.report.end_reason = "hangup"
            return self.report
        self.report.started = started
        await self._run_session(started)
        return self.report

    async def _wait_for_start(self) -> StreamStarted:
        while True:
            message = self._parse(await self._socket.receive())
            if isinstance(message, StreamStarted):
                return message
            if isinstance(message, StreamStopped):
                raise PhoneSocketClosed("stop before start")

    def _parse(self, raw: str | bytes) -> object:
        try:
            return self._wire.parse(raw)
        except TelephonyMessageError as exc:
            self.report.bad_messages.append(str(exc))
            _log.warning("%s", exc)
            return None

    async def _run_session(self, started: StreamStarted) -> None:
        rate = self._pipeline.settings.audio.sample_rate
        audio_in = PhoneAudioIn(started.encoding, started.sample_rate, rate)
        session = self._pipeline.session()
        self.report.session_id = session.id
        control = (self._control(started) if self._control is not None else None) or NoCallControl(
            self._wire.platform
        )
        async with session, anyio.create_task_group() as group:
            self.phase = CallPhase.IN_CALL
            phone = session.attach_phone(control, stream_dtmf=self._send_stream_dtmf)
            if self._on_session is not None:
                self._on_session(session, started)
            interruptions = session.events(Interruption)
            group.start_soon(self._clear_on_interruption, session, interruptions)
            group.start_soon(self._send_agent_audio, session)
            caller_hung_up = await self._receive(session, audio_in)
            if caller_hung_up:
                phone.caller_hung_up()
            self.report.end_reason = "hangup" if caller_hung_up else "ended"
            await session.end("hangup" if caller_hung_up else "ended")
            group.cancel_scope.cancel()
        self.phase = CallPhase.ENDED
        if session.phone is not None:
            try:
                self.report.hung_up_by_rest = await session.phone.hang_up_if_active()
            except CallControlError as exc:
                _log.warning("%s", exc)

    async def _receive(self, session: Session, audio_in: PhoneAudioIn) -> bool:
        """Caller messages until the call ends: True when the caller hung up, False when the session ended."""
        ended = anyio.Event()

        async def watch_session() -> None:
            async for _ in session.events():
                pass
            ended.set()

        async with anyio.create_task_group() as group:
            group.start_soon(watch_session)
            hung_up = False
            with anyio.CancelScope() as scope:
                group.start_soon(self._wait_then_cancel, ended, scope)
                hung_up = await self._read_messages(session, audio_in)
            group.cancel_scope.cancel()
        return hung_up

    @staticmethod
    async def _wait_then_cancel(ended: anyio.Event, scope: anyio.CancelScope) -> None:
        await ended.wait()
        scope.cancel()

    async def _read_messages(self, session: Session, audio_in: PhoneAudioIn) -> bool:
        while True:
            try:
                raw = await self._socket.receive()
            except PhoneSocketClosed:
                return True
            message = self._parse(raw)
            if isinstance(message, MediaChunk):
                session.push_audio(audio_in.decode(message.payload))
            elif isinstance(message, DtmfReceived):
                session.dtmf(message.digit, "platform")
            elif isinstance(message, MarkPlayed):
                self._marks.on_mark(message.name)
            elif isinstance(message, StreamStopped):
                return True
            elif isinstance(message, PlatformError):
                self.report.bad_messages.append(f"{self._wire.platform}: {message.code} {message.detail}")

    async def _clear_on_interruption(self, session: Session, interruptions: EventSubscription) -> None:
        event: Event
        async for event in interruptions:
            self._cleared_at = event.timestamp
            self._marks.on_clear()
            self._out.reset()
            self.report.clears_sent += 1
            await self._send(self._wire.clear())

    async def _send_agent_audio(self, session: Session) -> None:
        async for frame in session.audio_out():
            if frame.timestamp <= self._cleared_at:
                continue  # handed over before the barge-in decision: the caller must not hear it
            await self._send(self._wire.media(self._out.encode(frame)))
            mark = self._marks.on_sent(frame.duration)
            if mark is not None:
                await self._send(self._wire.mark(mark))

    async def _send_stream_dtmf(self, digits: str) -> bool:
        message = self._wire.dtmf(digits)
        if message is None:
            return False
        await self._send(message)
        return True

    async def _send(self, text: str) -> None:
        with contextlib.suppress(PhoneSocketClosed):  # the receive side notices the hang-up and ends the call
            await self._socket.send(text)
