"""``elevenlabs``: streaming text-to-speech over the multi-context websocket, built for barge-in.

One socket per provider instance per event loop, opened lazily (in the background as soon as a reply starts, so
the handshake overlaps the LLM's first token) and shared by every reply of every session; each reply is one
context on it (see ``context_stream``), initialised with the voice settings, fed sentence by sentence, flushed
at the end of input. Leaving a reply early closes its context and drops the audio still arriving for it. An
unused socket closes itself before the service's inactivity timeout and reopens on the next reply.

Its sockets need asyncio (``websockets``): on another backend a reply fails with a clear error, and
``aclose()`` closes the sockets of the current event loop on any backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
import sniffio
from anyio.lowlevel import RunVar

from providers.elevenlabs.connection import (
    ConnectionSettings,
    ConnectionStats,
    MultiStreamConnection,
    open_socket,
)
from providers.elevenlabs.context_stream import ContextSettings, ContextStream
from providers.elevenlabs.errors import ErrorScope
from providers.elevenlabs.options import MAX_CONTEXTS_PER_SOCKET, ElevenLabsWebsocketOptions
from providers.elevenlabs.pool import ConnectionPool, Opener
from providers.elevenlabs.protocol import multi_stream_url
from providers.errors import ErrorCode, ProviderError
from providers.registry import ProviderSpec

PROVIDER = "elevenlabs"
_CLOSE_TIMEOUT = 1.0  # closing a context on barge-in is one small send; never hold the pipeline longer


class ElevenLabsTts:
    provider = PROVIDER

    def __init__(self, options: ElevenLabsWebsocketOptions) -> None:
        self.options = options
        self.model = options.model_id
        self.sample_rate = options.sample_rate
        self._scope = ErrorScope(PROVIDER, options.api_key.get_secret_value())
        self._connection_settings = _connection_settings(options)
        self._context_settings = ContextSettings(
            voice_settings=options.voice_settings.to_wire(),
            chunk_length_schedule=tuple(options.chunk_length_schedule or ()) or None,
            auto_mode=options.auto_mode,
            response_timeout=options.response_timeout,
            settle_timeout=options.settle_timeout,
            final_timeout=options.final_timeout,
        )
        self._pool_of_loop: RunVar[ConnectionPool | None] = RunVar(f"elevenlabs-pool-{id(self)}", None)

    @asynccontextmanager
    async def stream(self) -> AsyncIterator[ContextStream]:
        pool = self._pool()
        pool.prewarm()
        context = ContextStream(pool, self._context_settings, self._scope)
        try:
            yield context
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(_CLOSE_TIMEOUT):
                await context.aclose()

    def stats(self) -> ConnectionStats:
        """Sockets opened, late audio dropped and the most contexts open at once, on this event loop."""
        return self._pool().stats

    async def aclose(self) -> None:
        """Close this event loop's sockets (replies still running on them fail with connection_lost)."""
        pool = self._pool_of_loop.get()
        if pool is not None:
            self._pool_of_loop.set(None)
            await pool.aclose()

    def _pool(self) -> ConnectionPool:
        if sniffio.current_async_library() != "asyncio":
            raise ProviderError(
                PROVIDER,
                "the websocket adapter needs an asyncio event loop (run the session on asyncio)",
                code=ErrorCode.UNAVAILABLE,
                recoverable=False,
            )
        pool = self._pool_of_loop.get()
        if pool is None:
            pool = ConnectionPool(self._opener(), self._scope)
            self._pool_of_loop.set(pool)
        return pool

    def _opener(self) -> Opener:
        settings, scope = self._connection_settings, self._scope

        async def open_connection(
            stats: ConnectionStats, on_slots_changed: Callable[[], None]
        ) -> MultiStreamConnection:
            socket = await open_socket(settings, scope)
            return MultiStreamConnection(socket, settings, scope, stats, on_slots_changed)

        return open_connection


def _connection_settings(options: ElevenLabsWebsocketOptions) -> ConnectionSettings:
    query = {
        "model_id": options.model_id,
        "output_format": options.output_format,
        "auto_mode": "true" if options.auto_mode else "false",
        "inactivity_timeout": str(options.inactivity_timeout),
    }
    return ConnectionSettings(
        url=multi_stream_url(options.resolved_ws_url, options.voice_id, query),
        headers={"xi-api-key": options.api_key.get_secret_value()},
        open_timeout=options.open_timeout,
        max_contexts=MAX_CONTEXTS_PER_SOCKET,
        keepalive_interval=options.resolved_keepalive_interval,
        idle_close=options.resolved_idle_close,
        close_grace=options.close_grace,
        final_timeout=options.final_timeout,
    )


SPEC = ProviderSpec(
    kind="tts",
    name="elevenlabs",
    options=ElevenLabsWebsocketOptions,
    build=ElevenLabsTts,
    description="ElevenLabs multi-context websocket: lowest latency, barge-in aware, word timings",
)
