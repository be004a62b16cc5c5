"""One reply on the multi-context websocket: a ``TtsStream`` backed by one ElevenLabs context.

Lifecycle (``Phase``)::

    NEW --first text--> STREAMING --end_input (flush)--> FLUSHED --all text's audio in--> CLOSING --isFinal--> DONE
    NEW --end_input--> DONE (nothing to say)
    any live phase --socket failed, audio already yielded / error--> FAILED
    any live phase --left early (barge-in): close_context, late audio dropped--> ABANDONED

The context is initialised with its first sentence (the socket itself is opened in the background as soon as
the stream is entered). When the socket dies before any of this reply's audio arrived, the reply starts over on
a fresh socket (its text is replayed), so a stale or rate-limited socket costs a little latency, not a failed
turn; once audio has been yielded a replay would repeat words, so the reply fails with a recoverable
``connection_lost`` and the next one uses a new socket.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections import deque
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass

import anyio

from providers.elevenlabs.connection import MultiStreamConnection, SocketFailure
from providers.elevenlabs.errors import ErrorScope
from providers.elevenlabs.pool import ConnectionPool
from providers.elevenlabs.protocol import (
    AudioMessage,
    FinalMessage,
    close_context,
    flush,
    init_context,
    send_text,
    wire_text,
)
from providers.elevenlabs.segments import SegmentTracker
from providers.errors import ProviderError
from providers.tts import TtsAudio, TtsOutput, TtsSegmentEnd

_log = logging.getLogger(__name__)


class Phase(enum.Enum):
    NEW = "new"
    STREAMING = "streaming"
    FLUSHED = "flushed"
    CLOSING = "closing"
    DONE = "done"
    FAILED = "failed"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class ContextSettings:
    voice_settings: Mapping[str, float | bool]
    chunk_length_schedule: tuple[int, ...] | None
    auto_mode: bool  # each text message is generated at once (so audio is due as soon as text is sent)
    response_timeout: float
    settle_timeout: float
    final_timeout: float
    max_attempts: int = 2


class _End:
    """Inbox marker: the stream ends without a server message (nothing was ever said)."""


Item = AudioMessage | FinalMessage | SocketFailure | _End


INBOX_LIMIT_BYTES = 256 * 1024  # ~8 s of 16 kHz PCM16 waiting to be played; then the socket's reader waits


class _Inbox:
    """Bounded: a reply's audio may arrive far faster than it is played, so once ``limit`` bytes of audio wait,
    ``put`` waits for the reader to take some (the socket's reader then stops reading, and TCP flow control slows
    the service). Its reader is also woken (``nudge``) when the stream's phase changes, to re-evaluate how long
    it may wait. ``clear`` drops everything and lets waiting ``put`` calls through (dropping from then on)."""

    def __init__(self, limit: int = INBOX_LIMIT_BYTES) -> None:
        self._items: deque[Item] = deque()
        self._bytes = 0
        self._limit = limit
        self._changed = anyio.Event()
        self._space = anyio.Event()
        self._cleared = False

    @property
    def buffered_bytes(self) -> int:
        return self._bytes

    def put(self, item: Item) -> None:
        """Without waiting (control items: failures, the end)."""
        self._items.append(item)
        if isinstance(item, AudioMessage):
            self._bytes += len(item.pcm)
        self._changed.set()

    async def put_waiting(self, item: AudioMessage | FinalMessage) -> None:
        """Waits while the inbox holds ``limit`` bytes of audio or more."""
        while self._bytes >= self._limit and not self._cleared:
            await self._space.wait()
            self._space = anyio.Event()
        if not self._cleared:
            self.put(item)

    def nudge(self) -> None:
        self._changed.set()

    def pop(self) -> Item | None:
        if not self._items:
            return None
        item = self._items.popleft()
        if isinstance(item, AudioMessage):
            self._bytes -= len(item.pcm)
            self._space.set()
        return item

    async def changed(self) -> None:
        await self._changed.wait()
        self._changed = anyio.Event()

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0
        self._cleared = True
        self._space.set()


class ContextStream:
    def __init__(self, pool: ConnectionPool, settings: ContextSettings, scope: ErrorScope) -> None:
        self.context_id = f"parley-{uuid.uuid4().hex[:16]}"
        self._pool = pool
        self._settings = settings
        self._scope = scope
        self._phase = Phase.NEW
        self._inbox = _Inbox()
        self._segments = SegmentTracker()
        self._texts: list[str] = []  # as sent, for a replay on a fresh socket
        self._connection: MultiStreamConnection | None = None
        self._lock = anyio.Lock()  # orders sends: text, flush, close and a replay never interleave
        self._received_audio = False
        self._odd_byte = b""  # half a sample from the last chunk
        self._attempts = 0
        # The last item received or message sent: how long the service has been quiet counts from it.
        self._last_progress = anyio.current_time()

    @property
    def phase(self) -> Phase:
        return self._phase

    # --- ContextSink (called by the socket's reader task) ----------------------------------------------------

    @property
    def wants_keepalive(self) -> bool:
        return self._phase in (Phase.STREAMING, Phase.FLUSHED)

    async def deliver(self, event: AudioMessage | FinalMessage) -> None:
        await self._inbox.put_waiting(event)

    def connection_failed(self, failure: SocketFailure) -> None:
        self._inbox.put(failure)

    # --- TtsStream -------------------------------------------------------------------------------------------

    async def push_text(self, text: str) -> None:
        if not text.strip():
            return
        async with self._lock:
            if self._phase not in (Phase.NEW, Phase.STREAMING):
                return  # input ended, failed or abandoned: the outputs side reports any error
            self._segments.pushed(text)
            self._texts.append(wire_text(text))
            if self._phase is Phase.NEW:
                self._phase = Phase.STREAMING
                await self._attach()
            else:
                await self._send(send_text(self.context_id, self._texts[-1]))

    async def end_input(self) -> None:
        async with self._lock:
            if self._phase is Phase.NEW:
                self._phase = Phase.DONE
                self._inbox.put(_End())
            elif self._phase is Phase.STREAMING:
                self._phase = Phase.FLUSHED
                await self._send(flush(self.context_id))
                await self._close_if_complete()

    async def outputs(self) -> AsyncGenerator[TtsOutput, None]:
        while True:
            item = await self._next_item()
            match item:
                case AudioMessage():
                    self._received_audio = True
                    finished = self._segments.on_audio(item.spoken)
                    pcm = self._whole_samples(item.pcm)
                    if pcm or item.alignment is not None:
                        yield TtsAudio(pcm, item.alignment)
                    for text in finished:
                        yield TtsSegmentEnd(text)
                    if finished:
                        async with self._lock:
                            await self._close_if_complete()
                case FinalMessage():
                    for text in self._segments.finish():
                        yield TtsSegmentEnd(text)
                    self._phase = Phase.DONE
                    return
                case SocketFailure():
                    if not await self._retry(item):
                        self._phase = Phase.FAILED
                        raise item.error
                case _End():
                    return

    def _whole_samples(self, pcm: bytes) -> bytes:
        """PCM16 is 2 bytes a sample, but the service may cut a chunk after an odd number of bytes: the stray
        byte is carried into the next chunk instead of breaking the reply's audio."""
        if self._odd_byte:
            pcm = self._odd_byte + pcm
        if len(pcm) % 2:
            pcm, self._odd_byte = pcm[:-1], pcm[-1:]
        else:
            self._odd_byte = b""
        return pcm

    # --- leaving ---------------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """The reply is over. Left early (barge-in), the context is closed and its late audio dropped; its slot
        stays taken until the service confirms, so rapid barge-ins never open a sixth context."""
        phase, connection = self._phase, self._connection
        if phase is not Phase.DONE and phase is not Phase.FAILED:
            self._phase = Phase.ABANDONED
        self._inbox.clear()
        if connection is None or phase is Phase.DONE:
            return
        connection.abandon(self.context_id, saw_audio=self._received_audio)
        if phase is not Phase.CLOSING:
            await connection.send(close_context(self.context_id), self.context_id)

    # --- internals -------------------------------------------------------------------------------------------

    async def _attach(self) -> None:
        """Take a slot on a socket and (re)send everything so far. Called with the lock held."""
        self._attempts += 1
        try:
            connection = await self._pool.reserve(self.context_id, self)
        except ProviderError as error:
            self._inbox.put(SocketFailure(error, retryable=False))
            return
        self._connection = connection
        settings = self._settings
        await self._send(
            init_context(self.context_id, settings.voice_settings, settings.chunk_length_schedule)
        )
        for text in self._texts:
            await self._send(send_text(self.context_id, text))
        if self._phase is Phase.FLUSHED:
            await self._send(flush(self.context_id))

    async def _send(self, message: str) -> None:
        """A send on a dead socket is dropped: its reader reports the failure through the inbox."""
        if self._connection is not None:
            await self._connection.send(message, self.context_id)
        self._progress()
        self._inbox.nudge()

    def _progress(self) -> None:
        self._last_progress = anyio.current_time()

    async def _close_if_complete(self) -> None:
        """After the flush, once every sentence's audio is in: close the context (its isFinal ends the stream).
        Called with the lock held."""
        if self._phase is Phase.FLUSHED and self._segments.reliable and self._segments.all_spoken:
            await self._begin_closing()

    async def _begin_closing(self) -> None:
        self._phase = Phase.CLOSING
        await self._send(close_context(self.context_id))

    async def _retry(self, failure: SocketFailure) -> bool:
        """Start over on a fresh socket if that cannot repeat anything the caller heard."""
        if not (
            failure.retryable and not self._received_audio and self._attempts < self._settings.max_attempts
        ):
            return False
        if self._phase not in (Phase.STREAMING, Phase.FLUSHED):
            return False
        error = failure.error
        _log.warning(  # one line per reconnect; Prometheus counts these records (parley_event)
            "%s reconnect: context retried on a fresh socket (%s)",
            error.provider,
            error.code.value,
            extra={"parley_event": "reconnect", "provider": error.provider, "code": error.code.value},
        )
        async with self._lock:
            self._connection = None
            await self._attach()
        return True

    async def _next_item(self) -> Item:
        """The next inbox item, or — when the service stays quiet longer than the phase allows — a timeout
        error (no audio when audio is due) or the end of the reply (quiet after the last audio)."""
        while True:
            item = self._inbox.pop()
            if item is not None:
                self._progress()
                return item
            limit = self._quiet_limit()
            if limit is None:
                await self._inbox.changed()
                continue
            remaining = self._last_progress + limit - anyio.current_time()
            if remaining <= 0:
                quiet = await self._on_quiet(limit)
                self._progress()
                if quiet is not None:
                    return quiet
                continue
            with anyio.move_on_after(remaining):
                await self._inbox.changed()

    def _quiet_limit(self) -> float | None:
        settings = self._settings
        if self._connection is None:
            return None  # still waiting for a socket or a free context slot: nothing is due yet
        match self._phase:
            case Phase.STREAMING if settings.auto_mode and not self._received_audio:
                return settings.response_timeout  # the first sentence is due; later ones may wait on the LLM
            case Phase.FLUSHED:
                return settings.settle_timeout if self._received_audio else settings.response_timeout
            case Phase.CLOSING:
                return settings.final_timeout
            case _:
                return None

    async def _on_quiet(self, waited: float) -> Item | None:
        if self._phase is Phase.CLOSING:
            if self._connection is not None:  # no isFinal came: the audio we have is all there is
                self._connection.abandon(self.context_id, saw_audio=True)
            return FinalMessage(self.context_id)
        if self._phase is Phase.FLUSHED and self._received_audio:
            async with self._lock:
                if self._phase is Phase.FLUSHED:
                    await self._begin_closing()  # alignment could not tell; ask the service to finish
            return None
        if self._phase in (Phase.STREAMING, Phase.FLUSHED):
            error = self._scope.timeout(f"no audio {waited:g} s after the text was sent")
            return SocketFailure(error, retryable=False)
        return None
