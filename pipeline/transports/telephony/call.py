"""One phone call: a platform's media-stream WebSocket joined to a Parley session through the transport
interface (``pipeline.transports.transport``).

Caller audio (G.711, 8 kHz) goes into the session at the pipeline rate; agent audio goes out as the platform's
media messages, followed by a playback mark every ~100 ms so the heard text follows what really played; at a
barge-in (``clear``) the platform's ``clear`` goes out at once and the rest of that speech is dropped; keypresses
become ``dtmf`` events; ``stop`` or a disconnect ends the session at once; a session that ends on its own
(``end_call``, voicemail left, idle, ``session.end()``) also ends the phone call through the platform's REST API.
A message that cannot be parsed is reported and skipped: the call goes on.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import anyio

from pipeline.base.audio import AudioFrame
from pipeline.session.phone import CallControl, CallControlError, NoCallControl
from pipeline.session.pipeline import Pipeline
from pipeline.session.session import Session
from pipeline.transports.link import connect
from pipeline.transports.telephony.codec import PhoneAudioIn, PhoneAudioOut
from pipeline.transports.telephony.marks import PlaybackMarks
from pipeline.transports.telephony.messages import (
    DtmfReceived,
    InboundMessage,
    MarkPlayed,
    MediaChunk,
    MediaStreamSerializer,
    PlatformError,
    StreamStarted,
    StreamStopped,
    TelephonyMessageError,
)
from pipeline.transports.transport import CALLER_HUNG_UP, CALLER_STOPPED, CallEnd, CallLine

_log = logging.getLogger(__name__)
SERVER_STOPPED = "server_stopped"


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


@dataclass
class PhoneCallReport:
    """What happened on the call, for the server's logs and for tests."""

    started: StreamStarted | None = None
    session_id: str | None = None
    end_reason: str | None = None
    bad_messages: list[str] = field(default_factory=list)
    clears_sent: int = 0
    late_chunks: int = 0  # caller audio that arrived after a later chunk (dropped)
    hung_up_by_rest: bool | None = None


class PhoneTransport:
    """The ``Transport`` of a platform media stream (after its ``start`` message)."""

    def __init__(
        self,
        wire: MediaStreamSerializer,
        socket: PhoneSocket,
        audio_in: PhoneAudioIn,
        audio_out: PhoneAudioOut,
        report: PhoneCallReport,
        *,
        mark_interval: float = 0.1,
    ) -> None:
        self._wire = wire
        self._socket = socket
        self._in = audio_in
        self._out = audio_out
        self._report = report
        self.marks = PlaybackMarks(mark_interval)
        self._last_sequence: int | None = None
        # one writer keeps the order of media, marks and clears; entries carry their speech id (None: control)
        self._outbox_in, self._outbox_out = anyio.create_memory_object_stream[tuple[str | None, str]](
            math.inf
        )

        self._reading = anyio.CancelScope()

    async def run(self, line: CallLine) -> CallEnd:
        end = CallEnd(SERVER_STOPPED)
        with self._outbox_in, self._outbox_out:  # closed when the call ends, so no stream outlives it
            async with anyio.create_task_group() as group:
                group.start_soon(self._write)
                with self._reading:
                    end = await self._read(line)
                group.cancel_scope.cancel()
        return end

    def stop(self) -> None:
        """The server ends the call (a shutdown past the drain deadline): at once, like a hang-up."""
        self._reading.cancel()

    async def _read(self, line: CallLine) -> CallEnd:
        while True:
            try:
                raw = await self._socket.receive()
            except PhoneSocketClosed:
                return CallEnd(CALLER_HUNG_UP)
            message = parse(self._wire, raw, self._report)
            if isinstance(message, MediaChunk):
                if self._is_late(message.sequence):
                    self._report.late_chunks += 1
                    continue
                line.push_audio(self._in.decode(message.payload))
            elif isinstance(message, DtmfReceived):
                line.session.dtmf(message.digit, "platform")
            elif isinstance(message, MarkPlayed):
                played = self.marks.on_mark(message.name)
                if played is not None:
                    line.playback_mark(*played)
            elif isinstance(message, StreamStopped):
                return CallEnd(CALLER_STOPPED)
            elif isinstance(message, PlatformError):
                self._report.bad_messages.append(f"{self._wire.platform}: {message.code} {message.detail}")

    def _is_late(self, sequence: int | None) -> bool:
        """A chunk numbered below one already played (Telnyx does not guarantee order): dropped, so caller
        audio never goes back in time. Gaps are played through."""
        if sequence is None:
            return False
        if self._last_sequence is not None and sequence <= self._last_sequence:
            return True
        self._last_sequence = sequence
        return False

    async def _write(self) -> None:
        async for speech_id, text in self._outbox_out:
            if speech_id is not None and speech_id in self.marks.cleared:
                continue  # queued before the clear: never sent
            with contextlib.suppress(PhoneSocketClosed):  # the reader notices the hang-up and ends the call
                await self._socket.send(text)

    async def send(self, frame: AudioFrame) -> None:
        speech_id = frame.speech_id or ""
        if speech_id in self.marks.cleared:
            return  # handed over before the barge-in decision reached us: the caller must not hear it
        self._post(speech_id, self._wire.media(self._out.encode(frame)))
        mark = self.marks.on_sent(speech_id, frame.duration)
        if mark is not None:
            self._post(speech_id, self._wire.mark(mark))

    def clear(self, speech_id: str) -> None:
        self.marks.on_clear(speech_id)
        self._out.reset()
        self._report.clears_sent += 1
        self._post(None, self._wire.clear())

    async def send_dtmf(self, digits: str) -> bool:
        """The stream's own DTMF message (Plivo ``sendDTMF``); False where the platform has none."""
        message = self._wire.dtmf(digits)
        if message is None:
            return False
        self._post(None, message)
        return True

    def _post(self, speech_id: str | None, text: str) -> None:
        """Queue a message for the writer; after the call ended there is no one to send it to."""
        with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
            self._outbox_in.send_nowait((speech_id, text))


def parse(wire: MediaStreamSerializer, raw: str | bytes, report: PhoneCallReport) -> InboundMessage | None:
    try:
        return wire.parse(raw)
    except TelephonyMessageError as exc:
        report.bad_messages.append(str(exc))
        _log.warning("%s", exc)
        return None


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
        pipeline_for_call: Callable[[StreamStarted], Pipeline] | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._pipeline_for_call = pipeline_for_call
        self._wire = serializer
        self._socket = socket
        self._control = control
        self._on_session = on_session
        self._mark_interval = mark_interval
        self.report = PhoneCallReport()
        self._waiting = anyio.CancelScope()
        self._transport: PhoneTransport | None = None

    def stop(self) -> None:
        """End the call from the server's side (before or after its ``start``)."""
        self._waiting.cancel()
        if self._transport is not None:
            self._transport.stop()

    async def run(self) -> PhoneCallReport:
        started: StreamStarted | None = None
        with self._waiting:
            try:
                started = await self._wait_for_start()
            except PhoneSocketClosed:
                self.report.end_reason = CALLER_HUNG_UP
                return self.report
        if started is None:
            self.report.end_reason = SERVER_STOPPED
            return self.report
        self.report.started = started
        await self._run_session(started)
        return self.report

    async def _wait_for_start(self) -> StreamStarted:
        while True:
            message = parse(self._wire, await self._socket.receive(), self.report)
            if isinstance(message, StreamStarted):
                return message
            if isinstance(message, StreamStopped):
                raise PhoneSocketClosed("stop before start")

    async def _run_session(self, started: StreamStarted) -> None:
        pipeline = self._pipeline_for_call(started) if self._pipeline_for_call is not None else self._pipeline
        rate = pipeline.settings.audio.sample_rate
        try:
            audio_in = PhoneAudioIn(started.encoding, started.sample_rate, rate)
        except (TelephonyMessageError, ValueError) as exc:
            self.report.bad_messages.append(str(exc))
            self.report.end_reason = "unsupported_audio"
            return
        transport = PhoneTransport(
            self._wire,
            self._socket,
            audio_in,
            PhoneAudioOut(rate),
            self.report,
            mark_interval=self._mark_interval,
        )
        control = (self._control(started) if self._control is not None else None) or NoCallControl(
            self._wire.platform
        )
        session = pipeline.session()
        self.report.session_id = session.id
        async with session:
            phone = session.attach_phone(control, stream_dtmf=transport.send_dtmf)
            if self._on_session is not None:
                self._on_session(session, started)
            end = await connect(session, transport)
        self.report.end_reason = end.reason
        if end.reason in (CALLER_HUNG_UP, CALLER_STOPPED):
            phone.caller_hung_up()
        try:
            self.report.hung_up_by_rest = await phone.hang_up_if_active()
        except CallControlError as exc:
            _log.warning("%s", exc)
