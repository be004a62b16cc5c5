"""One Deepgram recognition stream over a websocket that may be replaced: sends audio and controls in order,
keeps the socket alive, reads messages, and on a drop reconnects and re-sends the current turn's audio.

What the messages mean (Nova results or Flux turns) is up to a ``Dialect``; this module only moves bytes, keeps
time and recovers the socket.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import anyio
from anyio.abc import TaskStatus
from websockets.exceptions import ConnectionClosed

from pipeline.base.audio import AudioFrame
from pipeline.base.channel import Channel
from providers.deepgram.connection import OpenSocket, RetryPolicy, open_socket
from providers.deepgram.errors import connection_lost
from providers.deepgram.ledger import AudioLedger, Control
from providers.errors import ErrorCode, ProviderError
from providers.redact import guard_vendor_loggers
from providers.stt import Transcript

logger = logging.getLogger(__name__)
guard_vendor_loggers()  # DEBUG logging of the vendor library never prints the key

# A backlog (e.g. the replay after a reconnect) goes out in messages of up to this size (0.5 s at 16 kHz).
MAX_SEND_BYTES = 16000
KEEPALIVE_SILENCE = 0.02  # seconds of silence a dialect without KeepAlive sends instead


class ListenSocket(Protocol):
    """What both SDK socket clients (``listen.v1`` and ``listen.v2``) offer."""

    async def send_media(self, message: bytes) -> None: ...

    async def recv(self) -> Any: ...


class KeepAliveStyle(Enum):
    MESSAGE = "message"  # a KeepAlive text message (Nova)
    SILENCE = "silence"  # a short silent frame (Flux has no KeepAlive)


@dataclass
class Reaction:
    """What a dialect wants done after a message, a request or a deadline."""

    transcripts: list[Transcript] = field(default_factory=list)
    commit_until: float | None = None  # connection seconds now transcribed for good
    controls: list[Control] = field(default_factory=list)  # to send after the audio queued so far


class Dialect(Protocol):
    keepalive: KeepAliveStyle

    def connect(self) -> AbstractAsyncContextManager[ListenSocket]:
        """A fresh SDK connection context (one handshake)."""
        ...

    async def send_control(self, socket: ListenSocket, control: Control) -> None: ...

    async def send_keepalive(self, socket: ListenSocket) -> None: ...

    def finalize(self, now: float, audio_until: float) -> Reaction:
        """``finalize()`` was called; ``audio_until`` is the connection time at the end of the queued audio."""
        ...

    def control_sent(self, control: Control, connection_time: float) -> None: ...

    def message(self, message: object, now: float, to_media: Callable[[float], float]) -> Reaction:
        """React to one parsed server message; raises ``ProviderError`` for an in-band error. ``to_media`` maps
        this socket's clock (Deepgram's word times) to the caller's media time."""
        ...

    def deadline(self) -> float | None:
        """When ``expire`` must be called (anyio clock), if anything is pending."""
        ...

    def expire(self, now: float) -> Reaction: ...

    def reconnected(self, now: float) -> Reaction:
        """A new socket: forget per-connection state. The reaction's controls go out right after the replayed
        audio (not after everything queued)."""
        ...


class _Outcome(Enum):
    CLOSED = "closed"  # we are closing
    DROPPED = "dropped"  # the socket went away on its own


@dataclass(frozen=True)
class StreamSettings:
    provider: str
    policy: RetryPolicy
    keepalive_interval: float
    replay_max_seconds: float
    sample_rate: int


class SocketStream:
    """An ``SttStream`` on Deepgram. Use through ``run`` in a task group (see ``open_stream``)."""

    def __init__(self, dialect: Dialect, settings: StreamSettings) -> None:
        self._dialect = dialect
        self._settings = settings
        self._ledger = AudioLedger(settings.replay_max_seconds)
        self._out: Channel[Transcript] = Channel(f"{settings.provider}-transcripts", 512)
        self._closing = False
        self._media_end = 0.0
        self._receive_scope: anyio.CancelScope | None = None  # the wait for the next message

    # --- SttStream ------------------------------------------------------------------------------------------

    async def push_audio(self, frame: AudioFrame) -> None:
        if frame.sample_rate != self._settings.sample_rate:
            raise ProviderError(
                self._settings.provider,
                f"audio at {frame.sample_rate} Hz on a {self._settings.sample_rate} Hz stream",
                code=ErrorCode.BAD_REQUEST,
                recoverable=False,
            )
        self._media_end = frame.end_time
        self._ledger.push(frame)

    async def finalize(self) -> None:
        await self._apply(self._dialect.finalize(anyio.current_time(), self._ledger.queued_until))
        if self._receive_scope is not None:  # the receive loop waits for the dialect's (new) deadline
            self._receive_scope.deadline = _deadline(self._dialect)

    def transcripts(self) -> AsyncIterator[Transcript]:
        return self._out.__aiter__()

    # --- lifecycle ------------------------------------------------------------------------------------------

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Connect (raising ``ProviderError`` before ``started`` if that fails), then serve until cancelled."""
        try:
            current = await self._connect()
            task_status.started()
            await self._serve_and_recover(current)
        finally:
            self._out.close()

    def stop(self) -> None:
        """The owner is closing the stream: a socket closing now is not a drop."""
        self._closing = True

    async def _serve_and_recover(self, current: OpenSocket[ListenSocket]) -> None:
        failures = 0
        while True:
            try:
                outcome, heard = await self._serve(current.socket)
            finally:
                await current.close()
            if outcome is _Outcome.CLOSED:
                return
            failures = 0 if heard else failures + 1
            if failures > self._settings.policy.attempts:
                raise connection_lost(self._settings.provider, failures)
            if failures:
                await anyio.sleep(self._settings.policy.delay(failures))
            logger.warning(
                "%s socket dropped; reconnecting and re-sending %.2f s of audio",
                self._settings.provider,
                self._ledger.replay_seconds,
            )
            current = await self._connect()
            reaction = self._dialect.reconnected(anyio.current_time())
            self._ledger.rewind(after_replay=reaction.controls)
            await self._apply(Reaction(transcripts=reaction.transcripts))

    async def _connect(self) -> OpenSocket[ListenSocket]:
        return await open_socket(self._settings.provider, self._dialect.connect, self._settings.policy)

    async def _serve(self, socket: ListenSocket) -> tuple[_Outcome, bool]:
        async with anyio.create_task_group() as group:
            group.start_soon(self._send_loop, socket)
            outcome, heard = await self._receive_loop(socket)
            group.cancel_scope.cancel()
        return outcome, heard

    # --- sending --------------------------------------------------------------------------------------------

    async def _send_loop(self, socket: ListenSocket) -> None:
        last_audio = anyio.current_time()
        try:
            while True:
                item = self._ledger.take(MAX_SEND_BYTES)
                if isinstance(item, Control):
                    await self._dialect.send_control(socket, item)
                    self._dialect.control_sent(item, self._ledger.offset)
                elif item:
                    await socket.send_media(b"".join(frame.pcm for frame in item))
                    last_audio = anyio.current_time()
                else:
                    with anyio.CancelScope(deadline=last_audio + self._settings.keepalive_interval) as idle:
                        await self._ledger.wait_for_unsent()
                    if idle.cancelled_caught and not self._ledger.has_unsent():
                        await self._keepalive(socket)
                        last_audio = anyio.current_time()
        except (ConnectionClosed, OSError):
            return  # the receive loop sees the close and decides what to do

    async def _keepalive(self, socket: ListenSocket) -> None:
        if self._dialect.keepalive is KeepAliveStyle.MESSAGE:
            await self._dialect.send_keepalive(socket)
        else:
            rate = self._settings.sample_rate
            self._ledger.push(AudioFrame.silence(KEEPALIVE_SILENCE, rate, self._media_end))
            self._media_end += KEEPALIVE_SILENCE

    # --- receiving ------------------------------------------------------------------------------------------

    async def _receive_loop(self, socket: ListenSocket) -> tuple[_Outcome, bool]:
        heard = False
        while True:
            with anyio.CancelScope(deadline=_deadline(self._dialect)) as scope:
                self._receive_scope = scope
                try:
                    message = await socket.recv()
                except ValueError:  # not JSON, or JSON the SDK cannot read (json / pydantic errors)
                    logger.warning("%s sent a frame that is not valid; ignored", self._settings.provider)
                    continue
                except ConnectionClosed as exc:
                    return self._closed_outcome(exc), heard
                finally:
                    self._receive_scope = None
                heard = True
                try:
                    reaction = self._dialect.message(
                        message, anyio.current_time(), self._ledger.timeline.to_media
                    )
                except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
                    # one malformed frame (fields of the wrong type) costs its own words, never the call
                    logger.warning(
                        "%s sent a malformed %s frame (%s); ignored",
                        self._settings.provider,
                        type(message).__name__,
                        type(exc).__name__,
                    )
                    continue
                await self._apply(reaction)
                continue
            await self._apply(self._dialect.expire(anyio.current_time()))

    def _closed_outcome(self, exc: ConnectionClosed) -> _Outcome:
        if self._closing:
            return _Outcome.CLOSED
        code = exc.rcvd.code if exc.rcvd is not None else None
        logger.info("%s socket closed (code %s)", self._settings.provider, code)
        return _Outcome.DROPPED

    async def _apply(self, reaction: Reaction) -> None:
        for control in reaction.controls:
            self._ledger.push(control)
        if reaction.commit_until is not None:
            self._ledger.commit_until(reaction.commit_until)
        for transcript in reaction.transcripts:
            if not self._out.closed:
                await self._out.send(transcript)


def _deadline(dialect: Dialect) -> float:
    deadline = dialect.deadline()
    return math.inf if deadline is None else deadline


@asynccontextmanager
async def open_stream(dialect: Dialect, settings: StreamSettings) -> AsyncIterator[SocketStream]:
    """Connect (``ProviderError`` here if that fails for good), run the stream, close it on exit.

    A failure while the stream runs ends the ``async with`` body and is raised as the ``ProviderError`` itself;
    an exception from the body comes out as itself too (neither is wrapped in an exception group).
    """
    stream = SocketStream(dialect, settings)
    try:
        async with anyio.create_task_group() as group:
            await group.start(stream.run)
            try:
                yield stream
            finally:
                stream.stop()
                group.cancel_scope.cancel()
    except BaseExceptionGroup as failure:
        error = _unwrapped(failure)
        if error is None:
            raise
        raise error from None


def _unwrapped(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The ``ProviderError`` in the group, else its only exception (e.g. one raised in the ``async with``)."""
    leaves = _leaves(group)
    errors = [leaf for leaf in leaves if isinstance(leaf, ProviderError)]
    if errors:
        return errors[0]
    return leaves[0] if len(leaves) == 1 else None


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]
