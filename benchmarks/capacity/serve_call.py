"""One caller of ``bench capacity --through serve``: a WebSocket client of the real server (Parley's /ws protocol,
PROTOCOL.md) in the benchmark's client process, feeding the looped caller audio on an absolute 20 ms real-time
grid and draining the agent's audio and events.

What the client can see of the server's lag. Frame ``k`` is due at ``origin + (k + 1) * 20 ms`` and sent then.
The server's VAD reports each caller speech edge with its ``media_time`` (where in the caller's audio the
speech started or stopped) and can decide it only once the configured minimum (speech for a start, silence for a
stop) has passed. The *edge lag* is the event's arrival at the client minus ``origin + media_time + minimum``:
it adds up the client's send, the network stack, the server's input path (receive, VAD batch, decision) and the
event's way back. The step is judged on the **stop** edges: with a lightly loaded server their lag scatters
between about -5 and +19 ms (the VAD places an edge inside its 32 ms windows and decides on 20 ms frames; a
negative lag counts as 0). Start edges are reported too, but a start's ``media_time`` is the energy onset and
Silero sometimes confirms speech a window later, so their lag has an intrinsic tail up to ~50 ms (measured: 48
starts at 10 calls, p50 7 ms, max 48 ms). The client's own lateness sending frames is measured separately (``send
lag``), so a client that cannot keep up is told apart from a server that cannot.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from benchmarks.capacity.call import Tally
from benchmarks.capacity.conversation import FRAME_SECONDS, RATE
from benchmarks.capacity.lag import LagHistogram
from benchmarks.capacity.ws_call import count_event
from vad.params import VadParams

_VAD = VadParams()
EDGE_MINIMUM = {
    "user_started_speaking": _VAD.min_speech_duration,
    "user_stopped_speaking": _VAD.min_silence_duration,
}


@dataclass
class ClientStats:
    """What the callers of a step saw; the histograms record only while ``measuring`` is set."""

    event_lag: LagHistogram = field(default_factory=LagHistogram)  # stop edges (the verdict)
    start_lag: LagHistogram = field(default_factory=LagHistogram)  # start edges (reported)
    send_lag: LagHistogram = field(default_factory=LagHistogram)
    agent_audio_bytes: int = 0
    connected: int = 0
    tally: Tally = field(default_factory=Tally)
    measuring: bool = False


async def run_serve_call(
    port: int, frames: Sequence[bytes], offset: int, stats: ClientStats, hang_up: anyio.Event, phase: float
) -> None:
    """One call: connect, ``start`` (16 kHz PCM16), frames on the real-time grid until ``hang_up``, then close."""
    try:
        ws = await connect(f"ws://127.0.0.1:{port}/ws", max_size=None, compression=None, open_timeout=60)
    except (OSError, TimeoutError) as error:
        stats.tally.error(f"cannot connect to ws://127.0.0.1:{port}/ws: {error}")
        return
    async with ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": RATE, "encoding": "pcm16"}))
        origin = time.monotonic() + phase
        stats.connected += 1
        async with anyio.create_task_group() as group:
            group.start_soon(_receive, ws, origin, stats)
            try:
                await _feed(ws, frames, offset, origin, hang_up, stats)
            except ConnectionClosed as closed:
                stats.tally.error(f"connection closed: {closed}")
            group.cancel_scope.cancel()


async def _feed(
    ws: ClientConnection,
    frames: Sequence[bytes],
    offset: int,
    origin: float,
    hang_up: anyio.Event,
    stats: ClientStats,
) -> None:
    count = len(frames)
    for k in itertools.count():
        due = origin + (k + 1) * FRAME_SECONDS
        await anyio.sleep(max(0.0, due - time.monotonic()))
        if hang_up.is_set():
            return
        await ws.send(frames[(offset + k) % count])
        if stats.measuring:
            stats.send_lag.record(time.monotonic() - due)


async def _receive(ws: ClientConnection, origin: float, stats: ClientStats) -> None:
    try:
        async for message in ws:
            if isinstance(message, bytes):
                stats.agent_audio_bytes += len(message)
            else:
                _event(json.loads(message), time.monotonic() - origin, stats)
    except ConnectionClosed:
        pass


def _event(event: dict[str, Any], arrived: float, stats: ClientStats) -> None:
    kind = event.get("type")
    minimum = EDGE_MINIMUM.get(str(kind))
    if minimum is not None and isinstance(event.get("media_time"), int | float) and stats.measuring:
        lag = arrived - float(event["media_time"]) - minimum
        (stats.start_lag if kind == "user_started_speaking" else stats.event_lag).record(lag)
    count_event(event, stats.tally)
