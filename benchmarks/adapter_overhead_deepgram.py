"""Overhead of the Deepgram adapters against a zero-latency loopback fake (same process, same event loop).

    uv run python benchmarks/adapter_overhead_deepgram.py [--runs 200]

Each run is one turn on a warm socket: an utterance is pushed, and we take the time from the fake handing a
message to its socket to the adapter yielding the transcript made from it — the first interim of the turn, and
(Nova) the final answering ``finalize()``. The "raw SDK" rows do the same with a bare ``conn.recv()`` loop, so
the difference is what the adapter adds. "finalize() -> final" is the whole round trip through the fake (the
Finalize going out after the queued audio, the fake's processing, and the answer). Times are event-loop clock
readings.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.filterwarnings("ignore", category=DeprecationWarning)  # the SDK imports websockets.legacy

from deepgram import AsyncDeepgramClient  # noqa: E402
from deepgram.listen.v1.types import ListenV1Results  # noqa: E402
from deepgram.listen.v2.types import ListenV2TurnInfo  # noqa: E402

from benchmarks.timing import TimingRow, measure, timing_table  # noqa: E402
from pipeline.base.audio import AudioFrame  # noqa: E402
from providers.deepgram.flux import DeepgramFlux, FluxOptions  # noqa: E402
from providers.deepgram.stt import DeepgramOptions, DeepgramStt  # noqa: E402
from providers.stt import SttStream, Transcript  # noqa: E402
from tests.fakes.audio import silence, tone_seconds  # noqa: E402
from tests.fakes.deepgram import FakeDeepgram  # noqa: E402

KEY = "dg-bench"
RATE = 16000
UTTERANCE = silence(RATE, 0.2) + tone_seconds(RATE, 0.6) + silence(RATE, 0.1)
NOVA_PARAMS: dict[str, Any] = {
    "model": "nova-3",
    "encoding": "linear16",
    "sample_rate": RATE,
    "channels": 1,
    "interim_results": True,
    "endpointing": 5000,
}


class Pusher:
    def __init__(self, stream: SttStream) -> None:
        self.stream = stream
        self.time = 0.0

    async def send(self, pcm: bytes) -> None:
        for start in range(0, len(pcm), 640):
            frame = AudioFrame(pcm[start : start + 640], RATE, self.time)
            await self.stream.push_audio(frame)
            self.time = frame.end_time


def sent_time(fake: FakeDeepgram, after: int, kind: str) -> float:
    return next(time for time, sent_kind in fake.sent[after:] if sent_kind == kind)


async def next_transcript(stream: SttStream, wanted: Callable[[Transcript], bool]) -> float:
    with anyio.fail_after(5):
        async for transcript in stream.transcripts():
            if wanted(transcript):
                return anyio.current_time()
    raise RuntimeError("stream ended")


async def bench_nova(fake: FakeDeepgram, runs: int) -> list[TimingRow]:
    stt = DeepgramStt(DeepgramOptions(api_key=KEY, ws_url=fake.url, endpointing_ms=5000, smart_format=False))
    async with stt.stream(sample_rate=RATE) as stream:
        pusher = Pusher(stream)

        async def once() -> list[float]:
            mark = len(fake.sent)
            await pusher.send(UTTERANCE)
            interim_at = await next_transcript(stream, lambda t: not t.is_final)
            asked = anyio.current_time()
            await stream.finalize()
            final_at = await next_transcript(stream, lambda t: t.from_finalize)
            interim_sent = sent_time(fake, mark, "Results")
            final_sent = fake.sent[-1][0]
            return [interim_at - interim_sent, final_at - final_sent, final_at - asked]

        interim, final, round_trip = zip(*await measure(runs, once), strict=True)
    return [
        ("nova adapter: first interim (fake send -> yield)", interim),
        ("nova adapter: Finalize answer (fake send -> yield)", final),
        ("nova adapter: finalize() -> from_finalize final", round_trip),
    ]


async def bench_nova_raw(fake: FakeDeepgram, runs: int) -> list[TimingRow]:
    client = AsyncDeepgramClient(api_key=KEY, environment=fake.environment)
    async with client.listen.v1.connect(**NOVA_PARAMS) as conn:

        async def once() -> float:
            mark = len(fake.sent)
            for start in range(0, len(UTTERANCE), 640):
                await conn.send_media(UTTERANCE[start : start + 640])
            while not isinstance(message := await conn.recv(), ListenV1Results) or message.is_final:
                pass
            received = anyio.current_time()
            await conn.send_finalize()
            while not (isinstance(message := await conn.recv(), ListenV1Results) and message.from_finalize):
                pass
            return received - sent_time(fake, mark, "Results")

        interim = await measure(runs, once)
    return [("nova raw SDK: first interim (fake send -> recv)", interim)]


async def bench_flux(fake: FakeDeepgram, runs: int) -> list[TimingRow]:
    flux = DeepgramFlux(FluxOptions(api_key=KEY, ws_url=fake.url))
    async with flux.stream(sample_rate=RATE) as stream:
        pusher = Pusher(stream)

        async def once() -> float:
            mark = len(fake.sent)
            await pusher.send(UTTERANCE + silence(RATE, 0.5))  # Flux ends the turn after 0.5 s of silence
            first_at = await next_transcript(stream, lambda t: True)
            first = first_at - sent_time(fake, mark, "TurnInfo")
            await next_transcript(stream, lambda t: t.is_final)
            return first

        first = await measure(runs, once)
    return [("flux adapter: first TurnInfo (fake send -> yield)", first)]


async def bench_flux_raw(fake: FakeDeepgram, runs: int) -> list[TimingRow]:
    client = AsyncDeepgramClient(api_key=KEY, environment=fake.environment)
    async with client.listen.v2.connect(
        model="flux-general-en", encoding="linear16", sample_rate=RATE
    ) as conn:

        async def once() -> float:
            mark = len(fake.sent)
            audio = UTTERANCE + silence(RATE, 0.5)
            for start in range(0, len(audio), 640):
                await conn.send_media(audio[start : start + 640])
            while not isinstance(await conn.recv(), ListenV2TurnInfo):
                pass
            received = anyio.current_time()
            while not (
                isinstance(message := await conn.recv(), ListenV2TurnInfo) and message.event == "EndOfTurn"
            ):
                pass
            return received - sent_time(fake, mark, "TurnInfo")

        first = await measure(runs, once)
    return [("flux raw SDK: first TurnInfo (fake send -> recv)", first)]


async def main(runs: int) -> None:
    rows: list[TimingRow] = []
    async with FakeDeepgram(api_key=KEY) as fake:
        fake.config.idle_timeout = 60.0
        for bench in (bench_nova, bench_nova_raw, bench_flux, bench_flux_raw):
            rows += await bench(fake, runs)
    print(timing_table(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=100)
    arguments = parser.parse_args()
    anyio.run(main, arguments.runs, backend="asyncio")
