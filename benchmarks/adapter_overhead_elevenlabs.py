"""Overhead of the ElevenLabs adapters against a zero-latency loopback fake (same process, same event loop).

    uv run python benchmarks/adapter_overhead_elevenlabs.py [--runs 200]

For each path: the time from the fake handing its first audio to the socket to the adapter yielding its first
``TtsAudio``. The "raw" rows do the same with the bare client (``websockets`` + ``json`` + ``base64`` for the
websocket, the SDK call for HTTP), so the difference is what the adapter adds. Warm connections; the websocket
rows also show "push_text -> first TtsAudio" for a reply on the already-open socket (one loopback round trip
plus the fake's work). Times are event-loop clock readings.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

import anyio
import httpx
import websockets
from elevenlabs.client import AsyncElevenLabs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import WARMUP_RUNS, TimingRow, measure, timing_table
from providers.elevenlabs.http_tts import ElevenLabsHttpTts
from providers.elevenlabs.options import ElevenLabsHttpOptions, ElevenLabsWebsocketOptions
from providers.elevenlabs.websocket_tts import ElevenLabsTts
from providers.tts import TtsAudio, TtsStream
from tests.fakes.elevenlabs import FakeElevenLabs

KEY = "xi-bench-key-0123456789"
VOICE = "voice123"
TEXT = "Hello there, how are you today?"


async def first_audio(stream: TtsStream) -> float:
    """Push one sentence, end input, read until the first audio; returns the loop time it was yielded."""
    await stream.push_text(TEXT)
    await stream.end_input()
    first = 0.0
    with anyio.CancelScope() as scope:
        async for output in stream.outputs():
            if isinstance(output, TtsAudio):
                first = anyio.current_time()
                scope.cancel()  # leave mid-reply, like a barge-in (exercises close_context too)
    return first


async def bench_websocket(fake: FakeElevenLabs, runs: int) -> list[TimingRow]:
    options = ElevenLabsWebsocketOptions(
        api_key=KEY, voice_id=VOICE, base_url=fake.base_url, ws_url=fake.ws_url
    )
    tts = ElevenLabsTts(options)
    totals: list[float] = []

    async def adapter() -> float:
        async with tts.stream() as stream:
            pushed = anyio.current_time()
            first = await first_audio(stream)
        totals.append(first - pushed)
        return first - fake.first_audio_times[-1]

    url = f"{fake.ws_url}/v1/text-to-speech/{VOICE}/multi-stream-input?model_id=eleven_flash_v2_5&output_format=pcm_16000&auto_mode=true"
    counter = iter(range(10**9))

    async def raw_once(ws: websockets.ClientConnection) -> float:
        context = f"raw-{next(counter)}"
        await ws.send(json.dumps({"text": " ", "context_id": context}))
        await ws.send(json.dumps({"text": TEXT + " ", "context_id": context}))
        await ws.send(json.dumps({"context_id": context, "flush": True}))
        while True:
            message = json.loads(await ws.recv())
            if message.get("contextId") == context and message.get("audio"):
                base64.b64decode(message["audio"])
                first = anyio.current_time()
                break
        await ws.send(json.dumps({"context_id": context, "close_context": True}))
        return first - fake.first_audio_times[-1]

    try:
        adapter_rows = await measure(runs, adapter)
        del totals[:WARMUP_RUNS]
        async with websockets.connect(url, additional_headers={"xi-api-key": KEY}, compression=None) as ws:
            raw_rows = await measure(runs, lambda: raw_once(ws))
    finally:
        await tts.aclose()
    return [
        ("websocket: first audio -> first TtsAudio (adapter)", adapter_rows),
        ("websocket: first audio -> decoded audio (raw client)", raw_rows),
        ("websocket: push_text -> first TtsAudio (warm socket)", totals),
    ]


async def bench_http(fake: FakeElevenLabs, runs: int, *, alignment: bool) -> list[TimingRow]:
    options = ElevenLabsHttpOptions(api_key=KEY, voice_id=VOICE, base_url=fake.base_url, alignment=alignment)
    tts = ElevenLabsHttpTts(options)
    http = httpx.AsyncClient()
    client = AsyncElevenLabs(api_key=KEY, base_url=fake.base_url, httpx_client=http)

    async def adapter() -> float:
        async with tts.stream() as stream:
            first = await first_audio(stream)
        return first - fake.first_audio_times[-1]

    async def raw() -> float:
        if alignment:
            chunks = client.text_to_speech.stream_with_timestamps(VOICE, text=TEXT, output_format="pcm_16000")
        else:
            chunks = client.text_to_speech.stream(VOICE, text=TEXT, output_format="pcm_16000")
        first = 0.0
        with anyio.CancelScope() as scope:  # leave the way the adapter is left, by cancellation
            async for _ in chunks:
                first = anyio.current_time()
                scope.cancel()
        await chunks.aclose()
        return first - fake.first_audio_times[-1]

    kind = "HTTP with timestamps" if alignment else "HTTP"
    try:
        return [
            (f"{kind}: first audio -> first TtsAudio (adapter)", await measure(runs, adapter)),
            (f"{kind}: first audio -> first chunk (raw SDK)", await measure(runs, raw)),
        ]
    finally:
        await tts.aclose()
        await http.aclose()


async def main(runs: int) -> None:
    async with FakeElevenLabs(api_key=KEY) as fake:
        rows = [
            *await bench_websocket(fake, runs),
            *await bench_http(fake, runs, alignment=False),
            *await bench_http(fake, runs, alignment=True),
        ]
    print(timing_table(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    anyio.run(main, parser.parse_args().runs, backend="asyncio")
