"""Capacity through the server over Twilio Media Streams: the telephony routes on a loopback uvicorn, each
benchmark call a Twilio-protocol client (messages as in shared/TELEPHONY.md) sending the looped caller audio as
20 ms μ-law 8 kHz chunks on an absolute deadline grid. The frame-lag origin travels in ``customParameters``
(what Twilio's ``<Parameter>`` delivers), so the lag includes the Twilio path: JSON, base64, G.711 and the edge
resampling, on top of the session's own."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import anyio
import numpy as np
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from benchmarks.capacity.call import Tally
from benchmarks.capacity.conversation import FRAME_SECONDS
from benchmarks.capacity.ws_call import serve_on_loopback
from pipeline.base.audio import ulaw_encode
from pipeline.session.pipeline import Pipeline
from pipeline.transports.telephony.edge_resample import Decimator
from pipeline.transports.telephony.messages import StreamStarted
from pipeline.transports.telephony.routes import TelephonyRoutes
from pipeline.transports.telephony.settings import TelephonySettings

ORIGIN_PARAMETER = "bench_origin"


def twilio_origin(started: StreamStarted) -> float | None:
    value = started.custom_parameters.get(ORIGIN_PARAMETER)
    return float(value) if value else None


@asynccontextmanager
async def twilio_loopback_server(
    pipeline_for_call: Callable[[StreamStarted], Pipeline],
) -> AsyncIterator[int]:
    """``/twilio/stream`` on 127.0.0.1 (a free port, unsigned: loopback only); yields the port."""
    probe = StreamStarted(call_id="probe", stream_id="probe", encoding="mulaw")
    routes = TelephonyRoutes(
        pipeline_for_call(probe), TelephonySettings(allow_unsigned=True), pipeline_for_call=pipeline_for_call
    )
    async with serve_on_loopback(Starlette(routes=routes.routes())) as port:
        yield port


def mulaw_frames(frames: Sequence[bytes]) -> list[str]:
    """The 16 kHz PCM16 loop as base64 μ-law 8 kHz payloads (what Twilio would carry)."""
    decimator = Decimator(2)
    return [
        base64.b64encode(ulaw_encode(decimator.process(np.frombuffer(frame, dtype="<i2")))).decode()
        for frame in frames
    ]


async def run_twilio_call(
    port: int, payloads: Sequence[str], offset: int, tally: Tally, hang_up: anyio.Event, phase: float = 0.0
) -> None:
    """One call as a Twilio Media Streams client; ``stop`` when ``hang_up`` is set."""
    origin = anyio.current_time() + phase
    number = next(_numbers)
    async with connect(f"ws://127.0.0.1:{port}/twilio/stream", max_size=None, compression=None) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        start = {
            "streamSid": f"MZ{number}",
            "callSid": f"CA{number}",
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": {ORIGIN_PARAMETER: repr(origin)},
        }
        await ws.send(
            json.dumps({"event": "start", "sequenceNumber": "1", "start": start, "streamSid": f"MZ{number}"})
        )
        async with anyio.create_task_group() as group:
            group.start_soon(_receive, ws, tally)
            try:
                await _feed(ws, payloads, offset, origin, hang_up, f"MZ{number}")
                await ws.send(
                    json.dumps(
                        {"event": "stop", "stop": {"callSid": f"CA{number}"}, "streamSid": f"MZ{number}"}
                    )
                )
            except ConnectionClosed as closed:
                tally.error(f"connection closed: {closed}")
            group.cancel_scope.cancel()


_numbers = itertools.count(1)


async def _feed(
    ws: ClientConnection, payloads: Sequence[str], offset: int, origin: float, hang_up: anyio.Event, sid: str
) -> None:
    count = len(payloads)
    for k in itertools.count():
        await anyio.sleep_until(origin + (k + 1) * FRAME_SECONDS)
        if hang_up.is_set():
            return
        media = {
            "track": "inbound",
            "chunk": str(k + 1),
            "timestamp": str(k * 20),
            "payload": payloads[(offset + k) % count],
        }
        await ws.send(
            json.dumps({"event": "media", "sequenceNumber": str(k + 2), "media": media, "streamSid": sid})
        )


async def _receive(ws: ClientConnection, tally: Tally) -> None:
    """Echo marks as played (a platform with no playback delay); count clears as interruptions."""
    try:
        async for message in ws:
            event = json.loads(message)
            if event.get("event") == "mark":
                await ws.send(
                    json.dumps({"event": "mark", "streamSid": event["streamSid"], "mark": event["mark"]})
                )
            elif event.get("event") == "clear":
                tally.interruptions += 1
    except ConnectionClosed:
        pass
