"""The sockets of one TTS provider on one event loop.

Normally that is ONE socket, shared by every reply of every session: each reply is a context on it. A second
socket opens only when 5 contexts are busy at once (several sessions speaking together), because the service
allows no more per socket. Contexts closed by barge-in keep their slot until the service confirms (or a grace
period passes); a new reply waits for such a slot rather than open a sixth context.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import anyio

from providers.elevenlabs.connection import (
    ConnectionState,
    ConnectionStats,
    ContextSink,
    MultiStreamConnection,
)
from providers.elevenlabs.errors import ErrorScope
from providers.errors import ProviderError

_log = logging.getLogger(__name__)
_MAX_FAILED_OPENS = 2  # sockets that die right after opening before a reply gives up

Opener = Callable[[ConnectionStats, Callable[[], None]], Awaitable[MultiStreamConnection]]


class ConnectionPool:
    def __init__(self, opener: Opener, scope: ErrorScope) -> None:
        self._opener = opener
        self._scope = scope
        self._connections: list[MultiStreamConnection] = []
        self._opening: asyncio.Task[MultiStreamConnection] | None = None
        self._slots_changed = anyio.Event()
        self._closed = False
        self.stats = ConnectionStats()

    @property
    def open_connections(self) -> int:
        return sum(1 for connection in self._connections if connection.state is ConnectionState.OPEN)

    def prewarm(self) -> None:
        """Start opening a socket now (while the LLM thinks) if none is open."""
        if not self._closed and self.open_connections == 0:
            self._start_opening()

    async def reserve(self, context_id: str, sink: ContextSink) -> MultiStreamConnection:
        """A socket with a context slot taken for ``sink``; waits for a slot held by a closed context, opens a
        socket if none is open or all are busy. Raises ``ProviderError`` when no socket can be opened."""
        opened: list[MultiStreamConnection] = []
        while True:
            if self._closed:
                raise self._scope.connection_lost("the provider was closed")
            self._connections = [c for c in self._connections if c.state is not ConnectionState.CLOSED]
            for connection in self._connections:
                if connection.try_reserve(context_id, sink):
                    return connection
            releases = [
                deadline
                for connection in self._connections
                if connection.state is ConnectionState.OPEN
                and (deadline := connection.next_release()) is not None
            ]
            if releases:
                await self._wait_for_slot(min(releases))
                continue
            died = [c.failure for c in opened if c.state is ConnectionState.CLOSED and c.failure is not None]
            if died and not died[-1].retryable:
                raise died[-1].error  # e.g. a bad key: the service closes right after the handshake
            if len(died) >= _MAX_FAILED_OPENS:
                raise died[-1].error
            # Shielded: a reply cancelled meanwhile leaves the socket to the next one.
            opened.append(await asyncio.shield(self._start_opening()))

    async def aclose(self) -> None:
        self._closed = True
        opening, self._opening = self._opening, None
        if opening is not None and not opening.done():
            opening.cancel()
            with contextlib.suppress(asyncio.CancelledError, ProviderError):
                await opening
        connections, self._connections = self._connections, []
        for connection in connections:
            await connection.aclose()

    async def _wait_for_slot(self, deadline: float) -> None:
        event = self._slots_changed
        with anyio.move_on_after(max(0.0, deadline - anyio.current_time()) + 0.001):
            await event.wait()

    def _notify(self) -> None:
        self._slots_changed.set()
        self._slots_changed = anyio.Event()

    def _start_opening(self) -> asyncio.Task[MultiStreamConnection]:
        """The socket being opened (joined by every reply that needs one); a finished attempt is not reused —
        its socket is in the list already, or it failed and a fresh attempt is due."""
        if self._opening is None or self._opening.done():
            task = asyncio.get_running_loop().create_task(self._open_one(), name="elevenlabs-open")
            task.add_done_callback(_retrieve)
            self._opening = task
        return self._opening

    async def _open_one(self) -> MultiStreamConnection:
        connection = await self._opener(self.stats, self._notify)
        if self._closed:
            await connection.aclose()
            raise self._scope.connection_lost("the provider was closed")
        self._connections.append(connection)
        self._notify()
        return connection


def _retrieve(task: asyncio.Task[MultiStreamConnection]) -> None:
    """A failed prewarm nobody waits for must not log 'exception was never retrieved'."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        _log.debug("opening an ElevenLabs socket failed: %s", exc)
