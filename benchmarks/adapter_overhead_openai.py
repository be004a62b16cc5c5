"""Overhead of the OpenAI adapters against a zero-latency loopback fake (same process, same event loop).

    uv run python benchmarks/adapter_overhead_openai.py [--runs 200]

For each adapter: the time from the fake handing its first response byte to the socket to the adapter yielding
its first item (LLM: first TextDelta; TTS: first TtsAudio; STT: the final transcript for a non-streamed upload,
the first interim for a streamed one). The "raw SDK" rows do the same with the bare SDK call, so the difference
is what the adapter adds. STT also shows finalize() -> final transcript for a 1 s utterance (WAV encoding,
multipart upload and the fake's parsing included). Times are event-loop clock readings; warm connections.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import aclosing
from pathlib import Path

import anyio
from openai import AsyncOpenAI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import WARMUP_RUNS, TimingRow, measure, timing_table
from pipeline.base.audio import AudioFrame, split_frames
from providers.llm import ChatMessage, LlmRequest, Role, TextDelta
from providers.openai.llm import OpenAILlm, OpenAILlmOptions
from providers.openai.stt import OpenAIStt, OpenAISttOptions
from providers.openai.tts import OpenAITts, OpenAITtsOptions
from providers.tts import TtsAudio
from tests.fakes.audio import tone_seconds
from tests.fakes.openai import FakeOpenAI

KEY = "sk-bench"
REQUEST = LlmRequest(messages=(ChatMessage(Role.SYSTEM, "Be brief."), ChatMessage(Role.USER, "Hello there.")))
RATE = 16000


async def bench_llm(fake: FakeOpenAI, runs: int) -> list[TimingRow]:
    llm = OpenAILlm(OpenAILlmOptions(api_key=KEY, base_url=fake.base_url, max_retries=0))
    client = AsyncOpenAI(api_key=KEY, base_url=fake.base_url, max_retries=0)

    async def adapter() -> float:
        fake.replies.push("Hi! How can I help you today?")
        async with aclosing(llm.stream(REQUEST)) as chunks:
            async for chunk in chunks:
                if isinstance(chunk, TextDelta):
                    first = anyio.current_time()
                    break
        return first - fake.first_body_times[-1]

    async def raw() -> float:
        fake.replies.push("Hi! How can I help you today?")
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=llm.request_params(REQUEST)["messages"], stream=True
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                first = anyio.current_time()
                break
        await stream.close()
        return first - fake.first_body_times[-1]

    try:
        return [
            ("LLM first byte -> first TextDelta (adapter)", await measure(runs, adapter)),
            ("LLM first byte -> first content (raw SDK)", await measure(runs, raw)),
        ]
    finally:
        await llm.aclose()
        await client.close()


async def bench_tts(fake: FakeOpenAI, runs: int) -> list[TimingRow]:
    tts = OpenAITts(OpenAITtsOptions(api_key=KEY, base_url=fake.base_url, max_retries=0))
    client = AsyncOpenAI(api_key=KEY, base_url=fake.base_url, max_retries=0)

    async def adapter() -> float:
        async with tts.stream() as stream:
            await stream.push_text("Hello there, how are you?")
            await stream.end_input()
            with anyio.CancelScope() as scope:
                async for output in stream.outputs():
                    if isinstance(output, TtsAudio):
                        first = anyio.current_time()
                        scope.cancel()
        return first - fake.first_body_times[-1]

    async def raw() -> float:
        async with client.audio.speech.with_streaming_response.create(
            model="gpt-4o-mini-tts", voice="alloy", input="Hello there, how are you?", response_format="pcm"
        ) as response:
            async for _ in response.iter_bytes():
                first = anyio.current_time()
                break
        return first - fake.first_body_times[-1]

    try:
        return [
            ("TTS first byte -> first TtsAudio (adapter)", await measure(runs, adapter)),
            ("TTS first byte -> first bytes (raw SDK)", await measure(runs, raw)),
        ]
    finally:
        await tts.aclose()
        await client.close()


async def bench_stt(fake: FakeOpenAI, runs: int, *, stream: bool) -> list[TimingRow]:
    model = "gpt-4o-transcribe" if stream else "whisper-1"
    stt = OpenAIStt(OpenAISttOptions(api_key=KEY, base_url=fake.base_url, max_retries=0, model=model))
    frames = split_frames(AudioFrame(tone_seconds(RATE, 1.0), RATE), 20)
    totals: list[float] = []
    label = "first interim" if stream else "final"
    try:
        async with stt.stream(sample_rate=RATE) as stt_stream:
            transcripts = aiter(stt_stream.transcripts())

            async def once() -> float:
                for frame in frames:
                    await stt_stream.push_audio(frame)
                fake.transcriptions.push("Turn left at the next corner.")
                sent = anyio.current_time()
                await stt_stream.finalize()
                transcript = await anext(transcripts)
                first = anyio.current_time()
                while not transcript.from_finalize:
                    transcript = await anext(transcripts)
                totals.append(anyio.current_time() - sent)
                return first - fake.first_body_times[-1]

            overhead = await measure(runs, once)
            del totals[:WARMUP_RUNS]
    finally:
        await stt.aclose()
    kind = "streamed" if stream else "JSON"
    return [
        (f"STT ({kind}) first byte -> {label}", overhead),
        (f"STT ({kind}) finalize() -> final, 1 s of audio", totals),
    ]


async def main(runs: int) -> None:
    async with FakeOpenAI(api_key=KEY) as fake:
        rows = [
            *await bench_llm(fake, runs),
            *await bench_tts(fake, runs),
            *await bench_stt(fake, runs, stream=False),
            *await bench_stt(fake, runs, stream=True),
        ]
    print(timing_table(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    anyio.run(main, parser.parse_args().runs, backend="asyncio")
