"""One multi-context websocket: opens it, sends for its contexts, and — in a background task — reads every frame
and hands it to the context it belongs to. It keeps the service's books on contexts: a context counts toward the
limit of 5 from its first message until its ``isFinal`` (or, when it was closed before any audio and the service
may never send one, until a grace period has passed). Audio of a context closed by the client is dropped here.

The background task also sends keepalives for contexts waiting for text, closes the socket when it has been
unused for a while (before the service's inactivity timeout does), and when the socket ends, fails every context
still on it with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import anyio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from providers.elevenlabs.errors import (
    SOCKET_LEVEL_ERRORS,
    ErrorScope,
    close_error,
    server_message_error,
    status_error,
)
from providers.elevenlabs.protocol import (
    AudioMessage,
    ErrorMessage,
    FinalMessage,
    MalformedMessage,
    keepalive,
    parse_server_message,
)
from providers.errors import ProviderError
from providers.redact import guard_vendor_loggers

_log = logging.getLogger(__name__)
guard_vendor_loggers()  # DEBUG logging of the vendor library never prints the key
_MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class SocketFailure:
    """Why a socket ended under a context. ``retryable``: the socket failed, not the request, so a context that
    has had no audio yet may start over on a fresh socket."""

    error: ProviderError
    retryable: bool


class ContextSink(Protocol):
    """Where a connection delivers one context's messages (called from the connection's reader task)."""

    @property
    def wants_keepalive(self) -> bool:
        """Whether the context may still take text (so it must not time out while the LLM is thinking)."""
        ...

    async def deliver(self, event: AudioMessage | FinalMessage) -> None:
        """May wait while the context's audio is not being played fast enough (backpressure: the reader stops
        reading the socket, and TCP slows the service)."""
        ...

    def connection_failed(self, failure: SocketFailure) -> None: ...


@dataclass(frozen=True)
class ConnectionSettings:
    url: str
    headers: Mapping[str, str]  # carries the key: never logged
    open_timeout: float
    max_contexts: int
    keepalive_interval: float
    idle_close: float
    close_grace: float
    final_timeout: float


@dataclass
class ConnectionStats:
    """Counters over every socket of one pool (for tests and diagnostics)."""

    opened: int = 0
    late_messages_dropped: int = 0
    peak_contexts: int = 0


class ConnectionState(enum.Enum):
    OPEN = "open"  # takes new contexts
    RETIRING = "retiring"  # closing on purpose (unused, or the pool is closing): no new contexts
    CLOSED = "closed"


@dataclass
class _Closing:
    """A context the client closed: it holds a slot until its isFinal, or until ``deadline``."""

    deadline: float
    saw_audio: bool


@dataclass
class _Books:
    active: dict[str, ContextSink] = field(default_factory=dict)
    closing: dict[str, _Closing] = field(default_factory=dict)

    @property
    def used(self) -> int:
        return len(self.active) + len(self.closing)

    def expire(self, now: float) -> bool:
        expired = [context_id for context_id, entry in self.closing.items() if entry.deadline <= now]
        for context_id in expired:
            del self.closing[context_id]
        return bool(expired)


async def open_socket(settings: ConnectionSettings, scope: ErrorScope) -> ClientConnection:
    """The websocket handshake, with every failure mapped to a ``ProviderError``."""
    try:
        with anyio.fail_after(settings.open_timeout):
            return await connect(
                settings.url,
                additional_headers=dict(settings.headers),
                open_timeout=None,  # the anyio deadline above covers TCP, TLS and the handshake
                max_size=_MAX_MESSAGE_BYTES,
                compression=None,
                close_timeout=1.0,
            )
    except TimeoutError as exc:
        raise scope.timeout(f"the websocket did not open within {settings.open_timeout:g} s") from exc
    except InvalidStatus as exc:
        response = exc.response
        raise status_error(scope, response.status_code, _json_or_text(response.body)) from exc
    except (InvalidURI, InvalidHandshake) as exc:
        raise scope.bad_response(f"websocket handshake failed ({type(exc).__name__})") from exc
    except OSError as exc:
        raise scope.unavailable(f"{type(exc).__name__} (errno {exc.errno})") from exc


class MultiStreamConnection:
    def __init__(
        self,
        socket: ClientConnection,
        settings: ConnectionSettings,
        scope: ErrorScope,
        stats: ConnectionStats,
        on_slots_changed: Callable[[], None],
    ) -> None:
        self._socket = socket
        self._settings = settings
        self._scope = scope
        self._stats = stats
        self._on_slots_changed = on_slots_changed
        self._books = _Books()
        self._state = ConnectionState.OPEN
        self._last_sent: dict[str, float] = {}
        self._last_activity = anyio.current_time()
        self._server_error: ErrorMessage | None = None
        self.failure: SocketFailure | None = None
        stats.opened += 1
        self._task = asyncio.get_running_loop().create_task(self._run(), name="elevenlabs-socket")

    @property
    def state(self) -> ConnectionState:
        return self._state

    def next_release(self) -> float | None:
        """When the earliest closed context stops counting toward the limit at the latest."""
        deadlines = [entry.deadline for entry in self._books.closing.values()]
        return min(deadlines) if deadlines else None

    def try_reserve(self, context_id: str, sink: ContextSink) -> bool:
        """Take a context slot for ``sink`` if the socket is open and below the limit."""
        if self._state is not ConnectionState.OPEN:
            return False
        now = anyio.current_time()
        self._books.expire(now)
        if self._books.used >= self._settings.max_contexts:
            return False
        self._books.active[context_id] = sink
        self._last_sent[context_id] = now
        self._stats.peak_contexts = max(self._stats.peak_contexts, self._books.used)
        return True

    async def send(self, message: str, context_id: str) -> bool:
        """False when the socket is gone (the reader task reports why to every context on it)."""
        if self._state is ConnectionState.CLOSED:
            return False
        try:
            await self._socket.send(message)
        except ConnectionClosed:
            return False
        now = anyio.current_time()
        self._last_sent[context_id] = now
        self._last_activity = now
        return True

    def abandon(self, context_id: str, *, saw_audio: bool) -> None:
        """The client closed (or gave up on) the context: from now on its audio is dropped, and it holds its slot
        until its isFinal — or, if it never produced audio (the service then sends none), for the grace period."""
        if self._books.active.pop(context_id, None) is None:
            return
        self._last_sent.pop(context_id, None)
        wait = self._settings.final_timeout if saw_audio else self._settings.close_grace
        self._books.closing[context_id] = _Closing(anyio.current_time() + wait, saw_audio)

    async def aclose(self) -> None:
        if self._state is ConnectionState.OPEN:
            self._state = ConnectionState.RETIRING
        with contextlib.suppress(ConnectionClosed, OSError):
            await self._socket.close()
        with anyio.move_on_after(2.0):
            await asyncio.wait([self._task])
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # --- the background task ---------------------------------------------------------------------------------

    async def _run(self) -> None:
        failure: SocketFailure | None = None
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._housekeeping)
                failure = await self._read_until_closed()
                group.cancel_scope.cancel()
        except Exception:
            _log.exception("ElevenLabs socket reader failed")
            failure = SocketFailure(self._scope.connection_lost("internal error in the socket reader"), False)
        finally:
            self._finish(failure)

    def _finish(self, failure: SocketFailure | None) -> None:
        self._state = ConnectionState.CLOSED
        failure = failure or SocketFailure(self._scope.connection_lost("the socket was closed"), True)
        self.failure = failure
        sinks = list(self._books.active.values())
        self._books = _Books()
        self._on_slots_changed()
        for sink in sinks:
            sink.connection_failed(failure)

    async def _read_until_closed(self) -> SocketFailure | None:
        while True:
            try:
                data = await self._socket.recv()
            except ConnectionClosed as exc:
                return self._closed_failure(exc)
            try:
                events = parse_server_message(data)
            except MalformedMessage as exc:
                with contextlib.suppress(ConnectionClosed, OSError):
                    await self._socket.close(1002, "malformed frame")
                return SocketFailure(self._scope.bad_response(str(exc)), retryable=False)
            for event in events:
                if isinstance(event, ErrorMessage):
                    self._server_error = event  # the close that follows is explained by it
                    with contextlib.suppress(ConnectionClosed, OSError):
                        await self._socket.close()
                else:
                    await self._dispatch(event)

    def _closed_failure(self, exc: ConnectionClosed) -> SocketFailure | None:
        if self._server_error is not None:
            error = self._server_error
            retryable = error.error in SOCKET_LEVEL_ERRORS
            return SocketFailure(server_message_error(self._scope, error.error, error.message), retryable)
        if self._state is ConnectionState.RETIRING:
            return None
        received = exc.rcvd
        if received is None:
            return SocketFailure(self._scope.connection_lost("dropped without a close frame"), retryable=True)
        retryable = received.code in (1000, 1001)
        return SocketFailure(close_error(self._scope, received.code, received.reason), retryable)

    async def _dispatch(self, event: AudioMessage | FinalMessage) -> None:
        context_id = event.context_id or ""
        books = self._books
        sink = books.active.get(context_id)
        final = isinstance(event, FinalMessage)
        if sink is not None:
            await sink.deliver(event)  # may wait (backpressure); the context may be abandoned meanwhile
            if final:
                books.active.pop(context_id, None)
                books.closing.pop(context_id, None)
                self._last_sent.pop(context_id, None)
                self._last_activity = anyio.current_time()
                self._on_slots_changed()
            return
        closing = books.closing.get(context_id)
        if final:
            if closing is not None:
                del books.closing[context_id]
                self._on_slots_changed()
            return
        self._stats.late_messages_dropped += 1
        if closing is not None and not closing.saw_audio:
            closing.saw_audio = True  # it did start after all: its isFinal will come
            closing.deadline = anyio.current_time() + self._settings.final_timeout

    async def _housekeeping(self) -> None:
        settings = self._settings
        tick = max(0.01, min(1.0, settings.keepalive_interval, settings.close_grace, settings.idle_close) / 2)
        while True:
            await anyio.sleep(tick)
            now = anyio.current_time()
            if self._books.expire(now):
                self._on_slots_changed()
            for context_id, sink in list(self._books.active.items()):
                idle = now - self._last_sent.get(context_id, now)
                if sink.wants_keepalive and idle >= settings.keepalive_interval:
                    await self.send(keepalive(context_id), context_id)
            if self._books.used == 0 and now - self._last_activity >= settings.idle_close:
                self._state = ConnectionState.RETIRING
                self._on_slots_changed()
                with contextlib.suppress(ConnectionClosed, OSError):
                    await self._socket.close()
                return


def _json_or_text(body: bytes | bytearray | None) -> object:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
