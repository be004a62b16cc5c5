"""A stand-in for `parley serve` used by the browser test until the server lands: the playground's static files
at `/` and a subset of PROTOCOL.md at `/ws` (start/ready, binary audio both ways, events as JSON, `clear` on an
interruption), on 127.0.0.1, in a thread with its own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
import threading
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import anyio
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from pipeline import AudioFrame, Interruption, Pipeline

RECEIVED: list[bytes] = []  # every caller audio message, for inspection
ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "pipeline" / "server" / "static"
LOCAL_CONFIG = ROOT / "configs" / "local.yaml"


def _static(connection: ServerConnection, request: Request) -> Response | None:
    path = request.path.split("?", 1)[0]
    if path == "/ws":
        return None  # the WebSocket handshake goes on
    name = "index.html" if path == "/" else path.lstrip("/")
    file = (STATIC / name).resolve()
    if STATIC not in file.parents or not file.is_file():
        return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
    kind = "text/javascript" if file.suffix == ".js" else (mimetypes.guess_type(file.name)[0] or "text/plain")
    body = file.read_bytes()
    headers = Headers({"Content-Type": kind, "Content-Length": str(len(body)), "Cache-Control": "no-store"})
    return Response(200, "OK", headers, body)


async def _call(pipeline: Pipeline, websocket: ServerConnection) -> None:
    start = json.loads(await websocket.recv())
    rate = int(start["sample_rate"])
    session = pipeline.session()
    events = session.events()
    async with session, anyio.create_task_group() as group:
        await websocket.send(
            json.dumps({"type": "ready", "protocol": 1, "session_id": session.id, "sample_rate": rate})
        )

        async def send_events() -> None:
            async for event in events:
                if isinstance(event, Interruption):
                    await websocket.send(json.dumps({"type": "clear", "speech_id": event.speech_id}))
                await websocket.send(event.model_dump_json())

        async def send_audio() -> None:
            async for frame in session.audio_out():
                await websocket.send(frame.pcm)

        group.start_soon(send_events)
        group.start_soon(send_audio)
        media_time = 0.0
        with contextlib.suppress(Exception):
            async for message in websocket:
                if isinstance(message, bytes):
                    RECEIVED.append(message)
                    frame = AudioFrame(message, rate, media_time)
                    media_time += frame.duration
                    session.push_audio(frame)
        group.cancel_scope.cancel()


@contextlib.contextmanager
def playground_server(config: str | Path = LOCAL_CONFIG) -> Iterator[str]:
    """Run the stand-in server; yields its base URL (http://127.0.0.1:PORT/)."""
    pipeline = Pipeline.from_config(config)
    ready = threading.Event()
    stop: asyncio.Future[None] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    port = 0

    async def main() -> None:
        nonlocal stop, loop, port
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        async with serve(lambda ws: _call(pipeline, ws), "127.0.0.1", 0, process_request=_static) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            ready.set()
            await stop

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    ready.wait(30)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(10)
