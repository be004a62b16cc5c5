"""A small fault-injecting TCP proxy (in the spirit of toxiproxy) between a real vendor SDK and a loopback fake:
latency, a stall, a reset (RST), a truncation (clean close) or garbage bytes on the server-to-client direction,
after a given number of bytes, on the first ``faulty_connections`` connections (later ones pass clean, so a
client's retry or reconnect can be seen to work)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class Toxic:
    latency: float = 0.0  # added before each server-to-client write
    after_bytes: int = 0  # the fault below fires once this many response bytes have passed
    stall: bool = False  # stop forwarding (the connection stays open)
    reset: bool = False  # abort with a TCP reset
    truncate: bool = False  # close cleanly
    garbage: bytes = b""  # inject these bytes, then go on forwarding
    faulty_connections: int = 1


class FaultProxy:
    def __init__(self, upstream_url: str, toxic: Toxic) -> None:
        parts = urlsplit(upstream_url)
        assert parts.hostname and parts.port
        self._upstream = (parts.hostname, parts.port)
        self._url = parts
        self.toxic = toxic
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, original: str | None = None) -> str:
        """``original`` (default: the upstream URL) pointed at the proxy."""
        parts = urlsplit(original) if original else self._url
        return urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._server.wait_closed()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        faulty = self.connections <= self.toxic.faulty_connections
        try:
            server_reader, server_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            client_writer.close()
            return
        up = asyncio.create_task(self._pipe(client_reader, server_writer, None))
        down = asyncio.create_task(self._pipe(server_reader, client_writer, self.toxic if faulty else None))
        self._tasks |= {up, down}
        try:
            await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (up, down):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                self._tasks.discard(task)
            for writer in (server_writer, client_writer):
                writer.close()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, toxic: Toxic | None
    ) -> None:
        passed = 0
        fired = False
        while True:
            data = await reader.read(4096)
            if not data:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            if toxic is not None and toxic.latency:
                await asyncio.sleep(toxic.latency)
            if toxic is not None and not fired and passed + len(data) > toxic.after_bytes:
                fired = True
                cut = max(0, toxic.after_bytes - passed)
                writer.write(data[:cut])
                await writer.drain()
                if toxic.reset:
                    _reset(writer)
                    return
                if toxic.truncate:
                    writer.close()
                    return
                if toxic.stall:
                    await asyncio.Event().wait()
                if toxic.garbage:
                    writer.write(toxic.garbage)
                data = data[cut:]
            passed += len(data)
            writer.write(data)
            await writer.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
