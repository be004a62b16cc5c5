"""The ``/ws`` transport: Parley's WebSocket protocol (PROTOCOL.md) as a ``Transport``.

Caller audio arrives as binary messages in the client's encoding and rate; agent audio leaves resampled and
encoded the same way, one frame per message. Every outgoing message goes through one outbox drained by one
writer task, so ``clear`` can drop the audio not yet written — synchronously, at the barge-in decision — and
put the ``clear`` message first in line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.websockets import WebSocket

from pipeline.base.audio import AudioFrame, StreamResampler, ulaw_decode, ulaw_encode
from pipeline.observe.bus import EventSubscription
from pipeline.server.limits import TokenBucket
from pipeline.server.options import ServeOptions
from pipeline.server.protocol import (
    CLOSE_GOING_AWAY,
    CLOSE_IDLE,
    CLOSE_NORMAL,
    CLOSE_RATE_LIMITED,
    CLOSE_TOO_BIG,
    End,
    Inject,
    Interrupt,
    Played,
    ProtocolViolation,
    Say,
    Start,
    Update,
    clear_message,
    parse_control,
)
from pipeline.session.session import SessionClosedError
from pipeline.transports.transport import CALLER_HUNG_UP, CallEnd, CallLine

MAX_OUTBOX_AUDIO = 10  # agent frames queued for the socket before ``send`` waits (backpressure)
PLAYED_RATE = 100  # `played` reports per second (a client may report every 10 ms frame)
CALLER_ENDED = "caller_ended"
SERVER_SHUTDOWN = "server_shutdown"


@dataclass(frozen=True)
class _Outgoing:
    payload: bytes | str
    speech_id: str | None = None  # agent audio: the speech it belongs to


class WebSocketTransport:
    """One ``/ws`` call after its ``start`` message."""

    def __init__(
        self, websocket: WebSocket, start: Start, options: ServeOptions, *, pipeline_rate: int
    ) -> None:
        self._ws = websocket
        self._start = start
        self._options = options
        self._resampler = StreamResampler(pipeline_rate, start.sample_rate)
        self._control = TokenBucket(options.control_rate, options.control_burst)
        self._reports = TokenBucket(PLAYED_RATE, 2 * PLAYED_RATE)  # playback reports: one per frame is fine
        self._outbox: deque[_Outgoing] = deque()
        self._outbox_changed = anyio.Event()
        self._outbox_waiters = 0  # tasks in _wait_outbox: only they need _notify's event
        self._writer_failed = False
        self._stop: CallEnd | None = None
        self._receive_scope: anyio.CancelScope | None = None
        self._media_time = 0.0
        self.close_code = CLOSE_NORMAL
        self.close_reason = ""
        self.frames_sent = 0
        self.frames_cleared = 0  # agent frames dropped from the outbox at an interruption

    # --- caller side ----------------------------------------------------------------------------------------

    async def run(self, line: CallLine) -> CallEnd:
        """Receives until the call ends. The idle timeout is a cancel scope whose deadline is the last message's
        time plus the timeout, set when the scope opens and checked when it fires (a call that is not idle then
        opens the next one): per message only the time is noted — no timer is moved per frame. ``stop``
        cancels the scope."""
        idle = self._options.idle_timeout
        clock = anyio.current_time
        last_message = clock()
        while self._stop is None and clock() < last_message + idle:
            with anyio.CancelScope(deadline=last_message + idle) as scope:
                self._receive_scope = scope
                while True:
                    message = await self._ws.receive()
                    last_message = clock()
                    if message["type"] == "websocket.disconnect":
                        return CallEnd(CALLER_HUNG_UP)
                    try:
                        end = self._handle(message, line)
                    except ProtocolViolation as violation:
                        return self._fail(violation.code, "protocol_error", violation.reason)
                    if end is not None:
                        return end
            self._receive_scope = None
        if self._stop is not None:
            return self._stop
        return self._fail(CLOSE_IDLE, "idle_timeout", "nothing received for the idle timeout")

    @property
    def stopped(self) -> bool:
        return self._stop is not None

    def stop(self, reason: str = SERVER_SHUTDOWN, code: int = CLOSE_GOING_AWAY) -> None:
        """End the call from the server's side (a shutdown past its drain deadline)."""
        if self._stop is None:
            self._stop = CallEnd(reason)
            self.close_code, self.close_reason = code, reason
            if self._receive_scope is not None:
                self._receive_scope.cancel()

    def _fail(self, code: int, reason: str, detail: str) -> CallEnd:
        self.close_code, self.close_reason = code, detail
        return CallEnd(reason, error=detail)

    def _handle(self, message: Mapping[str, Any], line: CallLine) -> CallEnd | None:
        data = message.get("bytes")
        text = message.get("text")
        limit = self._options.max_message_bytes
        if isinstance(data, bytes):
            if len(data) > limit:
                raise ProtocolViolation(
                    f"message of {len(data)} bytes is over the {limit} limit", CLOSE_TOO_BIG
                )
            line.push_audio(self._decode(data))
            return None
        if isinstance(text, str):
            if len(text) > limit:
                raise ProtocolViolation(
                    f"message of {len(text)} bytes is over the {limit} limit", CLOSE_TOO_BIG
                )
            return self._control_message(text, line)
        raise ProtocolViolation("an empty message")

    def _decode(self, data: bytes) -> AudioFrame:
        rate = self._start.sample_rate
        if self._start.encoding == "mulaw":
            frame = AudioFrame.from_int16(ulaw_decode(data), rate, self._media_time)
        else:
            if len(data) % 2:
                raise ProtocolViolation(f"a pcm16 message has an odd number of bytes ({len(data)})")
            frame = AudioFrame(data, rate, self._media_time)
        self._media_time += frame.duration
        return frame

    def _control_message(self, text: str, line: CallLine) -> CallEnd | None:
        message = parse_control(text)
        bucket = self._reports if isinstance(message, Played) else self._control
        if not bucket.take():
            raise ProtocolViolation(f"too many {message.type} messages", CLOSE_RATE_LIMITED)
        session = line.session
        try:
            match message:
                case Say():
                    session.say(message.text, allow_interruption=message.allow_interruption)
                case Interrupt():
                    session.interrupt()
                case Inject():
                    session.inject(message.text)
                case Update():
                    session.update(
                        instructions=message.instructions,
                        temperature=message.temperature,
                        max_tokens=message.max_tokens,
                    )
                case End():
                    session.end_call(CALLER_ENDED, message.goodbye)
                    return CallEnd(CALLER_ENDED, hang_up=False)
                case Played():
                    line.playback_mark(message.speech_id, message.seconds)
        except SessionClosedError:
            return None  # the session is ending anyway
        except ValueError as exc:
            raise ProtocolViolation(f"bad {message.type}: {exc}") from None
        return None

    # --- agent side -----------------------------------------------------------------------------------------

    async def send(self, frame: AudioFrame) -> None:
        while self._queued_audio() >= MAX_OUTBOX_AUDIO and not self._writer_failed:
            await self._wait_outbox()
        out = self._resampler.process(frame)
        payload = ulaw_encode(out.to_int16()) if self._start.encoding == "mulaw" else out.pcm
        self._push(_Outgoing(payload, frame.speech_id or ""))

    def clear(self, speech_id: str) -> None:
        kept = deque(item for item in self._outbox if item.speech_id is None)
        self.frames_cleared += len(self._outbox) - len(kept)
        self._outbox = kept
        self._outbox.appendleft(_Outgoing(clear_message(speech_id)))
        self._notify()

    def queue_text(self, text: str) -> None:
        self._push(_Outgoing(text))

    async def forward_events(self, events: EventSubscription) -> None:
        async for event in events:
            self.queue_text(event.model_dump_json())

    def _push(self, item: _Outgoing) -> None:
        self._outbox.append(item)
        self._notify()

    def _queued_audio(self) -> int:
        return sum(1 for item in self._outbox if item.speech_id is not None)

    def _notify(self) -> None:
        if self._outbox_waiters:  # nobody waiting (the usual case per frame): no event to set or replace
            self._outbox_changed.set()
            self._outbox_changed = anyio.Event()

    async def _wait_outbox(self) -> None:
        self._outbox_waiters += 1
        try:
            await self._outbox_changed.wait()
        finally:
            self._outbox_waiters -= 1

    async def write_loop(self) -> None:
        """Writes the outbox to the socket until cancelled; a failed write (the caller is gone) stops it."""
        while True:
            while not self._outbox:
                await self._wait_outbox()
            item = self._outbox.popleft()
            self._notify()
            try:
                if isinstance(item.payload, bytes):
                    await self._ws.send_bytes(item.payload)
                    self.frames_sent += 1
                else:
                    await self._ws.send_text(item.payload)
            except Exception:
                self._writer_failed = True
                self._notify()
                return

    async def flush(self, timeout: float = 2.0) -> None:
        """Wait (briefly) until the outbox is written."""
        with anyio.move_on_after(timeout):
            while self._outbox and not self._writer_failed:
                await self._wait_outbox()

    @property
    def writer_failed(self) -> bool:
        return self._writer_failed
