"""The CPU floor of the transport alone: what a WebSocket server costs per real-time call before any voice pipeline.

A child process serves a bare WebSocket endpoint that answers every binary frame with one 640-byte frame (what a
call's media does: a 20 ms frame in, a 20 ms frame out, 50 of each per second), on one of two stacks:

- ``uvicorn``: uvicorn + Starlette, the stack ``parley serve`` runs on (uvicorn's default WebSocket protocol,
  no deflate); ``uvicorn-sansio``: the same with uvicorn's ``ws="websockets-sansio"`` protocol;
- ``websockets``: the ``websockets`` library's own asyncio server, without ASGI.

N clients in this process send 20 ms frames on an absolute real-time grid (phases spread over the frame) and
drain the replies: binary 16 kHz PCM (Parley's ``/ws``), or with ``--media twilio`` Twilio's media-stream JSON
text messages (8 kHz mu-law, base64 in a JSON ``media`` event; the server parses and decodes each one and answers
with one of its own, as a phone call's transport must). The server child's CPU time (``/proc``) over a measured window, divided by the
calls and the seconds, is the transport's CPU per call-second: with 2 cores and 500 calls the whole budget is
4 ms per call-second, of which Silero VAD alone needs ~1.5-1.8 ms.

    uv run python -m benchmarks.capacity.transport_floor [--stack ...] [--media binary|twilio] [--calls 100]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import subprocess
import sys
import time

import numpy as np
from websockets.asyncio.client import connect

from benchmarks.capacity.serve_process import free_port, sample_tree

FRAME_S = 0.02
FRAME_BYTES = 640  # 20 ms of 16 kHz 16-bit mono
WARM_UP_S = 4.0
STACKS = ("uvicorn", "uvicorn-sansio", "websockets")


PHONE_FRAME_BYTES = 160  # 20 ms of 8 kHz mu-law
MEDIA = ("binary", "twilio")


def twilio_media(payload: bytes) -> str:
    return json.dumps(
        {"event": "media", "streamSid": "MZ0", "media": {"payload": base64.b64encode(payload).decode()}}
    )


def answer_binary(_message: bytes | str) -> bytes | str:
    return bytes(FRAME_BYTES)


def answer_twilio(message: bytes | str) -> bytes | str:
    received = base64.b64decode(json.loads(message)["media"]["payload"])
    return twilio_media(bytes(len(received)))


def serve(stack: str, port: int, media: str) -> None:
    """Run the bare echo server (in the child process)."""
    answer = answer_twilio if media == "twilio" else answer_binary
    if stack == "websockets":
        from websockets.asyncio.server import ServerConnection
        from websockets.asyncio.server import serve as ws_serve

        async def handler(ws: ServerConnection) -> None:
            async for message in ws:
                await ws.send(answer(message))

        async def forever() -> None:
            async with ws_serve(handler, "127.0.0.1", port, compression=None, max_size=None):
                await asyncio.Future()

        asyncio.run(forever())
        return
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                reply = answer(message.get("bytes") or message.get("text") or b"")
                if isinstance(reply, bytes):
                    await websocket.send_bytes(reply)
                else:
                    await websocket.send_text(reply)
        except WebSocketDisconnect:
            return

    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    protocol = "websockets-sansio" if stack == "uvicorn-sansio" else "auto"
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", ws=protocol, ws_per_message_deflate=False
    )


async def _call(port: int, index: int, calls: int, seconds: float, frames: list[bytes] | list[str]) -> None:
    async with connect(f"ws://127.0.0.1:{port}/ws", max_size=None, compression=None) as ws:

        async def drain() -> None:
            async for _ in ws:
                pass

        draining = asyncio.create_task(drain())
        start = time.monotonic() + FRAME_S * index / calls
        sent = 0
        while time.monotonic() - start < seconds:
            await ws.send(frames[sent % len(frames)])
            sent += 1
            await asyncio.sleep(max(0.0, start + sent * FRAME_S - time.monotonic()))
        draining.cancel()


async def _wait_listening(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            async with connect(f"ws://127.0.0.1:{port}/ws", compression=None):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def _frames(media: str) -> list[bytes] | list[str]:
    rng = np.random.default_rng(0)
    if media == "twilio":
        return [
            twilio_media(rng.integers(0, 256, PHONE_FRAME_BYTES, dtype=np.uint8).tobytes()) for _ in range(50)
        ]
    return [(rng.standard_normal(FRAME_BYTES // 2) * 2000).astype(np.int16).tobytes() for _ in range(50)]


def measure(
    stack: str, calls: int, seconds: float, warm_up: float = WARM_UP_S, media: str = "binary"
) -> float:
    """Server CPU in ms per call-second."""
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.capacity.transport_floor", "--serve", stack]
    child = subprocess.Popen([*command, "--port", str(port), "--media", media])
    frames = _frames(media)
    try:
        asyncio.run(_wait_listening(port))

        async def run() -> float:
            clients = asyncio.gather(
                *(_call(port, i, calls, seconds + warm_up, frames) for i in range(calls))
            )
            await asyncio.sleep(warm_up)
            before, started = sample_tree(child.pid), time.monotonic()
            await asyncio.sleep(seconds * 0.9)  # the last clients stop sending at `seconds`
            after, wall = sample_tree(child.pid), time.monotonic() - started
            await clients
            return 1000 * (after.cpu_seconds - before.cpu_seconds) / wall / calls

        return asyncio.run(run())
    finally:
        child.terminate()
        child.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack", nargs="+", choices=STACKS, default=list(STACKS))
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per stack")
    parser.add_argument("--media", choices=MEDIA, default="binary", help="the messages a call exchanges")
    parser.add_argument("--serve", choices=STACKS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.media)
        return
    for stack in args.stack:
        per_call = measure(stack, args.calls, args.seconds, media=args.media)
        print(
            f"{stack:14} {args.media} {args.calls} calls: server {per_call:.2f} ms CPU per call-second"
            f" ({per_call / 10:.3f} % of a core per call; 2 cores hold at most {2000 / per_call:.0f} calls"
            " of this alone)",
            flush=True,
        )


if __name__ == "__main__":
    main()
