"""Capacity through the server: the worker hosts ``/ws`` (a real uvicorn on a loopback port, Parley's protocol)
and each benchmark call is a WebSocket client of it, feeding the same looped caller audio in real time.

Frame lag keeps its definition (``lag.py``): the server-side probe counts from the client's frame clock origin,
sent in the ``start`` message's metadata (``time.monotonic``, the clock asyncio uses, is system-wide), so the
lag now includes the WebSocket path — client send, uvicorn, the transport — on top of the session's own.

The clients run in the worker process next to the server, so the CPU measured is server *and* client cost (an
upper bound on the server's). A Twilio-protocol client (helper ``phone``) plugs in as another ``Through``.
"""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from enum import Enum
from typing import Any

import anyio
import uvicorn
from starlette.types import ASGIApp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from benchmarks.capacity.call import HUNG_UP, Tally
from benchmarks.capacity.conversation import FRAME_SECONDS, RATE
from pipeline.server.app import create_app
from pipeline.server.options import ServeOptions
from pipeline.server.protocol import Start
from pipeline.session.pipeline import Pipeline

ORIGIN_KEY = "bench_origin"


class Through(Enum):
    PROCESS = "process"  # sessions fed in process (the original benchmark)
    PARLEY_WS = "parley-ws"  # Parley's WebSocket protocol over loopback
    TWILIO_WS = "twilio-ws"  # Twilio Media Streams over loopback (benchmarks/capacity/twilio_call.py)
    SERVE = "serve"  # the real `parley serve --workers N`, callers in this process (serve_ramp.py)


@asynccontextmanager
async def loopback_server(
    pipeline_for_call: Callable[[Start], Pipeline], max_sessions: int
) -> AsyncIterator[int]:
    """``/ws`` on 127.0.0.1 (a free port) in this event loop; yields the port."""
    options = ServeOptions(max_sessions=max_sessions, idle_timeout=60.0)
    app = create_app(pipeline_for_call(_probe_start()), options, pipeline_for_call=pipeline_for_call)
    async with serve_on_loopback(app) as port:
        yield port


@asynccontextmanager
async def serve_on_loopback(app: ASGIApp) -> AsyncIterator[int]:
    """``app`` served by uvicorn on 127.0.0.1 (a free port) in this event loop; yields the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="on", log_level="warning", ws_per_message_deflate=False)
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, [sock])
        while not server.started:
            await anyio.sleep(0.01)
        try:
            yield int(sock.getsockname()[1])
        finally:
            server.should_exit = True
    sock.close()


def _probe_start() -> Start:
    return Start(type="start", sample_rate=RATE, encoding="pcm16")


def frame_origin(start: Start) -> float | None:
    value = start.metadata.get(ORIGIN_KEY)
    return float(value) if isinstance(value, int | float) else None


async def run_ws_call(
    port: int,
    frames: Sequence[bytes],
    offset: int,
    tally: Tally,
    hang_up: anyio.Event,
    phase: float = 0.0,
) -> None:
    """One call as a client of ``/ws``: frame ``k`` sent at ``origin + (k + 1) * 20 ms``; hangs up (closes the
    socket) when ``hang_up`` is set."""
    origin = anyio.current_time() + phase
    async with connect(f"ws://127.0.0.1:{port}/ws", max_size=None, compression=None) as ws:
        start = {"type": "start", "sample_rate": RATE, "encoding": "pcm16", "metadata": {ORIGIN_KEY: origin}}
        await ws.send(json.dumps(start))
        async with anyio.create_task_group() as group:
            group.start_soon(_receive, ws, tally)
            try:
                await _feed(ws, frames, offset, origin, hang_up)
            except ConnectionClosed as closed:
                tally.error(f"connection closed: {closed}")
            group.cancel_scope.cancel()


async def _feed(
    ws: ClientConnection, frames: Sequence[bytes], offset: int, origin: float, hang_up: anyio.Event
) -> None:
    count = len(frames)
    for k in itertools.count():
        await anyio.sleep_until(origin + (k + 1) * FRAME_SECONDS)
        if hang_up.is_set():
            return
        await ws.send(frames[(offset + k) % count])


async def _receive(ws: ClientConnection, tally: Tally) -> None:
    try:
        async for message in ws:
            if isinstance(message, str):
                count_event(json.loads(message), tally)
    except ConnectionClosed:
        pass


def count_event(event: dict[str, Any], tally: Tally) -> None:
    """Tally one server event a benchmark client received (dropped frames, turns, interruptions, errors)."""
    kind = event.get("type")
    if kind == "frames_dropped":
        tally.frames_dropped += 1
    elif kind == "turn_metrics":
        tally.turns += 1
    elif kind == "interruption":
        tally.interruptions += 1
    elif kind == "error":
        tally.error(f"{event.get('source')}/{event.get('code')}: {event.get('message')}")
    elif kind == "session_ended" and event.get("reason") != HUNG_UP:
        tally.error(f"session ended early: {event.get('reason')} {event.get('error') or ''}".strip())
