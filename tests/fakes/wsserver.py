"""Websocket plumbing shared by the Deepgram and ElevenLabs fakes (websockets 17, asyncio server)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tests.fakes.faults import FaultPlan, MalformedKind, StreamAction
from tests.fakes.http import abort_transport

Handler = Callable[[ServerConnection], Awaitable[None]]
ProcessRequest = Callable[[ServerConnection, Request], Awaitable[Response | None]]


class SessionEnded(Exception):
    """The connection is gone (peer closed, fault fired, or we closed it): stop the session."""


@dataclass(frozen=True)
class InBandError:
    """A vendor's in-band error: the text frame to send, then the close code and reason."""

    frame: str
    close_code: int
    close_reason: str


@dataclass(frozen=True)
class WsRenderers:
    error: Callable[[str | None], InBandError]
    malformed: Callable[[MalformedKind], str]


class WsServer:
    """`websockets.asyncio.server.serve` on 127.0.0.1 at an ephemeral port."""

    def __init__(self, handler: Handler, process_request: ProcessRequest) -> None:
        self._handler = handler
        self._process_request = process_request
        self._server: Server | None = None
        self._port = 0

    @property
    def port(self) -> int:
        return self._port

    async def start(self) -> int:
        self._server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            compression=None,
            close_timeout=1,
        )
        self._port = next(iter(self._server.sockets)).getsockname()[1]
        return self._port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


def reject(
    status: int,
    body: bytes,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An HTTP answer to a websocket handshake (the client sees a non-101 status)."""
    all_headers = Headers(
        [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Connection", "close")]
    )
    all_headers.update(headers or {})
    return Response(status, HTTPStatus(status).phrase, all_headers, body)


Message = Mapping[str, Any] | str | bytes


class WsOutbox:
    """Ordered sender for one connection; counts messages and applies the connection's `FaultPlan`.

    `on_send` sees each message as it is handed over, before any fault due at it (benchmarks time with it).
    """

    def __init__(
        self,
        connection: ServerConnection,
        plan: FaultPlan,
        renderers: WsRenderers,
        on_send: Callable[[Message], None] | None = None,
    ) -> None:
        self._connection = connection
        self._plan = plan
        self._renderers = renderers
        self._on_send = on_send
        self._lock = asyncio.Lock()
        self._sent = 0
        self._checked = -1

    async def open(self) -> None:
        """Fire faults positioned before the first message (e.g. `DropAfter(0)`) right after the handshake."""
        async with self._lock:
            await self._due()

    async def send(self, message: Message) -> None:
        if self._on_send is not None:
            self._on_send(message)
        data = json.dumps(message, separators=(",", ":")) if isinstance(message, Mapping) else message
        async with self._lock:
            await self._due()
            await self._raw_send(data)
            self._sent += 1

    async def close(self, code: int = 1000, reason: str = "") -> None:
        async with self._lock:
            await self._connection.close(code, reason)

    async def _due(self) -> None:
        if self._checked == self._sent:
            return
        self._checked = self._sent
        for action in self._plan.actions_before(self._sent):
            match action:
                case StreamAction.SEND_MALFORMED if self._plan.malformed is not None:
                    await self._raw_send(self._renderers.malformed(self._plan.malformed.kind))
                case StreamAction.SEND_ERROR if self._plan.error_frame is not None:
                    error = self._renderers.error(self._plan.error_frame.message)
                    await self._raw_send(error.frame)
                    await self._connection.close(error.close_code, error.close_reason)
                    raise SessionEnded
                case StreamAction.DROP:
                    await abort_transport(self._connection.transport)
                    raise SessionEnded
                case _:
                    pass

    async def _raw_send(self, data: str | bytes) -> None:
        try:
            await self._connection.send(data)
        except ConnectionClosed as exc:
            raise SessionEnded from exc


class QueuedSender:
    """Sends queued messages in order from its own task, sleeping each message's `delay` first.

    Lets a receive loop schedule a delayed answer (e.g. a final transcript after `final_delay`) without
    blocking on it. `run()` returns after `finish()` once the queue is drained, or when the session ends.
    """

    def __init__(self, outbox: WsOutbox) -> None:
        self._outbox = outbox
        self._queue: asyncio.Queue[tuple[float, Mapping[str, Any]] | None] = asyncio.Queue()

    def put(self, message: Mapping[str, Any], delay: float = 0.0) -> None:
        self._queue.put_nowait((delay, message))

    def finish(self) -> None:
        self._queue.put_nowait(None)

    async def run(self) -> None:
        while (item := await self._queue.get()) is not None:
            delay, message = item
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await self._outbox.send(message)
            except SessionEnded:
                return
