"""A tiny HTTP/1.1 server on `asyncio.start_server`: keep-alive, Content-Length or chunked bodies both ways.

Just enough for the SDK clients (httpx / httpx2) talking to the fakes. A handler gets the parsed
`HttpRequest` and an `HttpResponse` to answer with: `send()` for a whole body, or `start()` / `write()` /
`end()` for a chunked stream, or `abort()` to cut the TCP connection mid-stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol, Self

_log = logging.getLogger(__name__)
_MAX_HEAD = 64 * 1024


class ClientGone(Exception):
    """The client closed its end while we were still answering."""


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ResponseState(enum.Enum):
    PENDING = "pending"  # nothing sent yet
    STREAMING = "streaming"  # chunked head sent, body in progress
    DONE = "done"  # complete response sent; connection reusable
    ABORTED = "aborted"  # connection cut


class HttpResponse:
    """Writes one response on a connection; enforces PENDING -> STREAMING -> DONE (or -> ABORTED)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._state = ResponseState.PENDING

    @property
    def state(self) -> ResponseState:
        return self._state

    async def send(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send a complete response with Content-Length."""
        self._require(ResponseState.PENDING)
        all_headers = {"content-type": content_type, "content-length": str(len(body)), **(headers or {})}
        self._writer.write(_head(status, all_headers) + body)
        await self._drain()
        self._state = ResponseState.DONE

    async def send_json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
        await self.send(status, json.dumps(payload).encode(), "application/json", headers)

    async def start(self, status: int, content_type: str, headers: Mapping[str, str] | None = None) -> None:
        """Send the head of a chunked response."""
        self._require(ResponseState.PENDING)
        all_headers = {"content-type": content_type, "transfer-encoding": "chunked", **(headers or {})}
        self._writer.write(_head(status, all_headers))
        await self._drain()
        self._state = ResponseState.STREAMING

    async def write(self, data: bytes) -> None:
        """Send one body chunk (empty data is skipped: a zero-length chunk would end the body)."""
        self._require(ResponseState.STREAMING)
        if not data:
            return
        self._writer.write(b"%x\r\n%b\r\n" % (len(data), data))
        await self._drain()

    async def end(self) -> None:
        self._require(ResponseState.STREAMING)
        self._writer.write(b"0\r\n\r\n")
        await self._drain()
        self._state = ResponseState.DONE

    async def abort(self) -> None:
        """Cut the connection without finishing the body, after what was written reached the socket."""
        await abort_transport(self._writer.transport)
        self._state = ResponseState.ABORTED

    def _require(self, state: ResponseState) -> None:
        if self._state is not state:
            raise RuntimeError(f"response is {self._state.value}, expected {state.value}")

    async def _drain(self) -> None:
        if self._reader.at_eof() or self._writer.transport.is_closing():
            self._state = ResponseState.ABORTED
            raise ClientGone
        try:
            await self._writer.drain()
        except ConnectionError as exc:
            self._state = ResponseState.ABORTED
            raise ClientGone from exc


async def abort_transport(transport: asyncio.WriteTransport) -> None:
    """Cut a TCP connection (no clean end) once already-written bytes have left the buffer."""
    for _ in range(100):
        if transport.is_closing() or transport.get_write_buffer_size() == 0:
            break
        await asyncio.sleep(0.001)
    transport.abort()


class LoopbackServer(Protocol):
    async def start(self) -> int: ...

    async def close(self) -> None: ...


class LoopbackFake:
    """What every fake is: `async with fake:` starts its `_servers` in order and closes them in reverse."""

    _servers: tuple[LoopbackServer, ...]

    async def __aenter__(self) -> Self:
        for server in self._servers:
            await server.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for server in reversed(self._servers):
            await server.close()


Handler = Callable[[HttpRequest, HttpResponse], Awaitable[None]]


class HttpServer:
    """Serves `handler` on 127.0.0.1 at an ephemeral port until `close()`."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._closing = False
        self._port = 0

    @property
    def port(self) -> int:
        return self._port

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._on_connection, "127.0.0.1", 0, limit=_MAX_HEAD)
        self._port = self._server.sockets[0].getsockname()[1]
        return self._port

    async def close(self) -> None:
        if self._server is None:
            return
        self._closing = True
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._server.wait_closed()
        self._server = None

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ClientGone):
            pass
        except asyncio.CancelledError:
            # asyncio's stream callback calls task.exception(), which raises for a cancelled task: finish
            # normally when the cancellation is our own shutdown.
            if not self._closing:
                raise
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            request = await _read_request(reader)
            if request is None:
                return
            response = HttpResponse(reader, writer)
            try:
                await self._handler(request, response)
            except ClientGone:
                return
            except Exception:
                _log.exception("fake HTTP handler failed for %s %s", request.method, request.target)
                if response.state is ResponseState.PENDING:
                    await response.send(500, b"fake handler error", "text/plain")
                return
            if response.state is ResponseState.PENDING:
                await response.send(500, b"fake handler sent no response", "text/plain")
            if response.state is not ResponseState.DONE or not request.keep_alive:
                return


async def _read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # client closed an idle keep-alive connection
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return HttpRequest(method, target, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # skip trailers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
